import { open } from 'node:fs/promises';
import { UsageError } from './errors.js';

export type OutputFormat = 'text' | 'json' | 'csv' | 'markdown';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['text', 'json', 'csv', 'markdown'];

/** Writes the product to stdout or to --output; an existing file is replaced only with --force. */
export async function writeOutput(text: string, output: string | undefined, force: boolean): Promise<void> {
  if (output === undefined || output === '-') {
    await new Promise<void>((resolve, reject) => {
      process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
    });
    return;
  }
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(output, force ? 'w' : 'wx');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`--output: "${output}" exists`, 'pass --force to replace it');
    throw new UsageError(`--output: cannot write "${output}": ${(err as Error).message}`);
  }
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
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
