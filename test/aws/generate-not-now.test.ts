/**
 * Issue 13, `generate` and the reports `run` picks, through the built CLI against moto and the
 * stand-in: who refuses and when to come back (exit 5, items 14 and 15), a kept copy trusted on
 * its content (item 16), and a download onto a full disk (item 4).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { parseInstant } from '../../src/core/instant.js';
import { assertBuilt } from '../e2e/cli.js';
import { createBucket, knob, readKnob, resetStack } from '../support/aws-stack.js';
import { cliOnStack, type TestPca, testPca } from '../support/pca.js';

const stack = inject('awsStack');
let work: string;
let pca: TestPca;

beforeAll(() => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'pca-audit-not-now-'));
  pca = testPca(stack, work);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(async () => {
  await resetStack(stack);
  await knob(stack, 'config', { reportDelayMs: 100 });
  await createBucket(stack, 'audit-reports');
});

const cli = (args: string[]) => cliOnStack(stack, args, {}, 60_000);
const generate = (ca: string, out: string, ...more: string[]) =>
  cli(['generate', '--ca', ca, '--bucket', 'audit-reports', '--out', out, '--poll-interval', '1s', ...more]);

/** How many CreateCertificateAuthorityAuditReport calls reached the stand-in. */
async function reportCalls(): Promise<number> {
  const { Records } = await readKnob<{ Records: Array<{ eventName: string }> }>(stack, 'events');
  return Records.filter((r) => r.eventName === 'CreateCertificateAuthorityAuditReport').length;
}

describe('generate: not now (exit 5), and who refused', () => {
  it('issue 13 item 14: a fresh report of the other format: pca-audit refuses without asking AWS, exit 5 with the retry time', async () => {
    const ca = await pca.createCa();
    const out = join(work, 'other-format');
    const first = await generate(ca, out, '--json');
    expect(first.code, first.stderr).toBe(0);
    await knob(stack, 'clock', { advance: 300 });

    const csv = await generate(ca, out, '--format', 'csv', '--json');
    expect(csv.code).toBe(5);
    const said = JSON.parse(csv.stdout);
    expect(said).toMatchObject({
      status: 'retry-later',
      refusedBy: 'pca-audit',
      reason: 'ReportIntervalNotElapsed',
      format: 'csv',
      report: { reportId: JSON.parse(first.stdout).reportId, format: 'json' },
    });
    // the slot opens 30 minutes (and 5 s of margin) after the report in the way was made
    expect(parseInstant(said.retryAfter)).toBe(parseInstant(said.report.createdAt) + 1805);
    expect(csv.stderr).toMatch(/^pca-audit: not now: refused by pca-audit, before asking AWS for a report: /);
    expect(csv.stderr).toContain(`retry after ${said.retryAfter}`);
    expect(csv.stderr).not.toMatch(/AWS CreateCertificateAuthorityAuditReport failed/);
    // no report was asked for: AWS saw the first call only
    expect(await reportCalls()).toBe(1);

    // waiting for the slot beyond --timeout: the same, said to be a timeout
    const waited = await generate(ca, out, '--format', 'csv', '--wait-for-slot', '--timeout', '2s', '--json');
    expect(waited.code).toBe(5);
    expect(JSON.parse(waited.stdout)).toMatchObject({ refusedBy: 'pca-audit', reason: 'SlotWaitTimeout' });
    expect(await reportCalls()).toBe(1);
  });

  it('issue 13 item 14: a report still being made at --timeout: exit 5, pca-audit stopped waiting (not an AWS failure)', async () => {
    const ca = await pca.createCa();
    await knob(stack, 'config', { reportDelayMs: 60_000 });
    const r = await generate(ca, join(work, 'slow'), '--timeout', '2s', '--json');
    expect(r.code, r.stderr).toBe(5);
    const said = JSON.parse(r.stdout);
    expect(said).toMatchObject({
      status: 'retry-later',
      refusedBy: 'pca-audit',
      reason: 'ReportWaitTimeout',
    });
    expect(r.stderr).toMatch(/^pca-audit: not now: pca-audit stopped waiting for AWS: gave up after 2 s/m);
    expect(r.stderr).not.toMatch(/AWS \w+ failed/);
    // it was asked for once; a later run finds it instead of asking again
    expect(await reportCalls()).toBe(1);
  });

  it('issue 13 item 14: AWS refusing until --timeout: exit 5, refused by AWS with its answer', async () => {
    const ca = await pca.createCa();
    const out = join(work, 'aws-refuses');
    const first = await generate(ca, out);
    expect(first.code, first.stderr).toBe(0);
    // a bucket without the recent report: only AWS can say no, and keeps saying it
    await createBucket(stack, 'fresh-bucket');
    await knob(stack, 'config', { reportRepeat: 'throttling' });
    await knob(stack, 'clock', { advance: 300 });
    const r = await cli([
      'generate',
      '--ca',
      ca,
      '--bucket',
      'fresh-bucket',
      '--out',
      out,
      '--poll-interval',
      '1s',
      '--timeout',
      '2s',
      '--max-attempts',
      '1',
      '--json',
    ]);
    expect(r.code).toBe(5);
    const said = JSON.parse(r.stdout);
    expect(said).toMatchObject({
      status: 'retry-later',
      refusedBy: 'AWS',
      reason: 'SlotWaitTimeout',
      aws: { operation: 'CreateCertificateAuthorityAuditReport', errorName: 'ThrottlingException' },
    });
    expect(r.stderr).toMatch(
      /^pca-audit: not now: refused by AWS \(CreateCertificateAuthorityAuditReport: ThrottlingException, request id [\w-]+\): /m,
    );
    await knob(stack, 'config', { reportRepeat: 'reuse' });
  });

  it('issue 13 item 15: AWS hands back a report of the other format: exit 5 unless --accept-any-format', async () => {
    const ca = await pca.createCa();
    const out = join(work, 'handed-back');
    const first = await generate(ca, out, '--json');
    expect(first.code, first.stderr).toBe(0);
    const made = JSON.parse(first.stdout);
    // asked in another bucket, the recent JSON report is not seen by pca-audit; the stand-in hands it back
    await createBucket(stack, 'fresh-bucket');
    await knob(stack, 'clock', { advance: 300 });
    const other = join(work, 'handed-back-2');
    const args = ['generate', '--ca', ca, '--bucket', 'fresh-bucket', '--out', other, '--format', 'csv'];
    const r = await cli([...args, '--poll-interval', '1s', '--json']);
    expect(r.code).toBe(5);
    const said = JSON.parse(r.stdout);
    expect(said).toMatchObject({
      refusedBy: 'AWS',
      reason: 'OtherFormatHandedBack',
      report: { reportId: made.reportId, format: 'json' },
    });
    expect(parseInstant(said.retryAfter)).toBe(parseInstant(made.createdAt) + 1805);
    expect(readdirSync(other)).toEqual([]);

    const taken = await cli([...args, '--poll-interval', '1s', '--json', '--accept-any-format']);
    expect(taken.code, taken.stderr).toBe(0);
    expect(JSON.parse(taken.stdout)).toMatchObject({
      status: 'ok',
      reportId: made.reportId,
      format: 'json',
      requestedFormat: 'csv',
      reused: true,
    });
  });

  it('issue 13 item 15: --accept-any-format takes the recent report of the other format, and says so', async () => {
    const ca = await pca.createCa();
    const out = join(work, 'accept');
    const first = await generate(ca, out, '--json');
    expect(first.code, first.stderr).toBe(0);
    await knob(stack, 'clock', { advance: 300 });
    const r = await generate(ca, out, '--format', 'csv', '--accept-any-format', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      reportId: JSON.parse(first.stdout).reportId,
      format: 'json',
      requestedFormat: 'csv',
    });
    expect(r.stderr).toMatch(/using the JSON report [0-9a-f-]{36}, made 5 min ago, instead of a CSV one/);
    expect(await reportCalls()).toBe(1);
  });
});

describe('run: a fresh report of the other format', () => {
  it('issue 13 item 15: run uses it at once (no wait holding the lock), notes it, and diffs it against JSON the next night', async () => {
    const ca = await pca.createCa();
    await pca.issue(ca);
    const made = await generate(ca, join(work, 'run-csv'), '--format', 'csv', '--json');
    expect(made.code, made.stderr).toBe(0);
    const csvId = JSON.parse(made.stdout).reportId;
    await knob(stack, 'clock', { advance: 120 });
    const state = join(work, 'run-state');
    const run = [
      'run',
      '--bucket',
      'audit-reports',
      '--ca',
      ca,
      '--state-dir',
      state,
      '--poll-interval',
      '1s',
      // shorter than the 28 minutes left of the slot: waiting for a JSON report would fail the CA
      '--timeout',
      '5s',
      '--format',
      'json',
    ];
    const night1 = await cli(run);
    expect(night1.code, night1.stderr).toBe(0);
    const s1 = JSON.parse(night1.stdout);
    expect(s1.cas[0]).toMatchObject({ status: 'baseline', reportId: csvId });
    expect(s1.cas[0].notes).toHaveLength(1);
    expect(s1.cas[0].notes[0]).toMatch(/is CSV, not JSON/);
    expect(readFileSync(join(state, 'latest-summary.md'), 'utf8')).toContain('### Notes');

    await knob(stack, 'clock', { advance: 86400 });
    await pca.issue(ca);
    const night2 = await cli(run);
    expect(night2.code, night2.stderr).toBe(0);
    const s2 = JSON.parse(night2.stdout);
    expect(s2.cas[0]).toMatchObject({ status: 'diffed', previousReportId: csvId, issued: 1 });
    expect(s2.cas[0].notes).toBeUndefined();
  });
});

describe('generate: what is kept', () => {
  it('issue 13 item 16: a kept copy of the same size but other bytes is downloaded again, not trusted', async () => {
    const ca = await pca.createCa();
    await pca.issue(ca);
    const out = join(work, 'kept');
    const first = await generate(ca, out, '--json');
    expect(first.code, first.stderr).toBe(0);
    const { path } = JSON.parse(first.stdout);
    const good = readFileSync(path);
    const bad = Buffer.from(good);
    const at = bad.indexOf('"serial"') + 12;
    bad[at] = bad[at] === 0x61 ? 0x62 : 0x61; // one hex digit of a serial, the same length
    writeFileSync(path, bad);

    await knob(stack, 'clock', { advance: 600 });
    const again = await generate(ca, out, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ path, reused: true, downloaded: true });
    expect(readFileSync(path).equals(good)).toBe(true);

    // the good copy is trusted (its MD5 is the ETag): not downloaded a third time
    const third = await generate(ca, out, '--json');
    expect(JSON.parse(third.stdout)).toMatchObject({ path, downloaded: false });
  });

  it('issue 13 item 4: onto a disk without room for the report: exit 2 naming the file, nothing kept', async () => {
    const ca = await pca.createCa();
    for (let i = 0; i < 12; i++) await pca.issue(ca);
    const disk = join(work, 'small-disk');
    mkdirSync(disk);
    // tests run as root: a 64 KiB tmpfs, 60 KiB of it taken, so the report (> 4 KiB) cannot fit
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk]);
    try {
      writeFileSync(join(disk, 'filler'), Buffer.alloc(60 * 1024));
      const r = await generate(ca, disk, '--json');
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        new RegExp(`^pca-audit: writing "${disk}/[0-9a-f-]{36}\\.json": the download could not be written: `),
      );
      expect(readdirSync(disk)).toEqual(['filler']);
    } finally {
      execFileSync('umount', [disk]);
    }
  });
});
