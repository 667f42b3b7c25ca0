/**
 * `run` settings and side channels against the stand-in: the webhook (delivered, failed and retried
 * next run), acknowledgements, the config file against the environment and flags, --dry-run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  received: Array<{ headers: Record<string, string | string[] | undefined>; body: unknown }>;
  statuses: number[];
  server: Server;
}

async function hook(statuses: number[]): Promise<Hook> {
  const h: Hook = { url: '', received: [], statuses, server: createServer() };
  h.server.on('request', (req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      h.received.push({ headers: req.headers, body: JSON.parse(body) });
      res.statusCode = h.statuses.shift() ?? 204;
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
});
