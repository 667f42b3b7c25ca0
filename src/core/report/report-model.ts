import { compareFindings, type Finding, type Severity } from '../finding.js';
import { formatInstant, parseInstant } from '../instant.js';
import type { CrlSummary } from '../reconcile/crl-check.js';
import type { OcspSummary } from '../reconcile/ocsp-check.js';
import type { ReconciliationSummary } from '../reconcile/reconcile.js';
import type { AuditRecord, AuditRecordFields } from './audit-record.js';
import { isInstantField } from './report-fields.js';
import type { ReportFormat } from './report-index.js';
import type { ReportSummary } from './report-summary.js';
import { displaySerial } from './serial.js';

/**
 * The JSON output contract (`--format json`). Deterministic: sorted, UTC, no run timestamps.
 * Changing a field's meaning needs a new schemaVersion.
 */
export const SCHEMA_VERSION = 1;

/** A certificate as shown in outputs: serial in colon form, instants in UTC. */
export interface CertificateRow {
  serial: string;
  subject?: string;
  notBefore?: string;
  notAfter?: string;
  issuedAt?: string;
  revokedAt?: string;
  revocationReason?: string;
  templateArn?: string;
  requestedByServicePrincipal?: string;
  line: number;
}

export interface ReportInfo {
  source: string;
  format: ReportFormat;
  /**
   * when the report was made: given, from its CreateCertificateAuthorityAuditReport call
   * ('cloudtrail'), from the S3 object's LastModified ('s3'), or ('derived') its latest
   * issuedAt/revokedAt
   */
  createdAt?: string;
  createdAtBasis?: 'given' | 'cloudtrail' | 's3' | 'derived';
  ca?: string;
}

export interface InspectOutput {
  schemaVersion: 1;
  report: ReportInfo;
  asOf: string;
  expiringWithinSeconds: number;
  summary: ReportSummary & { expiringSoon: number };
  expiringSoon: CertificateRow[];
  findings: Finding[];
  /** findings counted but not listed (more than the per-code limit), by code */
  omittedFindings: Record<string, number>;
}

export interface DiffOutput {
  schemaVersion: 1;
  old: ReportInfo & { summary: ReportSummary };
  new: ReportInfo & { summary: ReportSummary };
  window: { from?: string; to?: string; basis: string };
  changes: { issued: CertificateRow[]; revoked: CertificateRow[]; expired: CertificateRow[] };
  /** present with --cloudtrail: what the events were, and what was reconciled */
  reconciliation?: CloudTrailSection;
  /** present with --crl */
  crl?: CrlSummary;
  /** present when `run` asked the CA's OCSP responder about the window's revocations */
  ocsp?: OcspSummary;
  findings: Finding[];
  omittedFindings: Record<string, number>;
  summary: { issued: number; revoked: number; expired: number; findings: Record<Severity, number> };
}

export interface CloudTrailSection extends ReconciliationSummary {
  sources: string[];
  /** files read as CloudTrail */
  files: number;
  /** files skipped as not CloudTrail (found walking a directory, or digest files) */
  skippedFiles: number;
  /** the first 10 of them */
  skippedFileNames: string[];
  /** records read, duplicates included; `duplicates` says how many */
  records: number;
  /** records of interest read twice (same eventID, eventSource, eventName and eventTime), kept once */
  duplicates: number;
  /** eventIDs shared by different records of interest (all of them kept) */
  eventIdCollisions: number;
  /** malformed records skipped under --lenient */
  malformed: number;
  /** records read and of no interest (other APIs and services): counted, never silently dropped */
  otherRecords: number;
  propagationAllowanceSeconds: number;
  timeToleranceSeconds: number;
}

/** A field value for output: instants normalised to UTC when they parse, else as written. */
export function displayValue(field: string, value: string): string {
  if (!isInstantField(field)) return value;
  const t = parseInstant(value);
  if (Number.isNaN(t)) return value;
  // the form reports write, already in UTC to the second: formatInstant would give its first 19 characters and Z
  if (value.length === 24 && value.endsWith('+0000')) return `${value.slice(0, 19)}Z`;
  return formatInstant(t);
}

export function certificateRow(record: AuditRecord & { line: number }): CertificateRow {
  const f = record.fields;
  const row: CertificateRow = {
    serial: (f.serial === undefined ? undefined : displaySerial(f.serial)) ?? f.serial ?? '',
    line: record.line,
  };
  const put = (k: keyof AuditRecordFields & keyof CertificateRow) => {
    const v = f[k];
    if (v !== undefined) (row as unknown as Record<string, string>)[k] = displayValue(k, v);
  };
  put('subject');
  put('notBefore');
  put('notAfter');
  put('issuedAt');
  put('revokedAt');
  put('revocationReason');
  put('templateArn');
  put('requestedByServicePrincipal');
  return row;
}

export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(compareFindings);
}

export type RowsByOffset = ReadonlyMap<number, AuditRecord & { line: number }>;

/** Evidence rows ({report, line, byte}) of findings, gathered per report for reading back. */
export function evidenceOffsets(findings: Finding[]): Map<string, number[]> {
  const out = new Map<string, Set<number>>();
  for (const f of findings) {
    for (const v of Object.values(f.evidence)) {
      if (isRowRef(v)) {
        const s = out.get(v.report) ?? new Set<number>();
        out.set(v.report, s);
        s.add(v.byte);
      }
    }
  }
  return new Map([...out].map(([k, s]) => [k, [...s].sort((a, b) => a - b)]));
}

function isRowRef(v: unknown): v is { report: string; line: number; byte: number; fields?: unknown } {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { byte?: unknown }).byte === 'number' &&
    typeof (v as { report?: unknown }).report === 'string'
  );
}

/** Adds each evidence row's fields, as written, from the rows read back. */
export function attachEvidence(findings: Finding[], rows: ReadonlyMap<string, RowsByOffset>): Finding[] {
  return findings.map((f) => {
    const evidence: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(f.evidence)) {
      if (isRowRef(v)) {
        const rec = rows.get(v.report)?.get(v.byte);
        evidence[k] = rec ? { ...v, fields: rec.fields } : v;
      } else {
        evidence[k] = v;
      }
    }
    return { ...f, evidence };
  });
}
