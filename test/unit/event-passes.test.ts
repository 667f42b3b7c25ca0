/**
 * Issue 16 item 2: one LookupEvents pass per account and Region per run, shared by its CAs, and a
 * trail bucket's objects listed and downloaded once. The lookup and S3 calls are stand-ins that log
 * what they were asked; the records are real CloudTrail record shapes.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { trailObjectKeys } from '../../src/aws/trail-bucket.js';
import { type CaArn, parseCaArn } from '../../src/core/ca-arn.js';
import { formatInstant } from '../../src/core/instant.js';
import { collectEvents, lookupSpan } from '../../src/io/event-inputs.js';
import { EventPasses, PASS_OVERLAP_SECONDS } from '../../src/run/event-passes.js';

const ACCOUNT = '111122223333';
const caOf = (region: string, n: number): CaArn =>
  parseCaArn(
    `arn:aws:acm-pca:${region}:${ACCOUNT}:certificate-authority/0000000${n}-1111-4222-8333-444455556666`,
  )!;
const T0 = Date.parse('2026-12-01T00:00:00Z') / 1000;

/** A successful RevokeCertificate of `ca` at `t`, as CloudTrail records it. */
function revoke(ca: CaArn, t: number, serial: string): string {
  return JSON.stringify({
    eventVersion: '1.08',
    eventID: `${ca.id.slice(0, 8)}-${serial}-${t}`,
    eventTime: formatInstant(t),
    eventSource: 'acm-pca.amazonaws.com',
    eventName: 'RevokeCertificate',
    awsRegion: ca.region,
    recipientAccountId: ca.account,
    userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${ca.account}:assumed-role/pki/op` },
    requestParameters: {
      certificateAuthorityArn: ca.arn,
      certificateSerial: serial,
      revocationReason: 'KEY_COMPROMISE',
    },
    responseElements: null,
  });
}

/** ACM's RevokeCertificate: it names no private CA, so every CA of the account and Region reads it. */
function acmRevoke(region: string, t: number): string {
  return JSON.stringify({
    eventVersion: '1.08',
    eventID: `acm-${t}`,
    eventTime: formatInstant(t),
    eventSource: 'acm.amazonaws.com',
    eventName: 'RevokeCertificate',
    awsRegion: region,
    userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/dev/x` },
    requestParameters: {
      certificateArn: `arn:aws:acm:${region}:${ACCOUNT}:certificate/69b7783f-d1f8-43d7-9b06-5fdafe5ba274`,
      revocationReason: 'SUPERSEDED',
    },
    responseElements: null,
  });
}

interface Call {
  region: string;
  start: number;
  end: number;
  names: readonly string[];
}

/** A LookupEvents stand-in over `records` (per Region): what a call asks for, by eventTime. */
function fakeLookup(records: Record<string, string[]>, calls: Call[]) {
  return async function* (
    _client: CloudTrailClient,
    o: { start: number; end: number; region: string; eventNames: readonly string[] },
  ) {
    calls.push({ region: o.region, start: o.start, end: o.end, names: o.eventNames });
    let index = 0;
    for (const text of records[o.region] ?? []) {
      const t = Date.parse(JSON.parse(text).eventTime) / 1000;
      if (t >= o.start && t <= o.end) yield { text, page: 1, index: ++index, eventName: 'RevokeCertificate' };
    }
  };
}

const client = {} as CloudTrailClient;
let clock = T0 + 86400;

async function read(passes: EventPasses, ca: CaArn, from: number, to: number) {
  const out: { text: string; page: number; index: number }[] = [];
  for await (const r of passes.lookup(
    { account: ca.account, region: ca.region, cloudtrail: client },
    ca,
    lookupSpan(from, to, clock),
  ))
    out.push(r);
  // in the pass's order (as LookupEvents gave them): sorted here by time
  return out
    .map(
      (r) =>
        JSON.parse(r.text) as {
          eventID: string;
          eventTime: string;
          requestParameters?: Record<string, string>;
        },
    )
    .sort((x, y) => (x.eventTime < y.eventTime ? -1 : 1));
}

let passes: EventPasses;
beforeEach(() => {
  clock = T0 + 86400;
});
afterEach(async () => passes?.dispose());

describe('EventPasses: one LookupEvents pass per account and Region (issue 16 item 2)', () => {
  const [a, b, c] = [caOf('eu-west-1', 1), caOf('eu-west-1', 2), caOf('eu-west-1', 3)];
  const records = {
    'eu-west-1': [
      revoke(a, T0 + 600, 'aa01'),
      revoke(b, T0 + 700, 'bb01'),
      revoke(c, T0 + 800, 'cc01'),
      acmRevoke('eu-west-1', T0 + 900),
      revoke(a, T0 + 40000, 'aa02'),
      revoke(b, T0 - 5000, 'bb00'),
    ],
    'us-east-1': [revoke(caOf('us-east-1', 4), T0 + 600, 'dd01')],
  };

  it('3 CAs of one account and Region, read at once: one pass, each CA only its own records (and those naming no CA)', async () => {
    const calls: Call[] = [];
    passes = new EventPasses({ now: () => clock, sleep: async () => {}, lookup: fakeLookup(records, calls) });
    const got = await Promise.all([a, b, c].map((ca) => read(passes, ca, T0, T0 + 86400 - 60)));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.names).toEqual([
      'RevokeCertificate',
      'IssueCertificate',
      'IssueCertificateDetails',
      'CreateCertificateAuthorityAuditReport',
      'GenerateCRL',
    ]);
    expect(passes.counts).toMatchObject({ passes: 1, extensions: 0 });
    const serials = got.map((g) => g.map((r) => r.requestParameters?.certificateSerial ?? r.eventID));
    // b's record of T0 - 5000 is more than an hour before its window: not b's
    expect(serials).toEqual([
      ['aa01', `acm-${T0 + 900}`, 'aa02'],
      ['bb01', `acm-${T0 + 900}`],
      ['cc01', `acm-${T0 + 900}`],
    ]);
  });

  it('CAs of two Regions: two passes, each with that Region', async () => {
    const calls: Call[] = [];
    passes = new EventPasses({ now: () => clock, sleep: async () => {}, lookup: fakeLookup(records, calls) });
    const d = caOf('us-east-1', 4);
    const got = await Promise.all([read(passes, a, T0, T0 + 3600), read(passes, d, T0, T0 + 3600)]);
    expect(calls.map((x) => x.region).sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(got[1]!.map((r) => r.requestParameters?.certificateSerial)).toEqual(['dd01']);
  });

  it('the pass spans the union of the windows announced: one request range from the earliest start', async () => {
    const calls: Call[] = [];
    passes = new EventPasses({ now: () => clock, sleep: async () => {}, lookup: fakeLookup(records, calls) });
    passes.expect(ACCOUNT, 'eu-west-1', lookupSpan(T0 - 4000, T0 - 4000, clock).start);
    const first = await read(passes, a, T0, T0 + 3600);
    const second = await read(passes, b, T0 - 4000, T0 + 3600);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ start: T0 - 4000 - 3600, end: clock });
    expect(first.map((r) => r.requestParameters?.certificateSerial)).toEqual(['aa01', undefined]);
    // b's earlier record is inside b's window: b reads it from the one pass
    expect(second.map((r) => r.requestParameters?.certificateSerial)).toEqual(['bb00', 'bb01', undefined]);
  });

  it('a CA not announced whose window starts earlier, or whose report came after the pass, extends it by what is missing only', async () => {
    const calls: Call[] = [];
    // c's revocation 5 minutes before the first pass ends: read by it, and again by the overlap
    const nearEnd = revoke(c, clock - 300, 'cc02');
    const more = { ...records, 'eu-west-1': [...records['eu-west-1'], nearEnd] };
    passes = new EventPasses({ now: () => clock, sleep: async () => {}, lookup: fakeLookup(more, calls) });
    await read(passes, a, T0, T0 + 3600);
    const end = clock;
    await read(passes, b, T0 - 4000, T0 + 3600);
    expect(calls[1]).toMatchObject({ start: T0 - 4000 - 3600, end: T0 - 3600 + PASS_OVERLAP_SECONDS });
    clock += 7200;
    // c's report was made after the pass's end: the pass is read again from a little before it
    const late = await read(passes, c, T0, end + 60);
    expect(calls[2]).toMatchObject({ start: end - PASS_OVERLAP_SECONDS, end: clock });
    expect(calls).toHaveLength(3);
    expect(passes.counts).toMatchObject({ passes: 1, extensions: 2 });
    // the overlap re-read adds nothing twice
    expect(late.map((r) => r.eventID)).toEqual([
      JSON.parse(records['eu-west-1'][2]!).eventID,
      `acm-${T0 + 900}`,
      JSON.parse(nearEnd).eventID,
    ]);
  });

  it('a pass waits for the CAs still making their report, so it reaches theirs: no second pass', async () => {
    const calls: Call[] = [];
    passes = new EventPasses({ now: () => clock, sleep: async () => {}, lookup: fakeLookup(records, calls) });
    const releaseA = passes.hold(ACCOUNT, 'eu-west-1');
    const releaseB = passes.hold(ACCOUNT, 'eu-west-1');
    releaseA();
    const readA = read(passes, a, T0, clock - 60);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(0); // b is making its report
    clock += 600; // b's report is made 10 minutes later
    const bMade = clock - 1;
    releaseB();
    releaseB(); // a second call changes nothing
    await readA;
    await read(passes, b, T0, bMade);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.end).toBe(clock);
  });

  it('a pass that fails half-way fails its CA and leaves nothing: the next CA fetches it again, no record twice', async () => {
    const calls: Call[] = [];
    const inner = fakeLookup(records, calls);
    let failures = 1;
    passes = new EventPasses({
      now: () => clock,
      sleep: async () => {},
      lookup: async function* (client: CloudTrailClient, o: Parameters<typeof inner>[1]) {
        let n = 0;
        for await (const e of inner(client, o)) {
          // a page each: the first is written before the second fails
          yield { ...e, page: n + 1 };
          if (++n === 2 && failures-- > 0) throw new Error('ThrottlingException: Rate exceeded');
        }
      } as never,
    });
    await expect(read(passes, a, T0, T0 + 3600)).rejects.toThrow(/Rate exceeded/);
    const got = await read(passes, a, T0, T0 + 3600);
    expect(calls).toHaveLength(2);
    expect(got.map((r) => r.eventID)).toEqual([...new Set(got.map((r) => r.eventID))]);
    expect(got.map((r) => r.requestParameters?.certificateSerial)).toEqual(['aa01', undefined]);
  });

  it('through collectEvents: the CA reads its records, the lookup span (not the first record) starts its coverage', async () => {
    const calls: Call[] = [];
    passes = new EventPasses({ now: () => clock, sleep: async () => {}, lookup: fakeLookup(records, calls) });
    const ctx = (ca: CaArn) => ({
      lenient: false,
      inputs: { aws: async () => ({ cloudtrail: () => client }) as never },
      ca,
      from: T0,
      to: T0 + 3600,
      now: () => clock,
      sleep: async () => {},
      progress: () => {},
      shared: passes,
    });
    const [ea, eb] = await Promise.all([
      collectEvents(['lookup'], ctx(a)),
      collectEvents(['lookup'], ctx(b)),
    ]);
    expect(calls).toHaveLength(1);
    expect(ea.events.map((e) => e.serial ?? e.eventSource)).toEqual(['aa01', 'acm.amazonaws.com']);
    expect(eb.events.map((e) => e.serial ?? e.eventSource)).toEqual(['bb01', 'acm.amazonaws.com']);
    expect(ea.stats.groups.get('lookup')!.earliest).toBe(T0 - 3600);
  });
});

describe('EventPasses: a trail bucket read once for all CAs (issue 16 item 2)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pca-audit-passes-test-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('an organisation trail: each prefix listed once, each object downloaded once, for CAs of two accounts', async () => {
    const listed: string[] = [];
    const downloaded: string[] = [];
    const objects = [
      `AWSLogs/o-abc123def4/111122223333/CloudTrail/eu-west-1/2026/12/01/111122223333_CloudTrail_eu-west-1_20261201T0005Z_a.json.gz`,
      `AWSLogs/o-abc123def4/444455556666/CloudTrail/eu-west-1/2026/12/01/444455556666_CloudTrail_eu-west-1_20261201T0005Z_b.json.gz`,
    ];
    passes = new EventPasses({
      now: () => clock,
      sleep: async () => {},
      s3: {
        listPrefixes: async (_s3, _bucket, prefix) => {
          listed.push(`P ${prefix}`);
          return prefix === 'AWSLogs/' ? ['AWSLogs/o-abc123def4/'] : [];
        },
        listObjects: async (_s3, _bucket, prefix) => {
          listed.push(`O ${prefix}`);
          return objects
            .filter((k) => k.startsWith(prefix))
            .map((key) => ({ key, size: 1, lastModified: T0 }));
        },
        download: async (_s3, _bucket, key, dest) => {
          downloaded.push(key);
          await writeFile(dest, key);
        },
      },
    });
    const s3 = {} as S3Client;
    const walk = (account: string) => ({
      bucket: 'org-trail',
      prefix: '',
      account,
      region: 'eu-west-1',
      from: T0,
      to: T0 + 3600,
    });
    // two CAs of one account, one of another: read at once
    const keys = await Promise.all(
      ['111122223333', '111122223333', '444455556666'].map((acct) =>
        trailObjectKeys(s3, walk(acct), passes.trailLister(s3, T0 + 3600)),
      ),
    );
    expect(keys.map((k) => k.length)).toEqual([1, 1, 1]);
    // AWSLogs/ once; per account the 3 days (window ± 1 day) under the account and under o-…
    expect(listed.filter((l) => l === 'P AWSLogs/')).toHaveLength(1);
    expect(new Set(listed).size).toBe(listed.length);
    const paths = await Promise.all(keys.flat().map((k) => passes.trailFile(s3, 'org-trail', k)));
    expect(downloaded.sort()).toEqual([...objects].sort());
    expect(paths[0]).toBe(paths[1]);
    expect(await readFile(paths[2]!, 'utf8')).toBe(objects[1]);
    // a CA whose window ends after the listing lists again (new files may have come)
    clock += 7200;
    await trailObjectKeys(s3, walk('111122223333'), passes.trailLister(s3, clock - 60));
    expect(listed.filter((l) => l === 'P AWSLogs/')).toHaveLength(2);
  });
  it("through collectEvents: a trail bucket is read with the run's own client (trailS3), never the CA's target's", async () => {
    const central = { name: 'central' } as unknown as S3Client;
    const used: unknown[] = [];
    passes = new EventPasses({
      now: () => clock,
      sleep: async () => {},
      trailS3: async () => central,
      s3: {
        listPrefixes: async (s3) => {
          used.push(s3);
          return [];
        },
        listObjects: async (s3) => {
          used.push(s3);
          return [];
        },
        download: async () => {},
      },
    });
    const ca = caOf('eu-west-1', 1);
    const member = async () => {
      throw new Error("the member's clients were asked for the trail bucket");
    };
    await collectEvents(['s3://org-trail/'], {
      lenient: false,
      inputs: { aws: member as never },
      ca,
      from: T0,
      to: T0 + 3600,
      now: () => clock,
      sleep: async () => {},
      progress: () => {},
      shared: passes,
    }).catch(() => undefined);
    expect(used.length).toBeGreaterThan(0);
    expect(used.every((c) => c === central)).toBe(true);
  });
});
