import { type DiffRequest, diff } from '../../app/diff.js';
import { eventSource, reportSource } from '../../app/sources.js';
import { rendererFor } from '../../core/render/registry.js';
import type { CliContext } from '../context.js';
import { makeOutput, type OutputFormat } from '../output.js';

export interface DiffCommand extends DiffRequest {
  format: OutputFormat;
  output?: string;
  force: boolean;
}

/** `pca-audit diff`: the use case (src/app/diff.ts), its product rendered to stdout or --output. */
export async function runDiff(cmd: DiffCommand, ctx: CliContext): Promise<number> {
  const { format: _format, output: _output, force: _force, ...request } = cmd;
  const { out, exitCode, notes } = await diff(request, {
    ...ctx,
    reports: reportSource(ctx),
    events: eventSource(ctx),
  });
  const render = await rendererFor('diff', cmd.format);
  const output = makeOutput(ctx.streams, cmd);
  await output.emit(render(out, { color: output.color }, undefined));
  for (const line of notes) ctx.note(line);
  return exitCode;
}
