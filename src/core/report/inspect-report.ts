import { countBySeverity } from '../finding.js';
import { formatInstant } from '../instant.js';
import { lineOf, type ReportIndex } from './report-index.js';
import {
  attachEvidence,
  certificateRow,
  type InspectOutput,
  type RowsByOffset,
  sortFindings,
} from './report-model.js';
import { expiringEntries, summarise } from './report-summary.js';

export interface InspectOptions {
  /** epoch seconds the counts are taken at */
  at: number;
  /** seconds ahead that count as expiring soon */
  expiringWithin: number;
}

/** Byte offsets of the rows completeInspect needs. */
export function rowsForInspect(index: ReportIndex, options: InspectOptions): number[] {
  return expiringEntries(index, options.at, options.expiringWithin)
    .map((i) => index.offset[i]!)
    .sort((a, b) => a - b);
}

export function completeInspect(
  index: ReportIndex,
  options: InspectOptions,
  rows: ReadonlyMap<string, RowsByOffset>,
): InspectOutput {
  const own = rows.get(index.source) ?? new Map();
  const expiring = expiringEntries(index, options.at, options.expiringWithin).map((i) =>
    certificateRow(
      own.get(index.offset[i]!) ?? { offset: index.offset[i]!, fields: {}, line: lineOf(index, i) },
    ),
  );
  const omitted: Record<string, number> = {};
  for (const [code, n] of Object.entries(index.findingCounts).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const listed = index.findings.filter((f) => f.code === code).length;
    if (n > listed) omitted[code] = n - listed;
  }
  return {
    schemaVersion: 1,
    report: {
      source: index.source,
      format: index.format,
      ...(index.caArn === undefined ? {} : { ca: index.caArn }),
    },
    asOf: formatInstant(options.at),
    expiringWithinSeconds: options.expiringWithin,
    summary: { ...summarise(index, options.at), expiringSoon: expiring.length },
    expiringSoon: expiring,
    findings: sortFindings(attachEvidence(index.findings, rows)),
    omittedFindings: omitted,
  };
}

export function inspectSeverityCounts(out: InspectOutput): Record<'error' | 'warning' | 'info', number> {
  return countBySeverity(out.findings, out.omittedFindings);
}
