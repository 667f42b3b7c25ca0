import { exitCodeFor, type FailOn } from '../../core/fail-on.js';
import { rendererFor } from '../../core/render/registry.js';
import { completeInspect, inspectSeverityCounts, rowsForInspect } from '../../core/report/inspect-report.js';
import { evidenceOffsets } from '../../core/report/report-model.js';
import { openInput } from '../../io/inputs.js';
import { fetchRows, loadReport } from '../../io/load-report.js';
import type { CliContext } from '../context.js';
import { makeOutput, type OutputFormat } from '../output.js';

export interface InspectCommand {
  report: string;
  at: number;
  expiringWithin: number;
  ca?: string;
  format: OutputFormat;
  output?: string;
  force: boolean;
  failOn: FailOn;
  maxFindings: number;
}

export async function runInspect(cmd: InspectCommand, ctx: CliContext): Promise<number> {
  const file = await openInput(cmd.report, { aws: ctx.aws });
  try {
    const index = await loadReport(file, {
      findingLimit: cmd.maxFindings,
      ...(cmd.ca ? { expectedCa: cmd.ca } : {}),
    });
    const options = { at: cmd.at, expiringWithin: cmd.expiringWithin };
    const offsets = new Set(rowsForInspect(index, options));
    for (const o of evidenceOffsets(index.findings).get(file.name) ?? []) offsets.add(o);
    const rows = await fetchRows(
      file,
      index,
      [...offsets].sort((a, b) => a - b),
    );
    const out = completeInspect(index, options, new Map([[file.name, rows]]));
    const output = makeOutput(ctx.streams, cmd);
    const render = await rendererFor('inspect', cmd.format);
    await output.emit(render(out, { color: output.color }, undefined));
    return exitCodeFor(inspectSeverityCounts(out), cmd.failOn);
  } finally {
    await file.dispose();
  }
}
