/**
 * The whole flow against moto (S3) and the emulator (PCA audit reports, CloudTrail), through the
 * built CLI: create a CA, issue, revoke, generate, generate again 30 simulated minutes later, diff
 * with LookupEvents; then the nightly job two nights in a row, crashes, the lock, a missing bucket.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RevokeCertificateCommand } from '@aws-sdk/client-acm-pca';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { assertBuilt } from '../e2e/cli.js';
import { createBucket, knob, resetStack, TEST_CREDENTIALS } from '../support/aws-stack.js';
import { caStateDir, cliOnStack, colon, emulatorNow, type TestPca, testPca } from '../support/pca.js';

const stack = inject('awsStack');
let work: string;
let pca: TestPca;

beforeAll(() => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'pca-audit-flow-'));
  pca = testPca(stack, work);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(async () => {
  await resetStack(stack);
  await knob(stack, 'config', { reportDelayMs: 100 });
});

const createCa = () => pca.createCa();
const issue = (ca: string) => pca.issue(ca);
const now = () => emulatorNow(stack);
const cli = (args: string[], extra: Record<string, string> = {}) => cliOnStack(stack, args, extra, 60_000);

/** `generate --json` into dir; what it made. */
async function generate(
  ca: string,
  dir: string,
): Promise<{ reportId: string; path: string; createdAt: string }> {
  const r = await cli([
    'generate',
    '--ca',
    ca,
    '--bucket',
    'audit-reports',
    '--out',
    dir,
    '--poll-interval',
    '1s',
    '--json',
  ]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

function codes(out: { findings: Array<{ code: string; serial?: string }> }): string[] {
  return out.findings.map((f) => `${f.code} ${f.serial ?? '-'}`).sort();
}

describe('generate and diff against the stand-in', () => {
  it('creates, waits, downloads; reuses a report younger than 30 minutes; a second one later', async () => {
    await createBucket(stack, 'audit-reports');
    const ca = await createCa();
    await issue(ca);
    const out = join(work, 'g1');
    const first = await cli([
      'generate',
      '--ca',
      ca,
      '--bucket',
      'audit-reports',
      '--out',
      out,
      '--poll-interval',
      '1s',
      '--json',
    ]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const made = JSON.parse(first.stdout);
    expect(made).toMatchObject({
      ca,
      bucket: 'audit-reports',
      format: 'json',
      reused: false,
      downloaded: true,
    });
    expect(made.path).toBe(join(out, `${made.reportId}.json`));
    const report = JSON.parse(readFileSync(made.path, 'utf8'));
    expect(report).toHaveLength(2); // the root's own certificate and the one issued
    // no leftovers of the download
    expect(readdirSync(out)).toEqual([`${made.reportId}.json`]);

    // ten minutes later: the same report, said so on stderr, path on stdout
    await knob(stack, 'clock', { advance: 600 });
    const again = await cli([
      'generate',
      '--ca',
      ca,
      '--bucket',
      'audit-reports',
      '--out',
      out,
      '--poll-interval',
      '1s',
    ]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`${made.path}\n`);
    expect(again.stderr).toMatch(
      /^pca-audit: reusing report [0-9a-f-]{36}, made \d+ min ago \(AWS makes one report per CA every 30 minutes\)\n/,
    );

    // 31 minutes after the first: a new report
    await knob(stack, 'clock', { advance: 1260 });
    const later = await cli([
      'generate',
      '--ca',
      ca,
      '--bucket',
      'audit-reports',
      '--out',
      out,
      '--poll-interval',
      '1s',
      '--json',
    ]);
    expect(later.code).toBe(0);
    expect(JSON.parse(later.stdout).reportId).not.toBe(made.reportId);
  });

  it('finds exactly the discrepancies planted through the knobs, reconciled with LookupEvents', async () => {
    await createBucket(stack, 'audit-reports');
    const ca = await createCa();
    const keep = await issue(ca);
    const revokeLater = await issue(ca);
    const silent = await issue(ca);
    const changed = await issue(ca);
    const gone = await issue(ca);
    const dir = join(work, 'g2');
    const old = await generate(ca, dir);

    await knob(stack, 'clock', { advance: 3600 });
    const fresh = await issue(ca);
    // a revocation with its CloudTrail record (serial written uppercase with a 00 octet), one without
    await pca.client.send(
      new RevokeCertificateCommand({
        CertificateAuthorityArn: ca,
        CertificateSerial: `00${revokeLater}`.toUpperCase(),
        RevocationReason: 'KEY_COMPROMISE',
      }),
    );
    await knob(stack, 'revoke-silently', {
      certificateAuthorityArn: ca,
      certificateSerial: silent,
      revocationReason: 'SUPERSEDED',
    });
    // later reports drop one row and alter another
    await knob(stack, 'report-tamper', { certificateAuthorityArn: ca, serial: colon(gone), drop: true });
    await knob(stack, 'report-tamper', {
      certificateAuthorityArn: ca,
      serial: colon(changed),
      field: 'subject',
      value: 'CN=forged.example.internal',
    });
    await knob(stack, 'clock', { advance: 60 });
    const neu = await generate(ca, dir);

    const diff = await cli([
      'diff',
      old.path,
      neu.path,
      '--old-created-at',
      old.createdAt,
      '--new-created-at',
      neu.createdAt,
      '--cloudtrail',
      'lookup',
      '--format',
      'json',
    ]);
    expect(diff.stderr).toBe('');
    expect(diff.code).toBe(1);
    const out = JSON.parse(diff.stdout);
    expect(out.changes.issued.map((r: { serial: string }) => r.serial)).toEqual([colon(fresh)]);
    expect(out.changes.revoked.map((r: { serial: string }) => r.serial).sort()).toEqual(
      [colon(revokeLater), colon(silent)].sort(),
    );
    expect(codes(out)).toEqual(
      [
        `CERTIFICATE_CHANGED ${colon(changed)}`,
        `CERTIFICATE_DISAPPEARED ${colon(gone)}`,
        // the stand-in records IssueCertificateDetails: the altered subject is not what the CA signed
        `ISSUANCE_MISMATCH ${colon(changed)}`,
        `REVOKED_WITHOUT_EVENT ${colon(silent)}`,
      ].sort(),
    );
    expect(out.reconciliation).toMatchObject({
      sources: ['lookup'],
      matchedRevocations: 1,
      unexplainedRevocations: 1,
    });
    expect(out.reconciliation.issuance.checked).toBe(true);
    expect(
      out.findings.find((f: { code: string }) => f.code === 'CERTIFICATE_CHANGED').evidence,
    ).toMatchObject({
      field: 'subject',
      newValue: 'CN=forged.example.internal',
    });
    expect(keep).toBeTruthy();

    // the same two reports straight from S3, newest two under the CA's prefix
    const caId = ca.split('/').pop();
    const latest = await cli([
      'diff',
      `s3://audit-reports/audit-report/${caId}/`,
      '--latest',
      '2',
      '--format',
      'json',
    ]);
    expect(latest.code).toBe(1);
    expect(codes(JSON.parse(latest.stdout))).toEqual(
      // without CloudTrail: no finding that needs it
      codes({
        findings: out.findings.filter(
          (f: { code: string }) => f.code !== 'REVOKED_WITHOUT_EVENT' && f.code !== 'ISSUANCE_MISMATCH',
        ),
      }),
    );
    expect(JSON.parse(latest.stdout).window.basis).toBe("from S3 (the report object's LastModified)");
  });

  it('AWS failures exit 3 with the error name, the operation and the request id; nothing is left behind', async () => {
    const ca = await createCa();
    const dir = join(work, 'g3');
    // no such bucket: the report fails, and the diagnosis says why
    const r = await cli([
      'generate',
      '--ca',
      ca,
      '--bucket',
      'no-such-bucket',
      '--out',
      dir,
      '--poll-interval',
      '1s',
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /^pca-audit: AWS (ListObjectsV2|CreateCertificateAuthorityAuditReport) failed: (NoSuchBucket|ReportFailed): .*\n/,
    );
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);

    await createBucket(stack, 'audit-reports');
    await knob(stack, 'fail-next-report', { certificateAuthorityArn: ca });
    const failed = await cli([
      'generate',
      '--ca',
      ca,
      '--bucket',
      'audit-reports',
      '--out',
      dir,
      '--poll-interval',
      '1s',
    ]);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toMatch(
      /AWS CreateCertificateAuthorityAuditReport failed: ReportFailed: report [0-9a-f-]{36} ended FAILED/,
    );
    expect(failed.stderr).toMatch(/hint: 'pca-audit doctor/);

    // throttled beyond the SDK's retries
    await knob(stack, 'fault', {
      operation: 'CreateCertificateAuthorityAuditReport',
      count: 10,
      kind: '500',
    });
    const broken = await cli([
      'generate',
      '--ca',
      ca,
      '--bucket',
      'audit-reports',
      '--out',
      dir,
      '--max-attempts',
      '2',
    ]);
    expect(broken.code).toBe(3);
    expect(broken.stderr).toMatch(
      /^pca-audit: AWS CreateCertificateAuthorityAuditReport failed: InternalFailure: .*\(request id [\w-]+\)\n/,
    );
  });
});

describe('run: the nightly job', () => {
  it('two nights: a baseline, then the planted discrepancies; alerts once; the lock; a missing bucket fails alone', async () => {
    await createBucket(stack, 'audit-reports');
    const ca = await createCa();
    const other = await createCa();
    await issue(ca);
    const victim = await issue(ca);
    const state = join(work, 'state1');
    const notified = join(work, 'notified1.log');
    const notify = `echo "$PCA_AUDIT_RUN_ID $PCA_AUDIT_NEW_ALERTS" >> ${notified}`;
    const base = [
      'run',
      '--bucket',
      'audit-reports',
      '--ca',
      ca,
      '--state-dir',
      state,
      '--poll-interval',
      '1s',
      '--notify-command',
      notify,
    ];

    const night1 = await cli(base);
    expect(night1.code).toBe(0);
    expect(night1.stdout).toMatch(/baseline recorded/);
    expect(existsSync(notified)).toBe(false);

    await knob(stack, 'clock', { advance: 86400 });
    await knob(stack, 'revoke-silently', { certificateAuthorityArn: ca, certificateSerial: victim });
    const night2 = await cli(base);
    expect(night2.code).toBe(1);
    expect(night2.stdout).toMatch(new RegExp(`REVOKED_WITHOUT_EVENT ${colon(victim)}`));
    expect(readFileSync(notified, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(readFileSync(join(state, 'latest-summary.md'), 'utf8')).toMatch(/### New alerts \(1\)/);

    // the next night: nothing new, no alert again
    await knob(stack, 'clock', { advance: 86400 });
    const night3 = await cli(base);
    expect(night3.code).toBe(0);
    expect(readFileSync(notified, 'utf8').trim().split('\n')).toHaveLength(1);

    // two runs at once: the second says who holds the lock and exits 2; the first finishes
    await knob(stack, 'clock', { advance: 86400 });
    await knob(stack, 'config', { reportDelayMs: 4000 });
    const first = cli(base);
    await new Promise((r) => setTimeout(r, 1500));
    const second = await cli(base);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(
      /^pca-audit: state ".*lock": another pca-audit run holds the lock \(pid \d+ on .*\)\n/,
    );
    expect((await first).code).toBe(0);
    await knob(stack, 'config', { reportDelayMs: 100 });

    // a lock held by a live process: the second run says so and exits 2
    writeFileSync(
      join(state, 'lock'),
      JSON.stringify({
        pid: process.pid,
        host: (await import('node:os')).hostname(),
        startedAt: new Date().toISOString(),
        token: 'x',
      }),
    );
    const locked = await cli(base);
    expect(locked.code).toBe(2);
    expect(locked.stderr).toMatch(
      /another pca-audit run holds the lock \(pid \d+ on .*\)\nhint: wait for it to finish/,
    );
    rmSync(join(state, 'lock'));

    // a CA whose bucket is gone fails alone; the other CA still gets its baseline
    const split = await cli([
      'run',
      '--bucket',
      'gone-bucket',
      '--ca',
      other,
      '--ca',
      ca,
      '--state-dir',
      join(work, 'state2'),
      '--poll-interval',
      '1s',
      '--format',
      'json',
    ]);
    const summary = JSON.parse(split.stdout);
    expect(split.code).toBe(3);
    expect(summary.cas.map((c: { status: string }) => c.status)).toEqual(['failed', 'failed']);
    expect(summary.cas[0].error).toMatch(/NoSuchBucket|ReportFailed/);
  });

  it('killed between steps and run again: the same results, one notification', async () => {
    await createBucket(stack, 'audit-reports');
    const ca = await createCa();
    for (const crashAfter of ['ca-results', 'commit', 'apply']) {
      const victim = await issue(ca);
      const state = join(work, `crash-${crashAfter}`);
      const notified = join(work, `notified-${crashAfter}.log`);
      const base = [
        'run',
        '--bucket',
        'audit-reports',
        '--ca',
        ca,
        '--state-dir',
        state,
        '--poll-interval',
        '1s',
        '--notify-command',
        `echo "$PCA_AUDIT_RUN_ID" >> ${notified}`,
        '--format',
        'json',
      ];
      await knob(stack, 'clock', { advance: 86400 });
      expect((await cli(base)).code).toBe(0); // baseline
      await knob(stack, 'clock', { advance: 86400 });
      await knob(stack, 'revoke-silently', { certificateAuthorityArn: ca, certificateSerial: victim });
      const crashed = await cli(base, { PCA_AUDIT_TEST_CRASH_AFTER: crashAfter });
      expect(crashed.code, crashAfter).toBe(137);
      const rerun = await cli(base);
      expect(rerun.code, crashAfter).toBeLessThanOrEqual(1);
      const lines = existsSync(notified) ? readFileSync(notified, 'utf8').trim().split('\n') : [];
      expect(lines, `${crashAfter}: one notification`).toHaveLength(1);
      // the finding is stored in some run's results, whichever run made it
      const runs = readdirSync(join(state, 'runs'));
      const stored = runs.flatMap((r) =>
        readdirSync(join(state, 'runs', r))
          .filter((f) => f.endsWith('.json') && f !== 'summary.json' && f !== 'commit.json')
          .map((f) => readFileSync(join(state, 'runs', r, f), 'utf8')),
      );
      expect(
        stored.some((t) => t.includes('REVOKED_WITHOUT_EVENT')),
        crashAfter,
      ).toBe(true);
      // a fresh serial for the next round
      await knob(stack, 'clock', { advance: 86400 });
    }
  });

  it('keeps its state in S3 with --state s3://…: two nights, then the S3 lock stops a second run', async () => {
    await createBucket(stack, 'audit-reports');
    await createBucket(stack, 'pca-state');
    const ca = await createCa();
    await issue(ca);
    const base = [
      'run',
      '--bucket',
      'audit-reports',
      '--ca',
      ca,
      '--state',
      's3://pca-state/nightly/',
      '--poll-interval',
      '1s',
      '--format',
      'json',
    ];
    const night1 = await cli(base);
    expect(night1.code).toBe(0);
    expect(JSON.parse(night1.stdout).cas[0].status).toBe('baseline');
    await knob(stack, 'clock', { advance: 86400 });
    const fresh = await issue(ca);
    const night2 = await cli(base);
    expect(night2.stderr).toBe('');
    expect(night2.code).toBe(0);
    const s2 = JSON.parse(night2.stdout).cas[0];
    expect(s2).toMatchObject({ status: 'diffed', issued: 1, revoked: 0 });
    const caId = ca.split('/').pop();
    const listing = await (await fetch(`${stack.motoUrl}/pca-state?list-type=2&prefix=nightly/`)).text();
    expect(listing).toContain(`nightly/cas/${stack.account}/${stack.region}/${caId}/checkpoint.json`);
    expect(listing).toContain(
      `nightly/cas/${stack.account}/${stack.region}/${caId}/reports/${s2.reportId}.json`,
    );
    expect(listing).toContain(`nightly/runs/`);
    expect(listing).not.toContain('nightly/lock');
    expect(fresh).toBeTruthy();
    // a lock object left by a live run
    await fetch(`${stack.motoUrl}/pca-state/nightly/lock`, {
      method: 'PUT',
      body: JSON.stringify({
        pid: 4242,
        host: 'runner-7',
        startedAt: new Date((await now()) * 1000).toISOString(),
        token: 't',
      }),
    });
    const locked = await cli(base);
    expect(locked.code).toBe(2);
    expect(locked.stderr).toMatch(
      /^pca-audit: state "s3:\/\/pca-state\/nightly\/lock": another pca-audit run holds the lock \(pid 4242 on runner-7, since .*\)\n/,
    );
  });

  it('an edited checkpoint is HISTORY_TAMPERED once; the chain holds again afterwards', async () => {
    await createBucket(stack, 'audit-reports');
    const ca = await createCa();
    await issue(ca);
    const state = join(work, 'tamper');
    const base = [
      'run',
      '--bucket',
      'audit-reports',
      '--ca',
      ca,
      '--state-dir',
      state,
      '--poll-interval',
      '1s',
      '--format',
      'json',
    ];
    expect((await cli(base)).code).toBe(0);
    const cpPath = join(caStateDir(state, ca), 'checkpoint.json');
    const cp = JSON.parse(readFileSync(cpPath, 'utf8'));
    writeFileSync(cpPath, JSON.stringify({ ...cp, createdAt: '2020-01-01T00:00:00Z' }, null, 2));
    await knob(stack, 'clock', { advance: 86400 });
    await issue(ca);
    const tampered = await cli(base);
    expect(tampered.code).toBe(1);
    const alerts = JSON.parse(tampered.stdout).cas[0].newAlerts;
    expect(alerts[0]).toEqual({
      code: 'HISTORY_TAMPERED',
      severity: 'error',
      message: 'the checkpoint does not match its own hash (edited?)',
    });
    // issue 16 item 5: the edited createdAt (2020) starts the night's window long before LookupEvents'
    // 90 days, and the night says so
    expect(alerts.slice(1)).toEqual([
      expect.objectContaining({
        code: 'CLOUDTRAIL_GAP',
        severity: 'warning',
        message: expect.stringMatching(/^LookupEvents keeps 90 days: 2020-01-01T00:00:00Z → /),
      }),
    ]);
    await knob(stack, 'clock', { advance: 86400 });
    const after = await cli(base);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout).cas[0].findings.error).toBe(0);
  });

  it('generate without s3:ListBucket: AWS decides the 30-minute rule, and the report is still kept', async () => {
    await createBucket(stack, 'audit-reports');
    const ca = await createCa();
    await issue(ca);
    Object.assign(process.env, {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    const { makeClients } = await import('../../src/aws/clients.js');
    const { generateReport } = await import('../../src/aws/generate.js');
    const { parseCaArn } = await import('../../src/core/ca-arn.js');
    const real = makeClients({ endpointUrl: stack.motoUrl, retryMode: 'standard', maxAttempts: 1 }, {});
    const pcaClients = makeClients(
      { endpointUrl: stack.emulatorUrl, retryMode: 'standard', maxAttempts: 1 },
      {},
    );
    const denied = Object.assign(new Error('Access Denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    const s3 = real.s3(stack.region);
    // an S3Client still (the SDK's paginators check), whose ListObjectsV2 is refused
    const guarded = Object.assign(Object.create(s3) as typeof s3, {
      send: (command: { constructor: { name: string } }) =>
        command.constructor.name === 'ListObjectsV2Command'
          ? Promise.reject(denied)
          : (s3.send as (c: unknown) => Promise<unknown>)(command),
    });
    const clients = { ...pcaClients, s3: () => guarded };
    const notes: string[] = [];
    const clock = await now();
    const out = join(work, 'nolist');
    const deps = {
      clients,
      now: () => clock,
      sleep: (sec: number) => new Promise<void>((r) => setTimeout(r, sec * 100)),
      note: (m: string) => notes.push(m),
      progress: () => {},
    };
    const options = {
      ca: parseCaArn(ca)!,
      bucket: 'audit-reports',
      format: 'json' as const,
      outDir: out,
      timeout: 60,
      pollInterval: 1,
      waitForSlot: false,
    };
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out, { recursive: true });
    const first = await generateReport(deps, options);
    expect(first).toMatchObject({ reused: false, alreadyDownloaded: false });
    expect(readdirSync(out)).toEqual([`${first.id}.json`]);
    expect(notes[0]).toMatch(
      /may not list s3:\/\/audit-reports\/audit-report\/.*\/ \(AccessDenied\): a recent report cannot be reused, AWS's answer decides/,
    );
    // a second request inside the 30 minutes: the stand-in hands the earlier report back, and that is said
    const second = await generateReport({ ...deps, now: () => clock + 600 }, options);
    expect(second.id).toBe(first.id);
    expect(second.reused).toBe(true);
    expect(notes.join('\n')).toMatch(/AWS handed back report .*, made 10 min ago/);
  });
});
