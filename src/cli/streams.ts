import type { Streams, TextSink } from '../app/ports.js';
import { FileError } from '../fs/atomic-file.js';

/** The path errors name for standard output (`--output -`): no file can be called that. */
export const STDOUT_PATH = '-';

/** A failed write to stdout as an error the boundary names: `writing stdout: no space left on device`. */
export function stdoutError(err: Error): Error {
  const e = err as NodeJS.ErrnoException;
  return new FileError(e.code ?? 'EIO', STDOUT_PATH, 'write', e.message);
}

/** A TextSink on a Node.js stream: EPIPE (the reader went away) is not an error. */
function sink(stream: NodeJS.WriteStream, onError?: (err: Error) => Error): TextSink {
  return {
    write: (text) =>
      new Promise<void>((resolve, reject) => {
        stream.write(text, (err) => {
          const code = (err as NodeJS.ErrnoException | null | undefined)?.code;
          if (!err || !onError || code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED') resolve();
          else reject(onError(err));
        });
      }),
    get isTTY() {
      return stream.isTTY === true;
    },
    get columns() {
      return stream.columns;
    },
  };
}

let listening = false;

/** The process's own streams and environment: what bin/pca-audit.js runs with. */
export function processStreams(): Streams {
  if (!listening) {
    // a failed write is reported to its callback (see sink); without a listener its 'error' event
    // would also crash the process with a stack trace
    listening = true;
    process.stdout.on('error', () => {});
    process.stderr.on('error', () => {});
  }
  return {
    stdout: sink(process.stdout, stdoutError),
    // stderr's reader gone: nowhere to report it, so its writes never fail
    stderr: sink(process.stderr),
    env: process.env,
  };
}

/** Streams that keep what is written, for running the CLI in process (tests). */
export function memoryStreams(
  env: Record<string, string | undefined> = {},
  tty = false,
): Streams & { out(): string; err(): string } {
  const out: string[] = [];
  const err: string[] = [];
  const mem = (parts: string[]): TextSink => ({
    write: async (t) => {
      parts.push(t);
    },
    isTTY: tty,
    columns: tty ? 80 : undefined,
  });
  return { stdout: mem(out), stderr: mem(err), env, out: () => out.join(''), err: () => err.join('') };
}
