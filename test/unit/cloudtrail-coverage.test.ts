/** Issue 16 item 5: CLOUDTRAIL_GAP, the parts of the window the sources do not cover (pure). */
import { describe, expect, it } from 'vitest';
import {
  gapFindings,
  lookupGap,
  trailFileTime,
  trailGaps,
} from '../../src/core/reconcile/cloudtrail/coverage.js';

const t = (iso: string) => Date.parse(iso) / 1000;
const key = (stamp: string) =>
  `AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/19/111122223333_CloudTrail_eu-west-1_${stamp}_kI2ZxAp8EGrGWiof.json.gz`;
const w = {
  source: 's3://org-trail/',
  account: '111122223333',
  region: 'eu-west-1',
  from: t('2026-11-19T02:00:00Z'),
  to: t('2026-11-19T06:00:00Z'),
};

describe('trailFileTime', () => {
  it("reads the delivery time from AWS's file name, and nothing from another name", () => {
    expect(trailFileTime(key('20261119T1635Z'))).toBe(t('2026-11-19T16:35:00Z'));
    expect(
      trailFileTime('AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/19/export.json.gz'),
    ).toBeUndefined();
  });
});

describe('trailGaps', () => {
  it('finds none when a file arrives at least every hour, the last after the window', () => {
    const keys = ['0245', '0340', '0435', '0530', '0615'].map((h) => key(`20261119T${h}Z`));
    expect(trailGaps(keys, w)).toEqual([]);
  });

  it('names each silence of more than an hour inside the window, the start and the end included', () => {
    const keys = ['0130', '0330', '0410', '0420'].map((h) => key(`20261119T${h}Z`));
    const gaps = trailGaps(keys, w);
    expect(gaps.map((g) => [g.from, g.to])).toEqual([
      [w.from, t('2026-11-19T03:30:00Z')],
      [t('2026-11-19T04:20:00Z'), w.to],
    ]);
    expect(gaps.every((g) => g.reason === 'no-trail-file' && g.account === w.account)).toBe(true);
  });

  it('calls the whole window a gap when no file was delivered in it', () => {
    expect(trailGaps([], w).map((g) => [g.from, g.to])).toEqual([[w.from, w.to]]);
  });
});

describe('lookupGap', () => {
  it('is the part of the window older than 90 days, and nothing for a recent window', () => {
    const now = t('2026-12-03T01:00:00Z');
    const from = now - 100 * 86400;
    expect(lookupGap({ account: 'a', region: 'r', from, to: now - 86400, now })).toMatchObject({
      from,
      to: now - 90 * 86400,
      reason: 'lookup-retention',
      source: 'lookup',
    });
    expect(lookupGap({ account: 'a', region: 'r', from: now - 2 * 86400, to: now, now })).toBeUndefined();
  });
});

describe('gapFindings', () => {
  it('is a CLOUDTRAIL_GAP warning without a serial, saying what is uncovered and by which source', () => {
    const [f] = gapFindings(trailGaps([key('20261119T0330Z')], w).slice(0, 1));
    expect(f).toMatchObject({ code: 'CLOUDTRAIL_GAP', severity: 'warning' });
    expect(f!.serial).toBeUndefined();
    expect(f!.message).toBe(
      's3://org-trail/: no log file of account 111122223333 in eu-west-1 from 2026-11-19T02:00:00Z to 2026-11-19T03:30:00Z (90 min): events of that span may be missing',
    );
    const now = t('2026-12-03T01:00:00Z');
    const [g] = gapFindings([
      lookupGap({ account: 'a', region: 'r', from: now - 95 * 86400, to: now, now })!,
    ]);
    expect(g!.message).toMatch(/^LookupEvents keeps 90 days: .* \(5\.0 days\) of the window is not covered/);
    // the clock has fractions of a second: shown to the whole second, outward
    const [h] = gapFindings([
      lookupGap({ account: 'a', region: 'r', from: now - 95 * 86400, to: now, now: now + 0.25 })!,
    ]);
    expect(h!.message).toContain(` → 2026-09-04T01:00:01Z (`);
  });
});
