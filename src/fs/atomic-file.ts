/**
 * Files written whole or not at all, the one implementation of every writer (--output, the state,
 * S3 downloads): the data goes to a temporary file beside the target (`<target>.partial-<pid>`, or
 * `<target>.tmp-<pid>-<8 hex>` for the state), every write checked, is fsynced, optionally verified,
 * and is renamed into place; then the directory is fsynced. A temporary file is removed when the
 * write fails and on SIGINT/SIGTERM; a partial file left by a killed run (its PID no longer alive) is
 * removed by the next write to the same target, the state's by its cleanup (cleanStaleTemps).
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chmod, type FileHandle, link, lstat, open, readdir, realpath, rename, rm } from 'node:fs/promises';
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

/** Whether process `pid` runs (on this host); EPERM: it does, someone else's. */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
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
    if (!/^[1-9]\d{0,9}$/.test(pid) || Number(pid) === process.pid || processAlive(Number(pid))) continue;
    await rm(join(dir, name), { force: true });
    removed.push(join(dir, name));
  }
  return removed;
}

/** What is written: whole, or part by part as it comes (a streamed product, a download). */
export type FileData = string | Uint8Array | AsyncIterable<string | Uint8Array>;

/** Opens a file (tests inject a disk that fails or lies). */
export type OpenFile = (path: string, flags: 'w' | 'wx' | 'r', mode?: number) => Promise<FileHandle>;

const openFile: OpenFile = (path, flags, mode) => open(path, flags, mode);

export interface WriteFileOptions {
  /** replace an existing target (else TargetExistsError, also for one made during the write) */
  replace: boolean;
  /**
   * 'named' (the default): a path the user named (`--output`). A symlink is followed (the file it
   * points to is replaced), a device, FIFO or socket is written in place, a directory is refused
   * (EISDIR), and a replaced file keeps its mode.
   * 'owned': a file of pca-audit's own (state, downloads): whatever stands at the name is replaced,
   * a symlink itself; a directory fails the rename (EISDIR).
   */
  target?: 'named' | 'owned';
  /** the mode of a new file (of an owned one, of every write), less the umask; default 0o666 */
  mode?: number;
  /**
   * The temporary file beside the target:
   * - 'partial' (the default): `<target>.partial-<pid>` (partialPath), one writer of a target per
   *   process; partial files of dead processes are removed before the write (removeStalePartials);
   * - 'unique': `<target>.tmp-<pid>-<8 hex>` (uniqueTempPath), created exclusively, for writers of
   *   one target in parallel (the state; its own cleanup, cleanStaleTemps, removes stale ones).
   */
  temp?: 'partial' | 'unique';
  /**
   * Called once the temporary file is written, fsynced and closed, before it takes the target's
   * place: what it throws leaves nothing (a download reads itself back here).
   */
  verify?: (temp: string) => Promise<void>;
  /** opens the temporary file (tests inject a failing disk); node:fs/promises' open by default */
  open?: OpenFile;
  /** test-only: after the first bytes, say so on stderr and wait for a signal */
  pauseForTest?: boolean;
}

/** `<target>.tmp-<pid>-<8 hex>`: a temporary file no other writer, in this process or another, picks. */
export function uniqueTempPath(target: string, pid: number = process.pid): string {
  return `${target}.tmp-${pid}-${randomUUID().slice(0, 8)}`;
}

/**
 * The temporary files of writeFileAtomic (`.partial-PID`, `.tmp-PID-xxxxxxxx`), by name; the PID
 * that wrote it is group 1 or 2. The state's cleanup of killed runs (cleanStaleTemps) goes by it.
 */
export const TEMP_FILE = /\.(?:tmp-(\d+)-[0-9a-f]{8}|partial-(\d+))$/;

/**
 * The OS error of a step, naming the path the user gave: write and fsync errors carry no path, and
 * the temporary file is ours, not theirs. An error without a system call gets the step's (`open`,
 * `write`, `fsync`, `rename`, `link`), so callers can say what failed. Errors of pca-audit's own
 * (a source's, a verify hook's) pass unchanged.
 */
function withPath(err: unknown, path: string, temp?: string, step?: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (err instanceof PcaAuditError || !e || typeof e.code !== 'string') return err;
  if (typeof e.path !== 'string' || e.path === temp) e.path = path;
  if (step !== undefined && typeof e.syscall !== 'string') e.syscall = step;
  return err;
}

/** Runs one step of a write; its OS error names `path` and the step. */
async function step<T>(name: string, path: string, temp: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw withPath(err, path, temp, name);
  }
}

/**
 * Writes `data` to `target` atomically: readers see the old file (or none) or all of the new one.
 * The data goes to a temporary file beside the target (options.temp), every write checked, is
 * fsynced, verified (options.verify), and renamed into place (or linked, when not replacing); then
 * the directory is fsynced. The temporary file is removed when anything fails and on SIGINT/SIGTERM.
 * OS errors carry the target's path and the failed step (`syscall`); what `data` or `verify` throw
 * passes unchanged.
 */
export async function writeFileAtomic(
  target: string,
  data: FileData,
  options: WriteFileOptions,
): Promise<void> {
  const named = (options.target ?? 'named') === 'named';
  let path = target;
  let mode = options.mode;
  let keepMode = false;
  if (named || !options.replace) {
    const st = await lstat(target).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw withPath(err, target);
    });
    if (st && !options.replace) throw new TargetExistsError(target);
    if (st && named) {
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
      if (real.isFile()) {
        mode = real.mode & 0o7777;
        keepMode = true;
      }
    }
  }
  const unique = options.temp === 'unique';
  if (!unique) await removeStalePartials(path);
  const temp = unique ? uniqueTempPath(path) : partialPath(path);
  const forget = removeOnSignal(temp);
  let done = false;
  try {
    const handle = await step('open', target, temp, () =>
      (options.open ?? openFile)(temp, unique ? 'wx' : 'w', mode ?? 0o666),
    );
    await fill(handle, data, target, temp, options.pauseForTest);
    // the umask took bits of the replaced file's mode away
    if (keepMode) await step('chmod', target, temp, () => chmod(temp, mode!));
    await options.verify?.(temp);
    if (options.replace) await step('rename', target, temp, () => rename(temp, path));
    else {
      // link refuses an existing name, so a file made meanwhile is never replaced
      await step('link', target, temp, () => link(temp, path)).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'EEXIST' ? new TargetExistsError(target) : err;
      });
      await rm(temp, { force: true });
    }
    done = true;
    await step('fsync', dirname(path), temp, () => syncDir(dirname(path)));
  } finally {
    if (!done) await rm(temp, { force: true }).catch(() => {});
    forget();
  }
}

/** Writes `data` whole into an open file and fsyncs it; the file is closed either way. */
async function fill(handle: FileHandle, data: FileData, target: string, temp: string, pauseForTest = false) {
  let closed = false;
  try {
    if (pauseForTest) await pause(handle, temp, data);
    await writeAll(handle, data, target, temp);
    await step('fsync', target, temp, () => handle.sync());
    closed = true;
    await step('close', target, temp, () => handle.close());
  } finally {
    if (!closed) await handle.close().catch(() => {});
  }
}

/**
 * Creates `path` exclusively (EEXIST when anything is there), writes `data` whole (every write
 * checked) and fsyncs it. Not atomic by itself: a reader may see it half-written (the state's lock
 * writes its temporary file so, then links it into place).
 */
export async function createFile(path: string, data: FileData, mode = 0o666): Promise<void> {
  const handle = await step('open', path, path, () => open(path, 'wx', mode));
  await fill(handle, data, path, path);
}

async function writeInPlace(path: string, data: FileData): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await writeAll(handle, data, path, path);
  } finally {
    await handle.close();
  }
}

/** Writes the data whole, or part by part as it comes; each part all of it (writeBytes). */
async function writeAll(handle: FileHandle, data: FileData, target: string, temp: string): Promise<void> {
  if (typeof data === 'string' || data instanceof Uint8Array) await writeBytes(handle, data, target, temp);
  else for await (const part of data) await writeBytes(handle, part, target, temp);
}

/**
 * Writes all of `part`: write(2) may write less than asked (a filling disk does exactly that), so
 * the rest is written again; a write that makes no progress is a full disk.
 */
async function writeBytes(handle: FileHandle, part: string | Uint8Array, target: string, temp: string) {
  const bytes = typeof part === 'string' ? Buffer.from(part) : part;
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await step('write', target, temp, () =>
      handle.write(bytes, offset, bytes.length - offset, null),
    );
    if (!(bytesWritten > 0)) {
      throw new FileError(
        'ENOSPC',
        target,
        'write',
        `the disk took ${offset} of ${bytes.length} bytes, then none`,
      );
    }
    offset += bytesWritten;
  }
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

async function pause(handle: FileHandle, temp: string, data: FileData): Promise<never> {
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
