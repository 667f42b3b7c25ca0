/** Finding codes are a contract: tests, acknowledgements and users key on them (design.md). */
export const FINDING_SEVERITY = {
  DUPLICATE_SERIAL: 'error',
  SERIAL_ARN_MISMATCH: 'error',
  FOREIGN_CA: 'error',
  INVALID_RECORD: 'error',
  REVOCATION_INCOMPLETE: 'warning',
  VALIDITY_INVERTED: 'warning',
  CERTIFICATE_DISAPPEARED: 'error',
  CERTIFICATE_UNREVOKED: 'error',
  CERTIFICATE_CHANGED: 'error',
  REVOCATION_CHANGED: 'error',
  LATE_ISSUANCE: 'warning',
  REVOKED_WITHOUT_EVENT: 'error',
  EVENT_WITHOUT_REVOCATION: 'error',
  EVENT_FOR_UNKNOWN_CERTIFICATE: 'error',
  REVOCATION_REASON_MISMATCH: 'error',
  REVOCATION_TIME_MISMATCH: 'warning',
  REVOKE_ATTEMPT_FAILED: 'info',
  ISSUED_WITHOUT_EVENT: 'error',
  /** a NEW row differs from its IssueCertificateDetails (one per field), or that event says FAILED */
  ISSUANCE_MISMATCH: 'error',
  EVENT_UNMATCHABLE: 'info',
  /** PCA's CRL Generation event (or a GenerateCRL service event) of this CA in the window failed */
  CRL_GENERATION_FAILED: 'error',
  /** PCA's Audit Report Generation event of this CA in the window failed: a report is missing, not wrong */
  AUDIT_REPORT_GENERATION_FAILED: 'warning',
  CRL_MISSING_REVOCATION: 'error',
  CRL_UNKNOWN_ENTRY: 'error',
  CRL_REASON_MISMATCH: 'warning',
  /** the responder answers good or unknown for a revoked certificate, or another revocation time */
  OCSP_NOT_REVOKED: 'error',
  /** the responder's revocationReason differs from NEW's (as CRL_REASON_MISMATCH: the revocation holds) */
  OCSP_REASON_MISMATCH: 'warning',
  /** no usable answer: network, timeout, HTTP status, a refusal, a malformed or stale response */
  OCSP_UNREACHABLE: 'warning',
  /** the answer's signature or signer does not hold (not the CA, nor a responder it delegated to) */
  OCSP_SIGNATURE_INVALID: 'error',
  /** the CRL's signature does not verify with the CA certificate's key */
  CRL_SIGNATURE_INVALID: 'error',
  /** the CRL's issuer is not the CA certificate's subject (its entries are then not compared) */
  CRL_ISSUER_MISMATCH: 'error',
  /** nextUpdate passed (error), or thisUpdate older than --crl-max-age (warning) */
  CRL_STALE: 'error',
  /** a CRL entry revoked after the CRL's thisUpdate */
  CRL_ENTRY_AFTER_THISUPDATE: 'warning',
  /** (run) CRLs are enabled, but the CRL object is not in the bucket */
  CRL_MISSING: 'error',
  /** (run) the CA publishes neither a CRL nor OCSP: nobody can learn of its revocations */
  NO_REVOCATION_PUBLISHED: 'warning',
  HISTORY_TAMPERED: 'error',
  /** (run) no successful report of the CA for more than --max-report-age: the audit of it is blind */
  REPORT_STALE: 'error',
  /** the CloudTrail sources do not cover part of the window (a trail bucket's silence, LookupEvents' 90 days) */
  CLOUDTRAIL_GAP: 'warning',
  /** (run) the CA's last audit report ended FAILED (DescribeCertificateAuthorityAuditReport), with the diagnosis */
  AUDIT_REPORT_FAILED: 'error',
} as const;

export type FindingCode = keyof typeof FINDING_SEVERITY;
export type Severity = 'error' | 'warning' | 'info';
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
