/**
 * Reconciles what changed between two reports with what CloudTrail recorded: every new revocation
 * should have its RevokeCertificate call (or PCA's Revocation event), every successful call its
 * revocation, (when the sources hold issuance events) every new certificate its IssueCertificate
 * call, IssueCertificateDetails or Issuance event, and every row with an IssueCertificateDetails the
 * fields the CA signed. Service events and PCA's events tied to no certificate are counted; failed
 * CRL and audit report generations are findings.
 */

import type { DiffPlan } from '../diff/diff.js';
import type { Finding, FindingCode, FindingCollector, Severity } from '../finding.js';
import { findingMessage } from '../finding-catalogue.js';
import { formatInstant, parseInstant } from '../instant.js';
import { isInstantField } from '../report/report-fields.js';
import {
  entrySerialHex,
  FLAG_REVOKED,
  findSerialHex,
  lineOf,
  type ReportIndex,
  reasonOf,
  revokedAtOf,
} from '../report/report-index.js';
import type { RowsByOffset } from '../report/report-model.js';
import { reasonName } from '../report/revocation-reason.js';
import { formatSerial } from '../report/serial.js';
import { displaySubject } from '../report/subject.js';
import {
  type CloudTrailEvent,
  type IssuedFields,
  PCA_EVENTBRIDGE_SOURCE,
  succeeded,
} from './cloudtrail/event.js';

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
  /**
   * whether new certificates were checked against issuance events (IssueCertificate calls,
   * IssueCertificateDetails, PCA's Certificate Issuance events), and why (not)
   */
  issuance: { checked: boolean; why: string };
  /**
   * rows of NEW compared field by field with the IssueCertificateDetails of their serial: every
   * row whose serial has one of this CA in the sources, whenever it was issued
   */
  issuanceDetailsChecked: number;
  /**
   * events of this CA read and counted but tied to no certificate, by eventName: service events
   * (GenerateCRL, SignCRL, GenerateOCSPResponse, SignOCSPResponse, SignCACSR) and PCA's own
   * EventBridge events (CRL Generation, Audit Report Generation, …); failures among them are findings
   */
  serviceEvents: Record<string, number>;
  /** the CA's latest successful CRL generation in the sources (GenerateCRL, or a CRL Generation event) */
  lastCrlGeneration?: { eventTime: string; eventID: string; eventName: string };
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
    ...(e.result === undefined ? {} : { result: e.result }),
    ...(e.failureReason === undefined ? {} : { failureReason: e.failureReason }),
    ...(e.status === undefined ? {} : { status: e.status }),
    ...(e.statusReason === undefined ? {} : { statusReason: e.statusReason }),
    ...(e.auditReportId === undefined ? {} : { auditReportId: e.auditReportId }),
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
  const add = (code: FindingCode, f: Omit<Finding, 'code' | 'severity'>, severity?: Severity) =>
    findings.offer(code, () => ({ ...(severity === undefined ? {} : { severity }), ...f }));
  const summary: ReconciliationSummary = {
    events: events.length,
    inWindow: 0,
    outsideWindow: 0,
    otherCa: 0,
    matchedRevocations: 0,
    unexplainedRevocations: 0,
    issuance: { checked: false, why: 'no IssueCertificate events of this CA in the sources' },
    issuanceDetailsChecked: 0,
    serviceEvents: {},
  };
  const { earliest, latest } = options.coverage;
  if (!Number.isNaN(earliest))
    summary.coverage = { from: formatInstant(earliest), to: formatInstant(latest) };

  /** successful revoke events of this CA by serial (any time), and issue events by serial */
  const revokesBySerial = new Map<string, CloudTrailEvent[]>();
  const issuedSerials = new Set<string>();
  /** IssueCertificateDetails of this CA by serial: ISSUED ones, and FAILED ones */
  const detailsBySerial = new Map<string, CloudTrailEvent[]>();
  const failedBySerial = new Map<string, CloudTrailEvent>();
  /** issuance events of this CA by eventName */
  const issueEvents: Record<string, number> = {};
  const ours: CloudTrailEvent[] = [];
  for (const e of events) {
    if (e.kind === 'audit-report' && e.eventSource !== PCA_EVENTBRIDGE_SOURCE) {
      if (caArn !== undefined && e.caArn !== caArn) summary.otherCa++;
      continue;
    }
    const mine = belongsToCa(e, caArn, oldIndex, newIndex);
    if (mine === 'other') {
      summary.otherCa++;
      continue;
    }
    const t = parseInstant(e.eventTime);
    const inside = inWindow(t, from, to);
    if (!inside) summary.outsideWindow++;
    else summary.inWindow++;
    if (e.kind === 'crl' || e.kind === 'service' || e.kind === 'audit-report') {
      serviceEvent(e, inside);
      continue;
    }
    ours.push(e);
    if (e.serial === undefined) continue;
    if (e.kind === 'issue-details') {
      // ISSUED or FAILED (the facts file knows no other status): any other one is counted, not used
      const status = e.status?.toUpperCase();
      // like a failed call, a FAILED one does not turn the ISSUED_WITHOUT_EVENT check on
      if (e.errorCode !== undefined || status === 'FAILED') failedBySerial.set(e.serial, e);
      else if (status === 'ISSUED') {
        issueEvents[e.eventName] = (issueEvents[e.eventName] ?? 0) + 1;
        issuedSerials.add(e.serial);
        const list = detailsBySerial.get(e.serial) ?? [];
        list.push(e);
        detailsBySerial.set(e.serial, list);
      }
      continue;
    }
    if (!succeeded(e)) continue;
    if (e.kind === 'revoke') {
      const list = revokesBySerial.get(e.serial) ?? [];
      list.push(e);
      revokesBySerial.set(e.serial, list);
    } else if (e.kind === 'issue') {
      issuedSerials.add(e.serial);
      issueEvents[e.eventName] = (issueEvents[e.eventName] ?? 0) + 1;
    }
  }

  /** A service event or PCA's event of this CA tied to no certificate: counted; a failure in the window is a finding. */
  function serviceEvent(e: CloudTrailEvent, inside: boolean): void {
    summary.serviceEvents[e.eventName] = (summary.serviceEvents[e.eventName] ?? 0) + 1;
    const ok = succeeded(e);
    if (e.kind === 'crl' && ok) {
      const last = summary.lastCrlGeneration;
      if (last === undefined || e.eventTime > last.eventTime)
        summary.lastCrlGeneration = { eventTime: e.eventTime, eventID: e.eventID, eventName: e.eventName };
    }
    if (ok || !inside || e.kind === 'service') return;
    const why = e.failureReason ?? e.errorMessage ?? e.statusReason ?? e.errorCode;
    const code = e.kind === 'crl' ? 'CRL_GENERATION_FAILED' : 'AUDIT_REPORT_GENERATION_FAILED';
    add(code, {
      message: findingMessage(code, { eventName: e.eventName, at: e.eventTime, why }),
      evidence: { event: eventEvidence(e) },
    });
  }

  for (const e of ours) {
    const t = parseInstant(e.eventTime);
    if (!inWindow(t, from, to)) continue;
    const evidence = eventEvidence(e);
    if (!succeeded(e)) {
      if (e.kind !== 'revoke') continue;
      const why = e.errorMessage ?? e.failureReason;
      add('REVOKE_ATTEMPT_FAILED', {
        ...(e.serial === undefined ? {} : { serial: formatSerial(e.serial) }),
        message: findingMessage('REVOKE_ATTEMPT_FAILED', {
          eventName: e.eventName,
          actor: e.actor,
          error: e.errorCode ?? `result ${e.result}`,
          why,
        }),
        evidence: { event: evidence },
      });
      continue;
    }
    if (e.unmatchable !== undefined || e.serial === undefined) {
      add('EVENT_UNMATCHABLE', {
        message: findingMessage('EVENT_UNMATCHABLE', {
          eventSource: e.eventSource,
          eventName: e.eventName,
          actor: e.actor,
          at: e.eventTime,
          why: e.unmatchable ?? 'no serial',
        }),
        evidence: { event: evidence },
      });
      continue;
    }
    if (e.kind !== 'revoke') continue;
    // PCA's Revocation event and the RevokeCertificate call it follows are one revocation: the call speaks
    if (
      e.eventSource === PCA_EVENTBRIDGE_SOURCE &&
      revokesBySerial.get(e.serial)?.some((c) => c.eventSource !== PCA_EVENTBRIDGE_SOURCE)
    )
      continue;
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
          message: findingMessage('EVENT_FOR_UNKNOWN_CERTIFICATE', {
            actor: e.actor,
            at: e.eventTime,
            age,
            young,
          }),
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
          message: findingMessage('EVENT_WITHOUT_REVOCATION', {
            actor: e.actor,
            at: e.eventTime,
            age,
            young,
          }),
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
        message: findingMessage('REVOKED_WITHOUT_EVENT', { reason, revokedAt: revocation.revokedAt }),
        evidence: { revocation, ...rows },
      });
      continue;
    }
    summary.matchedRevocations++;
    // the call nearest to the revocation explains it; PCA's Revocation events (no reason, no
    // actor) only when there is no call
    const calls = candidates.filter((c) => c.eventSource !== PCA_EVENTBRIDGE_SOURCE);
    const e = nearest(calls.length > 0 ? calls : candidates, revokedAt);
    const t = parseInstant(e.eventTime);
    const evidence = { event: eventEvidence(e), revocation, ...rows };
    if (e.revocationReason !== undefined && reason !== undefined && e.revocationReason !== reason) {
      add('REVOCATION_REASON_MISMATCH', {
        serial,
        message: findingMessage('REVOCATION_REASON_MISMATCH', {
          actor: e.actor,
          eventReason: e.revocationReason,
          reportReason: reason,
        }),
        evidence,
      });
    }
    if (!Number.isNaN(revokedAt) && Math.abs(t - revokedAt) > options.timeTolerance) {
      add('REVOCATION_TIME_MISMATCH', {
        serial,
        message: findingMessage('REVOCATION_TIME_MISMATCH', {
          pcaEvent: e.eventSource === PCA_EVENTBRIDGE_SOURCE ? e.eventName : undefined,
          at: e.eventTime,
          revokedAt: formatInstant(revokedAt),
          apart: duration(t - revokedAt),
        }),
        evidence,
      });
    }
  }

  const issueTotal = Object.values(issueEvents).reduce((a, b) => a + b, 0);
  if (issueTotal > 0) {
    const spans =
      options.issuanceSpans ?? (Number.isNaN(earliest) ? [] : [[earliest, latest] as [number, number]]);
    const spanText = spans.map(([a, b]) => `${formatInstant(a)} to ${formatInstant(b)}`).join(', ');
    const names = Object.entries(issueEvents)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, n]) => `${n} ${name}`)
      .join(', ');
    summary.issuance = {
      checked: true,
      why: `${names} event${issueTotal === 1 ? '' : 's'} of this CA; certificates issued from ${spanText || 'nowhere'} checked`,
    };
    for (const n of plan.issued) {
      const hex = entrySerialHex(newIndex, n);
      if (issuedSerials.has(hex)) continue;
      const issuedAt = parseInstant(newRows.get(newIndex.offset[n]!)?.fields.issuedAt ?? '');
      // only certificates issued while the sources were recording can be expected in them
      if (!spans.some(([a, b]) => issuedAt >= a && issuedAt <= b)) continue;
      add('ISSUED_WITHOUT_EVENT', {
        serial: formatSerial(hex),
        message: findingMessage('ISSUED_WITHOUT_EVENT', { issuedAt: formatInstant(issuedAt) }),
        evidence: { issuedAt: formatInstant(issuedAt), new: rowOf(newIndex, n) },
      });
    }
  }

  // every row of NEW whose serial has an IssueCertificateDetails, against it (the caller read
  // those rows back: rowsForReconcile); the details are what the CA signed, the row what it reports
  const seen = new Set<string>();
  for (const [hex, list] of detailsBySerial) {
    const n = findSerialHex(newIndex, hex);
    const row = n < 0 ? undefined : newRows.get(newIndex.offset[n]!);
    if (row === undefined) continue;
    summary.issuanceDetailsChecked++;
    for (const e of list) {
      for (const field of ISSUED_FIELDS) {
        const eventValue = e.issued?.[field];
        if (eventValue === undefined) continue;
        // a 9-column CSV has no templateArn to compare
        if (field === 'templateArn' && !newIndex.hasExtended) continue;
        const reportValue = row.fields[field];
        if (sameIssuedValue(field, reportValue, eventValue)) continue;
        const key = `${hex} ${field} ${eventValue}`;
        if (seen.has(key)) continue;
        seen.add(key);
        add('ISSUANCE_MISMATCH', {
          serial: formatSerial(hex),
          message: findingMessage('ISSUANCE_MISMATCH', {
            field,
            reportValue: shownValue(field, reportValue),
            eventValue: shownValue(field, eventValue),
          }),
          evidence: {
            field,
            ...(reportValue === undefined ? {} : { reportValue }),
            eventValue,
            event: eventEvidence(e),
            new: rowOf(newIndex, n),
          },
        });
      }
    }
  }
  for (const [hex, e] of failedBySerial) {
    if (detailsBySerial.has(hex)) continue; // issued after all: a retry, or one delivered twice
    const n = findSerialHex(newIndex, hex);
    if (n < 0) continue;
    add('ISSUANCE_MISMATCH', {
      serial: formatSerial(hex),
      message: findingMessage('ISSUANCE_MISMATCH', {
        status: String(e.status),
        statusReason: e.statusReason,
      }),
      evidence: { field: 'status', event: eventEvidence(e), new: rowOf(newIndex, n) },
    });
  }
  return summary;
}

const ISSUED_FIELDS: ReadonlyArray<keyof IssuedFields> = [
  'subject',
  'notBefore',
  'notAfter',
  'issuedAt',
  'templateArn',
];

/** Instants compare as instants, subjects after normalisation (displaySubject), the rest as text. */
function sameIssuedValue(field: keyof IssuedFields, a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  if (a === b) return true;
  if (field === 'subject') return displaySubject(a) === displaySubject(b);
  if (isInstantField(field)) {
    const x = parseInstant(a);
    return !Number.isNaN(x) && x === parseInstant(b);
  }
  return false;
}

function shownValue(field: keyof IssuedFields, v: string | undefined): string {
  if (v === undefined) return 'nothing';
  if (!isInstantField(field)) return v;
  const t = parseInstant(v);
  return Number.isNaN(t) ? JSON.stringify(v) : formatInstant(t);
}

/**
 * The rows of NEW that reconcile compares beyond those of the diff's changes: those whose serial
 * has an IssueCertificateDetails of this CA in the events (byte offsets, ascending).
 */
export function rowsForReconcile(
  events: readonly CloudTrailEvent[],
  newIndex: ReportIndex,
  caArn: string | undefined,
): number[] {
  const out = new Set<number>();
  for (const e of events) {
    if (e.kind !== 'issue-details' || e.serial === undefined) continue;
    if (caArn !== undefined && e.caArn !== undefined && e.caArn !== caArn) continue;
    const n = findSerialHex(newIndex, e.serial);
    if (n >= 0) out.add(newIndex.offset[n]!);
  }
  return [...out].sort((a, b) => a - b);
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
      e.eventName === 'CreateCertificateAuthorityAuditReport' &&
      e.errorCode === undefined &&
      e.auditReportId === id &&
      (caArn === undefined || e.caArn === undefined || e.caArn === caArn),
  );
}
