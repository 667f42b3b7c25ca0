import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEventSources } from '../../src/io/event-source.js';
import { InputError } from '../../src/io/report-source.js';
import { aRevokeRecord, aSerial, jsonLines, type TrailRecord, trailLog } from '../builders.js';

/** Reading CloudTrail sources: what counts as one record delivered twice, and what a directory may hold. */

let dir: string;
const p = (name: string) => join(dir, name);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pca-audit-event-sources-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ID = '3f2a9c1e-0b7d-4e25-9a61-5c8e2f4d7b90';
const revoke = (n: number, time: string, id = ID): TrailRecord => ({
  ...aRevokeRecord(aSerial(n), time),
  eventID: id,
});
/** a record of no interest (another API), with the given eventID */
const describeCa = (id: string): TrailRecord => ({
  ...aRevokeRecord(aSerial(9), '2026-11-19T08:00:00Z'),
  eventName: 'DescribeCertificateAuthority',
  eventID: id,
});

/** the canonical form events carry: lower-case hex, no colons */
const hex = (n: number) => aSerial(n).replace(/:/g, '');

describe('issue 14 item 4: dedupe', () => {
  it('issue 14 item 4: a skipped record reserves no eventID (the event of interest after it is kept)', async () => {
    writeFileSync(p('skipped-first.jsonl'), jsonLines([describeCa(ID), revoke(1, '2026-11-19T10:00:00Z')]));
    const set = await readEventSources([p('skipped-first.jsonl')], { lenient: false });
    expect(set.events.map((e) => e.serial)).toEqual([hex(1)]);
    expect(set.stats.duplicates).toBe(0);
    expect(set.stats.collisions).toBe(0);
  });

  it('issue 14 item 4: the same record delivered twice is kept once and counted', async () => {
    const r = revoke(1, '2026-11-19T10:00:00Z');
    writeFileSync(p('twice-a.json'), trailLog([r]));
    writeFileSync(p('twice-b.jsonl'), jsonLines([r]));
    const set = await readEventSources([p('twice-a.json'), p('twice-b.jsonl')], { lenient: false });
    expect(set.events).toHaveLength(1);
    expect(set.stats).toMatchObject({ records: 2, duplicates: 1, collisions: 0 });
  });

  it('issue 14 item 4: two different records with one eventID are both kept, the collision counted', async () => {
    const a = revoke(1, '2026-11-19T10:00:00Z');
    const b = revoke(2, '2026-11-19T11:00:00Z');
    writeFileSync(p('collision.jsonl'), jsonLines([a, b, a]));
    const set = await readEventSources([p('collision.jsonl')], { lenient: false });
    expect(set.events.map((e) => e.serial)).toEqual([hex(1), hex(2)]);
    expect(set.stats).toMatchObject({ records: 3, duplicates: 1, collisions: 1, collisionExamples: [ID] });
  });
});

describe('issue 14 item 5: a non-CloudTrail file inside a --cloudtrail directory', () => {
  const digest = JSON.stringify({
    awsAccountId: '111122223333',
    digestStartTime: '2026-11-19T10:00:00Z',
    digestEndTime: '2026-11-19T11:00:00Z',
    digestS3Bucket: 'example-trail',
    logFiles: [{ s3Bucket: 'example-trail', s3Object: 'AWSLogs/x.json.gz', hashValue: 'ab' }],
  });
  /** a directory: one trail log among a README, a text file, a binary, a digest, an audit report */
  function mixedDir(name: string): string {
    const d = p(name);
    mkdirSync(join(d, 'CloudTrail-Digest'), { recursive: true });
    writeFileSync(join(d, 'README.md'), '# Trail logs\n\nSynced from S3 on 2026-11-20.\n');
    writeFileSync(join(d, 'notes.txt'), 'revoked 27:cb:a5 by hand\n');
    writeFileSync(join(d, 'blob.bin'), new Uint8Array([0, 1, 2, 0xff, 0xfe, 0x7b]));
    writeFileSync(join(d, 'CloudTrail-Digest', 'digest.json.gz'), gzipSync(digest));
    writeFileSync(join(d, 'report.json'), JSON.stringify([{ serial: '01', subject: 'CN=x' }]));
    writeFileSync(join(d, 'trail.json'), trailLog([revoke(1, '2026-11-19T10:00:00Z')]));
    return d;
  }

  it('issue 14 item 5: skipped and counted, the CloudTrail file read', async () => {
    const set = await readEventSources([mixedDir('mixed')], { lenient: false });
    expect(set.events.map((e) => e.serial)).toEqual([hex(1)]);
    expect(set.stats.files).toBe(1);
    expect(set.stats.skippedFiles).toBe(5);
    expect(set.stats.malformed).toBe(0);
    expect([...set.stats.skippedFileExamples].sort()).toEqual(
      ['CloudTrail-Digest/digest.json.gz', 'README.md', 'blob.bin', 'notes.txt', 'report.json']
        .map((f) => join(p('mixed'), f))
        .sort(),
    );
  });

  it('issue 14 item 5: the same file named on the command line stays an error', async () => {
    const d = mixedDir('named');
    for (const f of ['README.md', 'notes.txt', 'blob.bin', 'report.json']) {
      await expect(readEventSources([join(d, f)], { lenient: false })).rejects.toBeInstanceOf(InputError);
    }
  });

  it('issue 14 item 5: a digest file named on the command line is skipped and counted, as before not an error', async () => {
    const d = mixedDir('digest');
    const set = await readEventSources([join(d, 'CloudTrail-Digest', 'digest.json.gz')], { lenient: false });
    expect(set.stats).toMatchObject({ files: 0, skippedFiles: 1, records: 0 });
  });

  it('issue 14 item 5: a malformed record in a CloudTrail file inside a directory stays an error', async () => {
    const d = p('broken');
    mkdirSync(d, { recursive: true });
    writeFileSync(
      join(d, 'a.jsonl'),
      `${JSON.stringify(revoke(1, '2026-11-19T10:00:00Z'))}\n{"eventID": oops}\n`,
    );
    await expect(readEventSources([d], { lenient: false })).rejects.toBeInstanceOf(InputError);
    const lenient = await readEventSources([d], { lenient: true });
    expect(lenient.stats).toMatchObject({ files: 1, skippedFiles: 0, malformed: 1 });
  });

  it('issue 14 item 5: a truncated trail log inside a directory stays an error (it looks like CloudTrail)', async () => {
    const d = p('truncated');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'a.json'), trailLog([revoke(1, '2026-11-19T10:00:00Z')]).slice(0, -30));
    writeFileSync(join(d, 'b.json'), JSON.stringify(revoke(2, '2026-11-19T10:00:00Z')).slice(0, -5));
    await expect(readEventSources([join(d)], { lenient: false })).rejects.toBeInstanceOf(InputError);
    await expect(readEventSources([join(d, 'b.json')], { lenient: false })).rejects.toBeInstanceOf(
      InputError,
    );
  });

  it('issue 14 item 5: a directory holding no CloudTrail file at all is an error', async () => {
    const d = p('readme-only');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'README.md'), '# nothing here\n');
    await expect(readEventSources([d], { lenient: false })).rejects.toBeInstanceOf(InputError);
  });
});

describe('issue 16 item 3: records of no interest counted unparsed', () => {
  const s3 = (id: string, time: string): TrailRecord => ({
    ...describeCa(id),
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    eventTime: time,
    requestParameters: { bucketName: 'b', key: 'notes about acm-pca.amazonaws.com RevokeCertificate' },
  });
  it('counts, coverage and events are those of parsing every record', async () => {
    const escaped = JSON.stringify(
      revoke(2, '2026-11-19T11:00:00Z', 'e5c4a3b2-0000-4000-8000-000000000002'),
    ).replace('"acm-pca.amazonaws.com"', '"acm\\u002dpca.amazonaws.com"');
    const records = [
      JSON.stringify(s3('a1', '2026-11-19T12:00:00Z')),
      JSON.stringify(s3('a2', '2026-11-18T23:59:00Z')),
      JSON.stringify(revoke(1, '2026-11-19T10:00:00Z')),
      escaped,
      JSON.stringify(describeCa('a3')),
      JSON.stringify(s3('a4', '2026-11-20T01:02:03Z')),
    ];
    writeFileSync(p('skim.json.gz'), gzipSync(`{"Records":[${records.join(',')}]}`));
    const set = await readEventSources([p('skim.json.gz')], { lenient: false });
    expect(set.events.map((e) => e.serial)).toEqual([hex(1), hex(2)]);
    expect(set.stats.records).toBe(6);
    expect(set.stats.skipped).toEqual({
      's3.amazonaws.com GetObject': 3,
      'acm-pca.amazonaws.com DescribeCertificateAuthority': 1,
    });
    expect(set.stats.earliest).toBe(Date.parse('2026-11-18T23:59:00Z') / 1000);
    expect(set.stats.latest).toBe(Date.parse('2026-11-20T01:02:03Z') / 1000);
    expect(set.stats.groups.get(p('skim.json.gz'))).toMatchObject({
      earliest: Date.parse('2026-11-18T23:59:00Z') / 1000,
      latest: Date.parse('2026-11-20T01:02:03Z') / 1000,
    });
  });
});
