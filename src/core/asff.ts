/**
 * A night's alerts as AWS Security Finding Format (ASFF) findings for Security Hub's
 * BatchImportFindings, and what to import so Security Hub follows the alerts: each present alert
 * ACTIVE (acknowledged ones with Workflow SUPPRESSED), each alert imported on an earlier night and
 * gone now re-imported ARCHIVED with Workflow RESOLVED. The finding's Id is the alert key the
 * state already uses (findingKey), so a night's import updates the same finding, never a copy.
 */
import { type CaArn, parseCaArn } from './ca-arn.js';
import type { Severity } from './finding.js';
import { formatInstant } from './instant.js';

/** What a finding needs to become ASFF: an alert of the summary, or an acknowledged finding. */
export interface AlertForAsff {
  /** the alert key (findingKey) */
  key: string;
  code: string;
  severity: Severity;
  serial?: string;
  message: string;
  /** acknowledged (--ack-file): imported SUPPRESSED, with the severity it had before */
  acknowledged?: { originalSeverity: Severity; reason: string };
}

export type AsffFinding = Record<string, unknown> & { Id: string };

/** What the state keeps per imported finding, so a later night can archive it. */
export interface ImportedFinding {
  firstObservedAt: string;
  /** the finding as last imported ACTIVE */
  finding: AsffFinding;
}

export type ImportedFindings = Record<string, ImportedFinding>;

const LABEL: Record<Severity, 'HIGH' | 'MEDIUM' | 'INFORMATIONAL'> = {
  error: 'HIGH',
  warning: 'MEDIUM',
  info: 'INFORMATIONAL',
};

/**
 * One type for every code: each finding is a CA's records disagreeing with what AWS says or
 * publishes (an audit of how the CA is run), which ASFF files under software and configuration
 * checks; none is itself evidence of an attack, so no TTPs or Effects type is claimed.
 */
export const ASFF_TYPE = 'Software and Configuration Checks/AWS Security Best Practices';

/** ASFF has no resource type for a private CA: "Other", with the CA's ARN as Id. */
export const RESOURCE_TYPE = 'Other';

/** ASFF's limits: Id 512, Title 256, Description 1024 characters. */
const cap = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** The finding Id: the alert key, or, over ASFF's 512 characters, its start and a digest of all of it. */
export function asffId(key: string, digest: (text: string) => string): string {
  return key.length <= 512 ? key : `${key.slice(0, 512 - 72)}#sha256:${digest(key)}`;
}

export function productArn(ca: CaArn): string {
  return `arn:${ca.partition}:securityhub:${ca.region}:${ca.account}:product/${ca.account}/default`;
}

export function asffFinding(
  ca: CaArn,
  a: AlertForAsff,
  id: string,
  times: { firstObservedAt: string; now: number },
): AsffFinding {
  const now = formatInstant(times.now);
  const severity = a.acknowledged?.originalSeverity ?? a.severity;
  return {
    SchemaVersion: '2018-10-08',
    Id: id,
    ProductArn: productArn(ca),
    GeneratorId: `pca-audit/${a.code}`,
    AwsAccountId: ca.account,
    Types: [ASFF_TYPE],
    CreatedAt: times.firstObservedAt,
    UpdatedAt: now,
    FirstObservedAt: times.firstObservedAt,
    LastObservedAt: now,
    Severity: { Label: LABEL[severity], Original: severity },
    // a provider's own values after the finding exists (Security Hub keeps the top-level ones for
    // the customer's BatchUpdateFindings)
    FindingProviderFields: { Severity: { Label: LABEL[severity], Original: severity }, Types: [ASFF_TYPE] },
    Title: cap(`${a.code}${a.serial ? ` ${a.serial}` : ''}`, 256),
    Description: cap(a.message, 1024),
    Resources: [{ Type: RESOURCE_TYPE, Id: ca.arn, Partition: ca.partition, Region: ca.region }],
    ProductFields: {
      'pca-audit/code': a.code,
      ...(a.serial ? { 'pca-audit/serial': a.serial } : {}),
      ...(a.acknowledged ? { 'pca-audit/acknowledged': cap(a.acknowledged.reason, 1024) } : {}),
    },
    RecordState: 'ACTIVE',
    Workflow: { Status: a.acknowledged ? 'SUPPRESSED' : 'NEW' },
  };
}

/**
 * What to import for one CA tonight, and the state after a successful import. `present` are the
 * CA's alerts tonight; `judged` says whether tonight's audit could tell which alerts are gone
 * (a diffed or baseline night): an unchanged or failed night archives nothing.
 */
export function securityHubPlan(
  caArn: string,
  present: readonly AlertForAsff[],
  imported: Readonly<ImportedFindings>,
  judged: boolean,
  now: number,
  digest: (text: string) => string,
): { findings: AsffFinding[]; next: ImportedFindings } {
  const ca = parseCaArn(caArn);
  if (!ca) return { findings: [], next: { ...imported } };
  const findings: AsffFinding[] = [];
  const next: ImportedFindings = {};
  for (const a of present) {
    const id = asffId(a.key, digest);
    if (next[id]) continue;
    const firstObservedAt = imported[id]?.firstObservedAt ?? formatInstant(now);
    const finding = asffFinding(ca, a, id, { firstObservedAt, now });
    findings.push(finding);
    next[id] = { firstObservedAt, finding };
  }
  for (const [id, was] of Object.entries(imported)) {
    if (next[id]) continue;
    if (!judged) {
      next[id] = was;
      continue;
    }
    findings.push({
      ...was.finding,
      UpdatedAt: formatInstant(now),
      RecordState: 'ARCHIVED',
      Workflow: { Status: 'RESOLVED' },
    });
  }
  return { findings, next };
}

/** BatchImportFindings takes at most 100 findings a call. */
export const BATCH_IMPORT_MAX = 100;

export function batches<T>(items: readonly T[], max = BATCH_IMPORT_MAX): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += max) out.push(items.slice(i, i + max));
  return out;
}
