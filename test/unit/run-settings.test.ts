/**
 * issue 17 item 5: run's settings, flags > PCA_AUDIT_* environment > config file > defaults, through
 * yargs' .env() and .config(): every documented variable and config key, and each precedence.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type RunFlags, resolveRunSettings } from '../../src/app/run-settings.js';
import type { CliContext } from '../../src/cli/context.js';
import { UsageError } from '../../src/core/errors.js';

const work = mkdtempSync(join(tmpdir(), 'pca-audit-run-settings-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CA1 =
  'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/11111111-1111-1111-1111-111111111111';
const CA2 =
  'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/22222222-2222-2222-2222-222222222222';
const CA3 =
  'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/33333333-3333-3333-3333-333333333333';

const ctx = {
  aws: async () => ({}),
  now: () => 0,
  sleep: async () => {},
  note: () => {},
  progress: () => {},
} as unknown as CliContext;

/** yargs reads process.env: each test sets its variables and they are removed after it */
const set: string[] = [];
function env(vars: Record<string, string>): void {
  for (const [k, v] of Object.entries(vars)) {
    process.env[k] = v;
    set.push(k);
  }
}
afterEach(() => {
  for (const k of set.splice(0)) delete process.env[k];
});

let n = 0;
function configFile(doc: unknown, raw?: string): string {
  const path = join(work, `config-${n++}.json`);
  writeFileSync(path, raw ?? JSON.stringify(doc));
  return path;
}

function settings(flags: Partial<RunFlags>) {
  return resolveRunSettings({ dryRun: false, format: 'text', ...flags }, process.env, ctx);
}

async function usage(flags: Partial<RunFlags>): Promise<UsageError> {
  const err = await settings(flags).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UsageError);
  return err as UsageError;
}

describe('run settings: one source at a time', () => {
  it('flags alone', async () => {
    const s = await settings({ bucket: 'b-flag', ca: [CA1, CA2], concurrency: '007', stateDir: '/s' });
    expect(s).toMatchObject({ bucket: 'b-flag', cas: [CA1, CA2], concurrency: 7, stateDir: '/s' });
  });

  it('the config file alone: its keys in camelCase, cas a list, numbers as written', async () => {
    const config = configFile({ bucket: 'b-file', cas: [CA1], stateDir: '/f', concurrency: 8, ocsp: false });
    const s = await settings({ config });
    expect(s).toMatchObject({ bucket: 'b-file', cas: [CA1], stateDir: '/f', concurrency: 8 });
    expect(s.ocsp?.enabled).toBe(false);
  });

  it.each([
    ['PCA_AUDIT_BUCKET', 'b-env', (s: Settings) => s.bucket, 'b-env'],
    ['PCA_AUDIT_CAS', `${CA1}, ${CA2}`, (s: Settings) => s.cas, [CA1, CA2]],
    ['PCA_AUDIT_STATE_DIR', '/env-state', (s: Settings) => s.stateDir, '/env-state'],
    [
      'PCA_AUDIT_CLOUDTRAIL',
      's3://t1/,s3://t2/p/',
      (s: Settings) => s.cloudtrail,
      ['s3://t1/', 's3://t2/p/'],
    ],
    ['PCA_AUDIT_FAIL_ON', 'error', (s: Settings) => s.failOn, 'error'],
    ['PCA_AUDIT_CONCURRENCY', '012', (s: Settings) => s.concurrency, 12],
    ['PCA_AUDIT_NOTIFY_COMMAND', 'true', (s: Settings) => s.notify.command, 'true'],
    [
      'PCA_AUDIT_WEBHOOK',
      'https://hooks.example/x',
      (s: Settings) => s.notify.webhook?.url,
      'https://hooks.example/x',
    ],
    [
      'PCA_AUDIT_SNS_TOPIC_ARN',
      'arn:aws:sns:eu-west-1:111122223333:alerts',
      (s: Settings) => s.notify.sns?.topicArn,
      'arn:aws:sns:eu-west-1:111122223333:alerts',
    ],
    ['PCA_AUDIT_EMF', '-', (s: Settings) => s.notify.metrics?.emf, '-'],
    ['PCA_AUDIT_CLOUDWATCH_NAMESPACE', 'My/Ns', (s: Settings) => s.notify.metrics?.namespace, 'My/Ns'],
    ['PCA_AUDIT_NOTIFY_ON', 'always', (s: Settings) => s.notify.on, 'always'],
    ['PCA_AUDIT_CRL_CHECK', 'off', (s: Settings) => s.crlCheck, false],
    ['PCA_AUDIT_MAX_REPORT_AGE', '2h', (s: Settings) => s.maxReportAge, 7200],
  ] as const)('%s alone', async (name, value, read, expected) => {
    env({ PCA_AUDIT_BUCKET: 'b', PCA_AUDIT_CAS: CA3, [name]: value });
    expect(read(await settings({}))).toEqual(expected);
  });

  it.each([
    ['PCA_AUDIT_REPORT_FORMAT', 'csv', (s: Settings) => s.format, 'csv'],
    ['PCA_AUDIT_OCSP', 'false', (s: Settings) => s.ocsp?.enabled, false],
    ['PCA_AUDIT_KEEP_REPORTS', '05', (s: Settings) => s.keepReports, 5],
  ] as const)('%s: every config key has its variable (yargs .env)', async (name, value, read, expected) => {
    env({ PCA_AUDIT_BUCKET: 'b', PCA_AUDIT_CAS: CA3, [name]: value });
    expect(read(await settings({}))).toEqual(expected);
  });

  it('PCA_AUDIT_ALL=true stands for --all', async () => {
    env({ PCA_AUDIT_BUCKET: 'b', PCA_AUDIT_ALL: 'true' });
    expect((await settings({})).all).toBe(true);
  });

  it('PCA_AUDIT_ACK_FILE names the acknowledgements', async () => {
    const acks = join(work, 'acks.json');
    writeFileSync(acks, '[]');
    env({ PCA_AUDIT_ACK_FILE: join(work, 'missing-acks.json') });
    const err = await usage({ bucket: 'b', ca: [CA1] });
    expect(err.message).toMatch(/^--ack-file: cannot read ".*missing-acks\.json" \(ENOENT\)$/);
  });
});

type Settings = Awaited<ReturnType<typeof resolveRunSettings>>;

describe('run settings: precedence', () => {
  it('a flag wins over the environment and the config file', async () => {
    env({ PCA_AUDIT_BUCKET: 'b-env', PCA_AUDIT_CAS: CA2, PCA_AUDIT_FAIL_ON: 'info' });
    const config = configFile({ bucket: 'b-file', cas: [CA3], failOn: 'never' });
    const s = await settings({ config, bucket: 'b-flag', ca: [CA1], failOn: 'error' });
    expect(s).toMatchObject({ bucket: 'b-flag', cas: [CA1], failOn: 'error' });
  });

  it('the environment wins over the config file; the file fills in what neither gives', async () => {
    env({ PCA_AUDIT_BUCKET: 'b-env', PCA_AUDIT_CAS: CA2 });
    const config = configFile({ bucket: 'b-file', cas: [CA3], failOn: 'never', concurrency: '9' });
    const s = await settings({ config });
    expect(s).toMatchObject({ bucket: 'b-env', cas: [CA2], failOn: 'never', concurrency: 9 });
  });

  it('a flag list not given (empty) defers to the environment', async () => {
    env({ PCA_AUDIT_CAS: CA2 });
    expect((await settings({ bucket: 'b', ca: [] })).cas).toEqual([CA2]);
  });

  it('an empty variable is not set: the config file still gives the value', async () => {
    env({ PCA_AUDIT_BUCKET: '', PCA_AUDIT_CAS: '' });
    const config = configFile({ bucket: 'b-file', cas: [CA1] });
    expect(await settings({ config })).toMatchObject({ bucket: 'b-file', cas: [CA1] });
  });

  it('defaults when no source gives a setting', async () => {
    const s = await settings({ bucket: 'b', ca: [CA1] });
    expect(s).toMatchObject({ failOn: 'warning', concurrency: 4, crlCheck: true, maxReportAge: 36 * 3600 });
  });
});

describe('run settings: booleans', () => {
  it('a boolean variable that is not true or false is an error naming it', async () => {
    env({ PCA_AUDIT_OCSP: 'maybe' });
    expect((await usage({ bucket: 'b', ca: [CA1] })).message).toBe(
      'PCA_AUDIT_OCSP: "maybe" is not true or false',
    );
    env({ PCA_AUDIT_OCSP: 'true', PCA_AUDIT_PUT_METRIC_DATA: 'no' });
    expect((await usage({ bucket: 'b', ca: [CA1] })).message).toBe(
      'PCA_AUDIT_PUT_METRIC_DATA: "no" is not true or false',
    );
  });

  it('--no-ocsp wins over PCA_AUDIT_OCSP=true; the variable over the file', async () => {
    env({ PCA_AUDIT_OCSP: 'true' });
    const config = configFile({ ocsp: false, securityHub: true });
    expect((await settings({ bucket: 'b', ca: [CA1], ocsp: false })).ocsp?.enabled).toBe(false);
    const s = await settings({ config, bucket: 'b', ca: [CA1] });
    expect(s.ocsp?.enabled).toBe(true);
    expect(s.notify.securityHub).toBe(true);
  });
});

describe('run settings: config file errors stay pca-audit usage errors', () => {
  it('invalid JSON', async () => {
    const config = configFile(undefined, '{"bucket": ');
    expect((await usage({ config })).message).toMatch(/^--config: ".*" is not valid JSON \(/);
  });

  it('an unknown key, with the keys listed', async () => {
    const config = configFile({ bucket: 'b', stateDirectory: '/x' });
    const err = await usage({ config });
    expect(err.message).toMatch(/^--config: unknown key "stateDirectory" in "/);
    expect(err.hint).toContain('cas, all, bucket, stateDir');
  });

  it('a list key that is not a list of strings', async () => {
    const config = configFile({ bucket: 'b', cas: CA1 });
    expect((await usage({ config })).message).toBe('--config: "cas" must be a list of strings');
  });

  it.each(['ocsp', 'repeatAlerts', 'putMetricData', 'securityHub', 'all'])(
    'a boolean key that is not true or false: %s',
    async (key) => {
      const config = configFile({ bucket: 'b', cas: [CA1], [key]: 'yes' });
      expect((await usage({ config })).message).toBe(`--config: "${key}" must be true or false`);
    },
  );

  it('accounts: the JSON path of the problem', async () => {
    const config = configFile({ accounts: [{ regions: ['mars-1'], bucketPattern: 'r-{account}' }] });
    expect((await usage({ config })).message).toMatch(/^--config: ".*": accounts\[0\]/);
  });
});
