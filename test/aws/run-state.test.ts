/**
 * The nightly job's state against moto and the stand-in (issue 13): a deleted checkpoint, a
 * damaged one among healthy CAs, and the layout marker of `--state s3://…`.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { assertBuilt } from '../e2e/cli.js';
import { createBucket, knob, resetStack, TEST_CREDENTIALS } from '../support/aws-stack.js';
import { caStateDir, cliOnStack, colon, emulatorNow, type TestPca, testPca } from '../support/pca.js';

const stack = inject('awsStack');
let work: string;
let pca: TestPca;

beforeAll(() => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'pca-audit-runstate-'));
  pca = testPca(stack, work, '/CN=svc-state');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(async () => {
  await resetStack(stack);
  await knob(stack, 'config', { reportDelayMs: 100 });
  await createBucket(stack, 'audit-reports');
});

const cli = (args: string[], extra: Record<string, string> = {}) => cliOnStack(stack, args, extra, 60_000);
const night = () => knob(stack, 'clock', { advance: 86400 });

interface CaSummary {
  ca: string;
  status: string;
  error?: string;
  newAlerts: Array<{ code: string; serial?: string }>;
}

function runArgs(state: string, cas: string[], more: string[] = []): string[] {
  return [
    'run',
    '--bucket',
    'audit-reports',
    ...cas.flatMap((c) => ['--ca', c]),
    '--state-dir',
    state,
    '--poll-interval',
    '1s',
    '--format',
    'json',
    ...more,
  ];
}

describe('run: a missing checkpoint', () => {
  it('issue 13 item 1: a deleted checkpoint of a CA with history is HISTORY_TAMPERED, not a silent first run', async () => {
    const ca = await pca.createCa('State Root');
    await pca.issue(ca);
    const state = join(work, 'deleted');
    const base = runArgs(state, [ca]);
    expect((await cli(base)).code).toBe(0); // baseline
    await night();
    await pca.issue(ca);
    expect((await cli(base)).code).toBe(0); // diffed: history/ now holds the baseline checkpoint
    rmSync(join(caStateDir(state, ca), 'checkpoint.json'));
    await night();
    const r = await cli(base);
    expect(r.code, r.stderr).toBe(1);
    const c = JSON.parse(r.stdout).cas[0] as CaSummary;
    expect(c.status).toBe('baseline');
    expect(c.newAlerts.map((a) => a.code)).toEqual(['HISTORY_TAMPERED']);
    // re-baselined: the next night is quiet again
    await night();
    expect((await cli(base)).code).toBe(0);
  });

  it('issue 13 item 1: a CA directory moved away after one night is HISTORY_TAMPERED (the run records name it)', async () => {
    const ca = await pca.createCa('State Root 2');
    await pca.issue(ca);
    const state = join(work, 'moved');
    const base = runArgs(state, [ca]);
    expect((await cli(base)).code).toBe(0);
    rmSync(caStateDir(state, ca), { recursive: true });
    await night();
    const r = await cli(base);
    expect(r.code, r.stderr).toBe(1);
    expect((JSON.parse(r.stdout).cas[0] as CaSummary).newAlerts.map((a) => a.code)).toEqual([
      'HISTORY_TAMPERED',
    ]);
  });

  it('issue 13 item 1: a first run killed before its commit leaves a report, and the re-run is a plain baseline', async () => {
    const ca = await pca.createCa('State Root 3');
    await pca.issue(ca);
    const state = join(work, 'killed-first');
    const base = runArgs(state, [ca]);
    expect((await cli(base, { PCA_AUDIT_TEST_CRASH_AFTER: 'ca-results' })).code).toBe(137);
    const r = await cli(base);
    expect(r.code, r.stderr).toBe(0);
    const c = JSON.parse(r.stdout).cas[0] as CaSummary;
    expect(c.status).toBe('baseline');
    expect(c.newAlerts).toEqual([]);
  });
});

describe('run: one damaged checkpoint among healthy CAs', () => {
  it('issue 13 item 6: the damaged CA fails alone, naming the file; the others are summarised and notified; exit is the worst', async () => {
    const damaged = await pca.createCa('Damaged Root');
    const healthy = await pca.createCa('Healthy Root');
    await pca.issue(damaged);
    const victim = await pca.issue(healthy);
    const state = join(work, 'damaged');
    const notified = join(work, 'damaged-notified.log');
    const base = runArgs(
      state,
      [damaged, healthy],
      ['--notify-command', `echo "$PCA_AUDIT_RUN_ID" >> ${notified}`],
    );
    expect((await cli(base)).code).toBe(0);
    const cp = join(caStateDir(state, damaged), 'checkpoint.json');
    writeFileSync(cp, '{"layout": 1, "reportId": ');
    await night();
    await knob(stack, 'revoke-silently', { certificateAuthorityArn: healthy, certificateSerial: victim });
    const r = await cli(base);
    expect(r.code, r.stderr).toBe(2);
    const summary = JSON.parse(r.stdout);
    const byCa = new Map((summary.cas as CaSummary[]).map((c) => [c.ca, c]));
    expect(byCa.get(damaged)!.status).toBe('failed');
    expect(byCa.get(damaged)!.error).toContain(cp);
    expect(byCa.get(healthy)!.status).toBe('diffed');
    expect(byCa.get(healthy)!.newAlerts.map((a) => `${a.code} ${a.serial}`)).toEqual([
      `REVOKED_WITHOUT_EVENT ${colon(victim)}`,
    ]);
    // the notification went out, once, and the latest summary is this run's
    expect(readFileSync(notified, 'utf8').trim().split('\n')).toEqual([summary.runId]);
    expect(JSON.parse(readFileSync(join(state, 'latest-summary.json'), 'utf8')).runId).toBe(summary.runId);
  });
});

describe('run --state s3://…: the layout marker', () => {
  const s3 = () =>
    new S3Client({
      region: stack.region,
      endpoint: stack.motoUrl,
      forcePathStyle: true,
      credentials: TEST_CREDENTIALS,
    });

  it('issue 13 item 19: the S3 state gets a layout marker, and a newer layout is refused (a dry run too)', async () => {
    await createBucket(stack, 'pca-state');
    const ca = await pca.createCa('S3 Root');
    await pca.issue(ca);
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
    expect((await cli(base)).code).toBe(0);
    const client = s3();
    const written = await client.send(
      new GetObjectCommand({ Bucket: 'pca-state', Key: 'nightly/state.json' }),
    );
    expect(JSON.parse(await written.Body!.transformToString()).layout).toBe(2);

    await client.send(
      new PutObjectCommand({
        Bucket: 'pca-state',
        Key: 'nightly/state.json',
        Body: JSON.stringify({ layout: 3, tool: 'pca-audit' }),
      }),
    );
    await night();
    for (const args of [base, [...base, '--dry-run']]) {
      const r = await cli(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /^pca-audit: state "s3:\/\/pca-state\/nightly\/state\.json": layout 3 is newer than this pca-audit understands \(2\)\n/,
      );
    }
    // refused before anything was written: no new run, and the lock is gone
    const listing = await (await fetch(`${stack.motoUrl}/pca-state?list-type=2&prefix=nightly/`)).text();
    expect(listing).not.toContain('nightly/lock');
    expect(listing.match(/nightly\/runs\/[^/]+\/summary\.json/g)).toHaveLength(1);
  });

  it('issue 13 item 19: a dry run on S3 state reads the checkpoints (it diffs, it does not re-baseline)', async () => {
    await createBucket(stack, 'pca-state');
    const ca = await pca.createCa('S3 Root 2');
    await pca.issue(ca);
    const base = [
      'run',
      '--bucket',
      'audit-reports',
      '--ca',
      ca,
      '--state',
      's3://pca-state/dry/',
      '--poll-interval',
      '1s',
      '--format',
      'json',
    ];
    expect((await cli(base)).code).toBe(0);
    await night();
    await pca.issue(ca);
    expect((await cli(base)).code).toBe(0); // a second report to read
    const dry = await cli([...base, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout).cas[0].status).toBe('unchanged');
  });

  it('issue 13 item 7 (S3): a stale S3 lock object is replaced, said so, and removed at the end', async () => {
    await createBucket(stack, 'pca-state');
    const ca = await pca.createCa('S3 Root 3');
    await pca.issue(ca);
    const sevenHoursAgo = new Date(((await emulatorNow(stack)) - 7 * 3600) * 1000).toISOString();
    await s3().send(
      new PutObjectCommand({
        Bucket: 'pca-state',
        Key: 'stale/lock',
        Body: JSON.stringify({ pid: 4242, host: 'runner-7', startedAt: sevenHoursAgo, token: 't' }),
      }),
    );
    const r = await cli([
      'run',
      '--bucket',
      'audit-reports',
      '--ca',
      ca,
      '--state',
      's3://pca-state/stale/',
      '--poll-interval',
      '1s',
      '--format',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/taking over a stale lock \(s3:\/\/pca-state\/stale\/lock/);
    const listing = await (await fetch(`${stack.motoUrl}/pca-state?list-type=2&prefix=stale/`)).text();
    expect(listing).not.toContain('stale/lock');
  });

  it('S3 state: a live lock is refused naming its holder and left as it was; no working copy is left behind, whatever way the run ends', async () => {
    await createBucket(stack, 'pca-state');
    const ca = await pca.createCa('S3 Root 4');
    await pca.issue(ca);
    // the CLI's temporary directories (the S3 state's working copy among them) go here
    const tmp = mkdtempSync(join(work, 'tmp-'));
    const args = [
      'run',
      '--bucket',
      'audit-reports',
      '--ca',
      ca,
      '--state',
      's3://pca-state/held/',
      '--poll-interval',
      '1s',
      '--format',
      'json',
    ];
    const done = await cli(args, { TMPDIR: tmp });
    expect(done.code, done.stderr).toBe(0);
    expect(readdirSync(tmp)).toEqual([]);
    const startedAt = new Date((await emulatorNow(stack)) * 1000).toISOString();
    const lock = JSON.stringify({ pid: 4243, host: 'runner-8', startedAt, token: 'live' });
    await s3().send(new PutObjectCommand({ Bucket: 'pca-state', Key: 'held/lock', Body: lock }));
    const refused = await cli(args, { TMPDIR: tmp });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(
      /^pca-audit: state "s3:\/\/pca-state\/held\/lock": another pca-audit run holds the lock \(pid 4243 on runner-8, since /,
    );
    expect(readdirSync(tmp)).toEqual([]);
    const kept = await s3().send(new GetObjectCommand({ Bucket: 'pca-state', Key: 'held/lock' }));
    expect(await kept.Body!.transformToString()).toBe(lock);
  });
});
