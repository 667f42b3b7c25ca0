import { createReadStream, createWriteStream } from 'node:fs';
import { type FileHandle, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { type DescribeOptions, PcaAuditError } from '../core/errors.js';

const CHUNK = 1 << 20;

/** An input error that names the input: the CLI prints it as `reading <kind> "<name>": ...` */
export class InputError extends PcaAuditError {
  override readonly name = 'InputError';
  readonly errorKind = 'input';
  /** what the input is: 'report', 'CloudTrail source', 'CRL' */
  readonly kind: string;
  constructor(
    readonly input: string,
    message: string,
    options?: { cause?: unknown; kind?: string },
  ) {
    super(message, options);
    this.kind = options?.kind ?? 'report';
  }

  override describe(o: DescribeOptions): string {
    return `reading ${this.kind} "${o.clean(this.input)}": ${o.clean(this.message)}`;
  }
}

/**
 * A report on disk (stdin and FIFOs, `<(...)` included, are spooled to a temporary file first, so
 * every report can be read twice: once to index it, then again for the few rows that findings
 * quote, at their offsets). Gzip is told by its magic bytes, never by the file name.
 */
export interface ReportFile {
  /** the name the user gave, for messages */
  name: string;
  path: string;
  gzip: boolean;
  /** bytes on disk (compressed size for gzip) */
  size: number;
  dispose(): Promise<void>;
}

export async function openReportFile(
  name: string,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<ReportFile> {
  let path = name;
  let dispose = async () => {};
  // a pipe cannot be read at an offset (pread fails with ESPIPE): read it once, in order, into a file
  const fifo = name !== '-' && (await isFifo(name));
  if (name === '-' || fifo) {
    const dir = await mkdtemp(join(tmpdir(), 'pca-audit-')).catch((err) => {
      throw new InputError(name, `making its temporary copy in ${tmpdir()}: ${describeFsError(err)}`, {
        cause: err,
      });
    });
    path = join(dir, 'stdin');
    dispose = () => rm(dir, { recursive: true, force: true });
    try {
      await pipeline(fifo ? createReadStream(name) : stdin, createWriteStream(path));
    } catch (err) {
      await dispose();
      // who failed: the input being read, or the temporary copy being written (a full disk)
      const writing = (err as NodeJS.ErrnoException)?.path === path;
      const why = describeFsError(err);
      throw new InputError(name, writing ? `writing its temporary copy ${path}: ${why}` : why, {
        cause: err,
      });
    }
  }
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new InputError(name, describeFsError(err), { cause: err });
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw new InputError(name, 'is a directory, not a report');
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0).catch((err) => {
      throw new InputError(name, describeFsError(err), { cause: err });
    });
    return {
      name,
      path,
      gzip: bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b,
      size: st.size,
      dispose,
    };
  } finally {
    await handle.close();
  }
}

/** Whether the path names a FIFO (`mkfifo`, or `<(...)`'s /dev/fd/N); false when it cannot be told. */
async function isFifo(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFIFO();
  } catch {
    return false; // open() then names the problem
  }
}

export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ESPIPE':
      return 'cannot be read at an offset (a terminal or another device?): give it as a file, or on standard input';
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a report';
    default:
      return (err as Error)?.message ?? String(err);
  }
}

/**
 * Gzip is inflated in chunks of this size, not zlib's default 16 KiB: on a day of trail logs that alone
 * takes inflating from about 3 s to under 1 s (per-chunk costs).
 */
const GUNZIP_CHUNK = 256 * 1024;
/** decompressed bytes made ahead of the reader: decompressing (on libuv's pool) overlaps the scan */
const GUNZIP_AHEAD = 4 * GUNZIP_CHUNK;

/** The report's (decompressed) bytes, in chunks; a damaged gzip stream is an InputError. */
export async function* readChunks(file: ReportFile, from = 0): AsyncGenerator<Uint8Array> {
  if (file.gzip) {
    const gunzip = createReadStream(file.path, { highWaterMark: GUNZIP_CHUNK }).pipe(
      // (zlib streams take the stream options too; @types/node's ZlibOptions omits them)
      createGunzip({ chunkSize: GUNZIP_CHUNK, readableHighWaterMark: GUNZIP_AHEAD } as ZlibOptions),
    );
    let seen = 0;
    try {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) {
        if (seen + chunk.length <= from) {
          seen += chunk.length;
          continue;
        }
        yield seen < from ? chunk.subarray(from - seen) : chunk;
        seen += chunk.length;
      }
    } catch (err) {
      throw new InputError(file.name, `gzip: ${(err as Error).message} (truncated or corrupt download?)`, {
        cause: err,
      });
    } finally {
      gunzip.destroy();
    }
    return;
  }
  const handle = await open(file.path, 'r').catch((err) => {
    throw new InputError(file.name, describeFsError(err), { cause: err });
  });
  // The next read is in flight while the consumer scans the current chunk. Three buffers in turn:
  // one being read into, the one just yielded, and the one before it, which a scanner may still
  // hold (its unfinished row) until it is handed the next chunk.
  const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  let position = from;
  const readInto = (k: number) => handle.read(buffers[k]!, 0, CHUNK, position);
  let pending = readInto(0);
  try {
    for (let k = 0; ; ) {
      const { bytesRead } = await pending.catch((err) => {
        throw new InputError(file.name, describeFsError(err), { cause: err });
      });
      if (bytesRead === 0) return;
      position += bytesRead;
      const chunk = buffers[k]!.subarray(0, bytesRead);
      k = k === 2 ? 0 : k + 1;
      pending = readInto(k);
      yield chunk;
    }
  } finally {
    // a consumer that stops early leaves a read in flight: let it land before closing
    await pending.catch(() => {});
    await handle.close();
  }
}
