import type { Crl } from '../../core/crl.js';
import { checkCrl } from '../../core/crl-check.js';
import { diffIndexes, type WindowBasis } from '../../core/diff.js';
import { completeDiff, rowsForDiff } from '../../core/diff-report.js';
import { formatInstant, parseInstant } from '../../core/instant.js';
import { reconcile, reportCreationEvent } from '../../core/reconcile.js';
import { renderDiffCsv } from '../../core/render/csv.js';
import { renderJson } from '../../core/render/json.js';
import { renderDiffMarkdown } from '../../core/render/markdown.js';
import { safeText, type TextStyle } from '../../core/render/style.js';
import { renderDiffText } from '../../core/render/text.js';
import type { ReportIndex } from '../../core/report-index.js';
import type { CloudTrailSection, DiffOutput, RowsByOffset } from '../../core/report-model.js';
import { evidenceOffsets } from '../../core/report-model.js';
import { readCrl } from '../../io/crl-source.js';
import { type EventSet, readEventSources } from '../../io/event-source.js';
import { loadReportInWorker } from '../../io/index-worker.js';
import { fetchRows, loadReport } from '../../io/load-report.js';
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
  /** CloudTrail sources (files, directories, -) to reconcile with */
  cloudtrail: string[];
  lenient: boolean;
  propagationAllowance: number;
  timeTolerance: number;
  crl?: string;
}

export async function runDiff(cmd: DiffCommand): Promise<number> {
  if (cmd.old === '-' && cmd.new === '-')
    throw new UsageError('only one of OLD and NEW can be standard input (-)');
  const stdinUsers = [cmd.old, cmd.new, ...cmd.cloudtrail, ...(cmd.crl ? [cmd.crl] : [])];
  if (stdinUsers.filter((s) => s === '-').length > 1) {
    throw new UsageError('only one input can be standard input (-)');
  }
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
    const [oldIndex, newIndex, eventSet, crl] = await Promise.all([
      parallel ? loadReportInWorker(oldFile, load) : loadReport(oldFile, load),
      loadReport(newFile, load),
      cmd.cloudtrail.length > 0 ? readEventSources(cmd.cloudtrail, { lenient: cmd.lenient }) : undefined,
      cmd.crl === undefined ? undefined : readCrl(cmd.crl),
    ]);
    if (cmd.ca === undefined && oldIndex.caArn && newIndex.caArn && oldIndex.caArn !== newIndex.caArn) {
      throw new UsageError(
        `the reports are of different CAs: "${cmd.old}" of ${oldIndex.caArn}, "${cmd.new}" of ${newIndex.caArn}`,
        'diff two successive reports of one CA, or pass --ca to name the CA both must be of',
      );
    }
    const caArn = cmd.ca ?? newIndex.caArn ?? oldIndex.caArn;
    const events = eventSet?.events ?? [];
    const created = (given: number | undefined, source: string) => {
      if (given !== undefined) return { at: given, basis: 'given' as WindowBasis };
      const e = reportCreationEvent(source, events, caArn);
      return e === undefined
        ? undefined
        : { at: parseInstant(e.eventTime), basis: 'cloudtrail' as WindowBasis };
    };
    const oldMade = created(cmd.oldCreatedAt, cmd.old);
    const newMade = created(cmd.newCreatedAt, cmd.new);
    if (oldMade && newMade && oldMade.at >= newMade.at) {
      throw new UsageError(
        `the old report was made at or after the new one (${formatInstant(oldMade.at)} ≥ ${formatInstant(newMade.at)})`,
        'give the older report first',
      );
    }
    const plan = diffIndexes(oldIndex, newIndex, {
      findingLimit: cmd.maxFindings,
      ...(oldMade ? { oldCreatedAt: oldMade.at, oldCreatedAtBasis: oldMade.basis } : {}),
      ...(newMade ? { newCreatedAt: newMade.at, newCreatedAtBasis: newMade.basis } : {}),
    });
    const needed = rowsForDiff(plan, oldIndex, newIndex);
    const oldRows = new Map(await fetchRows(oldFile, oldIndex, needed.old));
    const newRows = new Map(await fetchRows(newFile, newIndex, needed.new));
    const extras: { reconciliation?: CloudTrailSection; crl?: ReturnType<typeof checkCrl> } = {};
    if (eventSet !== undefined) {
      extras.reconciliation = reconcileSection(cmd, eventSet, plan, oldIndex, newIndex, newRows, caArn);
    }
    if (crl !== undefined) extras.crl = crlSection(cmd, crl, plan, newIndex);
    // the rows the findings quote, beyond those already read
    const evidence = evidenceOffsets([...plan.findings.findings, ...oldIndex.findings, ...newIndex.findings]);
    const more = (have: Map<number, unknown>, offsets: number[] | undefined) =>
      (offsets ?? []).filter((o) => !have.has(o));
    for (const [k, v] of await fetchRows(oldFile, oldIndex, more(oldRows, evidence.get(oldFile.name)))) {
      oldRows.set(k, v);
    }
    for (const [k, v] of await fetchRows(newFile, newIndex, more(newRows, evidence.get(newFile.name)))) {
      newRows.set(k, v);
    }
    const rows = new Map<string, RowsByOffset>();
    rows.set(oldFile.name, oldRows);
    rows.set(newFile.name, newFile.name === oldFile.name ? new Map([...oldRows, ...newRows]) : newRows);
    const out = completeDiff(plan, oldIndex, newIndex, rows, extras);
    const text = RENDERERS[cmd.format](out, { color: useColor(cmd.format, cmd.output) });
    await writeOutput(text, cmd.output, cmd.force);
    if (eventSet && eventSet.stats.malformed > 0) warnMalformed(eventSet);
    return exitCodeFor(out.summary.findings, cmd.failOn);
  } finally {
    for (const f of files) await f.dispose();
  }
}

function reconcileSection(
  cmd: DiffCommand,
  eventSet: EventSet,
  plan: ReturnType<typeof diffIndexes>,
  oldIndex: ReportIndex,
  newIndex: ReportIndex,
  newRows: RowsByOffset,
  caArn: string | undefined,
): CloudTrailSection {
  const { stats } = eventSet;
  const summary = reconcile(plan, oldIndex, newIndex, newRows, eventSet.events, {
    caArn,
    from: plan.window.from,
    to: plan.window.to,
    propagationAllowance: cmd.propagationAllowance,
    timeTolerance: cmd.timeTolerance,
    coverage: { earliest: stats.earliest, latest: stats.latest },
  });
  return {
    sources: cmd.cloudtrail,
    files: stats.files,
    records: stats.records,
    duplicates: stats.duplicates,
    malformed: stats.malformed,
    propagationAllowanceSeconds: cmd.propagationAllowance,
    timeToleranceSeconds: cmd.timeTolerance,
    ...summary,
  };
}

function crlSection(cmd: DiffCommand, crl: Crl, plan: ReturnType<typeof diffIndexes>, newIndex: ReportIndex) {
  return checkCrl(newIndex, crl, plan.findings, {
    source: cmd.crl ?? '',
    newCreatedAt: plan.window.to,
    allowance: cmd.propagationAllowance,
  });
}

/** Malformed records skipped under --lenient: said on stderr, so it is never silent. */
export function warnMalformed(eventSet: EventSet): void {
  const { malformed, malformedExamples } = eventSet.stats;
  process.stderr.write(
    `pca-audit: warning: skipped ${malformed} malformed CloudTrail record${malformed === 1 ? '' : 's'} (--lenient); first: ${safeText(malformedExamples[0] ?? '')}\n`,
  );
}
