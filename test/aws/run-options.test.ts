/**
 * `run` settings and side channels against the stand-in: the webhook (delivered, failed and retried
 * next run), acknowledgements, the config file against the environment and flags, --dry-run.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { assertBuilt } from '../e2e/cli.js';
import { createBucket, knob, readKnob, resetStack } from '../support/aws-stack.js';
import { cliOnStack, colon, type TestPca, testPca } from '../support/pca.js';

const stack = inject('awsStack');
let work: string;
let pca: TestPca;

/** A loopback webhook receiver that answers each POST with the next status of `statuses`. */
interface Hook {
  url: string;
  received: Array<{
    method: string;
    path: string;
    headers: Record<string, string | string[] | undefined>;
    body: unknown;
  }>;
  statuses: number[];
  /** the Location header of its answers (a redirect's target) */
  location?: string;
  server: Server;
}

async function hook(statuses: number[], location?: string): Promise<Hook> {
  const h: Hook = { url: '', received: [], statuses, server: createServer() };
  if (location !== undefined) h.location = location;
  h.server.on('request', (req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      h.received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: body === '' ? undefined : JSON.parse(body),
      });
      res.statusCode = h.statuses.shift() ?? 204;
      if (h.location !== undefined) res.setHeader('location', h.location);
      res.end();
    });
  });
  await new Promise<void>((r) => h.server.listen(0, '127.0.0.1', r));
  h.url = `http://127.0.0.1:${(h.server.address() as AddressInfo).port}/pca-audit`;
  return h;
}

beforeAll(() => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'pca-audit-runopts-'));
  pca = testPca(stack, work, '/CN=svc');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(async () => {
  await resetStack(stack);
  await knob(stack, 'config', { reportDelayMs: 100 });
  await createBucket(stack, 'audit-reports');
});

const createCa = () => pca.createCa('Opts Root');
const issue = (ca: string) => pca.issue(ca, 30);
const cli = (args: string[], extra: Record<string, string> = {}) => cliOnStack(stack, args, extra);

describe('run notifications and settings', () => {
  it('the webhook gets the summary with the run id as Idempotency-Key; a failure is retried on the next run', async () => {
    const ca = await createCa();
    const victim = await issue(ca);
    const h = await hook([500, 500, 500, 500]); // the first delivery fails on every attempt
    try {
      const state = join(work, 'hook');
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
        '--webhook',
        h.url,
      ];
      expect((await cli(base)).code).toBe(0);
      expect(h.received).toHaveLength(0); // a baseline with nothing to say
      await knob(stack, 'clock', { advance: 86400 });
      await knob(stack, 'revoke-silently', { certificateAuthorityArn: ca, certificateSerial: victim });
      const failed = await cli(base);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(
        /notification of run \S+ failed \(the webhook failed: HTTP 500\); it will be retried next run/,
      );
      expect(h.received).toHaveLength(4);
      const runId = (h.received[0]!.body as { runId: string }).runId;
      expect(h.received.every((r) => r.headers['idempotency-key'] === runId)).toBe(true);
      // the next run delivers the pending notification first, and raises nothing new
      await knob(stack, 'clock', { advance: 86400 });
      const next = await cli(base);
      expect(next.code).toBe(0);
      expect(next.stderr).toMatch(new RegExp(`delivered the notification of run ${runId} \\(attempt 2\\)`));
      expect(h.received).toHaveLength(5);
      const delivered = h.received[4]!.body as {
        runId: string;
        cas: Array<{ newAlerts: Array<{ code: string; serial: string }> }>;
      };
      expect(delivered.runId).toBe(runId);
      expect(delivered.cas[0]!.newAlerts).toEqual([
        expect.objectContaining({ code: 'REVOKED_WITHOUT_EVENT', serial: colon(victim) }),
      ]);
      const commit = JSON.parse(readFileSync(join(state, 'runs', runId, 'commit.json'), 'utf8'));
      expect(commit.notification).toMatchObject({ delivered: true, attempts: 2 });
    } finally {
      h.server.close();
    }
  });

  it('acknowledged findings are info and do not fail the run; settings: flags > environment > config file', async () => {
    const ca = await createCa();
    const victim = await issue(ca);
    const state = join(work, 'acks');
    const acks = join(work, 'acks.json');
    writeFileSync(
      acks,
      JSON.stringify([
        {
          code: 'REVOKED_WITHOUT_EVENT',
          serial: victim.toUpperCase(),
          reason: 'revoked from the console during INC-42',
        },
      ]),
    );
    const config = join(work, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        bucket: 'no-such-bucket',
        cas: [ca],
        stateDir: state,
        ackFile: acks,
        failOn: 'info',
        pollInterval: '1s',
      }),
    );
    // the environment's bucket wins over the file's; the flag's fail-on over the file's
    const env = { PCA_AUDIT_BUCKET: 'audit-reports' };
    expect((await cli(['run', '--config', config], env)).code).toBe(0);
    await knob(stack, 'clock', { advance: 86400 });
    await knob(stack, 'revoke-silently', { certificateAuthorityArn: ca, certificateSerial: victim });
    const r = await cli(['run', '--config', config, '--fail-on', 'warning', '--format', 'json'], env);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.failOn).toBe('warning');
    expect(summary.cas[0].findings).toEqual({ error: 0, warning: 0, info: 1 });
    const result = JSON.parse(
      readFileSync(join(state, 'runs', summary.runId, `${ca.split('/').pop()}.json`), 'utf8'),
    );
    expect(result.findings[0]).toMatchObject({
      code: 'REVOKED_WITHOUT_EVENT',
      severity: 'info',
      evidence: {
        acknowledged: { reason: 'revoked from the console during INC-42', originalSeverity: 'error' },
      },
    });
    // a config key that does not exist is a usage error naming it
    writeFileSync(config, JSON.stringify({ bucket: 'x', cas: [ca], stateDirectory: state }));
    const bad = await cli(['run', '--config', config]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^pca-audit: --config: unknown key "stateDirectory"/);
  });

  it('--dry-run reads the newest report only: nothing made, nothing stored, nothing sent', async () => {
    const ca = await createCa();
    await issue(ca);
    const state = join(work, 'dry');
    const none = await cli([
      'run',
      '--bucket',
      'audit-reports',
      '--ca',
      ca,
      '--state-dir',
      state,
      '--dry-run',
      '--format',
      'json',
    ]);
    expect(none.code).toBe(2);
    expect(JSON.parse(none.stdout).cas[0].error).toMatch(/no report to read \(a dry run makes none\)/);
    const made = await cli([
      'generate',
      '--ca',
      ca,
      '--bucket',
      'audit-reports',
      '--out',
      join(work, 'dry-reports'),
      '--poll-interval',
      '1s',
    ]);
    expect(made.code).toBe(0);
    const events = (await readKnob<{ Records: unknown[] }>(stack, 'events')).Records.length;
    const dry = await cli([
      'run',
      '--bucket',
      'audit-reports',
      '--ca',
      ca,
      '--state-dir',
      state,
      '--dry-run',
      '--notify-command',
      `touch ${join(work, 'sent')}`,
    ]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/\(dry run: nothing made, nothing stored\)/);
    expect(dry.stdout).toMatch(/baseline recorded/);
    expect(existsSync(state)).toBe(false);
    expect(existsSync(join(work, 'sent'))).toBe(false);
    // no PCA call but reads: no new CreateCertificateAuthorityAuditReport recorded
    expect((await readKnob<{ Records: unknown[] }>(stack, 'events')).Records.length).toBe(events);
  });

  it.each([302, 307, 308])(
    'issue 13 item 5: a webhook answering %i is a failed delivery naming where it pointed; the redirect is not followed',
    async (status) => {
      const ca = await createCa();
      await issue(ca);
      const target = await hook([]);
      // the redirect names credentials too: they must not be printed either
      const redirected = target.url.replace('http://', 'http://eve:hunter2@');
      const h = await hook([status], redirected);
      try {
        const state = join(work, `redirect-${status}`);
        const r = await cli([
          'run',
          '--bucket',
          'audit-reports',
          '--ca',
          ca,
          '--state-dir',
          state,
          '--poll-interval',
          '1s',
          '--webhook',
          h.url,
          '--notify-on',
          'always',
        ]);
        expect(r.code).toBe(0);
        expect(h.received.map((x) => x.method)).toEqual(['POST']); // one attempt: a redirect is not retried
        expect(target.received).toHaveLength(0);
        expect(r.stderr).toContain(target.url);
        expect(`${r.stdout}${r.stderr}`).not.toContain('hunter2');
        const runId = (h.received[0]!.body as { runId: string }).runId;
        const commit = JSON.parse(readFileSync(join(state, 'runs', runId, 'commit.json'), 'utf8'));
        expect(commit.notification).toMatchObject({
          delivered: false,
          channels: { webhook: { delivered: false, attempts: 1 } },
        });
        expect(JSON.stringify(commit)).not.toContain('hunter2');
      } finally {
        h.server.close();
        target.server.close();
      }
    },
  );

  it('issue 13 item 5: the user:pass@ of a webhook URL is sent as Basic auth and is in no output or state file', async () => {
    const ca = await createCa();
    await issue(ca);
    const h = await hook([400]); // refused once: the failure is reported and stored
    try {
      const state = join(work, 'hook-credentials');
      const secretUrl = h.url.replace('http://', 'http://ops:s3cr%2Ft@');
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
        '--webhook',
        secretUrl,
        '--notify-on',
        'always',
      ];
      const first = await cli(base);
      expect(first.code).toBe(0);
      expect(h.received).toHaveLength(1);
      expect(h.received[0]!.headers.authorization).toBe(
        `Basic ${Buffer.from('ops:s3cr/t').toString('base64')}`,
      );
      expect(h.received[0]!.path).toBe('/pca-audit');
      await knob(stack, 'clock', { advance: 86400 });
      const second = await cli(base, { PCA_AUDIT_WEBHOOK: secretUrl });
      expect(second.code).toBe(0);
      expect(h.received).toHaveLength(3); // the first run's notification again, then the second run's
      const bad = await cli([...base.slice(0, 9), '--webhook', 'ftp://ops:s3cr%2Ft@127.0.0.1/x']);
      expect(bad.code).toBe(2);
      const printed = [first, second, bad].map((r) => `${r.stdout}${r.stderr}`).join('');
      const stored = (function walk(dir: string): string {
        return readdirSync(dir, { withFileTypes: true })
          .map((e) => (e.isDirectory() ? walk(join(dir, e.name)) : readFileSync(join(dir, e.name), 'utf8')))
          .join('');
      })(state);
      for (const text of [printed, stored]) {
        expect(text).not.toContain('s3cr');
        expect(text).not.toContain('ops:');
      }
    } finally {
      h.server.close();
    }
  });

  it('issue 13 item 18c: a failing webhook is retried alone; the notify command that took the notification is not run again', async () => {
    const ca = await createCa();
    await issue(ca);
    const h = await hook([400]); // the first delivery fails
    try {
      const state = join(work, 'channels');
      const log = join(work, 'channels.log');
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
        `echo "$PCA_AUDIT_RUN_ID" >> ${log}`,
        '--webhook',
        h.url,
        '--notify-on',
        'always',
        '--format',
        'json',
      ];
      const first = await cli(base);
      expect(first.code).toBe(0);
      const run1 = JSON.parse(first.stdout).runId as string;
      await knob(stack, 'clock', { advance: 86400 });
      const second = await cli(base);
      expect(second.code).toBe(0);
      const run2 = JSON.parse(second.stdout).runId as string;
      // the command ran once for each run; the webhook got run 1 twice (failed, then retried) and run 2
      expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([run1, run2]);
      expect(h.received.map((x) => (x.body as { runId: string }).runId)).toEqual([run1, run1, run2]);
      const commit = JSON.parse(readFileSync(join(state, 'runs', run1, 'commit.json'), 'utf8'));
      expect(commit.notification).toMatchObject({
        delivered: true,
        attempts: 2,
        channels: {
          command: { delivered: true, attempts: 1 },
          webhook: { delivered: true, attempts: 2 },
        },
      });
    } finally {
      h.server.close();
    }
  });

  it('issue 13 item 18: a finding of the OLD report counts once; a persistent alert exits 0, and 1 again with --repeat-alerts', async () => {
    const ca = await createCa();
    const serial = await issue(ca);
    // every report from now on has a reason without a time: REVOCATION_INCOMPLETE (warning)
    await knob(stack, 'report-tamper', {
      certificateAuthorityArn: ca,
      serial: colon(serial),
      field: 'revocationReason',
      value: 'KEY_COMPROMISE',
    });
    const state = join(work, 'persistent');
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
    type Summary = {
      exitCode: number;
      repeatAlerts: boolean;
      cas: Array<{
        status: string;
        findings: Record<string, number>;
        newAlerts: Array<{ code: string }>;
        persistentAlerts: Array<{ code: string; serial: string }>;
      }>;
    };
    const night = async (extra: string[] = []) => {
      await knob(stack, 'clock', { advance: 86400 });
      const r = await cli([...base, ...extra]);
      return { code: r.code, summary: JSON.parse(r.stdout) as Summary };
    };
    const first = await night(); // the baseline alerts it
    expect(first.code).toBe(1);
    expect(first.summary.cas[0]!.newAlerts.map((a) => a.code)).toEqual(['REVOCATION_INCOMPLETE']);
    // night 2: in OLD and in NEW, counted once, listed as persistent, and the run passes
    const second = await night();
    expect(second.summary.cas[0]!.status).toBe('diffed');
    expect(second.summary.cas[0]!.findings).toEqual({ error: 0, warning: 1, info: 0 });
    expect(second.summary.cas[0]!.newAlerts).toEqual([]);
    expect(second.summary.cas[0]!.persistentAlerts).toEqual([
      expect.objectContaining({ code: 'REVOCATION_INCOMPLETE', serial: colon(serial) }),
    ]);
    expect(second.code).toBe(0);
    expect(second.summary.exitCode).toBe(0);
    expect(readFileSync(join(state, 'latest-summary.md'), 'utf8')).toMatch(/### Persistent alerts \(1\)/);
    // --repeat-alerts: the old behaviour, a persistent alert fails the run again
    const repeated = await night(['--repeat-alerts']);
    expect(repeated.summary.repeatAlerts).toBe(true);
    expect(repeated.summary.cas[0]!.persistentAlerts).toHaveLength(1);
    expect(repeated.code).toBe(1);
    // the row is mended: the OLD report's finding is not counted again
    await knob(stack, 'report-tamper', {
      certificateAuthorityArn: ca,
      serial: colon(serial),
      field: 'revocationReason',
      value: null,
    });
    const mended = await night();
    expect(mended.summary.cas[0]!.findings.warning).toBe(0);
    expect(mended.summary.cas[0]!.persistentAlerts).toEqual([]);
  });
});
