import { describe, expect, it } from 'vitest';
import type { Finding, FindingCode } from '../../src/core/finding.js';
import type { CertificateDecoder, CloudTrailEvent } from '../../src/core/reconcile/cloudtrail/event.js';
import { reportCreationEvent } from '../../src/core/reconcile/reconcile.js';
import {
  ALICE_ROLE_ARN,
  anAuditReportRecord,
  anIssueRecord,
  aRecord,
  aRevokeRecord,
  aSerial,
  epoch,
  eventsOf,
  OTHER_CA_ARN,
  type ReconcileRunOptions,
  type ReportRecord,
  reconcileRun,
  someRecords,
  type TrailRecord,
  toJsonReport,
} from '../builders.js';

const OLD_AT = epoch('2026-11-19T02:00:00Z');
const NEW_AT = epoch('2026-11-20T02:00:00Z');
const WINDOW = { oldCreatedAt: OLD_AT, newCreatedAt: NEW_AT };
const REVOKED_AT = '2026-11-19T14:03:11Z';

const RECONCILE_CODES: readonly FindingCode[] = [
  'REVOKED_WITHOUT_EVENT',
  'EVENT_WITHOUT_REVOCATION',
  'EVENT_FOR_UNKNOWN_CERTIFICATE',
  'REVOCATION_REASON_MISMATCH',
  'REVOCATION_TIME_MISMATCH',
  'REVOKE_ATTEMPT_FAILED',
  'ISSUED_WITHOUT_EVENT',
  'EVENT_UNMATCHABLE',
];

/** Five certificates issued long before the window, valid long after it. */
function base(count = 5): ReportRecord[] {
  return someRecords(count, (i) => ({
    issuedAt: `2026-0${1 + i}-10T10:00:00+0000`,
    notBefore: `2026-0${1 + i}-10T09:00:00+0000`,
    notAfter: '2027-06-01T00:00:00+0000',
  }));
}

/** NEW: base with certificate k revoked at REVOKED_AT for KEY_COMPROMISE (or as given). */
function revokedIn(records: ReportRecord[], k: number, at = REVOKED_AT, reason = 'KEY_COMPROMISE') {
  return records.map((r, i) =>
    i === k ? aRecord({ ...r, revokedAt: at.replace('Z', '+0000'), revocationReason: reason }) : r,
  );
}

/** The ACME decoder stand-in: the "certificate" text is the serial itself. */
const serialDecoder: CertificateDecoder = (text) =>
  text === 'garbage'
    ? { ok: false, reason: 'not a DER certificate' }
    : { ok: true, serial: text, issuer: 'CN=Root' };

const events = (...records: TrailRecord[]) => eventsOf(records, serialDecoder);

async function run(
  oldRecords: ReportRecord[],
  newRecords: ReportRecord[],
  evs: CloudTrailEvent[],
  options: ReconcileRunOptions = {},
) {
  const r = await reconcileRun(toJsonReport(oldRecords), toJsonReport(newRecords), evs, {
    ...WINDOW,
    ...options,
  });
  const findings = r.out.findings.filter((f) => RECONCILE_CODES.includes(f.code));
  return { ...r, findings };
}

const only = (findings: Finding[]) => findings.map((f) => [f.code, f.severity, f.serial]);
const hex = (colon: string) => colon.replace(/:/g, '');
const at = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

/** An ACME RevokeCertificate record whose certificate (for serialDecoder) is the serial. */
function acmeRevoke(serialHex: string, eventTime: string): TrailRecord {
  return {
    eventVersion: '1.11',
    userIdentity: {
      type: 'AssumedRole',
      arn: 'arn:aws:sts::111122223333:assumed-role/acme/s',
      invokedBy: 'acm-acme.amazonaws.com',
    },
    eventTime,
    eventSource: 'acm-acme.amazonaws.com',
    eventName: 'RevokeCertificate',
    awsRegion: 'eu-west-1',
    requestParameters: { serverUuid: 'a1b2c3d4', certificate: serialHex },
    responseElements: null,
    eventID: `acme-${serialHex}-${eventTime}`,
    eventCategory: 'Data',
    recipientAccountId: '111122223333',
  };
}

describe('reconcile: new revocations against RevokeCertificate calls', () => {
  it('a revocation with its call: no finding, matched and counted in the window', async () => {
    const old = base();
    const r = await run(old, revokedIn(old, 2), events(aRevokeRecord(aSerial(2), REVOKED_AT)));
    expect(r.findings).toEqual([]);
    expect(r.summary).toMatchObject({
      events: 1,
      inWindow: 1,
      outsideWindow: 0,
      otherCa: 0,
      matchedRevocations: 1,
      unexplainedRevocations: 0,
      issuance: { checked: false, why: 'no IssueCertificate events of this CA in the sources' },
      coverage: { from: REVOKED_AT, to: REVOKED_AT },
    });
  });

  it('serials written in other forms still match (uppercase, no colons, 00 sign octet)', async () => {
    const old = base();
    for (const written of [hex(aSerial(2)).toUpperCase(), `00${hex(aSerial(2))}`, aSerial(2).toUpperCase()]) {
      const r = await run(old, revokedIn(old, 2), events(aRevokeRecord(written, REVOKED_AT)));
      expect(r.findings, written).toEqual([]);
      expect(r.summary.matchedRevocations).toBe(1);
    }
  });

  it('REVOKED_WITHOUT_EVENT: no call at all; the evidence is the revocation and the rows', async () => {
    const old = base();
    const r = await run(
      old,
      revokedIn(old, 3),
      events(aRevokeRecord(aSerial(1), REVOKED_AT, { caArn: OTHER_CA_ARN })),
    );
    expect(only(r.findings)).toEqual([['REVOKED_WITHOUT_EVENT', 'error', aSerial(3)]]);
    const f = r.findings[0]!;
    expect(f.message).toBe(
      `revoked in the new report (KEY_COMPROMISE at ${REVOKED_AT}), but no successful RevokeCertificate call of this CA for it in the sources`,
    );
    expect(f.evidence).toMatchObject({
      revocation: { revokedAt: REVOKED_AT, reason: 'KEY_COMPROMISE' },
      old: { report: 'old', line: 5 },
      new: { report: 'new', line: 5 },
    });
    expect(r.summary.unexplainedRevocations).toBe(1);
    expect(r.summary.otherCa).toBe(1);
  });

  it('REVOKED_WITHOUT_EVENT also for a certificate issued and revoked between the reports', async () => {
    const old = base();
    const added = aRecord({
      serial: aSerial(50),
      issuedAt: '2026-11-19T09:00:00+0000',
      notBefore: '2026-11-19T08:00:00+0000',
      notAfter: '2027-11-19T09:00:00+0000',
      revokedAt: '2026-11-19T10:00:00+0000',
      revocationReason: 'SUPERSEDED',
    });
    const r = await run(old, [...old, added], []);
    expect(only(r.findings)).toEqual([['REVOKED_WITHOUT_EVENT', 'error', aSerial(50)]]);
    expect(r.findings[0]!.evidence).not.toHaveProperty('old');
  });

  it('a failed call does not explain a revocation: REVOKED_WITHOUT_EVENT and REVOKE_ATTEMPT_FAILED', async () => {
    const old = base();
    const r = await run(
      old,
      revokedIn(old, 2),
      events(
        aRevokeRecord(aSerial(2), '2026-11-19T14:00:00Z', {
          errorCode: 'AccessDeniedException',
          errorMessage: 'User is not authorized to perform: acm-pca:RevokeCertificate',
        }),
      ),
    );
    expect(only(r.findings)).toEqual([
      ['REVOKED_WITHOUT_EVENT', 'error', aSerial(2)],
      ['REVOKE_ATTEMPT_FAILED', 'info', aSerial(2)],
    ]);
    expect(r.findings[1]!.message).toBe(
      `RevokeCertificate by ${ALICE_ROLE_ARN} failed with AccessDeniedException: User is not authorized to perform: acm-pca:RevokeCertificate`,
    );
    expect(r.summary.matchedRevocations).toBe(0);
  });

  it('a failed call for an already revoked certificate beside the successful one: info only', async () => {
    const old = base();
    const r = await run(
      old,
      revokedIn(old, 2),
      events(
        aRevokeRecord(aSerial(2), REVOKED_AT),
        aRevokeRecord(aSerial(2), '2026-11-19T15:00:00Z', { errorCode: 'RequestAlreadyProcessedException' }),
      ),
    );
    expect(only(r.findings)).toEqual([['REVOKE_ATTEMPT_FAILED', 'info', aSerial(2)]]);
    expect(r.findings[0]!.message).toBe(
      `RevokeCertificate by ${ALICE_ROLE_ARN} failed with RequestAlreadyProcessedException`,
    );
  });

  it('a failed call outside the window, or of another CA: nothing', async () => {
    const old = base();
    const r = await run(
      old,
      old,
      events(
        aRevokeRecord(aSerial(2), '2026-11-18T15:00:00Z', { errorCode: 'ValidationException' }),
        aRevokeRecord(aSerial(2), REVOKED_AT, { errorCode: 'ValidationException', caArn: OTHER_CA_ARN }),
      ),
    );
    expect(r.findings).toEqual([]);
    expect(r.summary).toMatchObject({ outsideWindow: 1, otherCa: 1, inWindow: 0 });
  });

  it('REVOCATION_REASON_MISMATCH: the call gave another reason', async () => {
    const old = base();
    const r = await run(
      old,
      revokedIn(old, 1),
      events(aRevokeRecord(aSerial(1), REVOKED_AT, { reason: 'SUPERSEDED' })),
    );
    expect(only(r.findings)).toEqual([['REVOCATION_REASON_MISMATCH', 'error', aSerial(1)]]);
    expect(r.findings[0]!.message).toBe(
      `revoked by ${ALICE_ROLE_ARN} with reason SUPERSEDED, the new report says KEY_COMPROMISE`,
    );
    expect(r.findings[0]!.evidence).toMatchObject({
      event: { revocationReason: 'SUPERSEDED', eventTime: REVOKED_AT, origin: { source: 'trail.json' } },
      revocation: { reason: 'KEY_COMPROMISE' },
    });
  });

  it('REVOCATION_TIME_MISMATCH: beyond the tolerance only (the boundary itself is within)', async () => {
    const old = base();
    const t = epoch(REVOKED_AT);
    const cases: Array<[number, boolean]> = [
      [0, false],
      [300, false],
      [-300, false],
      [301, true],
      [-301, true],
      [3600 * 5, true],
    ];
    for (const [delta, mismatch] of cases) {
      const r = await run(old, revokedIn(old, 1), events(aRevokeRecord(aSerial(1), at(t + delta))), {
        timeTolerance: 300,
      });
      expect(only(r.findings), `call ${delta} s from revokedAt`).toEqual(
        mismatch ? [['REVOCATION_TIME_MISMATCH', 'warning', aSerial(1)]] : [],
      );
    }
    const r = await run(old, revokedIn(old, 1), events(aRevokeRecord(aSerial(1), at(t + 301))), {
      timeTolerance: 300,
    });
    expect(r.findings[0]!.message).toBe(
      `RevokeCertificate called at ${at(t + 301)}, the new report says revoked at ${REVOKED_AT} (5 min apart)`,
    );
  });

  it('several calls for one serial: the nearest to revokedAt explains it', async () => {
    const old = base();
    const r = await run(
      old,
      revokedIn(old, 1),
      events(
        aRevokeRecord(aSerial(1), '2026-11-19T03:00:00Z', { reason: 'SUPERSEDED' }),
        aRevokeRecord(aSerial(1), '2026-11-19T14:04:00Z'),
      ),
    );
    expect(r.findings).toEqual([]);
  });
});

describe('reconcile: successful calls against NEW', () => {
  it('EVENT_WITHOUT_REVOCATION: warning while younger than the allowance, error from the boundary on', async () => {
    const old = base();
    const cases: Array<[number, 'warning' | 'error']> = [
      [1, 'warning'],
      [3599, 'warning'],
      [3600, 'error'],
      [3601, 'error'],
      [20 * 3600, 'error'],
    ];
    for (const [age, severity] of cases) {
      const r = await run(old, old, events(aRevokeRecord(aSerial(4), at(NEW_AT - age))), {
        propagationAllowance: 3600,
      });
      expect(only(r.findings), `call ${age} s before NEW`).toEqual([
        ['EVENT_WITHOUT_REVOCATION', severity, aSerial(4)],
      ]);
      const msg = r.findings[0]!.message;
      expect(msg.includes('(within the propagation allowance)'), msg).toBe(severity === 'warning');
    }
  });

  it('EVENT_WITHOUT_REVOCATION names the call and both rows', async () => {
    const old = base();
    const evs = events(aRevokeRecord(aSerial(4), '2026-11-19T20:00:00Z'));
    const r = await run(old, old, evs);
    const f = r.findings[0]!;
    expect(f.message).toBe(
      `revoked by ${ALICE_ROLE_ARN} at 2026-11-19T20:00:00Z (6 h before the new report was made), not revoked in the new report`,
    );
    expect(f.evidence).toMatchObject({
      event: { eventID: evs[0]!.eventID, actor: ALICE_ROLE_ARN, caArn: evs[0]!.caArn },
      old: { report: 'old', line: 6 },
      new: { report: 'new', line: 6 },
    });
  });

  it('the allowance is a flag: 0 makes every unrevoked call an error', async () => {
    const old = base();
    const r = await run(old, old, events(aRevokeRecord(aSerial(4), at(NEW_AT - 1))), {
      propagationAllowance: 0,
    });
    expect(only(r.findings)).toEqual([['EVENT_WITHOUT_REVOCATION', 'error', aSerial(4)]]);
  });

  it('calls outside the window (before OLD, after NEW) are not expected in this diff', async () => {
    const old = base();
    const r = await run(
      old,
      old,
      events(aRevokeRecord(aSerial(4), at(OLD_AT)), aRevokeRecord(aSerial(3), at(NEW_AT + 1))),
    );
    expect(r.findings).toEqual([]);
    expect(r.summary).toMatchObject({ inWindow: 0, outsideWindow: 2 });
    // the window is (OLD, NEW]: a call at NEW exactly is in it
    const atNew = await run(old, old, events(aRevokeRecord(aSerial(4), at(NEW_AT))));
    expect(only(atNew.findings)).toEqual([['EVENT_WITHOUT_REVOCATION', 'warning', aSerial(4)]]);
  });

  it('EVENT_FOR_UNKNOWN_CERTIFICATE: a serial in neither report', async () => {
    const old = base();
    const r = await run(old, old, events(aRevokeRecord('7f:00:00:01', '2026-11-19T05:00:00Z')));
    expect(only(r.findings)).toEqual([['EVENT_FOR_UNKNOWN_CERTIFICATE', 'error', '7f:00:00:01']]);
    expect(r.findings[0]!.message).toMatch(/, but in neither report$/);
  });

  it('a call for a certificate that disappeared from NEW: CERTIFICATE_DISAPPEARED says it, not reconcile', async () => {
    const old = base();
    const r = await run(old, old.slice(0, 4), events(aRevokeRecord(aSerial(4), REVOKED_AT)));
    expect(r.findings).toEqual([]);
    expect(r.out.findings.map((f) => f.code)).toEqual(['CERTIFICATE_DISAPPEARED']);
  });

  it('events of another CA are ignored and counted', async () => {
    const old = base();
    const r = await run(
      old,
      old,
      events(
        aRevokeRecord(aSerial(4), REVOKED_AT, { caArn: OTHER_CA_ARN }),
        aRevokeRecord('7f:00:00:01', REVOKED_AT, { caArn: OTHER_CA_ARN }),
        anIssueRecord('7f:00:00:02', REVOKED_AT, { caArn: OTHER_CA_ARN }),
        anAuditReportRecord('8a9f3c2e-6d1b-4f7a-9e0c-2b5d8f1a4c6e', REVOKED_AT, { caArn: OTHER_CA_ARN }),
      ),
    );
    expect(r.findings).toEqual([]);
    expect(r.summary).toMatchObject({ events: 4, otherCa: 4, inWindow: 0, outsideWindow: 0 });
    expect(r.summary.issuance.checked).toBe(false);
  });

  it('with no CA known (caArn undefined), every PCA event counts', async () => {
    const old = base();
    const r = await run(old, old, events(aRevokeRecord(aSerial(4), REVOKED_AT, { caArn: OTHER_CA_ARN })), {
      caArn: undefined,
    });
    expect(only(r.findings)).toEqual([['EVENT_WITHOUT_REVOCATION', 'error', aSerial(4)]]);
  });
});

describe('reconcile: ACME and ACM events', () => {
  it('an ACME call is tied to this CA by the serial of its certificate', async () => {
    const old = base();
    const r = await run(old, revokedIn(old, 2), events(acmeRevoke(hex(aSerial(2)), REVOKED_AT)));
    expect(r.findings).toEqual([]);
    expect(r.summary).toMatchObject({ matchedRevocations: 1, inWindow: 1, otherCa: 0 });
  });

  it('an ACME call for a certificate in NEW, not revoked: EVENT_WITHOUT_REVOCATION', async () => {
    const old = base();
    const r = await run(old, old, events(acmeRevoke(hex(aSerial(2)), REVOKED_AT)));
    expect(only(r.findings)).toEqual([['EVENT_WITHOUT_REVOCATION', 'error', aSerial(2)]]);
  });

  it('an ACME call for a certificate in neither report is another CA’s: counted, no finding', async () => {
    const old = base();
    const r = await run(old, old, events(acmeRevoke('7f000001', REVOKED_AT)));
    expect(r.findings).toEqual([]);
    expect(r.summary.otherCa).toBe(1);
  });

  it('EVENT_UNMATCHABLE (info): an ACM ARN call, an undecodable ACME certificate, an unreadable serial', async () => {
    const old = base();
    const acm = aRevokeRecord('x', '2026-11-19T06:00:00Z', {
      extra: {
        eventSource: 'acm.amazonaws.com',
        requestParameters: {
          certificateArn:
            'arn:aws:acm:eu-west-1:111122223333:certificate/12345678-1234-1234-1234-123456789012',
          revocationReason: 'UNSPECIFIED',
        },
      },
    });
    const r = await run(
      old,
      old,
      events(
        acm,
        acmeRevoke('garbage', '2026-11-19T07:00:00Z'),
        aRevokeRecord('zz:top', '2026-11-19T08:00:00Z'),
      ),
    );
    expect(only(r.findings)).toEqual([
      ['EVENT_UNMATCHABLE', 'info', undefined],
      ['EVENT_UNMATCHABLE', 'info', undefined],
      ['EVENT_UNMATCHABLE', 'info', undefined],
    ]);
    const messages = r.findings.map((f) => f.message).sort();
    expect(messages[0]).toMatch(
      /^acm-acme\.amazonaws\.com RevokeCertificate by .* at 2026-11-19T07:00:00Z: requestParameters\.certificate cannot be read: not a DER certificate$/,
    );
    expect(messages[1]).toMatch(
      /^acm-pca\.amazonaws\.com RevokeCertificate by .*: serial "zz:top" cannot be read: /,
    );
    expect(messages[2]).toMatch(
      /^acm\.amazonaws\.com RevokeCertificate by .*: ACM's RevokeCertificate revokes a public, exported ACM certificate \(arn:aws:acm:/,
    );
    expect(r.summary.inWindow).toBe(3);
  });

  it('unmatchable events outside the window say nothing', async () => {
    const old = base();
    const r = await run(old, old, events(aRevokeRecord('zz', '2026-11-18T08:00:00Z')));
    expect(r.findings).toEqual([]);
  });
});

describe('reconcile: ISSUED_WITHOUT_EVENT', () => {
  const newCert = (n: number, issuedAt: string) =>
    aRecord({
      serial: aSerial(n),
      issuedAt: issuedAt.replace('Z', '+0000'),
      notBefore: '2026-11-19T00:00:00+0000',
      notAfter: '2027-11-19T00:00:00+0000',
    });

  it('only when IssueCertificate events of this CA are in the sources', async () => {
    const old = base();
    const added = [newCert(60, '2026-11-19T09:00:00Z')];
    const none = await run(
      old,
      [...old, ...added],
      events(aRevokeRecord(aSerial(1), '2026-11-19T08:00:00Z')),
    );
    expect(none.findings.filter((f) => f.code === 'ISSUED_WITHOUT_EVENT')).toEqual([]);
    expect(none.summary.issuance.checked).toBe(false);
    const failedOnly = await run(
      old,
      [...old, ...added],
      events(anIssueRecord(aSerial(61), '2026-11-19T08:00:00Z', { errorCode: 'ThrottlingException' })),
    );
    expect(failedOnly.summary.issuance.checked).toBe(false);
    expect(failedOnly.findings).toEqual([]);
  });

  it('certificates issued within the coverage need their event; those outside it are not expected', async () => {
    const old = base();
    const added = [
      newCert(60, '2026-11-19T09:00:00Z'), // has its event
      newCert(61, '2026-11-19T10:00:00Z'), // none: finding
      newCert(62, '2026-11-19T07:59:59Z'), // before the coverage: not expected
      newCert(63, '2026-11-19T12:00:01Z'), // after the coverage: not expected
      newCert(64, '2026-11-19T08:00:00Z'), // at the coverage's start: expected
    ];
    const evs = events(anIssueRecord(aSerial(60), '2026-11-19T09:00:00Z'));
    const r = await run(old, [...old, ...added], evs, {
      coverage: { earliest: epoch('2026-11-19T08:00:00Z'), latest: epoch('2026-11-19T12:00:00Z') },
    });
    expect(only(r.findings)).toEqual([
      ['ISSUED_WITHOUT_EVENT', 'error', aSerial(61)],
      ['ISSUED_WITHOUT_EVENT', 'error', aSerial(64)],
    ]);
    expect(r.findings[0]!.message).toBe(
      'new in the new report, issued at 2026-11-19T10:00:00Z, but no successful IssueCertificate call of this CA for it in the sources',
    );
    expect(r.findings[0]!.evidence).toMatchObject({
      issuedAt: '2026-11-19T10:00:00Z',
      new: { report: 'new' },
    });
    expect(r.summary.issuance).toEqual({
      checked: true,
      why: '1 IssueCertificate event of this CA; certificates issued from 2026-11-19T08:00:00Z to 2026-11-19T12:00:00Z checked',
    });
  });

  it('IssueCertificate events of another CA do not turn the check on', async () => {
    const old = base();
    const r = await run(
      old,
      [...old, newCert(61, '2026-11-19T10:00:00Z')],
      events(anIssueRecord(aSerial(60), '2026-11-19T09:00:00Z', { caArn: OTHER_CA_ARN })),
      { coverage: { earliest: epoch('2026-11-19T08:00:00Z'), latest: epoch('2026-11-19T12:00:00Z') } },
    );
    expect(r.findings).toEqual([]);
    expect(r.summary.issuance.checked).toBe(false);
  });
});

describe('reportCreationEvent: the call that made a report, by the report file name', () => {
  const id = '8a9f3c2e-6d1b-4f7a-9e0c-2b5d8f1a4c6e';
  const other = '1c2d3e4f-0000-4a6b-8c7d-0e1f2a3b4c5d';
  const evs = events(
    anAuditReportRecord(other, '2026-11-19T02:00:00Z'),
    anAuditReportRecord(id, '2026-11-20T02:00:00Z'),
    anAuditReportRecord(id, '2026-11-20T02:05:00Z', { caArn: OTHER_CA_ARN }),
  );
  const [e1, e2] = evs;

  it('<AuditReportId>.json, .csv, .json.gz, under directories, Windows separators', () => {
    for (const name of [
      `${id}.json`,
      `${id}.csv`,
      `${id}.json.gz`,
      `reports/audit-report/5f1c2a7e/${id}.JSON`,
      `C:\\reports\\${id}.csv.gz`,
      id,
    ]) {
      expect(reportCreationEvent(name, evs, e2!.caArn), name).toBe(e2);
    }
    expect(reportCreationEvent(`${other}.json`, evs, e1!.caArn)).toBe(e1);
  });

  it('other CAs, failed calls and names that are not report ids give nothing', () => {
    expect(
      reportCreationEvent(
        `${id}.json`,
        evs,
        'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/x',
      ),
    ).toBe(undefined);
    expect(reportCreationEvent(`${id}.json`, evs, OTHER_CA_ARN)).toBe(evs[2]);
    const failed = events(
      anAuditReportRecord(id, '2026-11-20T02:00:00Z', { errorCode: 'LimitExceededException' }),
    );
    expect(reportCreationEvent(`${id}.json`, failed, undefined)).toBeUndefined();
    for (const name of ['ca-2026-11-20.json', `x${id}.json`, `${id}.txt`, '-']) {
      expect(reportCreationEvent(name, evs, undefined), name).toBeUndefined();
    }
  });

  it('revoke events are never report creations', () => {
    const revoke = events(aRevokeRecord('01', '2026-11-20T02:00:00Z'));
    expect(reportCreationEvent(`${id}.json`, revoke, undefined)).toBeUndefined();
  });
});
