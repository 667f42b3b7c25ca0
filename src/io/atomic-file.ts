/**
 * Files written whole or not at all: the data goes to `<target>.partial-<pid>` beside the target (the
 * name S3 downloads use too), is fsynced, and is renamed into place. A partial file is removed when
 * the write fails and on SIGINT/SIGTERM; one left by a killed run (its PID no longer alive) is removed
 * by the next write to the same target.
 */
import { rmSync } from 'node:fs';
import { chmod, link, lstat, open, readdir, realpath, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PcaAuditError } from '../core/errors.js';

/** The partial file of `target` written by process `pid`. */
export function partialPath(target: string, pid: number = process.pid): string {
  return `${target}.partial-${pid}`;
}

/** A filesystem refusal pca-audit finds itself (the OS's own errors carry code and path too). */
export class FileError extends PcaAuditError {
  override readonly name = 'FileError';
  readonly errorKind = 'local-write';
  constructor(
    readonly code: string,
    readonly path: string,
    readonly syscall: string,
    message: string,
  ) {
    super(message);
  }
}

/** The target exists and replacing it was not asked for. */
export class TargetExistsError extends PcaAuditError {
  override readonly name = 'TargetExistsError';
  readonly errorKind = 'local-write';
  constructor(readonly path: string) {
    super(`"${path}" exists`);
  }
}

const pending = new Set<string>();

function onSignal(signal: NodeJS.Signals): void {
  for (const path of pending) {
    try {
      rmSync(path, { force: true });
    } catch {
      // nothing more can be done on the way out
    }
  }
  pending.clear();
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  // die of the signal, as without the handler, so the caller sees 130/143
  process.kill(process.pid, signal);
}

/** Removes `path` if the process is interrupted (SIGINT, SIGTERM) before the returned function is called. */
export function removeOnSignal(path: string): () => void {
  if (pending.size === 0) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  pending.add(path);
  return () => {
    if (!pending.delete(path) || pending.size > 0) return;
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, someone else's
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `<target>.partial-<pid>` files whose process is gone; returns their paths. */
export async function removeStalePartials(target: string): Promise<string[]> {
  const dir = dirname(target);
  const prefix = `${basename(target)}.partial-`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = name.slice(prefix.length);
    if (!/^[1-9]\d{0,9}$/.test(pid) || Number(pid) === process.pid || alive(Number(pid))) continue;
    await rm(join(dir, name), { force: true });
    removed.push(join(dir, name));
  }
  return removed;
}

export interface WriteFileOptions {
  /** replace an existing target (else TargetExistsError) */
  replace: boolean;
  /** test-only: after the first bytes, say so on stderr and wait for a signal */
  pauseForTest?: boolean;
}

/**
 * The OS error of a step, naming the path the user gave: write and fsync errors carry no path, and
 * the partial file is ours, not theirs.
 */
function withPath(err: unknown, path: string, temp?: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && (typeof e.path !== 'string' || e.path === temp)) e.path = path;
  return err;
}

/**
 * Writes `data` to `target` atomically: readers see the old file (or none) or all of the new one. A
 * device, FIFO or socket (e.g. /dev/stdout) is written in place: it cannot be renamed over. A symlink is
 * followed, so the file it points to is what is replaced. Errors carry `path`.
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array | AsyncIterable<string>,
  options: WriteFileOptions,
): Promise<void> {
  let path = target;
  let mode: number | undefined;
  const st = await lstat(target).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw withPath(err, target);
  });
  if (st) {
    if (!options.replace) throw new TargetExistsError(target);
    // a dangling symlink is replaced itself
    if (st.isSymbolicLink()) path = await realpath(target).catch(() => target);
    const real = path === target ? st : await lstat(path);
    if (real.isDirectory()) throw new FileError('EISDIR', target, 'open', 'is a directory');
    if (!real.isFile() && !real.isSymbolicLink()) {
      await writeInPlace(path, data).catch((err) => {
        throw withPath(err, target);
      });
      return;
    }
    if (real.isFile()) mode = real.mode & 0o7777;
  }
  await removeStalePartials(path);
  const temp = partialPath(path);
  const forget = removeOnSignal(temp);
  let done = false;
  try {
    const handle = await open(temp, 'w', mode ?? 0o666);
    try {
      if (options.pauseForTest) await pause(handle, temp, data);
      await writeAll(handle, data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (mode !== undefined) await chmod(temp, mode);
    if (options.replace) await rename(temp, path);
    else {
      // link refuses an existing name, so a file made meanwhile is never replaced
      try {
        await link(temp, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new TargetExistsError(target);
        throw err;
      }
      await rm(temp, { force: true });
    }
    done = true;
    await syncDir(dirname(path));
  } catch (err) {
    throw withPath(err, done ? dirname(path) : target, temp);
  } finally {
    if (!done) await rm(temp, { force: true }).catch(() => {});
    forget();
  }
}

async function writeInPlace(path: string, data: string | Uint8Array | AsyncIterable<string>): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await writeAll(handle, data);
  } finally {
    await handle.close();
  }
}

/** Writes the data whole, or part by part as it comes (a streamed product). */
async function writeAll(
  handle: Awaited<ReturnType<typeof open>>,
  data: string | Uint8Array | AsyncIterable<string>,
): Promise<void> {
  if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data);
  else for await (const part of data) await handle.writeFile(part);
}

/** The rename must survive a crash too; a filesystem that cannot fsync a directory is let be. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync().catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EINVAL' && err.code !== 'ENOTSUP') throw err;
    });
  } finally {
    await handle.close();
  }
}

async function pause(
  handle: Awaited<ReturnType<typeof open>>,
  temp: string,
  data: string | Uint8Array | AsyncIterable<string>,
): Promise<never> {
  let head: string | Uint8Array = '';
  if (typeof data === 'string') head = data.slice(0, 16);
  else if (data instanceof Uint8Array) head = data.subarray(0, 16);
  else
    for await (const part of data) {
      head = part.slice(0, 16);
      break;
    }
  await handle.write(Buffer.from(head));
  process.stderr.write(`pca-audit: test hook: paused writing ${temp}\n`);
  // keeps the event loop alive until a signal ends the process
  return new Promise<never>(() => setInterval(() => {}, 1 << 30));
}
