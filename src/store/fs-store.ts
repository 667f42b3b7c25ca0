/**
 * The state directory of `run`: a versioned layout, atomic writes (temp file, fsync, rename, fsync
 * of the directory), and a lock file with stale-lock detection.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';

export const STATE_LAYOUT = 1;

/** Where state files are copied as they are written (an S3 prefix for `run --state s3://…`). */
export interface Mirror {
  put(localPath: string): Promise<void>;
  remove(localPath: string): Promise<void>;
}

export class StateError extends Error {
  override readonly name = 'StateError';
  constructor(
    readonly path: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Writes `data` to `path` atomically: readers see the old file or the new one, never a part. */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  // the rename itself must survive a crash
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function readJson<T>(path: string): Promise<T | undefined> {
  const text = await readText(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new StateError(
      path,
      'is not valid JSON (edited or damaged?)',
      'restore it from a backup, or move the state directory away to start again',
    );
  }
}

export async function listDir(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Opens (creating when new) a state directory; refuses a layout newer than this version knows. */
export async function openStateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const marker = join(dir, 'state.json');
  const current = await readJson<{ layout?: unknown }>(marker);
  if (current === undefined) {
    await writeAtomic(marker, `${JSON.stringify({ layout: STATE_LAYOUT, tool: 'pca-audit' }, null, 2)}\n`);
    return;
  }
  if (typeof current.layout !== 'number') {
    throw new StateError(marker, 'has no layout version: not a pca-audit state directory?');
  }
  if (current.layout > STATE_LAYOUT) {
    throw new StateError(
      marker,
      `layout ${current.layout} is newer than this pca-audit understands (${STATE_LAYOUT})`,
      'upgrade pca-audit, or use another --state-dir',
    );
  }
}

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  token: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the state directory's lock (O_EXCL create). A lock left by a process that is gone (same
 * host, pid not running), or from another host and older than `staleAfter` seconds, is taken
 * over, and said so. An unreadable lock file older than a minute (a crash while writing it) too.
 */
export async function acquireLock(
  dir: string,
  now: () => number,
  staleAfter: number,
  note: (m: string) => void,
): Promise<() => Promise<void>> {
  const path = join(dir, 'lock');
  const mine: LockInfo = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date(now() * 1000).toISOString(),
    token: randomUUID(),
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(mine));
        await handle.sync();
      } finally {
        await handle.close();
      }
      return async () => {
        const held = await readText(path);
        if (held && (JSON.parse(held) as LockInfo).token === mine.token) await rm(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const text = await readText(path);
    let held: LockInfo | undefined;
    try {
      held = text ? (JSON.parse(text) as LockInfo) : undefined;
    } catch {
      held = undefined;
    }
    // on this host a lock is stale when its process is gone; from another host, when it is old
    const sameHost = held !== undefined && held.host === hostname();
    const age = held ? now() - Date.parse(held.startedAt) / 1000 : Number.POSITIVE_INFINITY;
    const stale =
      held === undefined
        ? (await stat(path).then((s) => Date.now() / 1000 - s.mtimeMs / 1000)) > 60
        : sameHost
          ? !alive(held.pid)
          : age > staleAfter;
    if (!stale) {
      throw new StateError(
        path,
        `another pca-audit run holds the lock (pid ${held?.pid ?? '?'} on ${held?.host ?? '?'}, since ${held?.startedAt ?? '?'})`,
        'wait for it to finish; if it is gone, remove the lock file',
      );
    }
    note(
      `taking over a stale lock (pid ${held?.pid ?? '?'} on ${held?.host ?? '?'}, since ${held?.startedAt ?? '?'})`,
    );
    await rm(path, { force: true });
  }
  throw new StateError(path, 'could not take the lock');
}
