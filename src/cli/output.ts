import type { Output, Streams } from '../app/ports.js';
import { UsageError } from '../core/errors.js';
import type { RenderFormat } from '../core/render/registry.js';
import { TargetExistsError, writeFileAtomic } from '../fs/atomic-file.js';
import { STDOUT_PATH } from './streams.js';

/** The formats of inspect and diff (the renderer registry's; run has text and json). */
export type OutputFormat = RenderFormat;
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['text', 'json', 'csv', 'markdown'];

export interface OutputOptions {
  /** the product's format: only text is ever coloured */
  format: OutputFormat;
  /** --output FILE; undefined or '-' is stdout */
  output?: string | undefined;
  /** --force: replace an existing --output file */
  force?: boolean;
}

/**
 * The one way a product leaves the CLI: stdout, or --output FILE. A file is replaced atomically and only
 * with --force; on failure or interruption nothing is left but the old file. A reader that stops reading
 * stdout (`| head`) ends the output quietly: what it read is all it wanted.
 */
export function makeOutput(streams: Streams, o: OutputOptions): Output {
  const toStdout = o.output === undefined || o.output === STDOUT_PATH;
  return {
    color: o.format === 'text' && toStdout && colorAllowed(streams),
    async emit(product) {
      if (toStdout) {
        if (typeof product === 'string') await streams.stdout.write(product);
        else for await (const part of product) await streams.stdout.write(part);
        return;
      }
      const file = o.output as string;
      try {
        await writeFileAtomic(file, product, {
          replace: o.force === true,
          pauseForTest: streams.env.PCA_AUDIT_TEST_PAUSE_OUTPUT === '1',
        });
      } catch (err) {
        if (err instanceof TargetExistsError) {
          throw new UsageError(`--output: "${file}" exists`, 'pass --force to replace it');
        }
        throw err;
      }
    },
  };
}

/** Colour only for a terminal, never with NO_COLOR set (https://no-color.org). */
function colorAllowed(streams: Streams): boolean {
  const noColor = streams.env.NO_COLOR;
  return streams.stdout.isTTY && (noColor === undefined || noColor === '');
}
