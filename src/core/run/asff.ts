/**
 * A night's alerts as AWS Security Finding Format (ASFF) findings for Security Hub's
 * BatchImportFindings, and what to import so Security Hub follows the alerts: each present alert
 * ACTIVE (acknowledged ones with Workflow SUPPRESSED), each alert imported on an earlier night and
 * gone now re-imported ARCHIVED. The finding's Id is the alert key the state already uses
 * (findingKey), so a night's import updates the same finding, never a copy.
 *
 * A finding provider sets Workflow only on a finding's first import: BatchImportFindings ignores it
 * for a finding that exists, whose workflow is changed with BatchUpdateFindings. So Workflow is sent
 * in the first import only, and a later change (RESOLVED when gone, SUPPRESSED when acknowledged,
 * NEW when it returns) is a workflow update of the plan.
 */
import { type CaArn, parseCaArn } from '../ca-arn.js';
import type { Severity } from '../finding.js';
import { formatInstant, parseInstant } from '../instant.js';

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

export type WorkflowStatus = 'NEW' | 'NOTIFIED' | 'SUPPRESSED' | 'RESOLVED';

/** What the state keeps per imported finding, so a later night can archive it. */
export interface ImportedFinding {
  firstObservedAt: string;
  /** the finding as last imported ACTIVE */
  finding: AsffFinding;
  /** the Workflow status pca-audit last set (missing in older state: the finding's own) */
  workflow?: WorkflowStatus;
  /** when it was archived: kept so a finding that returns is set NEW again, forgotten after 90 days */
  archivedAt?: string;
}

/** A BatchUpdateFindings of the plan: one Workflow status and note for these findings. */
export interface WorkflowUpdate {
  status: WorkflowStatus;
  note: string;
  findings: Array<{ Id: string; ProductArn: string }>;
}

/**
 * How long an archived finding is remembered: Security Hub's retention of a finding not updated
 * (90 days), after which the finding's import is a first import again.
 */
export const ARCHIVED_KEPT_SECONDS = 90 * 86400;

const NOTE: Record<WorkflowStatus, string> = {
  NEW: "pca-audit: raised again by the CA's audit",
  NOTIFIED: 'pca-audit: notified',
  SUPPRESSED: 'pca-audit: acknowledged (--ack-file); see ProductFields pca-audit/acknowledged',
  RESOLVED: "pca-audit: no longer raised by the CA's audit; archived",
};

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
): { findings: AsffFinding[]; updates: WorkflowUpdate[]; next: ImportedFindings } {
  const ca = parseCaArn(caArn);
  if (!ca) return { findings: [], updates: [], next: { ...imported } };
  const findings: AsffFinding[] = [];
  const next: ImportedFindings = {};
  const changes = new Map<WorkflowStatus, string[]>();
  const change = (id: string, was: ImportedFinding, to: WorkflowStatus) => {
    const from = was.workflow ?? ((was.finding.Workflow as { Status?: WorkflowStatus })?.Status || 'NEW');
    if (from !== to) changes.set(to, [...(changes.get(to) ?? []), id]);
  };
  // a finding Security Hub already holds: its Workflow is the customer's, not the import's
  const existing = (f: AsffFinding): AsffFinding => {
    const { Workflow: _, ...rest } = f;
    return rest as AsffFinding;
  };
  for (const a of present) {
    const id = asffId(a.key, digest);
    if (next[id]) continue;
    const was = imported[id];
    const firstObservedAt = was?.firstObservedAt ?? formatInstant(now);
    const finding = asffFinding(ca, a, id, { firstObservedAt, now });
    const workflow: WorkflowStatus = a.acknowledged ? 'SUPPRESSED' : 'NEW';
    if (was) {
      findings.push(existing(finding));
      change(id, was, workflow);
    } else findings.push(finding);
    next[id] = { firstObservedAt, finding, workflow };
  }
  for (const [id, was] of Object.entries(imported)) {
    if (next[id]) continue;
    if (was.archivedAt !== undefined) {
      // archived earlier: remembered until Security Hub has deleted it
      if (parseInstant(was.archivedAt) + ARCHIVED_KEPT_SECONDS > now) next[id] = was;
      continue;
    }
    if (!judged) {
      next[id] = was;
      continue;
    }
    findings.push(existing({ ...was.finding, UpdatedAt: formatInstant(now), RecordState: 'ARCHIVED' }));
    change(id, was, 'RESOLVED');
    next[id] = { ...was, workflow: 'RESOLVED', archivedAt: formatInstant(now) };
  }
  const updates: WorkflowUpdate[] = [...changes].map(([status, ids]) => ({
    status,
    note: NOTE[status],
    findings: ids.map((Id) => ({ Id, ProductArn: productArn(ca) })),
  }));
  return { findings, updates, next };
}

/** BatchImportFindings and BatchUpdateFindings take at most 100 findings a call. */
export const BATCH_IMPORT_MAX = 100;

export function batches<T>(items: readonly T[], max = BATCH_IMPORT_MAX): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += max) out.push(items.slice(i, i + max));
  return out;
}
