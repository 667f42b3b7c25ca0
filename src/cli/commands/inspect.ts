import { type InspectRequest, inspect } from '../../app/inspect.js';
import { reportSource } from '../../app/sources.js';
import { rendererFor } from '../../core/render/registry.js';
import type { CliContext } from '../context.js';
import { makeOutput, type OutputFormat } from '../output.js';

export interface InspectCommand extends InspectRequest {
  format: OutputFormat;
  output?: string;
  force: boolean;
}

/** `pca-audit inspect`: the use case (src/app/inspect.ts), its product rendered to stdout or --output. */
export async function runInspect(cmd: InspectCommand, ctx: CliContext): Promise<number> {
  const { format: _format, output: _output, force: _force, ...request } = cmd;
  const { out, exitCode } = await inspect(request, { reports: reportSource(ctx) });
  const output = makeOutput(ctx.streams, cmd);
  const render = await rendererFor('inspect', cmd.format);
  await output.emit(render(out, { color: output.color }, undefined));
  return exitCode;
}
