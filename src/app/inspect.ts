/** `pca-audit inspect`: one report summarised, checked, and its findings listed. */
import { exitCodeFor, type FailOn } from '../core/fail-on.js';
import { completeInspect, inspectSeverityCounts, rowsForInspect } from '../core/report/inspect-report.js';
import type { InspectOutput } from '../core/report/report-model.js';
import { evidenceOffsets } from '../core/report/report-model.js';
import { fetchRows, loadReport } from '../io/load-report.js';
import type { ReportSource } from './ports.js';

export interface InspectRequest {
  /** where the report is: a file, `-`, or s3://bucket/key */
  report: string;
  /** the instant "now" of the expiry figures (epoch seconds) */
  at: number;
  /** seconds: certificates expiring within this of `at` are counted and listed */
  expiringWithin: number;
  /** the CA ARN every row must be of */
  ca?: string;
  failOn: FailOn;
  maxFindings: number;
}

export interface InspectResult {
  out: InspectOutput;
  exitCode: number;
}

export async function inspect(req: InspectRequest, ports: { reports: ReportSource }): Promise<InspectResult> {
  const file = await ports.reports.open(req.report);
  try {
    const index = await loadReport(file, {
      findingLimit: req.maxFindings,
      ...(req.ca ? { expectedCa: req.ca } : {}),
    });
    const options = { at: req.at, expiringWithin: req.expiringWithin };
    const offsets = new Set(rowsForInspect(index, options));
    for (const o of evidenceOffsets(index.findings).get(file.name) ?? []) offsets.add(o);
    const rows = await fetchRows(
      file,
      index,
      [...offsets].sort((a, b) => a - b),
    );
    const out = completeInspect(index, options, new Map([[file.name, rows]]));
    return { out, exitCode: exitCodeFor(inspectSeverityCounts(out), req.failOn) };
  } finally {
    await file.dispose();
  }
}
