/**
 * `pca-audit run`, the shell: flags to the run use case (src/app/run.ts), its result rendered on
 * stdout (the summary through the renderer registry), its exit code returned.
 */
import { type RunFlags, run } from '../../app/run.js';
import { rendererFor } from '../../core/render/registry.js';
import { safeOutput, safeText } from '../../core/render/style.js';
import type { CliContext } from '../context.js';
import { makeOutput } from '../output.js';

export type { RunFlags } from '../../app/run.js';

export async function runRun(flags: RunFlags, ctx: CliContext): Promise<number> {
  const r = await run(flags, ctx);
  const format = flags.format === 'json' ? 'json' : 'text';
  const output = makeOutput(ctx.streams, { format });
  if (r.kind === 'test-notify') {
    if (format === 'json')
      await output.emit(
        `${JSON.stringify({ schemaVersion: 1, runId: r.runId, channels: r.answers }, null, 2)}\n`,
      );
    else {
      const lines = r.answers.map(
        (a) => `${a.channel}: ${a.error === undefined ? 'delivered' : `FAILED: ${safeText(a.error)}`}`,
      );
      await output.emit(safeOutput(`test notification ${r.runId}\n${lines.join('\n')}\n`, { color: false }));
    }
    return r.exitCode;
  }
  const render = await rendererFor('run', format);
  await output.emit(render(r.summary, { color: output.color }, { results: r.results }));
  return r.exitCode;
}
