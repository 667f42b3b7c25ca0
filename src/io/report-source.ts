import { createReadStream } from 'node:fs';
import { type FileHandle, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

const CHUNK = 1 << 20;

/** An input error that names the input: the CLI prints it as `reading <kind> "<name>": ...` */
export class InputError extends Error {
  override readonly name = 'InputError';
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
}

/**
 * A report on disk (stdin is spooled to a temporary file first, so every report can be read twice:
 * once to index it, then again for the few rows that findings quote). Gzip is told by its magic
 * bytes, never by the file name.
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
  if (name === '-') {
    const dir = await mkdtemp(join(tmpdir(), 'pca-audit-'));
    path = join(dir, 'stdin');
    const { createWriteStream } = await import('node:fs');
    await pipeline(stdin, createWriteStream(path));
    dispose = () => rm(dir, { recursive: true, force: true });
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
    const { bytesRead } = await handle.read(head, 0, 2, 0);
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

export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
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

/** The report's (decompressed) bytes, in chunks; a damaged gzip stream is an InputError. */
export async function* readChunks(file: ReportFile, from = 0): AsyncGenerator<Uint8Array> {
  if (file.gzip) {
    const gunzip = createReadStream(file.path).pipe(createGunzip());
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
  const handle = await open(file.path, 'r');
  // The next read is in flight while the consumer scans the current chunk. Three buffers in turn:
  // one being read into, the one just yielded, and the one before it, which a scanner may still
  // hold (its unfinished row) until it is handed the next chunk.
  const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  let position = from;
  const readInto = (k: number) => handle.read(buffers[k]!, 0, CHUNK, position);
  let pending = readInto(0);
  try {
    for (let k = 0; ; ) {
      const { bytesRead } = await pending;
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
