import { exitCodeFor, type FailOn } from '../../core/fail-on.js';
import { renderInspectCsv } from '../../core/render/csv.js';
import { renderJson } from '../../core/render/json.js';
import { renderInspectMarkdown } from '../../core/render/markdown.js';
import type { TextStyle } from '../../core/render/style.js';
import { renderInspectText } from '../../core/render/text.js';
import { completeInspect, inspectSeverityCounts, rowsForInspect } from '../../core/report/inspect-report.js';
import { evidenceOffsets, type InspectOutput } from '../../core/report/report-model.js';
import { openInput } from '../../io/inputs.js';
import { fetchRows, loadReport } from '../../io/load-report.js';
import type { CliContext } from '../context.js';
import { type OutputFormat, useColor, writeOutput } from '../output.js';

const RENDERERS: Record<OutputFormat, (out: InspectOutput, style: TextStyle) => string> = {
  text: renderInspectText,
  json: renderJson,
  csv: renderInspectCsv,
  markdown: renderInspectMarkdown,
};

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
    const text = RENDERERS[cmd.format](out, { color: useColor(cmd.format, cmd.output) });
    await writeOutput(text, cmd.output, cmd.force);
    return exitCodeFor(inspectSeverityCounts(out), cmd.failOn);
  } finally {
    await file.dispose();
  }
}
