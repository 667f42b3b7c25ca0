/**
 * Reconciles what changed between two reports with what CloudTrail recorded: every new revocation
 * should have its RevokeCertificate call, every successful call its revocation, and (when the
 * sources hold issuance events) every new certificate its IssueCertificate call.
 */
import type { CloudTrailEvent } from './cloudtrail/event.js';
import type { DiffPlan } from './diff.js';
import {
  FINDING_SEVERITY,
  type Finding,
  type FindingCode,
  type FindingCollector,
  type Severity,
} from './finding.js';
import { formatInstant, parseInstant } from './instant.js';
import {
  entrySerialHex,
  FLAG_REVOKED,
  findSerialHex,
  lineOf,
  type ReportIndex,
  reasonOf,
  revokedAtOf,
} from './report-index.js';
import type { RowsByOffset } from './report-model.js';
import { reasonName } from './revocation-reason.js';
import { formatSerial } from './serial.js';

export interface ReconcileOptions {
  /** the CA both reports are of */
  caArn: string | undefined;
  /** the window (OLD made, NEW made], epoch seconds (NaN: open) */
  from: number;
  to: number;
  /** a call younger than this when NEW was made may not be in NEW yet */
  propagationAllowance: number;
  /** a call and the report's revokedAt may differ by this much */
  timeTolerance: number;
  /** the earliest and latest eventTime of every record read from the sources (NaN: none) */
  coverage: { earliest: number; latest: number };
  /**
   * the spans (epoch seconds) of the sources that record issuance: a new certificate is expected
   * to have its IssueCertificate call only when issued inside one of them (default: the coverage)
   */
  issuanceSpans?: Array<[number, number]>;
}

/** What reconciliation looked at, for the output. */
export interface ReconciliationSummary {
  /** distinct events of interest read (revocations, issuances, audit reports), of any CA */
  events: number;
  /** events of this CA inside the window */
  inWindow: number;
  /** events of this CA outside the window (not expected in this diff) */
  outsideWindow: number;
  /** events naming another CA, or (ACME) a certificate in neither report */
  otherCa: number;
  /** successful revoke events matched to a revocation in NEW */
  matchedRevocations: number;
  /** newly revoked certificates with no successful revoke event */
  unexplainedRevocations: number;
  /** whether new certificates were checked against IssueCertificate events, and why (not) */
  issuance: { checked: boolean; why: string };
  /** the time span the sources' records cover */
  coverage?: { from: string; to: string };
}

/** The evidence an event gives: who, when, what, and where it was read. */
export function eventEvidence(e: CloudTrailEvent): Record<string, unknown> {
  return {
    eventID: e.eventID,
    eventTime: e.eventTime,
    eventSource: e.eventSource,
    eventName: e.eventName,
    actor: e.actor,
    ...(e.region === undefined ? {} : { region: e.region }),
    ...(e.account === undefined ? {} : { account: e.account }),
    ...(e.caArn === undefined ? {} : { caArn: e.caArn }),
    ...(e.serialAsWritten === undefined ? {} : { serialAsWritten: e.serialAsWritten }),
    ...(e.revocationReason === undefined ? {} : { revocationReason: e.revocationReason }),
    ...(e.certificateArn === undefined ? {} : { certificateArn: e.certificateArn }),
    ...(e.issuer === undefined ? {} : { issuer: e.issuer }),
    ...(e.errorCode === undefined ? {} : { errorCode: e.errorCode }),
    ...(e.errorMessage === undefined ? {} : { errorMessage: e.errorMessage }),
    origin: e.origin,
  };
}

const inWindow = (t: number, from: number, to: number) =>
  (Number.isNaN(from) || t > from) && (Number.isNaN(to) || t <= to);

function duration(seconds: number): string {
  const s = Math.round(Math.abs(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1).replace(/\.0$/, '')} h`;
  return `${(s / 86400).toFixed(1).replace(/\.0$/, '')} days`;
}

/**
 * Adds the reconciliation findings to the plan's collector and says what was looked at.
 * `newRows` holds the rows of NEW's issued certificates (their issuedAt).
 */
export function reconcile(
  plan: DiffPlan,
  oldIndex: ReportIndex,
  newIndex: ReportIndex,
  newRows: RowsByOffset,
  events: readonly CloudTrailEvent[],
  options: ReconcileOptions,
): ReconciliationSummary {
  const findings: FindingCollector = plan.findings;
  const { from, to, caArn } = options;
  const rowOf = (index: ReportIndex, i: number) => ({
    report: index.source,
    line: lineOf(index, i),
    byte: index.offset[i]!,
  });
  const add = (code: FindingCode, f: Omit<Finding, 'code' | 'severity'>, severity?: Severity) => {
    if (!findings.wants(code)) findings.count(code);
    else findings.add({ code, severity: severity ?? FINDING_SEVERITY[code], ...f });
  };
  const summary: ReconciliationSummary = {
    events: events.length,
    inWindow: 0,
    outsideWindow: 0,
    otherCa: 0,
    matchedRevocations: 0,
    unexplainedRevocations: 0,
    issuance: { checked: false, why: 'no IssueCertificate events of this CA in the sources' },
  };
  const { earliest, latest } = options.coverage;
  if (!Number.isNaN(earliest))
    summary.coverage = { from: formatInstant(earliest), to: formatInstant(latest) };

  /** successful revoke events of this CA by serial (any time), and issue events by serial */
  const revokesBySerial = new Map<string, CloudTrailEvent[]>();
  const issuedSerials = new Set<string>();
  let issueEvents = 0;
  const ours: CloudTrailEvent[] = [];
  for (const e of events) {
    if (e.kind === 'audit-report') {
      if (caArn !== undefined && e.caArn !== caArn) summary.otherCa++;
      continue;
    }
    const mine = belongsToCa(e, caArn, oldIndex, newIndex);
    if (mine === 'other') {
      summary.otherCa++;
      continue;
    }
    const t = parseInstant(e.eventTime);
    if (!inWindow(t, from, to)) summary.outsideWindow++;
    else summary.inWindow++;
    ours.push(e);
    if (e.errorCode !== undefined || e.serial === undefined) continue;
    if (e.kind === 'revoke') {
      const list = revokesBySerial.get(e.serial) ?? [];
      list.push(e);
      revokesBySerial.set(e.serial, list);
    } else if (e.kind === 'issue') {
      issuedSerials.add(e.serial);
      issueEvents++;
    }
  }

  for (const e of ours) {
    const t = parseInstant(e.eventTime);
    if (!inWindow(t, from, to)) continue;
    const evidence = eventEvidence(e);
    if (e.errorCode !== undefined) {
      if (e.kind !== 'revoke') continue;
      add('REVOKE_ATTEMPT_FAILED', {
        ...(e.serial === undefined ? {} : { serial: formatSerial(e.serial) }),
        message: `${e.eventName} by ${e.actor} failed with ${e.errorCode}${e.errorMessage ? `: ${e.errorMessage}` : ''}`,
        evidence: { event: evidence },
      });
      continue;
    }
    if (e.unmatchable !== undefined || e.serial === undefined) {
      add('EVENT_UNMATCHABLE', {
        message: `${e.eventSource} ${e.eventName} by ${e.actor} at ${e.eventTime}: ${e.unmatchable ?? 'no serial'}`,
        evidence: { event: evidence },
      });
      continue;
    }
    if (e.kind !== 'revoke') continue;
    const serial = formatSerial(e.serial);
    const n = findSerialHex(newIndex, e.serial);
    const young = !Number.isNaN(to) && to - t < options.propagationAllowance;
    const age = Number.isNaN(to) ? '' : ` (${duration(to - t)} before the new report was made)`;
    if (n < 0) {
      const o = findSerialHex(oldIndex, e.serial);
      if (o >= 0) continue; // CERTIFICATE_DISAPPEARED says it already
      add(
        'EVENT_FOR_UNKNOWN_CERTIFICATE',
        {
          serial,
          message: `revoked by ${e.actor} at ${e.eventTime}${age}, but in neither report${young ? ' (may not be in the report yet)' : ''}`,
          evidence: { event: evidence },
        },
        young ? 'warning' : 'error',
      );
      continue;
    }
    const o = findSerialHex(oldIndex, e.serial);
    const rows = { ...(o >= 0 ? { old: rowOf(oldIndex, o) } : {}), new: rowOf(newIndex, n) };
    if ((newIndex.flags[n]! & FLAG_REVOKED) === 0) {
      add(
        'EVENT_WITHOUT_REVOCATION',
        {
          serial,
          message: `revoked by ${e.actor} at ${e.eventTime}${age}, not revoked in the new report${young ? ' (within the propagation allowance)' : ''}`,
          evidence: { event: evidence, ...rows },
        },
        young ? 'warning' : 'error',
      );
    }
  }

  // every revocation new in NEW, against the successful revoke events for its serial
  for (const n of plan.revoked) {
    const hex = entrySerialHex(newIndex, n);
    const serial = formatSerial(hex);
    const o = findSerialHex(oldIndex, hex);
    const rows = { ...(o >= 0 ? { old: rowOf(oldIndex, o) } : {}), new: rowOf(newIndex, n) };
    const candidates = revokesBySerial.get(hex);
    const revokedAt = revokedAtOf(newIndex, n);
    const reason = reasonName(reasonOf(newIndex, n));
    const revocation = {
      ...(Number.isNaN(revokedAt) ? {} : { revokedAt: formatInstant(revokedAt) }),
      ...(reason === undefined ? {} : { reason }),
    };
    if (candidates === undefined) {
      summary.unexplainedRevocations++;
      add('REVOKED_WITHOUT_EVENT', {
        serial,
        message: `revoked in the new report (${reason ?? 'no reason'} at ${revocation.revokedAt ?? 'an unknown time'}), but no successful RevokeCertificate call of this CA for it in the sources`,
        evidence: { revocation, ...rows },
      });
      continue;
    }
    summary.matchedRevocations++;
    // the call nearest to the revocation explains it
    const e = nearest(candidates, revokedAt);
    const t = parseInstant(e.eventTime);
    const evidence = { event: eventEvidence(e), revocation, ...rows };
    if (e.revocationReason !== undefined && reason !== undefined && e.revocationReason !== reason) {
      add('REVOCATION_REASON_MISMATCH', {
        serial,
        message: `revoked by ${e.actor} with reason ${e.revocationReason}, the new report says ${reason}`,
        evidence,
      });
    }
    if (!Number.isNaN(revokedAt) && Math.abs(t - revokedAt) > options.timeTolerance) {
      add('REVOCATION_TIME_MISMATCH', {
        serial,
        message: `RevokeCertificate called at ${e.eventTime}, the new report says revoked at ${formatInstant(revokedAt)} (${duration(t - revokedAt)} apart)`,
        evidence,
      });
    }
  }

  if (issueEvents > 0) {
    const spans =
      options.issuanceSpans ?? (Number.isNaN(earliest) ? [] : [[earliest, latest] as [number, number]]);
    const spanText = spans.map(([a, b]) => `${formatInstant(a)} to ${formatInstant(b)}`).join(', ');
    summary.issuance = {
      checked: true,
      why: `${issueEvents} IssueCertificate event${issueEvents === 1 ? '' : 's'} of this CA; certificates issued from ${spanText || 'nowhere'} checked`,
    };
    for (const n of plan.issued) {
      const hex = entrySerialHex(newIndex, n);
      if (issuedSerials.has(hex)) continue;
      const issuedAt = parseInstant(newRows.get(newIndex.offset[n]!)?.fields.issuedAt ?? '');
      // only certificates issued while the sources were recording can be expected in them
      if (!spans.some(([a, b]) => issuedAt >= a && issuedAt <= b)) continue;
      add('ISSUED_WITHOUT_EVENT', {
        serial: formatSerial(hex),
        message: `new in the new report, issued at ${formatInstant(issuedAt)}, but no successful IssueCertificate call of this CA for it in the sources`,
        evidence: { issuedAt: formatInstant(issuedAt), new: rowOf(newIndex, n) },
      });
    }
  }
  return summary;
}

function nearest(events: CloudTrailEvent[], t: number): CloudTrailEvent {
  if (Number.isNaN(t)) return events[0]!;
  let best = events[0]!;
  let bestGap = Math.abs(parseInstant(best.eventTime) - t);
  for (const e of events) {
    const gap = Math.abs(parseInstant(e.eventTime) - t);
    if (gap < bestGap) {
      best = e;
      bestGap = gap;
    }
  }
  return best;
}

/**
 * Whether an event is of this CA: PCA calls name it; ACM calls name no CA and are kept (to be
 * explained); ACME calls carry the certificate, whose serial ties it to this CA when either
 * report holds it.
 */
function belongsToCa(
  e: CloudTrailEvent,
  caArn: string | undefined,
  oldIndex: ReportIndex,
  newIndex: ReportIndex,
): 'ours' | 'other' {
  if (e.caArn !== undefined) return caArn === undefined || e.caArn === caArn ? 'ours' : 'other';
  if (e.serial !== undefined) {
    return findSerialHex(newIndex, e.serial) >= 0 || findSerialHex(oldIndex, e.serial) >= 0
      ? 'ours'
      : 'other';
  }
  return 'ours';
}

/**
 * When a report was made, from the CreateCertificateAuthorityAuditReport call that made it: the
 * report's file name (as AWS writes it, `<AuditReportId>.json|.csv`, maybe `.gz`) names the call.
 */
export function reportCreationEvent(
  source: string,
  events: readonly CloudTrailEvent[],
  caArn: string | undefined,
): CloudTrailEvent | undefined {
  const base = source.split(/[\\/]/).pop() ?? '';
  const id = base.replace(/\.gz$/i, '').replace(/\.(json|csv)$/i, '');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) return undefined;
  return events.find(
    (e) =>
      e.kind === 'audit-report' &&
      e.errorCode === undefined &&
      e.auditReportId === id &&
      (caArn === undefined || e.caArn === undefined || e.caArn === caArn),
  );
}
