import { FileError, TargetExistsError, writeFileAtomic } from '../io/atomic-file.js';
import { UsageError } from './errors.js';

export type OutputFormat = 'text' | 'json' | 'csv' | 'markdown';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['text', 'json', 'csv', 'markdown'];

/** The path errors name for standard output (`--output -`): no file can be called that. */
export const STDOUT_PATH = '-';

/**
 * Writes the product (whole, or streamed in parts) to stdout or to --output. A file is replaced atomically and only with --force;
 * on failure or interruption nothing is left but the old file. A reader that stops reading stdout
 * (`| head`) ends the output quietly: what it read is all it wanted.
 */
export async function writeOutput(
  text: string | AsyncIterable<string>,
  output: string | undefined,
  force: boolean,
): Promise<void> {
  if (output === undefined || output === STDOUT_PATH) {
    if (typeof text === 'string') await writeStdout(text);
    else for await (const part of text) await writeStdout(part);
    return;
  }
  try {
    await writeFileAtomic(output, text, {
      replace: force,
      pauseForTest: process.env.PCA_AUDIT_TEST_PAUSE_OUTPUT === '1',
    });
  } catch (err) {
    if (err instanceof TargetExistsError) {
      throw new UsageError(`--output: "${output}" exists`, 'pass --force to replace it');
    }
    throw err;
  }
}

/** Resolves once `text` is handed to stdout; EPIPE is not an error, others carry the path '-'. */
export function writeStdout(text: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    process.stdout.write(text, (err) => {
      const code = (err as NodeJS.ErrnoException | null | undefined)?.code;
      if (!err || code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED') resolve();
      else reject(stdoutError(err));
    });
  });
}

/** A failed write to stdout as an error the boundary names: `writing stdout: no space left on device`. */
export function stdoutError(err: Error): Error {
  const e = err as NodeJS.ErrnoException;
  return new FileError(e.code ?? 'EIO', STDOUT_PATH, 'write', e.message);
}

/** Colour only for a terminal, never with NO_COLOR set (https://no-color.org), never into a file. */
export function useColor(format: OutputFormat, output: string | undefined): boolean {
  const noColor = process.env.NO_COLOR;
  return (
    format === 'text' &&
    output === undefined &&
    process.stdout.isTTY === true &&
    (noColor === undefined || noColor === '')
  );
}
