import { groupByTarget, type RunSummary } from '../run/run-model.js';
import { paint, safeOutput, safeText, type TextStyle } from './style.js';

/** Where the run's results are (its state directory or S3 prefix), said at the end of the summary. */
export interface RunSummaryPlace {
  results: string;
}

/** The run's summary as JSON: the summary itself (its schema is the README's). */
export function renderRunJson(summary: RunSummary): string {
  return `${JSON.stringify(summary, null, 2)}\n`;
}

/** The run's summary for a human: a line per CA (a heading per account and Region), its alerts under it. */
export function renderRunText(summary: RunSummary, style: TextStyle, place: RunSummaryPlace): string {
  const color = style.color;
  const lines = [
    `run ${summary.runId}${summary.dryRun ? ' (dry run: nothing made, nothing stored)' : ''}, started ${summary.startedAt}`,
  ];
  const line = (c: RunSummary['cas'][number]) => {
    const f = c.findings;
    const what =
      c.status === 'failed'
        ? paint({ color }, 'error', `FAILED: ${safeText(c.error ?? '')}`)
        : c.status === 'baseline'
          ? `baseline recorded (report ${c.reportId})`
          : c.status === 'unchanged'
            ? `no new report since the last run (report ${c.reportId})`
            : `${c.issued} issued, ${c.revoked} revoked, ${c.expired} expired (report ${c.previousReportId} → ${c.reportId})`;
    const persistent = c.persistentAlerts.length;
    lines.push(
      `${safeText(c.ca)}: ${what}; ${f.error} errors, ${f.warning} warnings, ${f.info} info; ${c.newAlerts.length} new alerts${persistent > 0 ? `, ${persistent} persistent (alerted before)` : ''}`,
    );
    for (const n of c.notes ?? []) lines.push(`  note: ${safeText(n)}`);
    for (const a of c.newAlerts)
      lines.push(
        `  ${paint({ color }, a.severity, a.severity)} ${safeText(a.code)} ${safeText(a.serial ?? '-')} ${safeText(a.message)}`,
      );
    for (const a of c.persistentAlerts)
      lines.push(
        `  persistent ${paint({ color }, a.severity, a.severity)} ${safeText(a.code)} ${safeText(a.serial ?? '-')} ${safeText(a.message)}`,
      );
  };
  if (!summary.targets) summary.cas.forEach(line);
  else {
    // a run over accounts: a heading per account and Region; a failed target says why
    for (const g of groupByTarget(summary)) {
      const t = g.target;
      lines.push(
        `== ${safeText(g.account)} / ${safeText(g.region)}${t ? ` (bucket ${safeText(t.bucket)})` : ''}: ${
          t?.status === 'failed'
            ? paint({ color }, 'error', `target FAILED: ${safeText(t.error ?? '')}`)
            : `${g.cas.length} CA(s)`
        }`,
      );
      g.cas.forEach(line);
    }
  }
  for (const a of summary.expiredAcknowledgements)
    lines.push(`expired acknowledgement: ${a.code} ${a.serial} (${a.expires ?? ''}): ${safeText(a.reason)}`);
  if (!summary.dryRun) lines.push(`results: ${place.results}`);
  lines.push(`exit code ${summary.exitCode}`);
  return safeOutput(`${lines.join('\n')}\n`, { color });
}
