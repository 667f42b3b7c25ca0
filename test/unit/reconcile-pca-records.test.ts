/**
 * Issue 14 items 1-3: the records AWS keeps beyond API calls (IssueCertificateDetails, PCA's own
 * EventBridge events, service events), built from the facts file's description of each shape.
 */
import { describe, expect, it } from 'vitest';
import type { FindingCode } from '../../src/core/finding.js';
import type { CloudTrailEvent } from '../../src/core/reconcile/cloudtrail/event.js';
import {
  anIssueDetailsRecord,
  anIssueRecord,
  aPcaEventBridgeEvent,
  aRecord,
  aRevokeRecord,
  aSerial,
  aServiceEventRecord,
  CA_ARN,
  certificateArnOf,
  epoch,
  eventsOf,
  OTHER_CA_ARN,
  type ReconcileRunOptions,
  type ReportRecord,
  reconcileRun,
  someRecords,
  type TrailRecord,
  toCsvReport,
  toJsonReport,
} from '../builders.js';

const OLD_AT = epoch('2026-11-19T02:00:00Z');
const NEW_AT = epoch('2026-11-20T02:00:00Z');
const WINDOW = { oldCreatedAt: OLD_AT, newCreatedAt: NEW_AT };
const COVERAGE = { earliest: epoch('2026-11-19T00:00:00Z'), latest: epoch('2026-11-20T03:00:00Z') };

const CODES: readonly FindingCode[] = [
  'REVOKED_WITHOUT_EVENT',
  'EVENT_WITHOUT_REVOCATION',
  'EVENT_FOR_UNKNOWN_CERTIFICATE',
  'REVOCATION_REASON_MISMATCH',
  'REVOCATION_TIME_MISMATCH',
  'REVOKE_ATTEMPT_FAILED',
  'ISSUED_WITHOUT_EVENT',
  'ISSUANCE_MISMATCH',
  'EVENT_UNMATCHABLE',
  'CRL_GENERATION_FAILED',
  'AUDIT_REPORT_GENERATION_FAILED',
];

function base(count = 4): ReportRecord[] {
  return someRecords(count, (i) => ({
    issuedAt: `2026-0${1 + i}-10T10:00:00+0000`,
    notBefore: `2026-0${1 + i}-10T09:00:00+0000`,
    notAfter: '2027-06-01T00:00:00+0000',
  }));
}

const newCert = (n: number, issuedAt: string, extra: Partial<ReportRecord> = {}) =>
  aRecord({
    serial: aSerial(n),
    subject: `CN=svc-${n}.prod.example.internal,OU=Platform,O=Example Corp,C=IE`,
    issuedAt: issuedAt.replace('Z', '+0000'),
    notBefore: '2026-11-19T00:00:00+0000',
    notAfter: '2027-11-19T00:00:00+0000',
    ...extra,
  });

const events = (...records: TrailRecord[]): CloudTrailEvent[] => eventsOf(records);

async function run(
  oldRecords: ReportRecord[],
  newRecords: ReportRecord[],
  evs: CloudTrailEvent[],
  options: ReconcileRunOptions = {},
  format: 'json' | 'csv9' = 'json',
) {
  const text = (r: ReportRecord[]) => (format === 'json' ? toJsonReport(r) : toCsvReport(r, { columns: 9 }));
  const r = await reconcileRun(text(oldRecords), text(newRecords), evs, {
    ...WINDOW,
    coverage: COVERAGE,
    ...options,
  });
  const findings = r.out.findings.filter((f) => CODES.includes(f.code));
  return { ...r, findings };
}

const only = (r: { findings: Array<{ code: string; serial?: string | undefined }> }) =>
  r.findings.map((f) => [f.code, f.serial]);

describe('issue 14 item 1: IssueCertificateDetails', () => {
  it('an ISSUED one explains a new certificate issued from a shared CA (no IssueCertificate in the trail)', async () => {
    const old = base();
    const shared = newCert(60, '2026-11-19T09:00:00Z');
    const unexplained = newCert(61, '2026-11-19T10:00:00Z');
    const r = await run(
      old,
      [...old, shared, unexplained],
      events(anIssueDetailsRecord(aSerial(60), '2026-11-19T09:00:01Z', { record: shared })),
    );
    expect(only(r)).toEqual([['ISSUED_WITHOUT_EVENT', aSerial(61)]]);
    expect(r.summary.issuance.checked).toBe(true);
    expect(r.summary.issuance.why).toMatch(/^1 IssueCertificateDetails event of this CA;/);
    expect(r.summary.issuanceDetailsChecked).toBe(1);
  });

  it('ISSUANCE_MISMATCH: one finding per differing field, both values in the evidence', async () => {
    const old = base();
    const signed = newCert(60, '2026-11-19T09:00:00Z');
    const reported = {
      ...signed,
      subject: 'CN=svc-evil.prod.example.internal,O=Example Corp,C=IE',
      notAfter: '2028-11-19T00:00:00+0000',
    };
    const r = await run(
      old,
      [...old, reported],
      events(anIssueDetailsRecord(aSerial(60), '2026-11-19T09:00:01Z', { record: signed })),
    );
    expect(only(r)).toEqual([
      ['ISSUANCE_MISMATCH', aSerial(60)],
      ['ISSUANCE_MISMATCH', aSerial(60)],
    ]);
    const byField = Object.fromEntries(r.findings.map((f) => [f.evidence.field, f]));
    expect(Object.keys(byField).sort()).toEqual(['notAfter', 'subject']);
    expect(byField.subject!.severity).toBe('error');
    expect(byField.subject!.evidence).toMatchObject({
      reportValue: reported.subject,
      eventValue: signed.subject,
      event: { eventName: 'IssueCertificateDetails' },
      new: { report: 'new' },
    });
    expect(byField.notAfter!.evidence).toMatchObject({
      reportValue: '2028-11-19T00:00:00+0000',
      eventValue: '2027-11-19T00:00:00Z',
    });
  });

  it('instants compare as instants, subjects after normalisation, templateArn as text', async () => {
    const old = base();
    const row = newCert(60, '2026-11-19T09:00:00Z', { subject: 'CN=a\\,b,O=Example Corp' });
    const same = await run(
      old,
      [...old, row],
      events(
        anIssueDetailsRecord(aSerial(60), '2026-11-19T09:00:01Z', {
          record: row,
          // the same instants and subject, written otherwise
          details: {
            issuedAt: '2026-11-19T10:00:00+01:00',
            notBefore: '2026-11-19T00:00:00.000Z',
            subject: 'CN=a\\2Cb,2.5.4.10=#0c0c4578616d706c6520436f7270',
          },
        }),
      ),
    );
    expect(same.findings).toEqual([]);
    const template = await run(
      old,
      [...old, row],
      events(
        anIssueDetailsRecord(aSerial(60), '2026-11-19T09:00:01Z', {
          record: row,
          details: { templateArn: 'arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1' },
        }),
      ),
    );
    expect(template.findings.map((f) => [f.code, f.evidence.field])).toEqual([
      ['ISSUANCE_MISMATCH', 'templateArn'],
    ]);
  });

  it('a 9-column CSV report has no templateArn to compare', async () => {
    const old = base();
    const row = newCert(60, '2026-11-19T09:00:00Z');
    const r = await run(
      old,
      [...old, row],
      events(
        anIssueDetailsRecord(aSerial(60), '2026-11-19T09:00:01Z', {
          record: row,
          details: { templateArn: 'arn:aws:acm-pca:::template/CodeSigningCertificate/V1' },
        }),
      ),
      {},
      'csv9',
    );
    expect(r.findings).toEqual([]);
  });

  it('any row of NEW with details is checked, not only the new ones (a certificate of OLD changed in both)', async () => {
    const old = base();
    const signed = old[2]!;
    const tampered = old.map((rec, i) => (i === 2 ? { ...rec, notBefore: '2025-01-01T00:00:00+0000' } : rec));
    const r = await run(
      tampered,
      tampered,
      events(anIssueDetailsRecord(signed.serial!, '2026-03-10T10:00:00Z', { record: signed })),
    );
    expect(r.findings.map((f) => [f.code, f.serial, f.evidence.field])).toEqual([
      ['ISSUANCE_MISMATCH', signed.serial, 'notBefore'],
    ]);
  });

  it('a FAILED one for a serial in the report is ISSUANCE_MISMATCH; it explains nothing and turns no check on', async () => {
    const old = base();
    const row = newCert(60, '2026-11-19T09:00:00Z');
    const r = await run(
      old,
      [...old, row],
      events(anIssueDetailsRecord(aSerial(60), '2026-11-19T09:00:01Z', { status: 'FAILED' })),
    );
    expect(only(r)).toEqual([['ISSUANCE_MISMATCH', aSerial(60)]]);
    expect(r.findings[0]!.evidence).toMatchObject({ field: 'status', event: { status: 'FAILED' } });
    expect(r.summary.issuance.checked).toBe(false);
    // a FAILED one for a serial in no report: nothing to say
    const none = await run(
      old,
      [...old],
      events(anIssueDetailsRecord(aSerial(61), '2026-11-19T09:00:01Z', { status: 'FAILED' })),
    );
    expect(none.findings).toEqual([]);
  });

  it('a status neither ISSUED nor FAILED is counted, neither compared nor an explanation', async () => {
    const old = base();
    const row = newCert(60, '2026-11-19T09:00:00Z');
    const r = await run(
      old,
      [...old, row],
      events(
        anIssueDetailsRecord(aSerial(60), '2026-11-19T09:00:01Z', {
          record: row,
          details: { status: 'PENDING', subject: 'CN=other' },
        }),
      ),
    );
    expect(r.findings).toEqual([]);
    expect(r.summary.inWindow).toBe(1);
    expect(r.summary.issuance.checked).toBe(false);
  });

  it("details of another CA are counted as another CA's, not compared", async () => {
    const old = base();
    const row = newCert(60, '2026-11-19T09:00:00Z');
    const r = await run(
      old,
      [...old, row],
      events(
        anIssueDetailsRecord(aSerial(60), '2026-11-19T09:00:01Z', {
          caArn: OTHER_CA_ARN,
          details: { subject: 'CN=other' },
        }),
      ),
    );
    expect(r.findings).toEqual([]);
    expect(r.summary.otherCa).toBe(1);
    expect(r.summary.issuanceDetailsChecked).toBe(0);
  });
});

describe("issue 14 item 2: PCA's own EventBridge events", () => {
  const revoked = (records: ReportRecord[], k: number, reason = 'KEY_COMPROMISE') =>
    records.map((r, i) =>
      i === k ? aRecord({ ...r, revokedAt: '2026-11-19T14:03:11+0000', revocationReason: reason }) : r,
    );

  it('a Certificate Revocation event explains a revocation: no REVOKED_WITHOUT_EVENT, no reason check', async () => {
    const old = base();
    const serial = old[1]!.serial!;
    const r = await run(
      old,
      revoked(old, 1, 'AFFILIATION_CHANGED'),
      events(
        aPcaEventBridgeEvent('ACM Private CA Certificate Revocation', '2026-11-19T14:03:12Z', {
          resource: certificateArnOf(serial),
        }),
      ),
    );
    expect(r.findings).toEqual([]);
    expect(r.summary.matchedRevocations).toBe(1);
    expect(r.summary.unexplainedRevocations).toBe(0);
  });

  it('beside the RevokeCertificate call, the call still speaks for the reason, once', async () => {
    const old = base();
    const serial = old[1]!.serial!;
    const r = await run(
      old,
      old,
      events(
        aRevokeRecord(serial, '2026-11-19T14:03:10Z', { reason: 'SUPERSEDED' }),
        aPcaEventBridgeEvent('ACM Private CA Certificate Revocation', '2026-11-19T14:03:12Z', {
          resource: certificateArnOf(serial),
        }),
      ),
    );
    // not revoked in NEW: one finding for the one revocation, the call's
    expect(
      r.findings.map((f) => [
        f.code,
        f.evidence.event && (f.evidence.event as { eventName: string }).eventName,
      ]),
    ).toEqual([['EVENT_WITHOUT_REVOCATION', 'RevokeCertificate']]);
    const mismatch = await run(
      old,
      revoked(old, 1, 'KEY_COMPROMISE'),
      events(
        aPcaEventBridgeEvent('ACM Private CA Certificate Revocation', '2026-11-19T14:03:11Z', {
          resource: certificateArnOf(serial),
        }),
        aRevokeRecord(serial, '2026-11-19T14:03:10Z', { reason: 'SUPERSEDED' }),
      ),
    );
    expect(only(mismatch)).toEqual([['REVOCATION_REASON_MISMATCH', serial]]);
  });

  it('a Revocation event alone for a certificate not revoked in NEW: EVENT_WITHOUT_REVOCATION', async () => {
    const old = base();
    const serial = old[2]!.serial!;
    const r = await run(
      old,
      old,
      events(
        aPcaEventBridgeEvent('ACM Private CA Certificate Revocation', '2026-11-19T10:00:00Z', {
          resource: certificateArnOf(serial),
        }),
      ),
    );
    expect(only(r)).toEqual([['EVENT_WITHOUT_REVOCATION', serial]]);
  });

  it('a Certificate Issuance event explains an issuance', async () => {
    const old = base();
    const a = newCert(60, '2026-11-19T09:00:00Z');
    const b = newCert(61, '2026-11-19T10:00:00Z');
    const r = await run(
      old,
      [...old, a, b],
      events(
        aPcaEventBridgeEvent('ACM Private CA Certificate Issuance', '2026-11-19T09:00:02Z', {
          resource: certificateArnOf(aSerial(60)),
        }),
      ),
    );
    expect(only(r)).toEqual([['ISSUED_WITHOUT_EVENT', aSerial(61)]]);
  });

  it('CRL_GENERATION_FAILED (error, with the reason) for a failed CRL Generation of this CA in the window', async () => {
    const old = base();
    const reason = 'Failed to write CRL to S3. Check your S3 bucket permissions.';
    const r = await run(
      old,
      old,
      events(
        aPcaEventBridgeEvent('ACM Private CA CRL Generation', '2026-11-19T12:00:00Z', {
          result: 'failure',
          reason,
        }),
        // outside the window, of another CA, or successful: no finding
        aPcaEventBridgeEvent('ACM Private CA CRL Generation', '2026-11-18T12:00:00Z', {
          result: 'failure',
          reason,
        }),
        aPcaEventBridgeEvent('ACM Private CA CRL Generation', '2026-11-19T12:00:00Z', {
          result: 'failure',
          reason,
          caArn: OTHER_CA_ARN,
        }),
        aPcaEventBridgeEvent('ACM Private CA CRL Generation', '2026-11-19T13:00:00Z'),
      ),
    );
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([['CRL_GENERATION_FAILED', 'error']]);
    expect(r.findings[0]!.evidence).toMatchObject({ event: { result: 'failure', failureReason: reason } });
    expect(r.summary.serviceEvents).toEqual({ 'ACM Private CA CRL Generation': 3 });
    expect(r.summary.otherCa).toBe(1);
    expect(r.summary.lastCrlGeneration).toMatchObject({ eventTime: '2026-11-19T13:00:00Z' });
  });

  it('AUDIT_REPORT_GENERATION_FAILED (warning) for a failed Audit Report Generation; a success is counted', async () => {
    const old = base();
    const r = await run(
      old,
      old,
      events(
        aPcaEventBridgeEvent('ACM Private CA Audit Report Generation', '2026-11-19T12:00:00Z', {
          result: 'failure',
          resource: '3b1c2a7e-0000-4c60-8a2e-9d4b7f0e1c35',
        }),
        aPcaEventBridgeEvent('ACM Private CA Audit Report Generation', '2026-11-19T12:30:00Z', {
          resource: '4c2d3b8f-0000-4c60-8a2e-9d4b7f0e1c35',
        }),
        aPcaEventBridgeEvent('ACM Private CA Certificate Authority Creation', '2026-11-19T12:40:00Z'),
      ),
    );
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([
      ['AUDIT_REPORT_GENERATION_FAILED', 'warning'],
    ]);
    expect(r.findings[0]!.evidence).toMatchObject({
      event: { auditReportId: '3b1c2a7e-0000-4c60-8a2e-9d4b7f0e1c35' },
    });
    expect(r.summary.serviceEvents).toEqual({
      'ACM Private CA Audit Report Generation': 2,
      'ACM Private CA Certificate Authority Creation': 1,
    });
    expect(r.summary.inWindow).toBe(3);
  });
});

describe('issue 14 item 3: service events', () => {
  it('GenerateCRL, SignCRL, GenerateOCSPResponse, SignOCSPResponse, SignCACSR are read and counted; the last CRL generation kept', async () => {
    const old = base();
    const r = await run(
      old,
      old,
      events(
        aServiceEventRecord('GenerateCRL', '2026-11-19T06:00:00Z'),
        aServiceEventRecord('SignCRL', '2026-11-19T06:00:01Z'),
        aServiceEventRecord('GenerateCRL', '2026-11-19T18:00:00Z'),
        aServiceEventRecord('SignCRL', '2026-11-19T18:00:01Z'),
        aServiceEventRecord('GenerateOCSPResponse', '2026-11-19T19:00:00Z'),
        aServiceEventRecord('SignOCSPResponse', '2026-11-19T19:00:01Z'),
        aServiceEventRecord('SignCACSR', '2026-11-19T20:00:00Z'),
        // later, but failed, or of another CA: not the last successful generation of this CA
        aServiceEventRecord('GenerateCRL', '2026-11-19T21:00:00Z', {
          extra: { errorCode: 'InternalFailure' },
        }),
        aServiceEventRecord('GenerateCRL', '2026-11-19T22:00:00Z', { caArn: OTHER_CA_ARN }),
      ),
    );
    expect(r.summary.serviceEvents).toEqual({
      GenerateCRL: 3,
      GenerateOCSPResponse: 1,
      SignCACSR: 1,
      SignCRL: 2,
      SignOCSPResponse: 1,
    });
    expect(r.summary.lastCrlGeneration).toMatchObject({
      eventTime: '2026-11-19T18:00:00Z',
      eventName: 'GenerateCRL',
    });
    // the failed GenerateCRL in the window
    expect(r.findings.map((f) => f.code)).toEqual(['CRL_GENERATION_FAILED']);
  });

  it('a CRL Generation event later than the last GenerateCRL is the last generation', async () => {
    const old = base();
    const r = await run(
      old,
      old,
      events(
        aServiceEventRecord('GenerateCRL', '2026-11-19T06:00:00Z'),
        aPcaEventBridgeEvent('ACM Private CA CRL Generation', '2026-11-19T06:30:00Z'),
      ),
    );
    expect(r.summary.lastCrlGeneration).toMatchObject({
      eventTime: '2026-11-19T06:30:00Z',
      eventName: 'ACM Private CA CRL Generation',
    });
  });

  it('IssueCertificate and its details are one issuance: no double counting of findings', async () => {
    const old = base();
    const a = newCert(60, '2026-11-19T09:00:00Z');
    const r = await run(
      old,
      [...old, a],
      events(
        anIssueRecord(aSerial(60), '2026-11-19T09:00:00Z'),
        anIssueDetailsRecord(aSerial(60), '2026-11-19T09:00:01Z', { record: a }),
      ),
    );
    expect(r.findings).toEqual([]);
    expect(r.summary.issuance.why).toMatch(
      /^1 IssueCertificate, 1 IssueCertificateDetails events of this CA;/,
    );
    expect(CA_ARN).toBe(r.newIndex.caArn);
  });
});
