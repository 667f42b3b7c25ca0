/**
 * The nightly job's pure parts: acknowledgements, which findings are new (worth an alert), and
 * the per-CA and per-run summaries a scheduler and a human read.
 */
import { type FailOn, failsAt } from '../fail-on.js';
import {
  countBySeverity,
  FINDING_SEVERITY,
  type Finding,
  type FindingCode,
  type Severity,
} from '../finding.js';
import { formatInstant, parseInstant } from '../instant.js';
import { mdCell } from '../render/markdown.js';
import type { DiffOutput } from '../report/report-model.js';
import { formatSerial, parseSerial } from '../report/serial.js';
import type { CaMetrics } from './metrics.js';

/** An acknowledged finding: code + serial (or any serial: '*'), why, and until when. */
export interface Ack {
  code: string;
  /** canonical hex, or '*' */
  serial: string;
  reason: string;
  /** epoch seconds; absent: forever */
  expires?: number;
}

export type AckParse = { ok: true; acks: Ack[] } | { ok: false; reason: string };

const isCode = (c: string): boolean => c in FINDING_SEVERITY;

/** An ack file: a JSON array of {code, serial, reason, expires?}. */
export function parseAcks(text: string): AckParse {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not valid JSON (${(err as Error).message})` };
  }
  const list = Array.isArray(doc) ? doc : (doc as { acknowledgements?: unknown })?.acknowledgements;
  if (!Array.isArray(list))
    return { ok: false, reason: 'expected a JSON array of {code, serial, reason, expires?}' };
  const acks: Ack[] = [];
  for (const [i, item] of list.entries()) {
    const at = `entry ${i + 1}`;
    if (typeof item !== 'object' || item === null) return { ok: false, reason: `${at}: not an object` };
    const { code, serial, reason, expires } = item as Record<string, unknown>;
    if (typeof code !== 'string' || !isCode(code))
      return { ok: false, reason: `${at}: unknown finding code ${JSON.stringify(code)}` };
    if (typeof reason !== 'string' || reason.trim() === '')
      return { ok: false, reason: `${at}: a reason is required` };
    let hex = '*';
    if (serial !== undefined && serial !== '*') {
      const p =
        typeof serial === 'string' ? parseSerial(serial) : { ok: false as const, reason: 'not a string' };
      if (!p.ok) return { ok: false, reason: `${at}: serial ${JSON.stringify(serial)}: ${p.reason}` };
      hex = p.hex;
    }
    const ack: Ack = { code, serial: hex, reason };
    if (expires !== undefined) {
      const t =
        typeof expires === 'string'
          ? parseInstant(/^\d{4}-\d{2}-\d{2}$/.test(expires) ? `${expires}T00:00:00Z` : expires)
          : Number.NaN;
      if (Number.isNaN(t))
        return { ok: false, reason: `${at}: expires ${JSON.stringify(expires)} is not an instant` };
      ack.expires = t;
    }
    acks.push(ack);
  }
  return { ok: true, acks };
}

function serialHex(f: Finding): string | undefined {
  if (f.serial === undefined) return undefined;
  const p = parseSerial(f.serial);
  return p.ok ? p.hex : undefined;
}

/**
 * Acknowledged findings become info, with the acknowledgement in their evidence; expired
 * acknowledgements do nothing (and are listed, so someone renews or drops them).
 */
export function applyAcks(
  findings: Finding[],
  acks: readonly Ack[],
  now: number,
): { findings: Finding[]; expired: Ack[] } {
  const expired = acks.filter((a) => a.expires !== undefined && a.expires <= now);
  const live = acks.filter((a) => !(a.expires !== undefined && a.expires <= now));
  const out = findings.map((f) => {
    const hex = serialHex(f);
    const ack = live.find((a) => a.code === f.code && (a.serial === '*' || a.serial === hex));
    if (!ack) return f;
    return {
      ...f,
      severity: 'info' as Severity,
      evidence: {
        ...f.evidence,
        acknowledged: {
          reason: ack.reason,
          originalSeverity: f.severity,
          ...(ack.expires === undefined ? {} : { expires: formatInstant(ack.expires) }),
        },
      },
    };
  });
  return { findings: out, expired };
}

/**
 * What makes two findings "the same thing" across runs: code, serial and message. A finding
 * already alerted with the same key is not alerted again.
 */
export function findingKey(caId: string, f: Finding): string {
  return `${caId}|${f.code}|${f.serial ?? ''}|${f.message}`;
}

/** The findings of a report against itself (design.md): what indexing one report finds. */
const SINGLE_REPORT_CODES: ReadonlySet<FindingCode> = new Set<FindingCode>([
  'DUPLICATE_SERIAL',
  'SERIAL_ARN_MISMATCH',
  'FOREIGN_CA',
  'INVALID_RECORD',
  'REVOCATION_INCOMPLETE',
  'VALIDITY_INVERTED',
]);

function rowReports(f: Finding): string[] {
  const out: string[] = [];
  for (const v of Object.values(f.evidence)) {
    const report = (v as { report?: unknown } | null)?.report;
    if (typeof v === 'object' && v !== null && typeof report === 'string') out.push(report);
  }
  return out;
}

/**
 * Whether a finding is one of the OLD report against itself. The job's OLD report is always the
 * NEW report of an earlier run (or its baseline), which counted and alerted these findings then;
 * the NEW report repeats them if they still hold.
 */
export function isOldReportFinding(f: Finding, oldSource: string, newSource: string): boolean {
  if (!SINGLE_REPORT_CODES.has(f.code) || oldSource === newSource) return false;
  const reports = rowReports(f);
  return reports.length > 0 && reports.every((r) => r === oldSource);
}

/** A night's findings of one CA, sorted into what is counted and what is alerted. */
export interface AlertSplit {
  /** the night's findings: all but those of the OLD report against itself */
  counted: Finding[];
  /** at or above --fail-on, never alerted before: these fail the run and are notified */
  newAlerts: Finding[];
  /** at or above --fail-on, alerted on an earlier night and still present: listed apart */
  persistentAlerts: Finding[];
}

/**
 * Splits the findings of a CA's night. Findings of the OLD report against itself are left out:
 * they were counted the night that report was NEW, and still count through the NEW report when
 * they still hold. `alerted` holds the keys (findingKey) alerted on earlier nights.
 */
export function splitAlerts(
  caId: string,
  findings: readonly Finding[],
  alerted: Readonly<Record<string, unknown>>,
  failOn: FailOn,
  sources?: { old: string; new: string },
): AlertSplit {
  const counted = sources
    ? findings.filter((f) => !isOldReportFinding(f, sources.old, sources.new))
    : [...findings];
  const newAlerts: Finding[] = [];
  const persistentAlerts: Finding[] = [];
  for (const f of counted) {
    if (!failsAt(f.severity, failOn)) continue;
    (Object.hasOwn(alerted, findingKey(caId, f)) ? persistentAlerts : newAlerts).push(f);
  }
  return { counted, newAlerts, persistentAlerts };
}

/**
 * A CA's exit code: 1 for new alerts (or, with --repeat-alerts, persistent ones too). Findings
 * counted but left out of the lists (over the per-code limit) were never alerted, so any at or
 * above --fail-on fails the run as well.
 */
export function alertExitCode(
  split: AlertSplit,
  omitted: Readonly<Record<string, number>>,
  failOn: FailOn,
  repeatAlerts: boolean,
): number {
  if (split.newAlerts.length > 0) return 1;
  if (repeatAlerts && split.persistentAlerts.length > 0) return 1;
  const left = countBySeverity([], { ...omitted });
  return (Object.keys(left) as Severity[]).some((k) => left[k] > 0 && failsAt(k, failOn)) ? 1 : 0;
}

export type CaOutcome =
  | { status: 'baseline'; reportId: string; createdAt: string; certificates: number }
  | { status: 'unchanged'; reportId: string }
  | { status: 'diffed'; reportId: string; previousReportId: string; diff: DiffOutput }
  | { status: 'failed'; error: string; exitCode: number };

export interface CaResult {
  ca: string;
  outcome: CaOutcome;
  /** findings at or above --fail-on not alerted in an earlier run */
  newAlerts: Finding[];
  /** findings at or above --fail-on alerted in an earlier run, still present */
  persistentAlerts: Finding[];
  /** by severity, after acknowledgements */
  counts: Record<Severity, number>;
  exitCode: number;
  /** what a reader should know about how the CA was audited (e.g. a report of the other format used) */
  notes?: string[];
  /** the night's numbers for CloudWatch (--emf, --cloudwatch-namespace) */
  metrics?: CaMetrics;
}

export interface AlertEntry {
  code: FindingCode;
  severity: Severity;
  serial?: string;
  message: string;
}

const alertEntry = (f: Finding): AlertEntry => ({
  code: f.code,
  severity: f.severity,
  ...(f.serial === undefined ? {} : { serial: f.serial }),
  message: f.message,
});

/** One (account, Region) of a run over `accounts` (issue 16), and how it went before its CAs. */
export interface TargetSummary {
  /** absent: the default credentials' account */
  account?: string;
  region: string;
  bucket: string;
  /** failed: the target failed before it had CAs (its role refused, its listing refused, its bucket missing) */
  status: 'ok' | 'failed';
  /** the CAs audited through it */
  cas: number;
  error?: string;
  exitCode: number;
}

export interface RunSummary {
  schemaVersion: 1;
  runId: string;
  startedAt: string;
  dryRun: boolean;
  failOn: string;
  /** whether persistent alerts fail the run too (--repeat-alerts) */
  repeatAlerts: boolean;
  exitCode: number;
  cas: Array<{
    ca: string;
    /** the CA's account and Region (from its ARN) */
    account?: string;
    region?: string;
    status: CaOutcome['status'];
    reportId?: string;
    previousReportId?: string;
    issued?: number;
    revoked?: number;
    expired?: number;
    findings: Record<Severity, number>;
    newAlerts: AlertEntry[];
    /** alerted on an earlier night, still present: they fail the run only with --repeat-alerts */
    persistentAlerts: AlertEntry[];
    error?: string;
    exitCode: number;
    notes?: string[];
    metrics?: CaMetrics;
  }>;
  expiredAcknowledgements: Array<{ code: string; serial: string; reason: string; expires?: string }>;
  /** `run --test-notify`: a test of the channels, no CA audited */
  test?: true;
  /** a run over `accounts`: each (account, Region) target and its status */
  targets?: TargetSummary[];
}

/**
 * The worse of two exit codes: 0, then 5 ("not now", which a later run fixes by itself), then 1
 * (findings), 2, 3 and 4 (a bug), so that no finding or failure hides behind a "retry later".
 */
export function worseExit(a: number, b: number): number {
  const rank = (c: number) => (c === 5 ? 0.5 : c);
  return rank(b) > rank(a) ? b : a;
}

export function summariseRun(
  runId: string,
  startedAt: number,
  failOn: string,
  dryRun: boolean,
  results: CaResult[],
  expiredAcks: Ack[],
  repeatAlerts = false,
  targets?: TargetSummary[],
): RunSummary {
  const exitCode = [...results, ...(targets ?? [])].reduce((m, r) => worseExit(m, r.exitCode), 0);
  return {
    schemaVersion: 1,
    runId,
    startedAt: formatInstant(Math.floor(startedAt)),
    dryRun,
    failOn,
    repeatAlerts,
    exitCode,
    cas: results.map((r) => {
      const o = r.outcome;
      const where = /^arn:[^:]+:acm-pca:([^:]+):(\d{12}):/.exec(r.ca);
      return {
        ca: r.ca,
        ...(where ? { account: where[2]!, region: where[1]! } : {}),
        status: o.status,
        ...(o.status === 'failed' ? { error: o.error } : { reportId: o.reportId }),
        ...(o.status === 'diffed'
          ? {
              previousReportId: o.previousReportId,
              issued: o.diff.summary.issued,
              revoked: o.diff.summary.revoked,
              expired: o.diff.summary.expired,
            }
          : {}),
        findings: r.counts,
        newAlerts: r.newAlerts.map(alertEntry),
        persistentAlerts: r.persistentAlerts.map(alertEntry),
        exitCode: r.exitCode,
        ...(r.notes && r.notes.length > 0 ? { notes: r.notes } : {}),
        ...(r.metrics ? { metrics: r.metrics } : {}),
      };
    }),
    expiredAcknowledgements: expiredAcks.map((a) => ({
      code: a.code,
      serial: a.serial === '*' ? '*' : formatSerial(a.serial),
      reason: a.reason,
      ...(a.expires === undefined ? {} : { expires: formatInstant(a.expires) }),
    })),
    ...(targets ? { targets } : {}),
  };
}

/** A summary's CAs grouped by account and Region: each target (failed ones too), in order. */
export interface SummaryGroup {
  account: string;
  region: string;
  target?: TargetSummary;
  cas: RunSummary['cas'];
}

/**
 * The CAs of a run over `accounts`, one group per (account, Region): the targets in the config's
 * order, and CAs of other accounts (shared with a target's account through RAM) after them.
 */
export function groupByTarget(s: RunSummary): SummaryGroup[] {
  const groups = new Map<string, SummaryGroup>();
  const keyOf = (account: string, region: string) => `${account}|${region}`;
  for (const t of s.targets ?? []) {
    const account = t.account ?? 'default';
    groups.set(keyOf(account, t.region), { account, region: t.region, target: t, cas: [] });
  }
  for (const c of s.cas) {
    const account = c.account ?? '?';
    const region = c.region ?? '?';
    const k = keyOf(account, region);
    if (!groups.has(k)) {
      // a default-credentials target of this Region takes the CAs of the account it turned out to be
      const d = groups.get(keyOf('default', region));
      if (d) {
        d.cas.push(c);
        continue;
      }
      groups.set(k, { account, region, cas: [] });
    }
    groups.get(k)!.cas.push(c);
  }
  return [...groups.values()];
}

/** The morning summary: one table of CAs, then the new alerts. */
export function renderRunMarkdown(s: RunSummary): string {
  const lines = [
    `## pca-audit run ${s.runId}${s.dryRun ? ' (dry run)' : ''}${s.test ? ' (test notification: nothing to act on)' : ''}`,
    '',
    `Started ${s.startedAt}; exit code ${s.exitCode} (fail on ${s.failOn}).`,
    '',
  ];
  const header = [
    '| CA | Status | Report | Issued | Revoked | Expired | Errors | Warnings | Info | New alerts |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const row = (c: RunSummary['cas'][number]) =>
    `| ${mdCell(c.ca)} | ${c.status}${c.error ? `: ${mdCell(c.error)}` : ''} | ${c.reportId ?? ''} | ${c.issued ?? ''} | ${c.revoked ?? ''} | ${c.expired ?? ''} | ${c.findings.error} | ${c.findings.warning} | ${c.findings.info} | ${c.newAlerts.length} |`;
  if (!s.targets) lines.push(...header, ...s.cas.map(row));
  else {
    // a run over accounts: a heading per account and Region, a failed target with its error
    for (const g of groupByTarget(s)) {
      const t = g.target;
      lines.push(
        `### ${mdCell(g.account)} / ${mdCell(g.region)}${t ? ` (bucket ${mdCell(t.bucket)})` : ''}`,
        '',
      );
      if (t?.status === 'failed')
        lines.push(`Target FAILED (exit ${t.exitCode}): ${mdCell(t.error ?? '')}`, '');
      else if (g.cas.length === 0) lines.push('No CA.', '');
      else lines.push(...header, ...g.cas.map(row), '');
    }
    if (lines.at(-1) === '') lines.pop();
  }
  const alertTable = (list: Array<AlertEntry & { ca: string }>) => {
    lines.push('| CA | Severity | Code | Serial | Message |', '| --- | --- | --- | --- | --- |');
    for (const a of list) {
      lines.push(
        `| ${mdCell(a.ca.split('/').pop() ?? a.ca)} | ${a.severity} | ${a.code} | ${a.serial ?? ''} | ${mdCell(a.message)} |`,
      );
    }
  };
  const alerts = s.cas.flatMap((c) => c.newAlerts.map((a) => ({ ca: c.ca, ...a })));
  lines.push('');
  if (alerts.length === 0) lines.push('No new alerts.');
  else {
    lines.push(`### New alerts (${alerts.length})`, '');
    alertTable(alerts);
  }
  // absent from summaries written before persistent alerts were listed apart
  const persistent = s.cas.flatMap((c) => (c.persistentAlerts ?? []).map((a) => ({ ca: c.ca, ...a })));
  if (persistent.length > 0) {
    lines.push(
      '',
      `### Persistent alerts (${persistent.length})`,
      '',
      `Alerted on an earlier night and still present; ${s.repeatAlerts ? 'they fail the run again (--repeat-alerts)' : 'they do not fail the run again'}.`,
      '',
    );
    alertTable(persistent);
  }
  const notes = s.cas.flatMap((c) => (c.notes ?? []).map((n) => ({ ca: c.ca, n })));
  if (notes.length > 0) {
    lines.push('', '### Notes', '');
    for (const { ca, n } of notes) lines.push(`- ${mdCell(ca.split('/').pop() ?? ca)}: ${mdCell(n)}`);
  }
  if (s.expiredAcknowledgements.length > 0) {
    lines.push('', '### Expired acknowledgements', '');
    for (const a of s.expiredAcknowledgements)
      lines.push(`- ${a.code} ${a.serial}: ${mdCell(a.reason)} (expired ${a.expires ?? ''})`);
  }
  return `${lines.join('\n')}\n`;
}
