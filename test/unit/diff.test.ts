import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffIndexes } from '../../src/core/diff/diff.js';
import type { Finding, FindingCode } from '../../src/core/finding.js';
import type { DiffOutput } from '../../src/core/report/report-model.js';
import {
  aRecord,
  aSerial,
  certificateArnOf,
  diffOf,
  diffRun,
  epoch,
  type RecordOverrides,
  type ReportRecord,
  SERVER_TEMPLATE,
  someRecords,
  toCsvReport,
  toJsonReport,
} from '../builders.js';

const OLD_AT = epoch('2026-11-19T02:00:00Z');
const NEW_AT = epoch('2026-11-20T02:00:00Z');
const WINDOW = { oldCreatedAt: OLD_AT, newCreatedAt: NEW_AT };

/** Line of record k in toJsonReport / toCsvReport output. */
const lineOf = (k: number) => k + 2;

/** A base of certificates issued well before the window and valid well after it. */
function base(count = 5): ReportRecord[] {
  return someRecords(count, (i) => ({
    issuedAt: `2026-0${1 + (i % 9)}-10T10:00:00+0000`,
    notBefore: `2026-0${1 + (i % 9)}-10T09:00:00+0000`,
    notAfter: '2027-06-01T00:00:00+0000',
  }));
}

function withChange(records: ReportRecord[], k: number, overrides: RecordOverrides): ReportRecord[] {
  return records.map((r, i) => (i === k ? aRecord({ ...r, ...overrides }) : r));
}

const findingsOf = (out: DiffOutput, code: FindingCode): Finding[] =>
  out.findings.filter((f) => f.code === code);
const codes = (out: DiffOutput) => out.findings.map((f) => f.code);
const serials = (rows: Array<{ serial: string }>) => rows.map((r) => r.serial);

interface RowEvidence {
  report: string;
  line: number;
  byte: number;
  fields?: Record<string, string>;
}

describe('diff: ordinary changes', () => {
  it('identical reports: nothing', async () => {
    const text = toJsonReport(base());
    const out = await diffOf(text, text, WINDOW);
    expect(out.changes).toEqual({ issued: [], revoked: [], expired: [] });
    expect(out.findings).toEqual([]);
    expect(out.summary).toEqual({
      issued: 0,
      revoked: 0,
      expired: 0,
      findings: { error: 0, warning: 0, info: 0 },
    });
  });

  it('issued: a certificate new in NEW, shown from its row (UTC instants)', async () => {
    const old = base();
    const added = aRecord({
      serial: aSerial(100),
      issuedAt: '2026-11-19T09:38:12+0000',
      notBefore: '2026-11-19T08:38:12+0000',
      notAfter: '2027-11-19T09:38:12+0000',
    });
    const out = await diffOf(toJsonReport(old), toJsonReport([...old, added]), WINDOW);
    expect(out.changes.issued).toEqual([
      {
        serial: aSerial(100),
        subject: added.subject,
        notBefore: '2026-11-19T08:38:12Z',
        notAfter: '2027-11-19T09:38:12Z',
        issuedAt: '2026-11-19T09:38:12Z',
        templateArn: added.templateArn,
        line: lineOf(5),
      },
    ]);
    expect(out.changes.revoked).toEqual([]);
    expect(out.findings).toEqual([]);
    expect(out.summary.issued).toBe(1);
  });

  it('revoked: newly revoked in NEW', async () => {
    const old = base();
    const now = withChange(old, 2, {
      revokedAt: '2026-11-19T16:30:19+0000',
      revocationReason: 'CESSATION_OF_OPERATION',
    });
    const out = await diffOf(toJsonReport(old), toJsonReport(now), WINDOW);
    expect(out.changes.revoked.map((r) => [r.serial, r.revokedAt, r.revocationReason, r.line])).toEqual([
      [aSerial(2), '2026-11-19T16:30:19Z', 'CESSATION_OF_OPERATION', lineOf(2)],
    ]);
    expect(out.changes.issued).toEqual([]);
    expect(out.findings).toEqual([]);
  });

  it('issued and revoked between the reports: in both lists', async () => {
    const old = base();
    const added = aRecord({
      serial: aSerial(100),
      issuedAt: '2026-11-19T09:38:12+0000',
      revokedAt: '2026-11-19T09:52:31+0000',
      revocationReason: 'SUPERSEDED',
    });
    const out = await diffOf(toJsonReport(old), toJsonReport([...old, added]), WINDOW);
    expect(serials(out.changes.issued)).toEqual([aSerial(100)]);
    expect(serials(out.changes.revoked)).toEqual([aSerial(100)]);
    expect(out.findings).toEqual([]);
  });

  it('an old revocation that stays: not revoked again', async () => {
    const old = withChange(base(), 1, {
      revokedAt: '2026-04-14T15:03:27+0000',
      revocationReason: 'SUPERSEDED',
    });
    const out = await diffOf(toJsonReport(old), toJsonReport(old), WINDOW);
    expect(out.changes.revoked).toEqual([]);
    expect(out.findings).toEqual([]);
  });

  it('expired: notAfter in (from, to]; the lower bound is exclusive, the upper inclusive', async () => {
    const at = (s: string) => ({ notAfter: s });
    const records = [
      aRecord({ serial: aSerial(0), ...at('2026-11-19T02:00:00+0000') }), // == from: expired before
      aRecord({ serial: aSerial(1), ...at('2026-11-19T02:00:01+0000') }), // just after from
      aRecord({ serial: aSerial(2), ...at('2026-11-19T17:02:55+0000') }), // inside
      aRecord({ serial: aSerial(3), ...at('2026-11-20T02:00:00+0000') }), // == to
      aRecord({ serial: aSerial(4), ...at('2026-11-20T02:00:01+0000') }), // after to
      aRecord({ serial: aSerial(5), ...at('2026-11-19T03:00:00+01:00') }), // == from, another offset
      aRecord({
        serial: aSerial(6),
        ...at('2026-11-19T10:00:00+0000'),
        revokedAt: '2026-05-01T00:00:00+0000',
        revocationReason: 'SUPERSEDED',
      }), // revoked: not expired
    ];
    const text = toJsonReport(records);
    const out = await diffOf(text, text, WINDOW);
    expect(serials(out.changes.expired)).toEqual([aSerial(1), aSerial(2), aSerial(3)]);
    expect(out.changes.expired.map((r) => r.notAfter)).toEqual([
      '2026-11-19T02:00:01Z',
      '2026-11-19T17:02:55Z',
      '2026-11-20T02:00:00Z',
    ]);
    expect(out.findings).toEqual([]);
  });

  it('a certificate issued and expired inside the window is both issued and expired', async () => {
    const old = base();
    const added = aRecord({
      serial: aSerial(50),
      issuedAt: '2026-11-19T03:00:00+0000',
      notBefore: '2026-11-19T02:30:00+0000',
      notAfter: '2026-11-19T04:00:00+0000',
    });
    const out = await diffOf(toJsonReport(old), toJsonReport([...old, added]), WINDOW);
    expect(serials(out.changes.issued)).toEqual([aSerial(50)]);
    expect(serials(out.changes.expired)).toEqual([aSerial(50)]);
  });

  it('the same serial written differently in the two reports is the same certificate', async () => {
    const serial = '8c:95:8e:28:c9:54:a2:28:28:64:80:31:8e:8e:34:a7';
    // the ARN is text and compared as such: it stays the same
    const old = [aRecord({ serial: `00:${serial.toUpperCase()}`, certificateArn: certificateArnOf(serial) })];
    const now = [aRecord({ serial })];
    const out = await diffOf(toJsonReport(old), toJsonReport(now), WINDOW);
    expect(out.changes).toEqual({ issued: [], revoked: [], expired: [] });
    expect(out.findings).toEqual([]);
  });
});

describe('diff findings', () => {
  it('CERTIFICATE_DISAPPEARED: in OLD, not in NEW (evidence: the old row as written)', async () => {
    const old = base();
    const now = old.filter((_r, i) => i !== 3);
    const out = await diffOf(toJsonReport(old), toJsonReport(now), WINDOW);
    expect(codes(out)).toEqual(['CERTIFICATE_DISAPPEARED']);
    const f = out.findings[0]!;
    expect(f.severity).toBe('error');
    expect(f.serial).toBe(aSerial(3));
    const row = f.evidence.old as RowEvidence;
    expect(row.report).toBe('old');
    expect(row.line).toBe(lineOf(3));
    expect(row.fields).toEqual(old[3]);
    expect(out.summary.findings).toEqual({ error: 1, warning: 0, info: 0 });
  });

  it('CERTIFICATE_UNREVOKED: revoked in OLD, not in NEW', async () => {
    const now = base();
    const old = withChange(now, 1, { revokedAt: '2026-04-14T15:03:27+0000', revocationReason: 'SUPERSEDED' });
    const out = await diffOf(toJsonReport(old), toJsonReport(now), WINDOW);
    expect(codes(out)).toEqual(['CERTIFICATE_UNREVOKED']);
    const f = out.findings[0]!;
    expect(f.serial).toBe(aSerial(1));
    expect((f.evidence.old as RowEvidence).line).toBe(lineOf(1));
    expect((f.evidence.new as RowEvidence).line).toBe(lineOf(1));
    expect((f.evidence.old as RowEvidence).fields?.revocationReason).toBe('SUPERSEDED');
    expect((f.evidence.new as RowEvidence).fields?.revocationReason).toBeUndefined();
  });

  it('CERTIFICATE_CHANGED: one finding per changed field, with old and new values', async () => {
    const old = base();
    const now = withChange(old, 2, {
      notAfter: '2027-07-01T00:00:00+0000',
      subject: 'CN=someone-else,O=Example Corp',
      awsAccountId: '444455556666',
    });
    const out = await diffOf(toJsonReport(old), toJsonReport(now), WINDOW);
    const changed = findingsOf(out, 'CERTIFICATE_CHANGED');
    expect(codes(out)).toEqual(['CERTIFICATE_CHANGED', 'CERTIFICATE_CHANGED', 'CERTIFICATE_CHANGED']);
    expect(
      changed
        .map((f) => [f.serial, f.evidence.field, f.evidence.oldValue, f.evidence.newValue])
        .sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
    ).toEqual([
      [aSerial(2), 'awsAccountId', '111122223333', '444455556666'],
      [aSerial(2), 'notAfter', '2027-06-01T00:00:00+0000', '2027-07-01T00:00:00+0000'],
      [aSerial(2), 'subject', old[2]!.subject, 'CN=someone-else,O=Example Corp'],
    ]);
    for (const f of changed) {
      expect((f.evidence.old as RowEvidence).line).toBe(lineOf(2));
      expect((f.evidence.new as RowEvidence).line).toBe(lineOf(2));
    }
  });

  it('CERTIFICATE_CHANGED: a field that appears or disappears', async () => {
    // an ACM-requested certificate in both reports, so that both carry the extended fields
    const old = [
      ...base(),
      aRecord({ serial: aSerial(40), requestedByServicePrincipal: 'acm.amazonaws.com' }),
    ];
    const now = withChange(old, 0, { requestedByServicePrincipal: 'acm.amazonaws.com' });
    const out = await diffOf(toJsonReport(old), toJsonReport(now), WINDOW);
    expect(
      out.findings.map((f) => [f.code, f.evidence.field, f.evidence.oldValue, f.evidence.newValue]),
    ).toEqual([['CERTIFICATE_CHANGED', 'requestedByServicePrincipal', undefined, 'acm.amazonaws.com']]);
  });

  it.each([
    ['Z', '2027-06-01T00:00:00Z'],
    ['+00:00', '2027-06-01T00:00:00+00:00'],
    ['+0200', '2027-06-01T02:00:00+0200'],
    ['-05:30', '2027-05-31T18:30:00-05:30'],
  ])('not CERTIFICATE_CHANGED: the same instant written with %s instead of +0000', async (_name, same) => {
    const old = base();
    const now = withChange(old, 4, { notAfter: same });
    const out = await diffOf(toJsonReport(old), toJsonReport(now), WINDOW);
    expect(out.findings).toEqual([]);
  });

  it('REVOCATION_CHANGED: the reason changed', async () => {
    const old = withChange(base(), 3, {
      revokedAt: '2026-07-02T06:55:48+0000',
      revocationReason: 'KEY_COMPROMISE',
    });
    const now = withChange(old, 3, { revocationReason: 'SUPERSEDED' });
    const out = await diffOf(toJsonReport(old), toJsonReport(now), WINDOW);
    expect(codes(out)).toEqual(['REVOCATION_CHANGED']);
    const f = out.findings[0]!;
    expect(f.serial).toBe(aSerial(3));
    expect(f.evidence.oldRevocation).toEqual({ revokedAt: '2026-07-02T06:55:48Z', reason: 'KEY_COMPROMISE' });
    expect(f.evidence.newRevocation).toEqual({ revokedAt: '2026-07-02T06:55:48Z', reason: 'SUPERSEDED' });
    expect((f.evidence.new as RowEvidence).line).toBe(lineOf(3));
  });

  it('REVOCATION_CHANGED: the time changed', async () => {
    const old = withChange(base(), 0, {
      revokedAt: '2026-07-02T06:55:48+0000',
      revocationReason: 'KEY_COMPROMISE',
    });
    const now = withChange(old, 0, { revokedAt: '2026-07-02T06:55:49+0000' });
    const out = await diffOf(toJsonReport(old), toJsonReport(now), WINDOW);
    expect(codes(out)).toEqual(['REVOCATION_CHANGED']);
    expect(out.findings[0]!.evidence.newRevocation).toEqual({
      revokedAt: '2026-07-02T06:55:49Z',
      reason: 'KEY_COMPROMISE',
    });
  });

  it('not REVOCATION_CHANGED: the same revocation time with another offset', async () => {
    const old = withChange(base(), 0, {
      revokedAt: '2026-07-02T06:55:48+0000',
      revocationReason: 'KEY_COMPROMISE',
    });
    const now = withChange(old, 0, { revokedAt: '2026-07-02T08:55:48+02:00' });
    expect((await diffOf(toJsonReport(old), toJsonReport(now), WINDOW)).findings).toEqual([]);
  });

  it('LATE_ISSUANCE: new in NEW but issued before OLD was made (only with a given oldCreatedAt)', async () => {
    const old = base();
    const late = aRecord({
      serial: aSerial(77),
      issuedAt: '2026-11-18T23:10:00+0000',
      notBefore: '2026-11-18T22:10:00+0000',
    });
    const onTime = aRecord({ serial: aSerial(78), issuedAt: '2026-11-19T02:00:00+0000' }); // == oldCreatedAt: not late
    const now = [...old, late, onTime];
    const out = await diffOf(toJsonReport(old), toJsonReport(now), WINDOW);
    expect(codes(out)).toEqual(['LATE_ISSUANCE']);
    const f = out.findings[0]!;
    expect(f.severity).toBe('warning');
    expect(f.serial).toBe(aSerial(77));
    expect(f.evidence.issuedAt).toBe('2026-11-18T23:10:00Z');
    expect(f.evidence.oldCreatedAt).toBe('2026-11-19T02:00:00Z');
    expect((f.evidence.new as RowEvidence).line).toBe(lineOf(5));
    expect(serials(out.changes.issued)).toEqual([aSerial(77), aSerial(78)]);

    // derived window: no LATE_ISSUANCE, whatever the dates
    const derived = await diffOf(toJsonReport(old), toJsonReport(now));
    expect(findingsOf(derived, 'LATE_ISSUANCE')).toEqual([]);
    // only newCreatedAt given: the old side is still derived
    const half = await diffOf(toJsonReport(old), toJsonReport(now), { newCreatedAt: NEW_AT });
    expect(findingsOf(half, 'LATE_ISSUANCE')).toEqual([]);
  });

  it('single-report findings of both sides are in the diff output, with their evidence rows', async () => {
    const old = [...base(3), aRecord({ serial: aSerial(0) })];
    const now = withChange(base(3), 1, { revocationReason: 'PRIVILEGE_WITHDRAWN' });
    const out = await diffOf(toJsonReport(old), toJsonReport(now), WINDOW);
    expect(out.findings.map((f) => [f.code, f.serial])).toEqual([
      ['DUPLICATE_SERIAL', aSerial(0)],
      ['REVOCATION_INCOMPLETE', aSerial(1)],
    ]);
    const dup = out.findings[0]!;
    expect((dup.evidence.again as RowEvidence).fields?.serial).toBe(aSerial(0));
    expect((out.findings[1]!.evidence.row as RowEvidence).fields?.revocationReason).toBe(
      'PRIVILEGE_WITHDRAWN',
    );
    // the revocation counts as one
    expect(serials(out.changes.revoked)).toEqual([aSerial(1)]);
  });

  it('findingLimit: the rest are counted in omittedFindings and in the summary', async () => {
    const old = base(6);
    const out = await diffOf(toJsonReport(old), toJsonReport(old.slice(0, 2)), {
      ...WINDOW,
      findingLimit: 2,
    });
    expect(codes(out)).toEqual(['CERTIFICATE_DISAPPEARED', 'CERTIFICATE_DISAPPEARED']);
    expect(out.omittedFindings).toEqual({ CERTIFICATE_DISAPPEARED: 2 });
    expect(out.summary.findings).toEqual({ error: 4, warning: 0, info: 0 });
  });
});

describe('diff across formats', () => {
  const records = [
    ...base(6),
    aRecord({ serial: aSerial(20), subject: 'CN=sftp.partner.example.net,O=Example\\, Ltd.,C=GB' }),
    aRecord({ serial: aSerial(21), subject: 'CN=café \\"q\\",O=Société' }),
    aRecord({
      serial: aSerial(22),
      requestedByServicePrincipal: 'acm.amazonaws.com',
      templateArn: SERVER_TEMPLATE,
    }),
    aRecord({
      serial: aSerial(23),
      revokedAt: '2026-10-01T00:00:00+0000',
      revocationReason: 'A_A_COMPROMISE',
    }),
  ];

  it('JSON OLD vs CSV NEW of the same records: no changes, no findings', async () => {
    const out = await diffOf(toJsonReport(records), toCsvReport(records, { crlf: true, bom: true }), WINDOW);
    expect(out.old.format).toBe('json');
    expect(out.new.format).toBe('csv');
    expect(out.changes).toEqual({ issued: [], revoked: [], expired: [] });
    expect(out.findings).toEqual([]);
  });

  it('CSV OLD vs JSON NEW, rows in another order: no changes, no findings', async () => {
    const out = await diffOf(toCsvReport(records), toJsonReport([...records].reverse()), WINDOW);
    expect(out.changes).toEqual({ issued: [], revoked: [], expired: [] });
    expect(out.findings).toEqual([]);
  });

  it('a 9-column CSV vs JSON: the extended fields are not compared', async () => {
    const now = withChange(records, 0, {
      templateArn: SERVER_TEMPLATE,
      requestedByServicePrincipal: 'acm.amazonaws.com',
    });
    const run = await diffRun(toCsvReport(records, { columns: 9 }), toJsonReport(now), WINDOW);
    expect(run.oldIndex.hasExtended).toBe(false);
    expect(run.out.findings).toEqual([]);
    // the same change between two 11-column reports is found
    const both = await diffOf(toCsvReport(records), toJsonReport(now), WINDOW);
    expect(both.findings.map((f) => f.evidence.field).sort()).toEqual([
      'requestedByServicePrincipal',
      'templateArn',
    ]);
  });

  it('a 9-column CSV vs JSON: the other fields still are', async () => {
    const now = withChange(records, 1, { subject: 'CN=changed' });
    const out = await diffOf(toCsvReport(records, { columns: 9 }), toJsonReport(now), WINDOW);
    expect(out.findings.map((f) => [f.code, f.serial, f.evidence.field])).toEqual([
      ['CERTIFICATE_CHANGED', aSerial(1), 'subject'],
    ]);
  });

  // Regression: hasExtended once needed both extended keys in some row; in JSON a key is absent
  // when it has no value, and requestedByServicePrincipal only appears on ACM-requested
  // certificates, so a changed template went unreported between two such reports.
  it('JSON vs JSON without any ACM-requested certificate: a changed templateArn is CERTIFICATE_CHANGED', async () => {
    const old = base(3);
    const now = withChange(old, 1, { templateArn: SERVER_TEMPLATE });
    const out = await diffOf(toJsonReport(old), toJsonReport(now), WINDOW);
    expect(out.findings.map((f) => [f.code, f.serial, f.evidence.field])).toEqual([
      ['CERTIFICATE_CHANGED', aSerial(1), 'templateArn'],
    ]);
  });

  // Regression: the fingerprint once dropped the fraction of an instant, so a notAfter that moved
  // by half a second left it unchanged.
  it('CERTIFICATE_CHANGED when notAfter moves by a fraction of a second', async () => {
    const old = base(2);
    const now = withChange(old, 0, { notAfter: '2027-06-01T00:00:00.500+0000' });
    const out = await diffOf(toJsonReport(old), toJsonReport(now), WINDOW);
    expect(out.findings.map((f) => [f.code, f.evidence.field])).toEqual([
      ['CERTIFICATE_CHANGED', 'notAfter'],
    ]);
  });
});

describe('diff window', () => {
  it('given: both ends as given', async () => {
    const text = toJsonReport(base());
    const out = await diffOf(text, text, WINDOW);
    expect(out.window).toEqual({ from: '2026-11-19T02:00:00Z', to: '2026-11-20T02:00:00Z', basis: 'given' });
    expect(out.old.createdAt).toBe('2026-11-19T02:00:00Z');
    expect(out.old.createdAtBasis).toBe('given');
    expect(out.new.createdAtBasis).toBe('given');
  });

  it('derived: the latest issuedAt or revokedAt of each report', async () => {
    const old = base(3);
    const now = [
      ...withChange(old, 0, { revokedAt: '2026-11-19T16:30:19+0000', revocationReason: 'SUPERSEDED' }),
      aRecord({ serial: aSerial(9), issuedAt: '2026-11-19T14:05:27+0000' }),
    ];
    const out = await diffOf(toJsonReport(old), toJsonReport(now));
    expect(out.window.from).toBe('2026-03-10T10:00:00Z');
    expect(out.window.to).toBe('2026-11-19T16:30:19Z');
    expect(out.window.basis).toMatch(/derived/);
    expect(out.old.createdAtBasis).toBe('derived');
    expect(out.new.createdAtBasis).toBe('derived');
  });

  it('half given: the other end derived', async () => {
    const text = toJsonReport(base(3));
    const out = await diffOf(text, text, { newCreatedAt: NEW_AT });
    expect(out.window.from).toBe('2026-03-10T10:00:00Z');
    expect(out.window.to).toBe('2026-11-20T02:00:00Z');
    expect(out.old.createdAtBasis).toBe('derived');
    expect(out.new.createdAtBasis).toBe('given');
  });

  it('empty reports: no window ends at all', async () => {
    const out = await diffOf(toJsonReport([]), toJsonReport([]));
    expect(out.window.from).toBeUndefined();
    expect(out.window.to).toBeUndefined();
    expect(out.old.createdAt).toBeUndefined();
  });

  it('summaries are taken at each end of the window', async () => {
    const records = [
      aRecord({ serial: aSerial(0), notAfter: '2026-11-19T10:00:00+0000' }), // expires inside the window
      aRecord({ serial: aSerial(1), revokedAt: '2026-11-19T10:00:00+0000', revocationReason: 'SUPERSEDED' }),
      aRecord({ serial: aSerial(2) }),
    ];
    const text = toJsonReport(records);
    const out = await diffOf(text, text, WINDOW);
    expect(out.old.summary).toMatchObject({ certificates: 3, active: 3, expired: 0, revoked: 0 });
    expect(out.new.summary).toMatchObject({ certificates: 3, active: 1, expired: 1, revoked: 1 });
  });
});

describe('diff: joining in file order and by hash agree', () => {
  // OLD: a duplicate serial, a row without a serial, a revoked row; NEW: the same rows but the
  // repeat, one changed, one gone, one new. In file order the join mostly takes the next OLD entry; reversed, the hash table.
  const old = [
    ...base(4),
    aRecord({ serial: aSerial(1), subject: 'CN=again' }),
    aRecord({ serial: undefined }),
    aRecord({ serial: aSerial(30), revokedAt: '2026-10-01T00:00:00+0000', revocationReason: 'SUPERSEDED' }),
    ...someRecords(3, () => ({ notAfter: '2027-06-01T00:00:00+0000' }), 40),
  ];
  const next = old
    .filter((r) => r.serial !== aSerial(41) && r.subject !== 'CN=again')
    .map((r) => (r.serial === aSerial(2) ? aRecord({ ...r, subject: 'CN=moved' }) : r))
    .concat([aRecord({ serial: aSerial(50), issuedAt: '2026-11-19T12:00:00+0000' })]);
  const summary = (out: DiffOutput) => ({
    changes: {
      issued: serials(out.changes.issued),
      revoked: serials(out.changes.revoked),
      expired: serials(out.changes.expired),
    },
    findings: out.findings
      .map((f) => `${f.code} ${f.serial ?? ''} ${f.message.replace(/line \d+/g, '')}`)
      .sort(),
  });

  it.each([
    ['same order', (rows: ReportRecord[]) => rows],
    ['reversed', (rows: ReportRecord[]) => [...rows].reverse()],
  ])('%s', async (_name, order) => {
    const inOrder = await diffOf(toJsonReport(old), toJsonReport(next), WINDOW);
    const other = await diffOf(toJsonReport(old), toJsonReport(order(next)), WINDOW);
    expect(summary(other)).toEqual(summary(inOrder));
    expect(codes(inOrder)).toContain('CERTIFICATE_CHANGED');
    expect(codes(inOrder)).toContain('CERTIFICATE_DISAPPEARED');
    expect(serials(inOrder.changes.issued)).toEqual([aSerial(50)]);
  });
});

describe('releaseJoinColumns', () => {
  it('a released index cannot be joined again', async () => {
    const { oldIndex, newIndex } = await diffRun(toJsonReport(base()), toJsonReport(base()), WINDOW);
    expect(oldIndex.arena).toHaveLength(0);
    expect(() => diffIndexes(oldIndex, newIndex)).toThrow(/join columns were released/);
  });
});

describe('diff ordering is deterministic (serial order)', () => {
  // serials of different lengths and first octets, written in a scrambled order
  const serialList = [
    'ff:00:01',
    '01:02',
    '7f',
    '80:00:00:00:00:00:00:00:00:00:00:00:00:00:00:01',
    '0a:0b:0c',
    '02:a5:06:cf:87:cd:fe:af:3d:c1:23:ed:9a:91:45',
    '00:8c:95',
  ];
  const expectedOrder = [
    '7f',
    '01:02',
    '8c:95',
    '0a:0b:0c',
    'ff:00:01',
    '02:a5:06:cf:87:cd:fe:af:3d:c1:23:ed:9a:91:45',
    '80:00:00:00:00:00:00:00:00:00:00:00:00:00:00:01',
  ];

  it('issued, revoked and expired are in serial order (shorter magnitudes first)', async () => {
    const added = serialList.map((serial) =>
      aRecord({ serial, revokedAt: '2026-11-19T05:00:00+0000', revocationReason: 'SUPERSEDED' }),
    );
    const expiring = serialList.map((serial) => aRecord({ serial, notAfter: '2026-11-19T05:00:00+0000' }));
    const out = await diffOf(toJsonReport([]), toJsonReport(added), WINDOW);
    expect(serials(out.changes.issued)).toEqual(expectedOrder);
    expect(serials(out.changes.revoked)).toEqual(expectedOrder);
    const exp = await diffOf(toJsonReport(expiring), toJsonReport(expiring), WINDOW);
    expect(serials(exp.changes.expired)).toEqual(expectedOrder);
  });

  it('findings: severity, then code, then serial order', async () => {
    const old = serialList.map((serial) => aRecord({ serial }));
    const now = [
      ...old.slice(0, 3).map((r) => aRecord({ ...r, subject: 'CN=changed' })),
      aRecord({ serial: '99:99', issuedAt: '2026-01-01T00:00:00+0000' }),
      aRecord({ serial: '11', issuedAt: '2026-01-01T00:00:00+0000' }),
    ];
    const a = await diffOf(toJsonReport(old), toJsonReport(now), WINDOW);
    const b = await diffOf(toJsonReport([...old].reverse()), toJsonReport([...now].reverse()), WINDOW);
    const shape = (out: DiffOutput) => out.findings.map((f) => [f.severity, f.code, f.serial]);
    expect(shape(a)).toEqual([
      ['error', 'CERTIFICATE_CHANGED', '7f'],
      ['error', 'CERTIFICATE_CHANGED', '01:02'],
      ['error', 'CERTIFICATE_CHANGED', 'ff:00:01'],
      ['error', 'CERTIFICATE_DISAPPEARED', '8c:95'],
      ['error', 'CERTIFICATE_DISAPPEARED', '0a:0b:0c'],
      ['error', 'CERTIFICATE_DISAPPEARED', '02:a5:06:cf:87:cd:fe:af:3d:c1:23:ed:9a:91:45'],
      ['error', 'CERTIFICATE_DISAPPEARED', '80:00:00:00:00:00:00:00:00:00:00:00:00:00:00:01'],
      ['warning', 'LATE_ISSUANCE', '11'],
      ['warning', 'LATE_ISSUANCE', '99:99'],
    ]);
    expect(shape(b)).toEqual(shape(a));
    // and the whole output is the same for the same input, every time
    expect(JSON.stringify(await diffOf(toJsonReport(old), toJsonReport(now), WINDOW))).toBe(
      JSON.stringify(a),
    );
  });
});

describe('the samples: every planted violation, nothing else', () => {
  const sample = (name: string) => readFileSync(new URL(`../../samples/${name}`, import.meta.url), 'utf8');

  it.each(['ca-2026-11-20.json', 'ca-2026-11-20.csv'])('ca-2026-11-19.json vs %s', async (newer) => {
    const out = await diffOf(sample('ca-2026-11-19.json'), sample(newer), WINDOW);
    expect(out.findings.map((f) => [f.code, f.serial, f.evidence.field])).toEqual([
      ['CERTIFICATE_CHANGED', '66:66:78:cd:8c:91:f1:8c:17:4e:53:f0:3f:4b:cd:78', 'notAfter'],
      ['CERTIFICATE_DISAPPEARED', '1a:cf:6f:42:f8:a2:1e:a5:b3:fb:de:42:a3:0e:ee:f2', undefined],
      ['CERTIFICATE_UNREVOKED', '13:f7:1c:31:94:0e:97:b7:f0:fa:38:ba:7d:dd:1f:68', undefined],
      ['REVOCATION_CHANGED', '61:9b:4c:30:5b:fc:dc:0b:5f:1c:31:75:f3:75:8b:14', undefined],
      ['LATE_ISSUANCE', '6e:10:10:49:4d:b3:65:ff:d3:41:fd:b6:fd:02:6a:e3', undefined],
      ['REVOCATION_INCOMPLETE', '4d:55:b0:81:ce:a6:4e:85:bf:f9:4d:61:1a:6d:d4:51', undefined],
    ]);
    const changed = out.findings[0]!;
    expect([changed.evidence.oldValue, changed.evidence.newValue]).toEqual([
      '2027-05-06T10:11:12+0000',
      '2027-06-06T10:11:12+0000',
    ]);
    expect(serials(out.changes.issued).sort()).toEqual(
      [
        '68:95:e1:94:15:06:33:84:a8:85:bc:57:0a:d9:23:56',
        '7d:bf:d4:4b:69:e1:7a:4b:ab:10:dd:a6:18:3c:ee:9e',
        '42:84:d9:70:80:e7:41:1f:fb:6f:06:dd:75:6e:55:45',
        '0f:18:ab:a3:e7:75:65:56:36:af:23:6d:77:36:29:af',
        '6e:10:10:49:4d:b3:65:ff:d3:41:fd:b6:fd:02:6a:e3',
      ].sort(),
    );
    expect(serials(out.changes.revoked).sort()).toEqual(
      [
        '5a:11:64:f1:5b:c0:bb:c0:2c:e7:e3:07:42:39:55:b9',
        '27:cb:a5:e2:bd:7e:8c:0f:ec:2e:77:82:1f:3d:2c:88',
        'dd:38:91:93:12:ab:26:67:1a:eb:de:7b:33:8e:25:12',
        '4d:55:b0:81:ce:a6:4e:85:bf:f9:4d:61:1a:6d:d4:51',
      ].sort(),
    );
    expect(serials(out.changes.expired).sort()).toEqual(
      [
        '3a:cb:ba:fc:2a:72:be:2d:62:34:b1:45:fb:35:14:b8',
        '31:d7:61:78:f3:40:69:df:e7:aa:ea:da:74:61:a2:a5',
      ].sort(),
    );
    expect(out.old.summary).toMatchObject({ certificates: 52, active: 29, expired: 17, revoked: 6 });
    expect(out.new.summary).toMatchObject({ certificates: 56, active: 28, expired: 19, revoked: 9 });
  });
});
