/**
 * Issue 16 item 5: the health of the audit itself, through `run` against moto and the stand-in.
 * A CA's report fails night after night (the stand-in's fail-next-report and fault knobs), the
 * emulated clock a day further each night: AUDIT_REPORT_FAILED the night the report ends FAILED,
 * REPORT_STALE once the last good report is older than --max-report-age, even on a night that is
 * otherwise "only" exit 5; then a good night clears both.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { assertBuilt } from '../e2e/cli.js';
import { createBucket, knob, readKnob, resetStack } from '../support/aws-stack.js';
import { caStateDir, cliOnStack, type TestPca, testPca } from '../support/pca.js';

const stack = inject('awsStack');
let work: string;
let pca: TestPca;

beforeAll(() => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'pca-audit-health-'));
  pca = testPca(stack, work, '/CN=svc');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(async () => {
  await resetStack(stack);
  await knob(stack, 'config', { reportDelayMs: 100 });
  await createBucket(stack, 'audit-reports');
});

interface Summary {
  exitCode: number;
  cas: Array<{
    status: string;
    error?: string;
    exitCode: number;
    newAlerts: Array<{ code: string; severity: string; serial?: string; message: string }>;
    persistentAlerts: Array<{ code: string; message: string }>;
  }>;
}

async function night(ca: string, state: string, extra: string[] = []) {
  const r = await cliOnStack(stack, [
    'run',
    '--bucket',
    'audit-reports',
    '--ca',
    ca,
    '--state-dir',
    state,
    '--poll-interval',
    '1s',
    '--timeout',
    '3s',
    '--max-attempts',
    '1',
    '--crl-check',
    'off',
    '--format',
    'json',
    ...extra,
  ]);
  return {
    ...r,
    get summary() {
      return JSON.parse(r.stdout) as Summary;
    },
  };
}

const DAY = 86400;

describe('run: findings on the job itself (issue 16 item 5)', () => {
  it('AUDIT_REPORT_FAILED the night a report fails; REPORT_STALE past --max-report-age, also on an exit-5 night; both gone after a good night', async () => {
    const ca = await pca.createCa('Health Root');
    await pca.issue(ca, 30);
    const state = join(work, 'state');

    // night 1: the baseline, made now
    const n1 = await night(ca, state);
    expect(n1.code, n1.stderr).toBe(0);
    const checkpoint = JSON.parse(readFileSync(join(caStateDir(state, ca), 'checkpoint.json'), 'utf8')) as {
      createdAt: string;
    };

    // night 2, a day later: the report ends FAILED; AWS's failure (exit 3) and the finding
    await knob(stack, 'clock', { advance: DAY });
    await knob(stack, 'fail-next-report', { certificateAuthorityArn: ca });
    const n2 = await night(ca, state);
    expect(n2.code, n2.stderr).toBe(3);
    const c2 = n2.summary.cas[0]!;
    expect(c2.status).toBe('failed');
    expect(c2.error).toMatch(/ReportFailed: report \S+ ended FAILED/);
    expect(c2.newAlerts.map((a) => [a.code, a.severity, a.serial])).toEqual([
      ['AUDIT_REPORT_FAILED', 'error', undefined],
    ]);
    expect(c2.newAlerts[0]!.message).toMatch(/^the CA's audit report ended FAILED: /);

    // night 3, two days after the last good report (> 36 h): AWS keeps throttling the request, which
    // alone is "not now" (exit 5); the job's own finding makes it an alert (exit 1)
    await knob(stack, 'clock', { advance: DAY });
    await knob(stack, 'fault', {
      operation: 'CreateCertificateAuthorityAuditReport',
      count: 1000,
      kind: 'throttle',
    });
    const n3 = await night(ca, state);
    const c3 = n3.summary.cas[0]!;
    expect(c3.status).toBe('failed');
    expect(c3.error).toMatch(/^not now: refused by AWS: /);
    expect(c3.newAlerts.map((a) => [a.code, a.severity, a.serial])).toEqual([
      ['REPORT_STALE', 'error', undefined],
    ]);
    const stale = c3.newAlerts[0]!.message;
    expect(stale).toBe(
      `no successful audit report of this CA since ${checkpoint.createdAt}, more than 36 h (--max-report-age): certificates issued or revoked since are not audited`,
    );
    expect(c3.exitCode).toBe(1);
    expect(n3.code, n3.stderr).toBe(1);

    // night 4: still throttled: the same REPORT_STALE is persistent (alerted once), the night exit 5 again
    await knob(stack, 'clock', { advance: DAY });
    const n4 = await night(ca, state);
    const c4 = n4.summary.cas[0]!;
    expect(c4.newAlerts).toEqual([]);
    expect(c4.persistentAlerts.map((a) => [a.code, a.message])).toEqual([['REPORT_STALE', stale]]);
    expect(n4.code, n4.stderr).toBe(5);

    // a shorter --max-report-age is a different finding (its message names it): alerted anew
    const short = await night(ca, state, ['--max-report-age', '48h']);
    expect(short.summary.cas[0]!.newAlerts.map((a) => a.code)).toEqual(['REPORT_STALE']);
    expect(short.summary.cas[0]!.newAlerts[0]!.message).toMatch(/more than 48 h \(--max-report-age\)/);

    // night 5: AWS answers again; a good report, diffed: no finding on the job
    await knob(stack, 'fault', {
      operation: 'CreateCertificateAuthorityAuditReport',
      count: 0,
      kind: 'throttle',
    });
    await knob(stack, 'clock', { advance: DAY });
    const n5 = await night(ca, state);
    expect(n5.code, n5.stderr).toBe(0);
    expect(n5.summary.cas[0]!.status).toBe('diffed');
    const runId = (JSON.parse(n5.stdout) as { runId: string }).runId;
    const result = JSON.parse(
      readFileSync(join(state, 'runs', runId, `${ca.split('/').pop()}.json`), 'utf8'),
    ) as {
      findings: Array<{ code: string }>;
    };
    expect(result.findings.map((f) => f.code)).not.toContain('REPORT_STALE');
  });

  it('a CA that never had a good report: REPORT_STALE dated from the first night the job tried it', async () => {
    const ca = await pca.createCa('Never Root');
    const state = join(work, 'never');
    await knob(stack, 'fail-next-report', { certificateAuthorityArn: ca });
    const n1 = await night(ca, state);
    expect(n1.code, n1.stderr).toBe(3);
    expect(n1.summary.cas[0]!.newAlerts.map((a) => a.code)).toEqual(['AUDIT_REPORT_FAILED']);
    const startedAt = (JSON.parse(n1.stdout) as { startedAt: string }).startedAt;
    await knob(stack, 'clock', { advance: 2 * DAY });
    await knob(stack, 'fail-next-report', { certificateAuthorityArn: ca });
    const n2 = await night(ca, state);
    expect(n2.code, n2.stderr).toBe(3);
    const c2 = n2.summary.cas[0]!;
    // the same diagnosis: persistent; the silence: new
    expect(c2.persistentAlerts.map((a) => a.code)).toEqual(['AUDIT_REPORT_FAILED']);
    expect(c2.newAlerts.map((a) => a.message)).toEqual([
      `no successful audit report of this CA since the job first tried it, at ${startedAt}, more than 36 h (--max-report-age): certificates issued or revoked since are not audited`,
    ]);
  });

  it('a damaged checkpoint fails the CA (exit 2) but dates nothing: no REPORT_STALE from the first run', async () => {
    const ca = await pca.createCa('Damaged Root');
    const state = join(work, 'damaged');
    const n1 = await night(ca, state);
    expect(n1.code, n1.stderr).toBe(0);
    writeFileSync(join(caStateDir(state, ca), 'checkpoint.json'), 'not json');
    await knob(stack, 'clock', { advance: 2 * DAY });
    const n2 = await night(ca, state);
    expect(n2.code, n2.stderr).toBe(2);
    expect(n2.summary.cas[0]!.status).toBe('failed');
    expect(n2.summary.cas[0]!.newAlerts).toEqual([]);
  });

  it('a night whose window starts more than 90 days ago: CLOUDTRAIL_GAP for the part LookupEvents no longer keeps; LookupEvents asked by EventName only', async () => {
    const ca = await pca.createCa('Gap Root');
    await pca.issue(ca, 400);
    const state = join(work, 'gap');
    const n1 = await night(ca, state);
    expect(n1.code, n1.stderr).toBe(0);
    const checkpoint = JSON.parse(readFileSync(join(caStateDir(state, ca), 'checkpoint.json'), 'utf8')) as {
      createdAt: string;
    };
    await knob(stack, 'clock', { advance: 91 * DAY });
    await pca.issue(ca, 400);
    await knob(stack, 'clock', { advance: 60 });
    // REPORT_STALE is not what this night is about: a long limit
    const n2 = await night(ca, state, ['--max-report-age', '100d']);
    expect(n2.summary.cas[0]!.status).toBe('diffed');
    const runId = (JSON.parse(n2.stdout) as { runId: string }).runId;
    const result = JSON.parse(
      readFileSync(join(state, 'runs', runId, `${ca.split('/').pop()}.json`), 'utf8'),
    ) as {
      findings: Array<{ code: string; severity: string; message: string; evidence: Record<string, unknown> }>;
    };
    const gaps = result.findings.filter((f) => f.code === 'CLOUDTRAIL_GAP');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.severity).toBe('warning');
    expect(gaps[0]!.message).toMatch(
      new RegExp(
        `^LookupEvents keeps 90 days: ${checkpoint.createdAt} → \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z \\(24\\.0 h\\) of the window is not covered \\(account \\d{12}, ${stack.region}\\)$`,
      ),
    );
    expect(gaps[0]!.evidence.coverage).toMatchObject({ source: 'lookup', reason: 'lookup-retention' });
    // a warning at or above --fail-on: a new alert
    expect(n2.summary.cas[0]!.newAlerts.map((a) => a.code)).toContain('CLOUDTRAIL_GAP');
    expect(n2.code, n2.stderr).toBe(1);

    // the stand-in's request log: one pass per EventName, never the event source
    const { Lookups } = await readKnob<{
      Lookups: { attribute: { AttributeKey: string; AttributeValue: string } | null; answered: boolean }[];
    }>(stack, 'lookups');
    const byName: Record<string, number> = {};
    for (const l of Lookups.filter((x) => x.answered)) {
      expect(l.attribute?.AttributeKey).toBe('EventName');
      byName[l.attribute!.AttributeValue] = (byName[l.attribute!.AttributeValue] ?? 0) + 1;
    }
    expect(Object.keys(byName).sort()).toEqual(
      [
        'CreateCertificateAuthorityAuditReport',
        'GenerateCRL',
        'IssueCertificate',
        'IssueCertificateDetails',
        'RevokeCertificate',
      ].sort(),
    );
  });

  it('--max-report-age is checked as a duration', async () => {
    const ca = await pca.createCa('Health Flag Root');
    const r = await night(ca, join(work, 'flag'), ['--max-report-age', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pca-audit: --max-report-age: .*soon/);
  });
});
