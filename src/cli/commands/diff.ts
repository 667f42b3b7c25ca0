import { diffIndexes } from '../../core/diff.js';
import { completeDiff, rowsForDiff } from '../../core/diff-report.js';
import { renderDiffCsv } from '../../core/render/csv.js';
import { renderJson } from '../../core/render/json.js';
import { renderDiffMarkdown } from '../../core/render/markdown.js';
import type { TextStyle } from '../../core/render/style.js';
import { renderDiffText } from '../../core/render/text.js';
import type { DiffOutput, RowsByOffset } from '../../core/report-model.js';
import { evidenceOffsets } from '../../core/report-model.js';
import { loadReportInWorker } from '../../io/index-worker.js';
import { fetchRows, freeJoinColumns, loadReport } from '../../io/load-report.js';
import { openReportFile, type ReportFile } from '../../io/report-source.js';
import { UsageError } from '../errors.js';
import { exitCodeFor, type FailOn } from '../fail-on.js';
import { type OutputFormat, useColor, writeOutput } from '../output.js';

const RENDERERS: Record<OutputFormat, (out: DiffOutput, style: TextStyle) => string> = {
  text: renderDiffText,
  json: renderJson,
  csv: renderDiffCsv,
  markdown: renderDiffMarkdown,
};

/** Below this many bytes in all, a worker thread costs more than it saves. */
const PARALLEL_THRESHOLD = 32 * 1024 * 1024;

export interface DiffCommand {
  old: string;
  new: string;
  oldCreatedAt?: number;
  newCreatedAt?: number;
  ca?: string;
  format: OutputFormat;
  output?: string;
  force: boolean;
  failOn: FailOn;
  maxFindings: number;
}

export async function runDiff(cmd: DiffCommand): Promise<number> {
  if (cmd.old === '-' && cmd.new === '-')
    throw new UsageError('only one of OLD and NEW can be standard input (-)');
  if (
    cmd.oldCreatedAt !== undefined &&
    cmd.newCreatedAt !== undefined &&
    cmd.oldCreatedAt >= cmd.newCreatedAt
  ) {
    throw new UsageError('--old-created-at must be before --new-created-at');
  }
  const files: ReportFile[] = [];
  try {
    const oldFile = await openReportFile(cmd.old);
    files.push(oldFile);
    const newFile = await openReportFile(cmd.new);
    files.push(newFile);
    const load = { findingLimit: cmd.maxFindings, ...(cmd.ca ? { expectedCa: cmd.ca } : {}) };
    // two big reports: index one in a worker thread while this thread indexes the other
    const parallel = oldFile.size + newFile.size > PARALLEL_THRESHOLD;
    const [oldIndex, newIndex] = await Promise.all([
      parallel ? loadReportInWorker(oldFile, load) : loadReport(oldFile, load),
      loadReport(newFile, load),
    ]);
    if (cmd.ca === undefined && oldIndex.caArn && newIndex.caArn && oldIndex.caArn !== newIndex.caArn) {
      throw new UsageError(
        `the reports are of different CAs: "${cmd.old}" of ${oldIndex.caArn}, "${cmd.new}" of ${newIndex.caArn}`,
        'diff two successive reports of one CA, or pass --ca to name the CA both must be of',
      );
    }
    const plan = diffIndexes(oldIndex, newIndex, {
      findingLimit: cmd.maxFindings,
      ...(cmd.oldCreatedAt === undefined ? {} : { oldCreatedAt: cmd.oldCreatedAt }),
      ...(cmd.newCreatedAt === undefined ? {} : { newCreatedAt: cmd.newCreatedAt }),
    });
    // ~40 MiB a million rows that nothing after the join reads
    await freeJoinColumns(oldIndex, newIndex);
    const needed = rowsForDiff(plan, oldIndex, newIndex);
    const evidence = evidenceOffsets([...plan.findings.findings, ...oldIndex.findings, ...newIndex.findings]);
    const merge = (a: number[], b: number[] | undefined) =>
      [...new Set([...a, ...(b ?? [])])].sort((x, y) => x - y);
    const rows = new Map<string, RowsByOffset>();
    const oldRows = await fetchRows(oldFile, oldIndex, merge(needed.old, evidence.get(oldFile.name)));
    const newRows = await fetchRows(newFile, newIndex, merge(needed.new, evidence.get(newFile.name)));
    rows.set(oldFile.name, oldRows);
    rows.set(newFile.name, newFile.name === oldFile.name ? new Map([...oldRows, ...newRows]) : newRows);
    const out = completeDiff(plan, oldIndex, newIndex, rows);
    const text = RENDERERS[cmd.format](out, { color: useColor(cmd.format, cmd.output) });
    await writeOutput(text, cmd.output, cmd.force);
    return exitCodeFor(out.summary.findings, cmd.failOn);
  } finally {
    for (const f of files) await f.dispose();
  }
}
