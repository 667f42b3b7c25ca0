/**
 * The health of the audit itself in `run` (issue 16 item 5): a CA whose night failed still gets its
 * findings on the job (REPORT_STALE, AUDIT_REPORT_FAILED), alerted once and then persistent like any
 * finding, so a CA failing night after night surfaces even when each night is "only" exit 5 or 3.
 */
import { ReportFailedError } from '../aws/errors.js';
import type { FailOn } from '../core/fail-on.js';
import { countBySeverity, type Finding } from '../core/finding.js';
import { auditReportFailed, reportStale } from '../core/run/audit-health.js';
import {
  type Ack,
  alertExitCode,
  applyAcks,
  type CaResult,
  splitAlerts,
  worseExit,
} from '../core/run/run-model.js';
import type { StateStore } from '../store/state-store.js';

export interface HealthSettings {
  /** seconds; absent: REPORT_STALE is not checked */
  maxReportAge?: number;
  failOn: FailOn;
  repeatAlerts: boolean;
  acks: Ack[];
}

/** The health findings of a night that produced a report made at `createdAt`. */
export function healthOfReport(caArn: string, createdAt: number, now: number, s: HealthSettings): Finding[] {
  if (s.maxReportAge === undefined) return [];
  const stale = reportStale({ caArn, now, maxAge: s.maxReportAge, newest: createdAt, failedTonight: false });
  return stale ? [stale] : [];
}

/**
 * When the job first tried a CA, from the summaries of earlier runs (`runs/<id>/summary.json`, its
 * `startedAt`): for a CA without a checkpoint, the start of its silence. Undefined: no earlier run
 * named it. Summaries that cannot be read are passed over (this only dates a finding).
 */
export async function firstTried(store: StateStore, caArn: string): Promise<number | undefined> {
  let first: number | undefined;
  for (const run of await store.runIds()) {
    const summary = (await store.readSummary(run).catch(() => undefined)) as
      | { startedAt?: unknown; cas?: unknown }
      | undefined;
    if (!summary || typeof summary.startedAt !== 'string' || !Array.isArray(summary.cas)) continue;
    if (!summary.cas.some((c) => (c as { ca?: unknown } | null)?.ca === caArn)) continue;
    const t = Date.parse(summary.startedAt) / 1000;
    if (!Number.isNaN(t) && (first === undefined || t < first)) first = t;
  }
  return first;
}

/**
 * The result of a CA whose night failed: the error, and the findings on the job. `lastGood` is the
 * checkpoint's report createdAt (undefined: no checkpoint), `alerted` the CA's alerted keys.
 */
export function failedCaResult(o: {
  caArn: string;
  caId: string;
  err: unknown;
  error: string;
  exitCode: number;
  now: number;
  lastGood: number | undefined;
  /** without a checkpoint: when an earlier run first tried the CA (its summary), if any */
  firstTried?: number | undefined;
  alerted: Readonly<Record<string, unknown>>;
  settings: HealthSettings;
}): CaResult {
  const s = o.settings;
  const findings: Finding[] = [];
  if (o.err instanceof ReportFailedError) {
    findings.push(
      auditReportFailed({
        caArn: o.caArn,
        reportId: o.err.reportId,
        status: o.err.status,
        causes: o.err.causes,
      }),
    );
  }
  if (s.maxReportAge !== undefined) {
    const stale = reportStale({
      caArn: o.caArn,
      now: o.now,
      maxAge: s.maxReportAge,
      newest: o.lastGood,
      failedTonight: true,
      ...(o.lastGood === undefined && o.firstTried !== undefined ? { firstTried: o.firstTried } : {}),
    });
    if (stale) findings.push(stale);
  }
  const acked = applyAcks(findings, s.acks, o.now).findings;
  const split = splitAlerts(o.caId, acked, o.alerted, s.failOn);
  return {
    ca: o.caArn,
    outcome: { status: 'failed', error: o.error, exitCode: o.exitCode },
    newAlerts: split.newAlerts,
    persistentAlerts: split.persistentAlerts,
    counts: countBySeverity(split.counted, {}),
    // a new health alert turns "retry later" (5) into 1; a 2 or 3 stays what it is
    exitCode: worseExit(o.exitCode, alertExitCode(split, {}, s.failOn, s.repeatAlerts)),
  };
}
