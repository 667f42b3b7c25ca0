/**
 * `pca-audit run`, the shell: flags to the run use case (src/app/run.ts), its result rendered on
 * stdout (the summary through the renderer registry), its exit code returned.
 */
import { type DiffStepOf, type RunFlags, run } from '../../app/run.js';
import { rendererFor } from '../../core/render/registry.js';
import { safeOutput, safeText } from '../../core/render/style.js';
import { openInput } from '../../io/inputs.js';
import type { CliContext } from '../context.js';
import { makeOutput } from '../output.js';
import { diffFiles } from './diff.js';

export type { RunFlags } from '../../app/run.js';

export async function runRun(flags: RunFlags, ctx: CliContext): Promise<number> {
  const r = await run(flags, ctx, diffWith);
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

/**
 * The diff step the run use case is given (its DiffStepOf port): the diff command's pipeline, its
 * inputs read with `ctx`'s clients. Here while diffFiles lives in the diff command.
 */
const diffWith: DiffStepOf = (ctx, passes) => {
  return async (oldPath, newPath, d) => {
    const inputs = { aws: ctx.aws };
    const oldFile = await openInput(oldPath, inputs);
    try {
      const newFile = await openInput(newPath, inputs);
      try {
        const { out, expiringSoon } = await diffFiles(
          oldFile,
          newFile,
          { ...d, maxFindings: d.maxFindings, shared: passes },
          ctx,
        );
        return { out, ...(expiringSoon === undefined ? {} : { expiringSoon }) };
      } finally {
        await newFile.dispose();
      }
    } finally {
      await oldFile.dispose();
    }
  };
};
