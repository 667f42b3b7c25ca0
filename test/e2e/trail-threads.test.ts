import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aRevokeRecord, aSerial, type TrailRecord } from '../builders.js';
import { assertBuilt, runCli } from './cli.js';

/**
 * Issue 16 item 3: trail files read on worker threads (PCA_AUDIT_READ_THREADS) give exactly what
 * reading them on the main thread gives: the same events, in the same order, the same counts on
 * stderr, the same first error.
 */

let dir: string;
beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'pca-audit-trail-threads-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const other = (k: number, time: string): TrailRecord => ({
  eventVersion: '1.09',
  userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/app/s' },
  eventTime: time,
  eventSource: k % 2 ? 's3.amazonaws.com' : 'kms.amazonaws.com',
  eventName: k % 2 ? 'GetObject' : 'Decrypt',
  requestParameters: { key: `k${k}` },
  eventID: `0000${k.toString(16).padStart(4, '0')}-0000-4000-8000-000000000000`,
});

/** A trail directory: `files` gzip logs, times interleaved across files, PCA records among others; a README and a digest beside. */
function trailDir(name: string, files: number, broken?: { file: number; record: number }): string {
  const d = join(dir, name, 'AWSLogs', '111122223333', 'CloudTrail', 'us-east-1', '2026', '11', '19');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(dir, name, 'README.md'), '# synced trail\n');
  let serial = 1;
  for (let f = 0; f < files; f++) {
    const records: string[] = [];
    for (let r = 0; r < 300; r++) {
      const time = `2026-11-19T${String((r * 7 + f * 13) % 24).padStart(2, '0')}:${String(r % 60).padStart(2, '0')}:0${f % 10}Z`;
      const text =
        r % 50 === 7
          ? JSON.stringify(aRevokeRecord(aSerial(serial++), time))
          : JSON.stringify(other(f * 1000 + r, time));
      records.push(
        broken && broken.file === f && broken.record === r
          ? text.replace('"eventName"', '"eventName" 1')
          : text,
      );
    }
    // the same record delivered in two files: a duplicate
    if (f === 1)
      records.push(JSON.stringify({ ...aRevokeRecord(aSerial(1), '2026-11-19T00:00:00Z'), eventID: 'dup' }));
    if (f === 2)
      records.push(JSON.stringify({ ...aRevokeRecord(aSerial(1), '2026-11-19T00:00:00Z'), eventID: 'dup' }));
    writeFileSync(
      join(d, `111122223333_CloudTrail_us-east-1_2026111${f}T0000Z_x.json.gz`),
      gzipSync(`{"Records":[${records.join(',')}]}`),
    );
  }
  mkdirSync(join(dir, name, 'digest'), { recursive: true });
  writeFileSync(
    join(dir, name, 'digest', 'd.json.gz'),
    gzipSync(JSON.stringify({ digestStartTime: '2026-11-19T00:00:00Z', logFiles: [] })),
  );
  return join(dir, name);
}

const run = (args: string[], threads: number) =>
  runCli(['events', ...args], { env: { PCA_AUDIT_READ_THREADS: String(threads) }, timeoutMs: 60_000 });

describe('issue 16 item 3: files read on worker threads', () => {
  it('the same events, order and counts as on one thread', async () => {
    const d = trailDir('ok', 7);
    const one = await run(['--cloudtrail', d], 0);
    expect(one.code).toBe(0);
    expect(one.stdout.split('\n').filter(Boolean)).toHaveLength(7 * 6 + 1);
    expect(one.stderr).toContain(`${7 * 294} records of other APIs or services read and not listed`);
    expect(one.stderr).toContain('1 duplicate CloudTrail record');
    for (const threads of [1, 2, 3]) {
      const many = await run(['--cloudtrail', d], threads);
      expect(many.code).toBe(0);
      expect(many.stdout).toBe(one.stdout);
      expect(many.stderr).toBe(one.stderr);
    }
  });

  it('a malformed record: the same error, naming the file, line and byte', async () => {
    const d = trailDir('broken', 6, { file: 3, record: 120 });
    const one = await run(['--cloudtrail', d], 0);
    expect(one.code).not.toBe(0);
    expect(one.stderr).toMatch(/20261113T0000Z_x\.json\.gz.*line 1, byte \d+/);
    const many = await run(['--cloudtrail', d], 2);
    expect(many.code).toBe(one.code);
    expect(many.stderr).toBe(one.stderr);
    const lenientOne = await run(['--cloudtrail', d, '--lenient'], 0);
    const lenientMany = await run(['--cloudtrail', d, '--lenient'], 2);
    expect(lenientOne.code).toBe(0);
    expect(lenientMany.stdout).toBe(lenientOne.stdout);
    expect(lenientMany.stderr).toBe(lenientOne.stderr);
  });
});
