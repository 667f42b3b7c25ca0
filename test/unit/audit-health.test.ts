/** Issue 16 item 5: REPORT_STALE and AUDIT_REPORT_FAILED (pure), and a failed night's result in run. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AwsError, ReportFailedError, RetryLaterError } from '../../src/aws/errors.js';
import { auditReportFailed, reportStale } from '../../src/core/run/audit-health.js';
import { findingKey } from '../../src/core/run/run-model.js';
import { failedCaResult, firstTried, healthOfReport } from '../../src/run/health-step.js';
import { FsStateStore } from '../../src/store/fs-state-store.js';

const CA =
  'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c35';
const CA_ID = '5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c35';
const t = (iso: string) => Date.parse(iso) / 1000;
const H = 3600;
const settings = { maxReportAge: 36 * H, failOn: 'warning' as const, repeatAlerts: false, acks: [] };

describe('reportStale', () => {
  it('is an error past the limit, without a serial, its message the same night after night', () => {
    const newest = t('2026-12-01T02:00:00Z');
    const a = reportStale({ caArn: CA, now: newest + 37 * H, maxAge: 36 * H, newest, failedTonight: true });
    const b = reportStale({ caArn: CA, now: newest + 61 * H, maxAge: 36 * H, newest, failedTonight: true });
    expect(a).toMatchObject({ code: 'REPORT_STALE', severity: 'error' });
    expect(a!.serial).toBeUndefined();
    expect(a!.message).toBe(
      'no successful audit report of this CA since 2026-12-01T02:00:00Z, more than 36 h (--max-report-age): certificates issued or revoked since are not audited',
    );
    expect(b!.message).toBe(a!.message);
    expect(b!.evidence.health).toMatchObject({ ca: CA, ageSeconds: 61 * H, maxReportAgeSeconds: 36 * H });
  });

  it('dates a CA that never had a good report from the first try of the job', () => {
    const first = t('2026-12-01T02:00:00Z');
    const f = reportStale({
      caArn: CA,
      now: first + 48 * H,
      maxAge: 36 * H,
      newest: undefined,
      firstTried: first,
      failedTonight: true,
    });
    expect(f!.message).toBe(
      'no successful audit report of this CA since the job first tried it, at 2026-12-01T02:00:00Z, more than 36 h (--max-report-age): certificates issued or revoked since are not audited',
    );
    expect(f!.evidence.health).toMatchObject({ firstTriedAt: '2026-12-01T02:00:00Z' });
  });

  it('is nothing within the limit, at it, or with no report ever made', () => {
    const newest = t('2026-12-01T02:00:00Z');
    expect(
      reportStale({ caArn: CA, now: newest + 36 * H, maxAge: 36 * H, newest, failedTonight: true }),
    ).toBe(undefined);
    expect(
      reportStale({ caArn: CA, now: newest, maxAge: 36 * H, newest: undefined, failedTonight: true }),
    ).toBeUndefined();
  });
});

describe('auditReportFailed', () => {
  it('carries the diagnosis in the message and the report id in the evidence only', () => {
    const f = auditReportFailed({
      caArn: CA,
      reportId: 'b1f0c3a2-0000-4000-8000-000000000001',
      status: 'FAILED',
      causes: ['the bucket policy does not let this CA write'],
    });
    expect(f).toMatchObject({ code: 'AUDIT_REPORT_FAILED', severity: 'error' });
    expect(f.message).toBe(
      "the CA's audit report ended FAILED: the bucket policy does not let this CA write",
    );
    expect(f.message).not.toContain('b1f0c3a2');
    expect(f.evidence.health).toMatchObject({ reportId: 'b1f0c3a2-0000-4000-8000-000000000001' });
  });
});

describe('firstTried', () => {
  it("is the earliest start of a run whose summary names the CA; others' and unreadable summaries are passed over", async () => {
    const state = mkdtempSync(join(tmpdir(), 'pca-audit-first-'));
    try {
      const put = (run: string, body: string) => {
        mkdirSync(join(state, 'runs', run), { recursive: true });
        writeFileSync(join(state, 'runs', run, 'summary.json'), body);
      };
      put('b', JSON.stringify({ startedAt: '2026-12-02T02:00:00Z', cas: [{ ca: CA }] }));
      put('a', JSON.stringify({ startedAt: '2026-12-01T02:00:00Z', cas: [{ ca: CA }] }));
      put('0', JSON.stringify({ startedAt: '2026-11-01T02:00:00Z', cas: [{ ca: `${CA}0` }] }));
      put('x', '{not json');
      expect(await firstTried(new FsStateStore(state), CA)).toBe(t('2026-12-01T02:00:00Z'));
      expect(await firstTried(new FsStateStore(state), `${CA}1`)).toBeUndefined();
      expect(await firstTried(new FsStateStore(join(state, 'none')), CA)).toBeUndefined();
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });
});

describe('a failed night in run', () => {
  const now = t('2026-12-03T02:00:00Z');
  const base = { caArn: CA, caId: CA_ID, now, alerted: {}, settings };

  it('exit 5 with the CA unaudited for 48 h: REPORT_STALE is a new alert, and the CA exits 1', () => {
    const err = new RetryLaterError('AWS', 'SlotWaitTimeout', 'AWS kept answering', now + 1800);
    const r = failedCaResult({ ...base, err, error: 'not now', exitCode: 5, lastGood: now - 48 * H });
    expect(r.outcome).toMatchObject({ status: 'failed', exitCode: 5 });
    expect(r.newAlerts.map((f) => f.code)).toEqual(['REPORT_STALE']);
    expect(r.exitCode).toBe(1);
    // the next night, the same finding is persistent: the night is exit 5 again
    const alerted = { [findingKey(CA_ID, r.newAlerts[0]!)]: 'run-1' };
    const again = failedCaResult({
      ...base,
      alerted,
      err,
      error: 'not now',
      exitCode: 5,
      lastGood: now - 48 * H,
    });
    expect(again.newAlerts).toEqual([]);
    expect(again.persistentAlerts.map((f) => f.code)).toEqual(['REPORT_STALE']);
    expect(again.exitCode).toBe(5);
  });

  it('a FAILED report is AUDIT_REPORT_FAILED; an AWS error stays exit 3; another error adds nothing', () => {
    const failed = new ReportFailedError('b1f0c3a2-0000-4000-8000-000000000001', 'FAILED', [
      'no bucket policy',
    ]);
    const r = failedCaResult({
      ...base,
      err: failed,
      error: failed.message,
      exitCode: 3,
      lastGood: now - 24 * H,
    });
    expect(r.newAlerts.map((f) => f.code)).toEqual(['AUDIT_REPORT_FAILED']);
    expect(r.exitCode).toBe(3);
    const other = new AwsError('DescribeCertificateAuthorityAuditReport', 'AccessDeniedException', 'no');
    const o = failedCaResult({ ...base, err: other, error: 'x', exitCode: 3, lastGood: now - 24 * H });
    expect(o.newAlerts).toEqual([]);
    expect(o.exitCode).toBe(3);
  });

  it('an acknowledged REPORT_STALE is info and does not alert', () => {
    const acks = [{ code: 'REPORT_STALE' as const, serial: '*' as const, reason: 'CA being retired' }];
    const err = new RetryLaterError('AWS', 'SlotWaitTimeout', 'x', now);
    const r = failedCaResult({
      ...base,
      settings: { ...settings, acks },
      err,
      error: 'x',
      exitCode: 5,
      lastGood: now - 48 * H,
    });
    expect(r.newAlerts).toEqual([]);
    expect(r.counts.info).toBe(1);
    expect(r.exitCode).toBe(5);
  });

  it("a good night's report older than the limit (a dry run reads the bucket's newest) is REPORT_STALE", () => {
    expect(healthOfReport(CA, now - 40 * H, now, settings).map((f) => f.code)).toEqual(['REPORT_STALE']);
    expect(healthOfReport(CA, now - 2 * H, now, settings)).toEqual([]);
    expect(
      healthOfReport(CA, now - 40 * H, now, { failOn: 'warning', repeatAlerts: false, acks: [] }),
    ).toEqual([]);
  });
});
