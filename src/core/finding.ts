import { FINDING_CATALOGUE, type FindingCode, type Severity } from './finding-catalogue.js';

export type { FindingCode, Severity } from './finding-catalogue.js';

/** Each code's severity, from the catalogue (src/core/finding-catalogue.ts). */
export const FINDING_SEVERITY: { readonly [C in FindingCode]: Severity } = Object.fromEntries(
  Object.entries(FINDING_CATALOGUE).map(([code, e]) => [code, e.severity]),
) as { readonly [C in FindingCode]: Severity };

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/** Where a row is: which report, its line and byte offset, and its fields as written. */
export interface RowEvidence {
  report: string;
  line: number;
  byte: number;
  fields?: Record<string, string>;
}

export interface Finding {
  code: FindingCode;
  severity: Severity;
  /** the certificate's serial in the report's colon form, when the finding concerns one */
  serial?: string;
  message: string;
  evidence: Record<string, unknown>;
}

/** A finding as its builder gives it: the code is the collector's, the severity the catalogue's by default. */
export type FindingBody = Omit<Finding, 'code' | 'severity'> & { severity?: Severity };

export function severityRank(s: Severity): number {
  return s === 'error' ? 3 : s === 'warning' ? 2 : 1;
}

/** Keeps findings in a stable order: severity, code, serial, then the first row's position. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) ||
    compareSerialText(a.serial, b.serial) ||
    positionOf(a) - positionOf(b) ||
    (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)
  );
}

function positionOf(f: Finding): number {
  const rows = Object.values(f.evidence) as Array<Partial<RowEvidence> | undefined>;
  for (const r of rows) if (r && typeof r === 'object' && typeof r.byte === 'number') return r.byte;
  return 0;
}

/** Serials compare as numbers: shorter magnitudes first, then by hex. */
export function compareSerialText(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a.length - b.length || (a < b ? -1 : 1);
}

/**
 * Collects findings, keeping at most `limit` of each code in full (a broken million-row file must
 * not become a million objects) and counting the rest.
 */
export class FindingCollector {
  readonly findings: Finding[] = [];
  private readonly kept = new Map<FindingCode, number>();
  readonly counts = new Map<FindingCode, number>();

  constructor(readonly limit: number) {}

  /** Whether a finding of this code would be kept; call before building an expensive one. */
  wants(code: FindingCode): boolean {
    return (this.kept.get(code) ?? 0) < this.limit;
  }

  /**
   * Offers a finding of `code`: `build` runs only when it will be kept (a broken million-row file
   * must not build a million messages); otherwise the finding is only counted. Its severity is the
   * catalogue's unless `build` gives one.
   */
  offer(code: FindingCode, build: () => FindingBody): void {
    if (!this.wants(code)) {
      this.count(code);
      return;
    }
    const { severity, ...body } = build();
    this.add({ code, severity: severity ?? FINDING_SEVERITY[code], ...body });
  }

  count(code: FindingCode): void {
    this.counts.set(code, (this.counts.get(code) ?? 0) + 1);
  }

  add(finding: Finding): void {
    this.count(finding.code);
    const n = this.kept.get(finding.code) ?? 0;
    if (n >= this.limit) return;
    this.kept.set(finding.code, n + 1);
    this.findings.push(finding);
  }

  /** Codes whose findings were counted but not all kept, with how many were left out. */
  omitted(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [code, n] of [...this.counts].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const kept = this.kept.get(code) ?? 0;
      if (n > kept) out[code] = n - kept;
    }
    return out;
  }

  severityCounts(): Record<Severity, number> {
    return countBySeverity(this.findings, this.omitted());
  }
}

/** Findings by severity: those listed plus those counted but left out (by code). */
export function countBySeverity(
  findings: Finding[],
  omitted: Record<string, number>,
): Record<Severity, number> {
  const out: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) out[f.severity]++;
  for (const [code, n] of Object.entries(omitted)) out[FINDING_SEVERITY[code as FindingCode]] += n;
  return out;
}
