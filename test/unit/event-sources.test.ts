import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEventSources } from '../../src/io/event-source.js';
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
