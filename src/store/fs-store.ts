/**
 * The state directory of `run`: a versioned layout, atomic writes (temp file, fsync, rename, fsync
 * of the directory), and a lock file with stale-lock detection.
 *
 * Every file system failure on the state leaves here as a StateError naming the path it concerns
 * (exit 2), never as a bare Node error (which the CLI would call an internal bug).
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { type DescribeOptions, PcaAuditError } from '../core/errors.js';
import {
  createFile,
  processAlive,
  syncDir,
  TEMP_FILE,
  uniqueTempPath,
  writeFileAtomic,
} from '../fs/atomic-file.js';

/** 2: a CA's state under cas/<account>/<region>/<CA_ID>/ (src/store/layout.ts); 1: cas/<CA_ID>/ */
export const STATE_LAYOUT = 2;

/** Directories the state creates are private to the user the job runs as. */
export const STATE_DIR_MODE = 0o700;

/** Where state files are copied as they are written (an S3 prefix for `run --state s3://…`). */
export interface Mirror {
  put(localPath: string): Promise<void>;
  remove(localPath: string): Promise<void>;
}

export class StateError extends PcaAuditError {
  override readonly name = 'StateError';
  readonly errorKind = 'state';
  constructor(
    readonly path: string,
    message: string,
    override readonly hint?: string,
  ) {
    super(message);
  }

  override describe(o: DescribeOptions): string {
    return `state "${o.clean(this.path)}": ${o.clean(this.message)}`;
  }
}

/** Why a file system call on the state failed, for the errors a state directory meets in practice. */
const ERRNO_REASONS: Record<string, { why: string; hint?: string }> = {
  EROFS: { why: 'the file system is read-only', hint: 'give a writable --state-dir' },
  EACCES: { why: 'permission denied', hint: 'run as the user that owns the state directory' },
  EPERM: { why: 'operation not permitted', hint: 'run as the user that owns the state directory' },
  ENOSPC: { why: 'no space left on the device', hint: 'free some space, then run again' },
  EDQUOT: { why: 'the disk quota is exhausted', hint: 'free some space, then run again' },
  ENOTDIR: {
    why: 'a file stands where a directory should be',
    hint: 'move the file away, or give another --state-dir',
  },
  EISDIR: {
    why: 'a directory stands where a file should be',
    hint: 'move the directory away, or give another --state-dir',
  },
  ELOOP: { why: 'too many symbolic links' },
  ENAMETOOLONG: { why: 'the path is too long' },
  EIO: { why: 'an I/O error (a failing disk?)' },
};

/** A Node file system error (it has an errno code), as opposed to a bug. */
export function isFsError(err: unknown): err is NodeJS.ErrnoException & { code: string } {
  return (
    err instanceof Error &&
    typeof (err as NodeJS.ErrnoException).code === 'string' &&
    /^E[A-Z]+$/.test((err as NodeJS.ErrnoException).code!)
  );
}

/**
 * `err` as a StateError on `path` (`doing`: "write", "read", …); a StateError passes through, and
 * anything that is not a file system error (a bug) is returned unchanged.
 */
export function stateFailure(path: string, doing: string, err: unknown): unknown {
  if (err instanceof StateError || !isFsError(err)) return err;
  const known = ERRNO_REASONS[err.code];
  const error = new StateError(
    path,
    `cannot ${doing}: ${known?.why ?? err.message} (${err.code})`,
    known?.hint,
  );
  error.cause = err;
  return error;
}

/** Runs `fn`, turning its file system errors into StateErrors on `path`. */
async function onState<T>(path: string, doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw stateFailure(path, doing, err);
  }
}

/** Creates a state directory (and its missing parents) with mode 0700. */
export async function makeStateDir(path: string): Promise<void> {
  await onState(path, 'create the directory', () => mkdir(path, { recursive: true, mode: STATE_DIR_MODE }));
}

/**
 * Writes `data` to `path` atomically (src/fs/atomic-file.ts): readers see the old file or the new
 * one, never a part. The file is the state's own (mode 0600; a symlink there is replaced, not
 * followed); its temporary file `<path>.tmp-<pid>-<8 hex>` is what cleanStaleTemps removes after a
 * killed run.
 */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await makeStateDir(dirname(path));
  await onState(path, 'write', () =>
    writeFileAtomic(path, data, { replace: true, target: 'owned', mode: 0o600, temp: 'unique' }),
  );
}

/** A state file's text; undefined when there is no such file. */
export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw stateFailure(path, 'read', err);
  }
}

/**
 * What a state file must look like: undefined when `value` has the shape, else what is wrong with
 * it ("is null", "has no reportId", …), said after the file's path.
 */
export type ShapeCheck = (value: unknown) => string | undefined;

/**
 * A state file's JSON; undefined when there is no such file. With `check`, JSON of another shape
 * (`null`, `{}`, a list…) is refused like invalid JSON: state that cannot be trusted is an error,
 * never "nothing stored yet".
 */
export async function readJson<T>(path: string, check?: ShapeCheck): Promise<T | undefined> {
  const text = await readText(path);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StateError(
      path,
      'is not valid JSON (edited or damaged?)',
      'restore it from a backup, or move the state directory away to start again',
    );
  }
  const problem = check?.(value);
  if (problem !== undefined) {
    throw new StateError(
      path,
      `${problem}: not what pca-audit writes there (edited or damaged?)`,
      'restore it from a backup, or move the state directory away to start again',
    );
  }
  return value as T;
}

/** The shape check of a JSON object with (at least) these typed fields. */
export function objectWith(fields: Record<string, (v: unknown) => boolean>): ShapeCheck {
  return (value) => {
    if (value === null) return 'is null';
    if (typeof value !== 'object' || Array.isArray(value)) return 'is not a JSON object';
    for (const [name, ok] of Object.entries(fields)) {
      if (!ok((value as Record<string, unknown>)[name])) return `has no valid "${name}"`;
    }
    return undefined;
  };
}

export async function listDir(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw stateFailure(path, 'list the directory', err);
  }
}

/**
 * Checks a layout marker (`state.json`) read as `value`: undefined when absent; refuses one of
 * another shape or a newer layout. `where` names it in errors (a path, or an s3:// URI).
 */
export function checkLayout(where: string, value: unknown): void {
  if (value === undefined) return;
  const layout = (value as { layout?: unknown } | null)?.layout;
  if (typeof value !== 'object' || value === null || typeof layout !== 'number') {
    throw new StateError(where, 'has no layout version: not a pca-audit state directory?');
  }
  if (layout > STATE_LAYOUT) {
    throw new StateError(
      where,
      `layout ${layout} is newer than this pca-audit understands (${STATE_LAYOUT})`,
      'upgrade pca-audit, or use another --state-dir',
    );
  }
}

/** The marker of a layout (the current one by default). */
export const layoutMarker = (layout: number = STATE_LAYOUT): string =>
  `${JSON.stringify({ layout, tool: 'pca-audit' }, null, 2)}\n`;

export const LAYOUT_MARKER = layoutMarker();

/**
 * Opens a state directory: checks its layout (a newer one is refused). Unless `readOnly`, creates
 * the directory (mode 0700) and its marker when new; returns whether it wrote the marker.
 */
export async function openStateDir(dir: string, readOnly = false): Promise<boolean> {
  const marker = join(dir, 'state.json');
  if (readOnly) {
    checkLayout(marker, await readJson<unknown>(marker));
    return false;
  }
  await makeStateDir(dir);
  const current = await readJson<unknown>(marker);
  checkLayout(marker, current);
  if (current !== undefined) return false;
  // a state written before the marker existed is layout 1 (and gets moved to the current one)
  const legacy = (await listDir(join(dir, 'cas'))).length > 0;
  await writeAtomic(marker, legacy ? layoutMarker(1) : LAYOUT_MARKER);
  return true;
}

/** A temporary file older than this is stale even if its PID runs (reused, or another host's). */
const TEMP_MAX_AGE = 3600;

/**
 * Removes temporary files that killed runs left anywhere under the state directory: those whose
 * process is gone, and any older than an hour (a PID can be reused, and on shared storage it may
 * be another host's). Called under the lock, so no live run of the state is writing them; the
 * hour only guards against a misjudged lock. Returns the paths removed.
 */
export async function cleanStaleTemps(dir: string): Promise<string[]> {
  // file times are the real clock's, whatever clock the run keeps (PCA_AUDIT_NOW)
  const now = () => Date.now() / 1000;
  const removed: string[] = [];
  const walk = async (path: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw stateFailure(path, 'list the directory', err);
    }
    for (const e of entries) {
      const full = join(path, e.name);
      if (e.isDirectory()) {
        await walk(full);
        continue;
      }
      const m = TEMP_FILE.exec(e.name);
      if (!m || !e.isFile()) continue;
      const pid = Number(m[1] ?? m[2]);
      const info = await stat(full).catch(() => undefined);
      if (!info) continue;
      const old = now() - info.mtimeMs / 1000 > TEMP_MAX_AGE;
      if (pid === process.pid && !old) continue;
      if (!old && processAlive(pid)) continue;
      await onState(full, 'remove a stale temporary file', () => rm(full, { force: true }));
      removed.push(full);
    }
  };
  await walk(dir);
  return removed;
}

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  token: string;
}

function parseLock(text: string | undefined): LockInfo | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<LockInfo> | null;
    if (v && typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.startedAt === 'string')
      return v as LockInfo;
  } catch {
    // unreadable: judged by its age below
  }
  return undefined;
}

const describeHolder = (held: LockInfo | undefined) =>
  `pid ${held?.pid ?? '?'} on ${held?.host ?? '?'}, since ${held?.startedAt ?? '?'}`;

/**
 * Takes the state directory's lock. A lock left by a process that is gone (same host, pid not
 * running), or from another host and older than `staleAfter` seconds, is taken over, and said so;
 * an unreadable lock file older than a minute too.
 *
 * Invariants that make exactly one of many concurrent takers win:
 * - a lock file only ever appears whole and only where none is: link(2) of a written temp file,
 *   which fails with EEXIST when the lock exists (so no one reads a half-written lock either);
 * - a lock file is removed only by its holder (on release), or replaced (rename(2), so it never
 *   is absent) by a taker holding `lock.takeover` (itself created by link(2)), after re-reading the
 *   lock under it and finding the very stale lock it judged (same bytes; tokens are random);
 * - a taker that finds `lock.takeover` waits for it and starts over, and then finds the new lock.
 * A takeover file left by a process killed inside the few milliseconds of a takeover is removed
 * when its process is gone or after a minute.
 */
export async function acquireLock(
  dir: string,
  now: () => number,
  staleAfter: number,
  note: (m: string) => void,
): Promise<() => Promise<void>> {
  const path = join(dir, 'lock');
  const takeoverPath = join(dir, 'lock.takeover');
  const mine: LockInfo = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date(now() * 1000).toISOString(),
    token: randomUUID(),
  };
  const text = JSON.stringify(mine);
  const temp = uniqueTempPath(path);
  await onState(path, 'write the lock', () => createFile(temp, text, 0o600));
  /** link(2): true when `target` was made, false when something is already there */
  // file systems without hard links (some FUSE and SMB mounts) get O_EXCL creation instead: as
  // exclusive, but a reader may catch the lock half-written (an unreadable lock is judged by age)
  let hardLinks = true;
  const place = async (target: string): Promise<boolean> => {
    try {
      if (hardLinks) await link(temp, target);
      else await createFile(target, text, 0o600);
      await syncDir(dir);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (
        hardLinks &&
        (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS')
      ) {
        hardLinks = false;
        return place(target);
      }
      throw stateFailure(target, 'create the lock', err);
    }
  };
  const release = async () => {
    const held = await readText(path);
    if (held === text) await onState(path, 'remove the lock', () => rm(path, { force: true }));
  };
  try {
    for (let attempt = 0; attempt < 200; attempt++) {
      if (await place(path)) return release;
      const heldText = await readText(path);
      if (heldText === undefined) continue; // released meanwhile: try again
      const held = parseLock(heldText);
      // on this host a lock is stale when its process is gone; from another host, when it is old
      const stale =
        held === undefined
          ? await ageOf(path).then((age) => age === undefined || age > 60)
          : held.host === hostname()
            ? !processAlive(held.pid)
            : now() - Date.parse(held.startedAt) / 1000 > staleAfter;
      if (!stale) {
        throw new StateError(
          path,
          `another pca-audit run holds the lock (${describeHolder(held)})`,
          'wait for it to finish; if it is gone, remove the lock file',
        );
      }
      if (!(await place(takeoverPath))) {
        // someone else is taking over: wait for them, then judge what they left
        const other = parseLock(await readText(takeoverPath));
        const age = await ageOf(takeoverPath);
        const dead = other
          ? other.host === hostname() && !processAlive(other.pid)
          : age !== undefined && age > 60;
        if (dead || (age !== undefined && age > 60)) {
          await onState(takeoverPath, 'remove an abandoned lock takeover', () =>
            rm(takeoverPath, { force: true }),
          );
        } else await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      try {
        // under the takeover: only the stale lock it judged is removed, never a newer one
        if ((await readText(path)) !== heldText) continue;
        // rename(2) replaces it in one step: there is never a moment without a lock to race for
        await onState(path, 'take over the stale lock', async () => {
          await rename(temp, path);
          await syncDir(dir);
        });
        note(`taking over a stale lock (${describeHolder(held)})`);
        return release;
      } finally {
        await rm(takeoverPath, { force: true }).catch(() => {});
      }
    }
    throw new StateError(path, 'could not take the lock (it keeps changing hands)');
  } finally {
    await rm(temp, { force: true }).catch(() => {});
  }
}

/** Seconds since `path` was last modified; undefined when it is gone. */
async function ageOf(path: string): Promise<number | undefined> {
  const s = await stat(path).catch(() => undefined);
  return s === undefined ? undefined : Date.now() / 1000 - s.mtimeMs / 1000;
}
