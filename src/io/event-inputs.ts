/**
 * Every kind of CloudTrail source: local files and directories, `-`, one s3:// object, a trail
 * bucket (`s3://bucket[/prefix]/`, walked for the window ± a day), and `lookup` (LookupEvents).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TrailLister } from '../aws/trail-bucket.js';
import { isS3Uri, parseS3Uri } from '../core/bucket/s3-uri.js';
import type { CaArn } from '../core/ca-arn.js';
import { type CoverageGap, lookupGap, trailGaps } from '../core/reconcile/cloudtrail/coverage.js';
import { LOOKUP_EVENT_NAMES } from '../core/reconcile/cloudtrail/event.js';
import { EventCollector, type EventSet, readEventSources } from './event-source.js';
import { type InputContext, openInput } from './inputs.js';
import { InputError, openReportFile } from './report-source.js';
import { readThreads, ScanPool, scanHere } from './trail-scan.js';

const KIND = 'CloudTrail source';
/** trail log objects downloaded at once */
const CONCURRENCY = 4;

export interface EventSourceContext {
  lenient: boolean;
  inputs: InputContext;
  /** the CA whose account and Region a trail bucket or LookupEvents is searched for */
  ca?: CaArn;
  /** the window to fetch (epoch seconds; NaN: unknown) */
  from: number;
  to: number;
  now(): number;
  sleep(seconds: number): Promise<void>;
  /** transient progress (stderr, TTY only) */
  progress(message: string): void;
  /** events of interest handed over as read, not kept (see EventCollector.onEvent) */
  onEvent?: EventCollector['onEvent'];
  /** a run's reads shared by its CAs (src/run/event-passes.ts); absent: this read is its own */
  shared?: SharedEventReads;
}

/** What a CA asks of LookupEvents (epoch seconds): records in [start, end], its window ending at `to`. */
export interface LookupSpan {
  start: number;
  end: number;
  /** the window's end (when NEW was made): a shared pass must reach it */
  to: number;
}

/** One LookupEvents record, as the JSON string CloudTrailEvent holds, and where it was read. */
export interface LookupRecord {
  text: string;
  page: number;
  index: number;
}

/**
 * Reads shared by the CAs of a run: one LookupEvents pass per account and Region, one download per
 * trail object. The clients are handed in with each read (those of the CA's account and Region).
 */
export interface SharedEventReads {
  lookup(
    target: { account: string; region: string; cloudtrail: CloudTrailClient },
    ca: CaArn,
    span: LookupSpan,
  ): AsyncIterable<LookupRecord>;
  trailReady(account: string, region: string): Promise<void>;
  /**
   * The S3 client a trail bucket is read with: the run's own credentials (the central account's),
   * not a member role's, so an organisation trail is read by one principal, once. Absent: the CA's.
   */
  trailS3?(region: string): Promise<S3Client>;
  trailLister(s3: S3Client, windowEnd: number): TrailLister;
  /** a local copy of the object; the caller must not remove it */
  trailFile(s3: S3Client, bucket: string, key: string): Promise<string>;
}

/**
 * What a lookup asks for: an hour either side of the window (calls near its ends still reconcile
 * their revocations), no further back than LookupEvents keeps, and not past now.
 */
export function lookupSpan(from: number, to: number, now: number): LookupSpan {
  return { start: Math.max(from - 3600, now - 90 * 86400), end: Math.min(to + 3600, now), to };
}

function needWindow(source: string, ctx: EventSourceContext): void {
  if (Number.isNaN(ctx.from) || Number.isNaN(ctx.to)) {
    throw new InputError(
      source,
      "needs a time window: give --since and --until (or the reports' creation times)",
      {
        kind: KIND,
      },
    );
  }
  if (!ctx.ca)
    throw new InputError(source, 'needs the CA (--ca) to know the account and Region', { kind: KIND });
}

/** The events, and the parts of the window that a lookup or a trail bucket does not cover. */
export interface CollectedEvents extends EventSet {
  gaps: CoverageGap[];
}

export async function collectEvents(
  sources: readonly string[],
  ctx: EventSourceContext,
): Promise<CollectedEvents> {
  const collector = new EventCollector(ctx.lenient);
  collector.onEvent = ctx.onEvent;
  const gaps: CoverageGap[] = [];
  const local: string[] = [];
  for (const source of sources) {
    collector.group = source;
    if (source === 'lookup') {
      needWindow(source, ctx);
      const ca = ctx.ca!;
      const span = lookupSpan(ctx.from, ctx.to, ctx.now());
      const { start } = span;
      const gap = lookupGap({
        account: ca.account,
        region: ca.region,
        from: ctx.from,
        to: ctx.to,
        now: ctx.now(),
      });
      if (gap) gaps.push(gap);
      let n = 0;
      const cloudtrail = (await ctx.inputs.aws()).cloudtrail(ca.region);
      const { lookupEvents } = await import('../aws/cloudtrail.js');
      const records = ctx.shared
        ? ctx.shared.lookup({ account: ca.account, region: ca.region, cloudtrail }, ca, span)
        : lookupEvents(cloudtrail, {
            start,
            end: span.end,
            eventNames: LOOKUP_EVENT_NAMES,
            account: ca.account,
            region: ca.region,
            now: ctx.now,
            sleep: ctx.sleep,
          });
      for await (const e of records) {
        let value: unknown;
        const origin = { source: `lookup:${ca.region}`, line: e.page, byte: e.index };
        try {
          value = JSON.parse(e.text);
        } catch {
          value = undefined;
        }
        await collector.addValue(value, origin, `page ${e.page}, event ${e.index}`);
        ctx.progress(`LookupEvents: ${++n} events`);
      }
      ctx.progress('');
      collector.stats.files++;
      // LookupEvents answered for the whole range from `start`: what it records is known from there,
      // not only from the first record read (by name, that can be far into the window). The end stays
      // the last record read: the newest calls may not be in LookupEvents yet.
      const group = collector.stats.groups.get(source);
      if (group) group.earliest = Math.min(group.earliest, start);
      continue;
    }
    if (isS3Uri(source)) {
      const parsed = parseS3Uri(source);
      if (!parsed.ok) throw new InputError(source, parsed.reason, { kind: KIND });
      const { bucket, key } = parsed.location;
      if (key !== '' && !key.endsWith('/')) {
        const file = await openInput(source, ctx.inputs, KIND);
        try {
          await collector.addFile(file);
        } finally {
          await file.dispose();
        }
        continue;
      }
      needWindow(source, ctx);
      const ca = ctx.ca!;
      const { downloadObject } = await import('../aws/s3.js');
      const { trailObjectKeys } = await import('../aws/trail-bucket.js');
      const { shared } = ctx;
      const s3 = shared?.trailS3 ? await shared.trailS3(ca.region) : (await ctx.inputs.aws()).s3(ca.region);
      await shared?.trailReady(ca.account, ca.region);
      const keys = await trailObjectKeys(
        s3,
        { bucket, prefix: key, account: ca.account, region: ca.region, from: ctx.from, to: ctx.to },
        shared?.trailLister(s3, ctx.to),
      );
      gaps.push(
        ...trailGaps(keys, {
          source: `s3://${bucket}/${key}`,
          account: ca.account,
          region: ca.region,
          from: ctx.from,
          to: ctx.to,
        }),
      );
      const dir = await mkdtemp(join(tmpdir(), 'pca-audit-trail-'));
      // the downloaded logs are scanned on worker threads (see trail-scan.ts)
      const threads = readThreads();
      const pool = threads > 0 && keys.length > 1 ? new ScanPool(threads) : undefined;
      try {
        let next = 0;
        let done = 0;
        const worker = async () => {
          while (next < keys.length) {
            const k = keys[next++]!;
            // a run's copy is downloaded once for all its CAs, and kept until the run ends
            const path = shared ? await shared.trailFile(s3, bucket, k) : join(dir, `${next}.json`);
            if (!shared) await downloadObject(s3, bucket, k, path);
            const file = { ...(await openReportFile(path)), name: `s3://${bucket}/${k}` };
            try {
              await collector.addScan(file.name, false, pool ? pool.scan(file) : scanHere(file));
            } finally {
              await file.dispose();
              if (!shared) await rm(path, { force: true });
            }
            ctx.progress(`trail logs: ${++done}/${keys.length}`);
          }
        };
        await Promise.all(Array.from({ length: Math.min(CONCURRENCY, keys.length) }, worker));
        ctx.progress('');
      } finally {
        await pool?.close();
        await rm(dir, { recursive: true, force: true });
      }
      continue;
    }
    local.push(source);
  }
  const set = await readEventSources(
    local,
    { lenient: ctx.lenient, ...(ctx.inputs.stdin ? { stdin: ctx.inputs.stdin } : {}) },
    collector,
  );
  return { ...set, gaps };
}
