/**
 * Issue 16 item 4: run's alerts where AWS teams look, against moto: the summary published to SNS
 * (read back through an SQS queue subscribed to the topic), and a failing AWS channel retried on
 * the next night without losing the others.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { assertBuilt } from '../e2e/cli.js';
import { hubFindings, hubFront, receive, topicWithQueue } from '../support/alert-channels.js';
import { createBucket, knob, resetStack, TEST_CREDENTIALS } from '../support/aws-stack.js';
import { caStateDir, cliOnStack, colon, emulatorNow, type TestPca, testPca } from '../support/pca.js';

// this process's own SNS/SQS clients (the child's environment sets it too)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const stack = inject('awsStack');
let work: string;
let pca: TestPca;

const sdk = {
  region: stack.region,
  endpoint: stack.motoUrl,
  credentials: TEST_CREDENTIALS,
};

/** Where the AWS channels' clients go: moto. */
const channelEnv = () => ({
  AWS_ENDPOINT_URL_SNS: stack.motoUrl,
  AWS_ENDPOINT_URL_SECURITYHUB: stack.motoUrl,
  AWS_ENDPOINT_URL_CLOUDWATCH: stack.motoUrl,
});

beforeAll(() => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'pca-audit-channels-'));
  pca = testPca(stack, work, '/CN=svc');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(async () => {
  await resetStack(stack);
  await knob(stack, 'config', { reportDelayMs: 100 });
  await createBucket(stack, 'audit-reports');
});

const cli = (args: string[], extra: Record<string, string> = {}) =>
  cliOnStack(stack, args, { ...channelEnv(), ...extra });

describe('run: alerts through SNS', () => {
  it('publishes the Markdown summary with exitCode and runId attributes; JSON with --sns-format json (raw delivery)', async () => {
    const ca = await pca.createCa('Sns Root');
    const victim = await pca.issue(ca, 30);
    const md = await topicWithQueue(stack, 'pca-md', false);
    const json = await topicWithQueue(stack, 'pca-json', true);
    const state = join(work, 'sns');
    const base = ['run', '--bucket', 'audit-reports', '--ca', ca, '--state-dir', state];
    const night = (topic: string, format: string) => [
      ...base,
      '--poll-interval',
      '1s',
      '--format',
      'json',
      '--sns-topic-arn',
      topic,
      '--sns-format',
      format,
    ];
    expect((await cli(night(md.topicArn, 'markdown'))).code).toBe(0);
    expect(await receive(stack, md.queueUrl)).toEqual([]); // a baseline with nothing to say
    await knob(stack, 'clock', { advance: 86400 });
    await knob(stack, 'revoke-silently', { certificateAuthorityArn: ca, certificateSerial: victim });
    const second = await cli(night(md.topicArn, 'markdown'));
    expect(second.code).toBe(1);
    const runId = JSON.parse(second.stdout).runId as string;
    const [got, ...more] = await receive(stack, md.queueUrl);
    expect(more).toEqual([]);
    expect(got!.subject).toBe(`pca-audit run ${runId}: 1 new alert, exit 1`);
    expect(got!.body).toBe(readFileSync(join(state, 'runs', runId, 'summary.md'), 'utf8'));
    expect(got!.body).toContain(`REVOKED_WITHOUT_EVENT | ${colon(victim)}`);
    expect(got!.attributes).toMatchObject({
      exitCode: { type: 'Number', value: '1' },
      runId: { type: 'String', value: runId },
      newAlerts: { type: 'Number', value: '1' },
    });
    // a third night, always notified, as JSON to a raw-delivery subscription
    await knob(stack, 'clock', { advance: 86400 });
    const third = await cli([...night(json.topicArn, 'json'), '--notify-on', 'always']);
    expect(third.code).toBe(0);
    const [raw] = await receive(stack, json.queueUrl);
    const summary = JSON.parse(raw!.body) as { runId: string; exitCode: number };
    expect(summary).toEqual(JSON.parse(third.stdout));
    expect(raw!.attributes).toMatchObject({
      exitCode: { type: 'Number', value: '0' },
      runId: { type: 'String', value: summary.runId },
    });
  });

  it('a missing topic is a failed delivery, refused by AWS with its error code; the command channel is not run again, and the next night retries SNS', async () => {
    const ca = await pca.createCa('Sns Missing');
    await pca.issue(ca, 30);
    const state = join(work, 'sns-missing');
    const log = join(work, 'sns-missing.log');
    const missing = `arn:aws:sns:${stack.region}:123456789012:not-there`;
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
      '--notify-on',
      'always',
      '--notify-command',
      `echo "$PCA_AUDIT_RUN_ID" >> ${log}`,
    ];
    const first = await cli([...base, '--sns-topic-arn', missing]);
    expect(first.code).toBe(0);
    const run1 = JSON.parse(first.stdout).runId as string;
    expect(first.stderr).toMatch(
      /publishing to the SNS topic arn:aws:sns:\S+:not-there failed: refused by AWS: sns:Publish: NotFound/,
    );
    expect(readFileSync(log, 'utf8').trim()).toBe(run1);
    const commit = JSON.parse(readFileSync(join(state, 'runs', run1, 'commit.json'), 'utf8'));
    expect(commit.notification.channels).toMatchObject({
      command: { delivered: true, attempts: 1 },
      sns: { delivered: false, attempts: 1, lastError: expect.stringMatching(/refused by AWS/) },
    });
    // the topic now exists: the next night delivers the pending message of night 1, then its own
    const { topicArn, queueUrl } = await topicWithQueue(stack, 'not-there', false);
    expect(topicArn).toBe(missing);
    await knob(stack, 'clock', { advance: 86400 });
    const second = await cli([...base, '--sns-topic-arn', missing]);
    expect(second.code).toBe(0);
    const run2 = JSON.parse(second.stdout).runId as string;
    const got = await receive(stack, queueUrl);
    expect(got.map((m) => m.attributes.runId?.value)).toEqual([run1, run2]);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([run1, run2]);
  });

  it('refuses a malformed topic ARN before any AWS call (exit 2, pca-audit)', async () => {
    const r = await cli([
      'run',
      '--bucket',
      'b',
      '--ca',
      `arn:aws:acm-pca:${stack.region}:${stack.account}:certificate-authority/11111111-2222-3333-4444-555555555555`,
      '--state-dir',
      join(work, 'bad'),
      '--sns-topic-arn',
      'arn:aws:sqs:eu-west-1:123456789012:q',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /--sns-topic-arn: "arn:aws:sqs:eu-west-1:123456789012:q" is not an SNS topic ARN/,
    );
  });
});

describe('run: metrics for CloudWatch', () => {
  it('--emf FILE appends one EMF line per CA and night; --put-metric-data sends them with PutMetricData', async () => {
    const ca = await pca.createCa('Metrics Root');
    await pca.issue(ca, 10); // expiring soon
    await pca.issue(ca, 45);
    const victim = await pca.issue(ca, 365);
    const state = join(work, 'metrics');
    const emf = join(work, 'metrics.emf');
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
    ];
    const first = await cli([
      ...base,
      '--format',
      'json',
      '--emf',
      emf,
      '--cloudwatch-namespace',
      'PcaAuditTest',
      '--put-metric-data',
    ]);
    expect(first.code).toBe(0);
    await knob(stack, 'clock', { advance: 86400 });
    await pca.issue(ca, 20);
    await knob(stack, 'revoke-silently', { certificateAuthorityArn: ca, certificateSerial: victim });
    const second = await cli([
      ...base,
      '--format',
      'json',
      '--emf',
      emf,
      '--cloudwatch-namespace',
      'PcaAuditTest',
      '--put-metric-data',
    ]);
    expect(second.code).toBe(1);
    const id = ca.split('/').pop()!;
    const lines = readFileSync(emf, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    const dims = { CertificateAuthority: id, Account: stack.account, Region: stack.region };
    expect(lines[0]).toMatchObject({
      ...dims,
      Status: 'baseline',
      Errors: 0,
      // the root CA's own certificate is in its report too
      Certificates: 4,
      ExpiringSoon: 1,
      HoursSinceLastGoodReport: 0,
    });
    expect(lines[0]).not.toHaveProperty('Issued');
    expect(lines[1]).toMatchObject({
      ...dims,
      RunId: JSON.parse(second.stdout).runId,
      Status: 'diffed',
      Errors: 1,
      Certificates: 5,
      Issued: 1,
      Revoked: 1,
      ExpiringSoon: 2,
    });
    expect(lines[1]._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'PcaAuditTest',
        Dimensions: [['CertificateAuthority', 'Account', 'Region']],
        Metrics: expect.arrayContaining([{ Name: 'Revoked', Unit: 'Count' }]),
      },
    ]);
    // the same numbers through PutMetricData, read back from moto
    const cw = new CloudWatchClient(sdk);
    const listed = await cw.send(new ListMetricsCommand({ Namespace: 'PcaAuditTest' }));
    expect(new Set(listed.Metrics?.map((m) => m.MetricName))).toEqual(
      new Set([
        'Errors',
        'Warnings',
        'Certificates',
        'Issued',
        'Revoked',
        'ExpiringSoon',
        'HoursSinceLastGoodReport',
      ]),
    );
    const dimensions = Object.entries(dims).map(([Name, Value]) => ({ Name, Value }));
    expect(listed.Metrics?.find((m) => m.MetricName === 'Revoked')?.Dimensions).toEqual(dimensions);
    const now = await emulatorNow(stack);
    const got = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date((now - 3 * 86400) * 1000),
        EndTime: new Date((now + 3600) * 1000),
        MetricDataQueries: ['Certificates', 'Revoked'].map((name) => ({
          Id: name.toLowerCase(),
          MetricStat: {
            Metric: { Namespace: 'PcaAuditTest', MetricName: name, Dimensions: dimensions },
            Period: 60,
            Stat: 'Maximum',
          },
        })),
      }),
    );
    const values = Object.fromEntries(
      (got.MetricDataResults ?? []).map((r) => [r.Id, [...(r.Values ?? [])].sort()]),
    );
    expect(values).toEqual({ certificates: [4, 5], revoked: [1] });
  });

  it('--emf - writes the lines on stdout, before the summary; a bad namespace is refused by pca-audit (exit 2)', async () => {
    const ca = await pca.createCa('Metrics Stdout');
    await pca.issue(ca, 90);
    const r = await cli([
      'run',
      '--bucket',
      'audit-reports',
      '--ca',
      ca,
      '--state-dir',
      join(work, 'emf-stdout'),
      '--poll-interval',
      '1s',
      '--emf',
      '-',
    ]);
    expect(r.code).toBe(0);
    const [line, ...rest] = r.stdout.split('\n');
    expect(JSON.parse(line!)).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'PcaAudit' }] },
      Certificates: 2,
    });
    expect(rest[0]).toMatch(/^run \S+, started/);
    // --cloudwatch-namespace alone: PutMetricData, no EMF
    await knob(stack, 'clock', { advance: 86400 });
    const solo = await cli([
      'run',
      '--bucket',
      'audit-reports',
      '--ca',
      ca,
      '--state-dir',
      join(work, 'emf-stdout'),
      '--poll-interval',
      '1s',
      '--cloudwatch-namespace',
      'Solo/Pki',
    ]);
    expect(solo.code).toBe(0);
    expect(solo.stdout).not.toContain('_aws');
    const listed = await new CloudWatchClient(sdk).send(new ListMetricsCommand({ Namespace: 'Solo/Pki' }));
    expect(listed.Metrics?.map((m) => m.MetricName)).toContain('Certificates');
    const bad = await cli([
      'run',
      '--bucket',
      'audit-reports',
      '--ca',
      ca,
      '--state-dir',
      join(work, 'emf-bad'),
      '--cloudwatch-namespace',
      'AWS/ACMPrivateCA',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--cloudwatch-namespace: "AWS\/ACMPrivateCA" must not start with "AWS\/"/);
  });
});

describe('run: alerts in Security Hub', () => {
  let hub: Awaited<ReturnType<typeof hubFront>>;
  beforeEach(async () => {
    hub = await hubFront(stack);
  });
  afterEach(() => hub.close());
  const hubCli = (args: string[]) => cli(args, { AWS_ENDPOINT_URL_SECURITYHUB: hub.url });

  it('an alert is imported ACTIVE (HIGH, the CA as resource); the next night, gone, it is ARCHIVED and RESOLVED', async () => {
    const ca = await pca.createCa('Hub Root');
    const victim = await pca.issue(ca, 30);
    const state = join(work, 'hub');
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
      '--security-hub',
    ];
    expect((await hubCli(base)).code).toBe(0);
    expect((await hubFindings(stack)).size).toBe(0);
    await knob(stack, 'clock', { advance: 86400 });
    await knob(stack, 'revoke-silently', { certificateAuthorityArn: ca, certificateSerial: victim });
    const second = await hubCli([...base, '--format', 'json']);
    expect(second.code).toBe(1);
    const id = ca.split('/').pop()!;
    const alert = JSON.parse(second.stdout).cas[0].newAlerts[0];
    const key = `${id}|REVOKED_WITHOUT_EVENT|${alert.serial}|${alert.message}`;
    const night2 = await hubFindings(stack);
    expect([...night2.keys()]).toEqual([key]);
    const f = night2.get(key)!;
    expect(f).toMatchObject({
      SchemaVersion: '2018-10-08',
      ProductArn: `arn:aws:securityhub:${stack.region}:${stack.account}:product/${stack.account}/default`,
      GeneratorId: 'pca-audit/REVOKED_WITHOUT_EVENT',
      AwsAccountId: stack.account,
      Types: ['Software and Configuration Checks/AWS Security Best Practices'],
      Severity: { Label: 'HIGH', Original: 'error' },
      Title: `REVOKED_WITHOUT_EVENT ${colon(victim)}`,
      Description: alert.message,
      Resources: [{ Type: 'Other', Id: ca, Partition: 'aws', Region: stack.region }],
      RecordState: 'ACTIVE',
      Workflow: { Status: 'NEW' },
    });
    expect(f.CreatedAt).toBe(f.FirstObservedAt);
    const kept = JSON.parse(readFileSync(join(caStateDir(state, ca), 'security-hub.json'), 'utf8'));
    expect(Object.keys(kept)).toEqual([key]);
    // the third night's diff no longer has the revocation: the finding is resolved
    await knob(stack, 'clock', { advance: 86400 });
    expect((await hubCli(base)).code).toBe(0);
    const night3 = await hubFindings(stack);
    expect(night3.get(key)).toMatchObject({
      RecordState: 'ARCHIVED',
      Workflow: { Status: 'RESOLVED' },
      FirstObservedAt: f.FirstObservedAt,
    });
    expect(night3.get(key)!.UpdatedAt).not.toBe(f.UpdatedAt);
    // RESOLVED by BatchUpdateFindings, with a note: the import alone leaves Workflow NEW on AWS
    expect(hub.updates).toEqual([
      {
        FindingIdentifiers: [{ Id: key, ProductArn: f.ProductArn }],
        Workflow: { Status: 'RESOLVED' },
        Note: { Text: "pca-audit: no longer raised by the CA's audit; archived", UpdatedBy: 'pca-audit' },
      },
    ]);
    expect(night3.get(key)!.Note).toMatchObject({ UpdatedBy: 'pca-audit' });
    // remembered as archived, so that a return sets it NEW again
    expect(
      JSON.parse(readFileSync(join(caStateDir(state, ca), 'security-hub.json'), 'utf8'))[key],
    ).toMatchObject({
      workflow: 'RESOLVED',
      archivedAt: expect.any(String),
    });
    // a fourth night: nothing more sent
    await knob(stack, 'clock', { advance: 86400 });
    expect((await hubCli(base)).code).toBe(0);
    expect(hub.updates).toHaveLength(1);
  });

  it('an acknowledged alert is re-imported, then SUPPRESSED by BatchUpdateFindings, with its original severity', async () => {
    const ca = await pca.createCa('Hub Ack');
    const serial = await pca.issue(ca, 30);
    // every report: a reason without a time, REVOCATION_INCOMPLETE (warning) each night
    await knob(stack, 'report-tamper', {
      certificateAuthorityArn: ca,
      serial: colon(serial),
      field: 'revocationReason',
      value: 'KEY_COMPROMISE',
    });
    const state = join(work, 'hub-ack');
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
      '--security-hub',
    ];
    expect((await hubCli(base)).code).toBe(1);
    const [first] = [...(await hubFindings(stack)).values()];
    expect(first).toMatchObject({
      GeneratorId: 'pca-audit/REVOCATION_INCOMPLETE',
      Severity: { Label: 'MEDIUM', Original: 'warning' },
      RecordState: 'ACTIVE',
      Workflow: { Status: 'NEW' },
    });
    const acks = join(work, 'hub-acks.json');
    writeFileSync(
      acks,
      JSON.stringify([{ code: 'REVOCATION_INCOMPLETE', serial: colon(serial), reason: 'INC-7' }]),
    );
    await knob(stack, 'clock', { advance: 86400 });
    expect((await hubCli([...base, '--ack-file', acks])).code).toBe(0);
    const after = await hubFindings(stack);
    expect(after.size).toBe(1);
    expect(after.get(first!.Id as string)).toMatchObject({
      Severity: { Label: 'MEDIUM', Original: 'warning' },
      RecordState: 'ACTIVE',
      Workflow: { Status: 'SUPPRESSED' },
      ProductFields: { 'pca-audit/acknowledged': 'INC-7' },
      FirstObservedAt: first!.FirstObservedAt,
    });
    expect(hub.updates.map((u) => [u.Workflow.Status, u.FindingIdentifiers.map((f) => f.Id)])).toEqual([
      ['SUPPRESSED', [first!.Id]],
    ]);
  });

  it('UnprocessedFindings of BatchUpdateFindings fail the channel, naming the code; the next night updates again', async () => {
    const ca = await pca.createCa('Hub Unprocessed');
    const victim = await pca.issue(ca, 30);
    const state = join(work, 'hub-unprocessed');
    const base = ['run', '--bucket', 'audit-reports', '--ca', ca, '--state-dir', state];
    base.push('--poll-interval', '1s', '--security-hub', '--format', 'json');
    expect((await hubCli(base)).code).toBe(0);
    await knob(stack, 'clock', { advance: 86400 });
    await knob(stack, 'revoke-silently', { certificateAuthorityArn: ca, certificateSerial: victim });
    expect((await hubCli(base)).code).toBe(1);
    const id = ca.split('/').pop()!;
    const statePath = join(caStateDir(state, ca), 'security-hub.json');
    const [key] = Object.keys(JSON.parse(readFileSync(statePath, 'utf8')));
    // night 3: the finding is gone; archived by the import, but its workflow update is refused
    await knob(stack, 'clock', { advance: 86400 });
    hub.unprocess.next = 1;
    const third = await hubCli(base);
    expect(third.code).toBe(0);
    expect(third.stderr).toMatch(/it will be retried next run/);
    expect(third.stderr).toMatch(
      new RegExp(
        `Security Hub did not update the workflow of 1 of 1 findings of ${id} \\(refused by AWS: securityhub:BatchUpdateFindings: FindingNotFound: Finding Not Found, finding ${id}\\|REVOKED_WITHOUT_EVENT`,
      ),
    );
    expect((await hubFindings(stack)).get(key!)).toMatchObject({
      RecordState: 'ARCHIVED',
      Workflow: { Status: 'NEW' },
    });
    expect(JSON.parse(readFileSync(statePath, 'utf8'))[key!].archivedAt).toBeUndefined();
    // night 4: night 3's notification again, taken now
    await knob(stack, 'clock', { advance: 86400 });
    expect((await hubCli(base)).code).toBe(0);
    expect(hub.updates.map((u) => u.Workflow.Status)).toEqual(['RESOLVED', 'RESOLVED']);
    expect((await hubFindings(stack)).get(key!)).toMatchObject({
      RecordState: 'ARCHIVED',
      Workflow: { Status: 'RESOLVED' },
    });
    expect(JSON.parse(readFileSync(statePath, 'utf8'))[key!]).toMatchObject({ workflow: 'RESOLVED' });
  });
});

describe('run: a Security Hub that refuses findings', () => {
  it('FailedFindings fail the channel, naming the code; the state keeps nothing, and the next night imports again', async () => {
    // a loopback Security Hub that refuses the first import's findings one by one, then takes all
    const imports: Array<{ Findings: Array<{ Id: string }> }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        const doc = JSON.parse(body) as { Findings: Array<{ Id: string }> };
        imports.push(doc);
        const refuse = imports.length === 1;
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            FailedCount: refuse ? doc.Findings.length : 0,
            SuccessCount: refuse ? 0 : doc.Findings.length,
            FailedFindings: refuse
              ? doc.Findings.map((f) => ({
                  Id: f.Id,
                  ErrorCode: 'InvalidInput',
                  ErrorMessage: 'Finding is not valid',
                }))
              : [],
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const hub = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ca = await pca.createCa('Hub Refuses');
      const serial = await pca.issue(ca, 30);
      await knob(stack, 'report-tamper', {
        certificateAuthorityArn: ca,
        serial: colon(serial),
        field: 'revocationReason',
        value: 'KEY_COMPROMISE',
      });
      const state = join(work, 'hub-refuses');
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
        '--security-hub',
        '--format',
        'json',
      ];
      const env = { AWS_ENDPOINT_URL_SECURITYHUB: hub };
      const first = await cli(base, env);
      expect(first.code).toBe(1);
      const run1 = JSON.parse(first.stdout).runId as string;
      const id = ca.split('/').pop()!;
      expect(first.stderr).toMatch(
        new RegExp(
          `Security Hub refused 1 of 1 findings of ${id} \\(refused by AWS: securityhub:BatchImportFindings: InvalidInput: Finding is not valid, finding ${id}\\|REVOCATION_INCOMPLETE`,
        ),
      );
      expect(first.stderr).toMatch(/it will be retried next run/);
      expect(() => readFileSync(join(caStateDir(state, ca), 'security-hub.json'))).toThrow();
      const commit = JSON.parse(readFileSync(join(state, 'runs', run1, 'commit.json'), 'utf8'));
      expect(commit.notification.channels['security-hub']).toMatchObject({ delivered: false, attempts: 1 });
      // the next night: night 1's import again (taken now), then its own
      await knob(stack, 'clock', { advance: 86400 });
      const second = await cli(base, env);
      expect(second.code).toBe(0);
      expect(second.stderr).toMatch(new RegExp(`delivered the notification of run ${run1} \\(attempt 2\\)`));
      expect(imports).toHaveLength(3);
      expect(
        Object.keys(JSON.parse(readFileSync(join(caStateDir(state, ca), 'security-hub.json'), 'utf8'))),
      ).toEqual([imports[0]!.Findings[0]!.Id]);
    } finally {
      server.close();
    }
  });
});

describe('run --test-notify', () => {
  it('sends one test through every configured channel, audits nothing, and exits 3 when one fails', async () => {
    const ca = await pca.createCa('Test Notify');
    const { topicArn, queueUrl } = await topicWithQueue(stack, 'pca-test', false);
    const state = join(work, 'test-notify');
    const emf = join(work, 'test-notify.emf');
    const log = join(work, 'test-notify.log');
    const args = [
      'run',
      '--bucket',
      'audit-reports',
      '--ca',
      ca,
      '--state-dir',
      state,
      '--test-notify',
      '--notify-command',
      `echo "$PCA_AUDIT_RUN_ID $PCA_AUDIT_TEST_NOTIFICATION" >> ${log}`,
      '--sns-topic-arn',
      topicArn,
      '--emf',
      emf,
      '--cloudwatch-namespace',
      'PcaAuditTest',
      '--put-metric-data',
      '--security-hub',
    ];
    const r = await cli([...args, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      runId: string;
      channels: Array<{ channel: string; error?: string }>;
    };
    expect(out.runId).toMatch(/^test-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(out.channels).toEqual([
      { channel: 'command' },
      { channel: 'sns' },
      { channel: 'emf' },
      { channel: 'cloudwatch' },
      { channel: 'security-hub' },
    ]);
    expect(readFileSync(log, 'utf8').trim()).toBe(`${out.runId} 1`);
    const [msg] = await receive(stack, queueUrl);
    expect(msg!.subject).toBe(`pca-audit test notification ${out.runId}`);
    expect(msg!.body).toContain('(test notification: nothing to act on)');
    expect(JSON.parse(readFileSync(emf, 'utf8'))).toMatchObject({ RunId: out.runId, TestNotification: 1 });
    const listed = await new CloudWatchClient(sdk).send(
      new ListMetricsCommand({ Namespace: 'PcaAuditTest' }),
    );
    expect(listed.Metrics?.map((m) => m.MetricName)).toEqual(['TestNotification']);
    const [finding] = [...(await hubFindings(stack)).values()];
    expect(finding).toMatchObject({
      GeneratorId: 'pca-audit/TEST_NOTIFICATION',
      RecordState: 'ARCHIVED',
      Severity: { Label: 'INFORMATIONAL' },
      Resources: [{ Id: ca }],
    });
    // nothing audited, nothing stored
    expect(() => readFileSync(join(state, 'state.json'))).toThrow();
    // a missing topic: that channel fails, named; the others still go; exit 3
    const bad = await cli([...args.slice(0, 10), '--sns-topic-arn', `${topicArn}-gone`]);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(
      /^test notification test-\S+\ncommand: delivered\nsns: FAILED: publishing to the SNS topic \S+-gone failed: refused by AWS: sns:Publish: NotFound/,
    );
  });
});

describe('PutMetricData over several Regions', () => {
  it("each CA's metrics go to its own Region's CloudWatch", async () => {
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
    const { makeClients } = await import('../../src/aws/clients.js');
    const { deliverTo } = await import('../../src/run/notify.js');
    const clients = makeClients({ endpointUrl: stack.motoUrl, retryMode: 'standard', maxAttempts: 1 });
    const ca = (region: string, id: string) =>
      `arn:aws:acm-pca:${region}:${stack.account}:certificate-authority/${id}-0000-4000-8000-000000000000`;
    const entry = (arn: string, errors: number) => ({
      ca: arn,
      status: 'baseline' as const,
      reportId: 'r',
      findings: { error: errors, warning: 0, info: 0 },
      newAlerts: [],
      persistentAlerts: [],
      exitCode: 0,
      metrics: { certificates: 10 + errors },
    });
    const summary = {
      schemaVersion: 1 as const,
      runId: 'r1',
      startedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      dryRun: false,
      failOn: 'warning',
      repeatAlerts: false,
      exitCode: 0,
      cas: [entry(ca('eu-west-1', '11111111'), 1), entry(ca('us-east-1', '22222222'), 2)],
      expiredAcknowledgements: [],
    };
    const error = await deliverTo(
      'cloudwatch',
      {
        on: 'alerts',
        configured: true,
        commandTimeout: 1,
        webhookAttempts: 1,
        stdout: async () => {},
        sleep: async () => {},
        metrics: { namespace: 'Regions', putMetricData: true },
        aws: async () => clients,
      },
      { runId: 'r1', summaryJson: '', summaryMarkdown: '', summary },
    );
    expect(error).toBeUndefined();
    const inRegion = async (region: string) => {
      const cw = new CloudWatchClient({ ...sdk, region });
      const out = await cw.send(new ListMetricsCommand({ Namespace: 'Regions', MetricName: 'Errors' }));
      return (out.Metrics ?? []).map(
        (m) => m.Dimensions?.find((d) => d.Name === 'CertificateAuthority')?.Value,
      );
    };
    expect(await inRegion('eu-west-1')).toEqual(['11111111-0000-4000-8000-000000000000']);
    expect(await inRegion('us-east-1')).toEqual(['22222222-0000-4000-8000-000000000000']);
  });
});
