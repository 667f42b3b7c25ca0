/**
 * A run's CloudTrail reads, shared by its CAs (issue 16 item 2).
 *
 * - LookupEvents: one pass per account and Region, over the union of the windows of that account
 *   and Region's CAs (each window's start is announced before any CA is processed, `expect`),
 *   fetched when the first CA needs it and none of the CAs being processed is still making its
 *   report (`hold`): CAs that run at once wait for the one pass instead of making their own. Its
 *   records are appended to a file (not held in memory); each CA reads back those naming its ARN
 *   (or no CA at all: ACM's and ACME's RevokeCertificate) inside its own span. A CA whose window the
 *   pass does not reach (a CA processed later, whose report was made after the pass) extends it by
 *   the missing part only.
 * - Trail buckets: each day prefix is listed once (again only when a CA's window ends after the
 *   listing), each object downloaded once into the run's directory; every CA reads the local copies.
 *
 * Built with no AWS client: the clients of an account and Region are handed in with each read, so
 * targets with their own credentials (AssumeRole per account) plug theirs in.
 */
import { createReadStream } from 'node:fs';
import { appendFile, mkdtemp, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { S3Client } from '@aws-sdk/client-s3';
import type { lookupEvents as LookupEvents } from '../aws/cloudtrail.js';
import type { S3Object } from '../aws/s3.js';
import type { TrailLister } from '../aws/trail-bucket.js';
import type { CaArn } from '../core/ca-arn.js';
import { parseInstant } from '../core/instant.js';
import { LOOKUP_EVENT_NAMES, normalise, unwrap } from '../core/reconcile/cloudtrail/event.js';
import type { LookupRecord, LookupSpan, SharedEventReads } from '../io/event-inputs.js';

/**
 * An extension of a pass re-reads this much before the pass's end: LookupEvents shows a call some
 * minutes after it was made, and a record read twice is kept once.
 */
export const PASS_OVERLAP_SECONDS = 15 * 60;

export interface EventPassesDeps {
  now(): number;
  sleep(seconds: number): Promise<void>;
  /** default: src/aws/cloudtrail.ts's lookupEvents (loaded when first used) */
  lookup?: typeof LookupEvents;
  /** default: src/aws/s3.ts's listObjects, listPrefixes and downloadObject */
  s3?: {
    listObjects(s3: S3Client, bucket: string, prefix: string): Promise<S3Object[]>;
    listPrefixes(s3: S3Client, bucket: string, prefix: string): Promise<string[]>;
    download(s3: S3Client, bucket: string, key: string, dest: string): Promise<unknown>;
  };
  /** the EventNames a pass asks for (default LOOKUP_EVENT_NAMES) */
  eventNames?: readonly string[];
  /**
   * The S3 client trail buckets are read with: the run's own credentials (the central account's),
   * whatever target's CA asks. Absent: the CA's target's client.
   */
  trailS3?(region: string): Promise<S3Client>;
}

/** One account and Region's pass: what it covers, and where its records are. */
interface Pass {
  /** epoch seconds; NaN before the first fetch */
  start: number;
  end: number;
  /** the records, one JSON line each ({ca, t, page, index, text}) */
  file: Promise<string>;
  /** identities of the records written, so an overlap adds nothing twice */
  seen: Set<string>;
  pages: number;
  /** fetches made (the first and its extensions) */
  fetches: number;
  /** the fetch in flight: reads wait for it */
  busy: Promise<void>;
}

interface SpillLine {
  /** the CA the record names (null: none, or not a record pca-audit reads) */
  ca: string | null;
  /** eventTime, epoch seconds (null: none readable) */
  t: number | null;
  page: number;
  index: number;
  text: string;
}

const keyOf = (account: string, region: string) => `${account}/${region}`;

export class EventPasses implements SharedEventReads {
  private readonly passes = new Map<string, Pass>();
  /** per account and Region: the earliest start a CA of it will ask for */
  private readonly expected = new Map<string, number>();
  /** per account and Region: CAs making their report now, and who waits for them to finish */
  private readonly holds = new Map<string, number>();
  private readonly waiters = new Map<string, (() => void)[]>();
  private dir: Promise<string> | undefined;
  /** trail listings by "bucket\0prefix": when made, and what they found */
  private readonly listings = new Map<string, { at: number; result: Promise<unknown> }>();
  /** trail objects by "bucket\0key": their local copy */
  private readonly objects = new Map<string, Promise<string>>();
  private names = 0;
  /** what was asked of AWS, for the tests and the notes */
  readonly counts = { passes: 0, extensions: 0, listings: 0, downloads: 0 };

  readonly trailS3?: (region: string) => Promise<S3Client>;

  constructor(private readonly deps: EventPassesDeps) {
    if (deps.trailS3) this.trailS3 = deps.trailS3;
  }

  /** A CA of this account and Region will ask for records from `start` on (epoch seconds). */
  expect(account: string, region: string, start: number): void {
    const key = keyOf(account, region);
    const was = this.expected.get(key);
    if (!Number.isNaN(start) && (was === undefined || start < was)) this.expected.set(key, start);
  }

  /**
   * A CA of this account and Region is making its report: no pass starts until every such CA
   * released its hold (the pass then reaches its report). Call the returned function once.
   */
  hold(account: string, region: string): () => void {
    const key = keyOf(account, region);
    this.holds.set(key, (this.holds.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.holds.get(key) ?? 1) - 1;
      this.holds.set(key, n);
      if (n === 0) for (const wake of this.waiters.get(key)?.splice(0) ?? []) wake();
    };
  }

  private ready(key: string): Promise<void> {
    if ((this.holds.get(key) ?? 0) === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(key) ?? [];
      list.push(resolve);
      this.waiters.set(key, list);
    });
  }

  private workDir(): Promise<string> {
    this.dir ??= mkdtemp(join(tmpdir(), 'pca-audit-passes-'));
    return this.dir;
  }

  /**
   * The LookupEvents records of `ca` (and those naming no CA) whose eventTime is in
   * [span.start, span.end], read by the one pass of the CA's account and Region.
   */
  async *lookup(
    target: { account: string; region: string; cloudtrail: CloudTrailClient },
    ca: CaArn,
    span: LookupSpan,
  ): AsyncGenerator<LookupRecord> {
    const key = keyOf(target.account, target.region);
    await this.ready(key);
    let pass = this.passes.get(key);
    if (!pass) {
      const n = this.names++;
      pass = {
        start: Number.NaN,
        end: Number.NaN,
        file: this.workDir().then((d) => join(d, `lookup-${n}.jsonl`)),
        seen: new Set(),
        pages: 0,
        fetches: 0,
        busy: Promise.resolve(),
      };
      this.passes.set(key, pass);
    }
    const p = pass;
    const fetching = p.busy.then(async () => {
      const now = this.deps.now();
      if (Number.isNaN(p.start)) {
        const start = Math.min(span.start, this.expected.get(key) ?? span.start);
        await this.fetch(target, p, start, now);
        p.start = start;
        p.end = now;
        this.counts.passes++;
        return;
      }
      if (span.start < p.start) {
        await this.fetch(target, p, span.start, p.start + PASS_OVERLAP_SECONDS);
        p.start = span.start;
        this.counts.extensions++;
      }
      // the pass ended before this CA's report was made: the rest, from a little before its end
      if (p.end < span.to) {
        await this.fetch(target, p, p.end - PASS_OVERLAP_SECONDS, now);
        p.end = now;
        this.counts.extensions++;
      }
    });
    p.busy = fetching.catch(() => {});
    await fetching;
    // what is written now; a later extension appends after it
    const file = await p.file;
    const size = (await stat(file).catch(() => ({ size: 0 }))).size;
    if (size === 0) return;
    const lines = createInterface({
      input: createReadStream(file, { start: 0, end: size - 1 }),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const text of lines) {
      if (text === '') continue;
      const l = JSON.parse(text) as SpillLine;
      if (l.ca !== null && l.ca !== ca.arn) continue;
      if (l.t !== null && (l.t < span.start || l.t > span.end)) continue;
      yield { text: l.text, page: l.page, index: l.index };
    }
  }

  private async fetch(
    target: { account: string; region: string; cloudtrail: CloudTrailClient },
    p: Pass,
    start: number,
    end: number,
  ): Promise<void> {
    const lookup = this.deps.lookup ?? (await import('../aws/cloudtrail.js')).lookupEvents;
    p.fetches++;
    const file = await p.file;
    const before = (await stat(file).catch(() => ({ size: 0 }))).size;
    try {
      await this.fetchInto(target, p, start, end, lookup);
    } catch (err) {
      // a fetch that failed half-way leaves nothing: the next CA that needs it fetches it again
      await truncate(file, before).catch(() => {});
      throw err;
    }
  }

  private async fetchInto(
    target: { account: string; region: string; cloudtrail: CloudTrailClient },
    p: Pass,
    start: number,
    end: number,
    lookup: typeof LookupEvents,
  ): Promise<void> {
    let batch = '';
    let page = -1;
    // a record read twice in one fetch is LookupEvents' answer, and each CA counts it as a duplicate;
    // one read again by an extension's overlap is the pass's own doing, and is dropped here
    const earlier = p.seen;
    const mine = new Set<string>();
    const flush = async () => {
      if (batch !== '') await appendFile(await p.file, batch);
      batch = '';
    };
    for await (const e of lookup(target.cloudtrail, {
      start,
      end,
      eventNames: this.deps.eventNames ?? LOOKUP_EVENT_NAMES,
      account: target.account,
      region: target.region,
      now: this.deps.now,
      sleep: this.deps.sleep,
    })) {
      if (e.page !== page) {
        await flush();
        page = e.page;
      }
      const described = describe(e.text, target.region, p.pages + e.page, e.index);
      if (described.identity !== undefined) {
        if (earlier.has(described.identity)) continue;
        // only a record near an end of the span can be read again by an extension's overlap:
        // the others' identities are not kept (a pass may hold millions of records)
        const t = described.t;
        if (t === null || t <= start + PASS_OVERLAP_SECONDS || t >= end - PASS_OVERLAP_SECONDS)
          mine.add(described.identity);
      }
      const line: SpillLine = {
        ca: described.ca,
        t: described.t,
        page: p.pages + e.page,
        index: e.index,
        text: e.text,
      };
      batch += `${JSON.stringify(line)}\n`;
    }
    await flush();
    for (const id of mine) p.seen.add(id);
    // pages are numbered across the fetches, so (page, index) still names one record
    p.pages += Math.max(page, 0);
  }

  /** A lister for trailObjectKeys: each prefix listed once, again when a CA's window ends after it. */
  trailLister(s3: S3Client, windowEnd: number): TrailLister {
    const s3ops = this.s3ops();
    const memo = <T>(kind: string, bucket: string, prefix: string, list: () => Promise<T>): Promise<T> => {
      const key = `${kind}\0${bucket}\0${prefix}`;
      const had = this.listings.get(key);
      if (had && had.at >= windowEnd) return had.result as Promise<T>;
      const result = list();
      this.counts.listings++;
      this.listings.set(key, { at: this.deps.now(), result });
      result.catch(() => this.listings.delete(key));
      return result;
    };
    return {
      objects: (bucket, prefix) =>
        memo('o', bucket, prefix, async () => (await s3ops).listObjects(s3, bucket, prefix)),
      prefixes: (bucket, prefix) =>
        memo('p', bucket, prefix, async () => (await s3ops).listPrefixes(s3, bucket, prefix)),
    };
  }

  /** Waits, like a lookup, for the CAs of this account and Region still making their reports. */
  trailReady(account: string, region: string): Promise<void> {
    return this.ready(keyOf(account, region));
  }

  /** The local copy of a trail object, downloaded once a run. It is the run's: do not remove it. */
  trailFile(s3: S3Client, bucket: string, key: string): Promise<string> {
    const id = `${bucket}\0${key}`;
    let path = this.objects.get(id);
    if (!path) {
      const n = this.objects.size;
      path = (async () => {
        const dest = join(await this.workDir(), `trail-${n}.json`);
        await (await this.s3ops()).download(s3, bucket, key, dest);
        this.counts.downloads++;
        return dest;
      })();
      this.objects.set(id, path);
      // a failed download is tried again by the next CA that needs it
      path.catch(() => this.objects.delete(id));
    }
    return path;
  }

  private async s3ops(): Promise<NonNullable<EventPassesDeps['s3']>> {
    if (this.deps.s3) return this.deps.s3;
    const m = await import('../aws/s3.js');
    return { listObjects: m.listObjects, listPrefixes: m.listPrefixes, download: m.downloadObject };
  }

  /** Removes the run's copies and pass files. */
  async dispose(): Promise<void> {
    if (this.dir) await rm(await this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

/** What a pass needs of a record: its CA, its time, and its identity (as EventCollector's). */
function describe(
  text: string,
  region: string,
  page: number,
  index: number,
): { ca: string | null; t: number | null; identity?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // every CA reads it, and each says it is malformed (or skips it under --lenient)
    return { ca: null, t: null };
  }
  const u = unwrap(value);
  if (u.kind !== 'record') return { ca: null, t: null };
  const r = u.record;
  const t = typeof r.eventTime === 'string' ? parseInstant(r.eventTime) : Number.NaN;
  const n = normalise(r, { source: `lookup:${region}`, line: page, byte: index });
  const ca = n.kind === 'event' ? (n.event.caArn ?? null) : null;
  const identity =
    n.kind === 'event'
      ? JSON.stringify([n.event.eventID, n.event.eventSource, n.event.eventName, n.event.eventTime])
      : typeof r.eventID === 'string'
        ? JSON.stringify([r.eventID, r.eventSource, r.eventName, r.eventTime])
        : undefined;
  return { ca, t: Number.isNaN(t) ? null : t, ...(identity === undefined ? {} : { identity }) };
}
