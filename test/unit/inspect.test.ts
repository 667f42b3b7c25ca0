import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inspectSeverityCounts } from '../../src/core/report/inspect-report.js';
import { summarise } from '../../src/core/report/report-summary.js';
import {
  aRecord,
  aSerial,
  CA_ARN,
  END_ENTITY_TEMPLATE,
  epoch,
  indexOf,
  inspectOf,
  SERVER_TEMPLATE,
  toCsvReport,
  toJsonReport,
} from '../builders.js';

const AT = epoch('2026-11-20T02:00:00Z');
const DAY = 86400;

const records = [
  // 0 active
  aRecord({ serial: aSerial(0), notAfter: '2027-06-01T00:00:00+0000' }),
  // 1 expired: notAfter before at
  aRecord({ serial: aSerial(1), notAfter: '2026-11-19T00:00:00+0000' }),
  // 2 expired: notAfter exactly at
  aRecord({ serial: aSerial(2), notAfter: '2026-11-20T02:00:00+0000' }),
  // 3 revoked before at
  aRecord({ serial: aSerial(3), revokedAt: '2026-11-01T00:00:00+0000', revocationReason: 'KEY_COMPROMISE' }),
  // 4 revoked exactly at
  aRecord({ serial: aSerial(4), revokedAt: '2026-11-20T02:00:00+0000', revocationReason: 'SUPERSEDED' }),
  // 5 revoked after at: still active at `at`
  aRecord({ serial: aSerial(5), revokedAt: '2026-11-21T00:00:00+0000', revocationReason: 'SUPERSEDED' }),
  // 6 revoked at an unknown time (reason only): revoked
  aRecord({ serial: aSerial(6), revocationReason: 'PRIVILEGE_WITHDRAWN' }),
  // 7 revoked after at, but expired by then: expired
  aRecord({
    serial: aSerial(7),
    notAfter: '2026-11-10T00:00:00+0000',
    revokedAt: '2026-11-25T00:00:00+0000',
    revocationReason: 'UNSPECIFIED',
  }),
  // 8 expired and revoked before at: revoked wins
  aRecord({
    serial: aSerial(8),
    notAfter: '2026-11-10T00:00:00+0000',
    revokedAt: '2026-11-01T00:00:00+0000',
    revocationReason: 'UNSPECIFIED',
  }),
  // 9 not yet valid: active
  aRecord({
    serial: aSerial(9),
    notBefore: '2026-12-01T00:00:00+0000',
    issuedAt: '2026-11-19T00:00:00+0000',
    notAfter: '2027-12-01T00:00:00+0000',
    templateArn: SERVER_TEMPLATE,
  }),
  // 10..13 expiring candidates (within 30 days of at: up to 2026-12-20T02:00:00Z)
  aRecord({ serial: aSerial(10), notAfter: '2026-12-20T02:00:00+0000' }), // the last second in
  aRecord({ serial: aSerial(11), notAfter: '2026-12-20T02:00:01+0000' }), // just out
  aRecord({ serial: aSerial(12), notAfter: '2026-11-20T02:00:01+0000' }), // first second in
  aRecord({
    serial: aSerial(13),
    notAfter: '2026-11-25T00:00:00+0000',
    revokedAt: '2026-11-01T00:00:00+0000',
    revocationReason: 'SUPERSEDED',
  }), // revoked: not expiring
  aRecord({
    serial: aSerial(14),
    notAfter: '2026-11-30T00:00:00-0100',
    revokedAt: '2026-11-22T00:00:00+0000',
    revocationReason: 'SUPERSEDED',
    templateArn: undefined,
  }), // revoked only later: expiring
];

describe.each([
  ['json', toJsonReport(records)],
  ['csv', toCsvReport(records, { crlf: true })],
])('inspect (%s)', (format, text) => {
  it('counts active, expired and revoked as of the instant', async () => {
    const out = await inspectOf(text, { at: AT, expiringWithin: 30 * DAY });
    expect(out.report).toEqual({ source: 'report', format, ca: CA_ARN });
    expect(out.asOf).toBe('2026-11-20T02:00:00Z');
    expect(out.summary).toMatchObject({
      certificates: 15,
      // 0, 5, 9, 10, 11, 12, 14
      active: 7,
      // 1, 2, 7
      expired: 3,
      // 3, 4, 6, 8, 13
      revoked: 5,
    });
  });

  it('revokedByReason counts every revocation in the report; byTemplate every template', async () => {
    const out = await inspectOf(text, { at: AT, expiringWithin: 30 * DAY });
    expect(out.summary.revokedByReason).toEqual({
      KEY_COMPROMISE: 1,
      PRIVILEGE_WITHDRAWN: 1,
      SUPERSEDED: 4,
      UNSPECIFIED: 2,
    });
    expect(Object.keys(out.summary.revokedByReason)).toEqual(Object.keys(out.summary.revokedByReason).sort());
    expect(out.summary.byTemplate[END_ENTITY_TEMPLATE]).toBe(13);
    expect(out.summary.byTemplate[SERVER_TEMPLATE]).toBe(1);
  });

  it('expiring soon: notAfter in (at, at + within], not revoked as of at, soonest first', async () => {
    const out = await inspectOf(text, { at: AT, expiringWithin: 30 * DAY });
    expect(out.expiringSoon.map((r) => [r.serial, r.notAfter])).toEqual([
      [aSerial(12), '2026-11-20T02:00:01Z'],
      [aSerial(14), '2026-11-30T01:00:00Z'],
      [aSerial(10), '2026-12-20T02:00:00Z'],
    ]);
    expect(out.summary.expiringSoon).toBe(3);
    expect(out.expiringWithinSeconds).toBe(30 * DAY);
    expect(out.expiringSoon[0]!.line).toBe(14);
  });

  it('a shorter window, and a later instant', async () => {
    const short = await inspectOf(text, { at: AT, expiringWithin: DAY });
    expect(short.expiringSoon.map((r) => r.serial)).toEqual([aSerial(12)]);
    const later = await inspectOf(text, { at: epoch('2026-11-21T00:00:00Z'), expiringWithin: 30 * DAY });
    // 5 is now revoked
    expect(later.summary).toMatchObject({ active: 5, expired: 4, revoked: 6 });
  });

  it('the single-report findings with their rows, and the severity counts', async () => {
    const out = await inspectOf(text, { at: AT, expiringWithin: DAY });
    expect(out.findings.map((f) => [f.code, f.serial])).toEqual([['REVOCATION_INCOMPLETE', aSerial(6)]]);
    const row = out.findings[0]!.evidence.row as { line: number; fields: Record<string, string> };
    expect(row.line).toBe(8);
    expect(row.fields.revocationReason).toBe('PRIVILEGE_WITHDRAWN');
    expect(inspectSeverityCounts(out)).toEqual({ error: 0, warning: 1, info: 0 });
    expect(out.omittedFindings).toEqual({});
  });
});

describe('inspect: findings beyond the limit', () => {
  it('are counted in omittedFindings and in the severity counts', async () => {
    const dup = [0, 1, 2, 3].map(() => aRecord({ serial: aSerial(1) }));
    const out = await inspectOf(toJsonReport(dup), { at: AT, expiringWithin: DAY, findingLimit: 1 });
    expect(out.findings.map((f) => f.code)).toEqual(['DUPLICATE_SERIAL']);
    expect(out.omittedFindings).toEqual({ DUPLICATE_SERIAL: 2 });
    expect(inspectSeverityCounts(out)).toEqual({ error: 3, warning: 0, info: 0 });
  });
});

describe('summarise', () => {
  it('with an infinite instant, everything not revoked is expired', async () => {
    const index = await indexOf(toJsonReport(records));
    expect(summarise(index, Number.POSITIVE_INFINITY)).toMatchObject({
      certificates: 15,
      active: 0,
      revoked: 8,
      expired: 7,
    });
  });

  it('the samples: the status table of samples/README.md', async () => {
    const read = (name: string) => readFileSync(new URL(`../../samples/${name}`, import.meta.url), 'utf8');
    const old = await indexOf(read('ca-2026-11-19.json'));
    const now = await indexOf(read('ca-2026-11-20.csv'));
    expect(summarise(old, epoch('2026-11-19T02:00:00Z'))).toMatchObject({
      certificates: 52,
      active: 29,
      expired: 17,
      revoked: 6,
    });
    expect(summarise(now, epoch('2026-11-20T02:00:00Z'))).toMatchObject({
      certificates: 56,
      active: 28,
      expired: 19,
      revoked: 9,
    });
  });
});
