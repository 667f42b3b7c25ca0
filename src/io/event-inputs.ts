/**
 * Every kind of CloudTrail source: local files and directories, `-`, one s3:// object, a trail
 * bucket (`s3://bucket[/prefix]/`, walked for the window ± a day), and `lookup` (LookupEvents).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaArn } from '../core/ca-arn.js';
import { type CoverageGap, lookupGap, trailGaps } from '../core/cloudtrail/coverage.js';
import { LOOKUP_EVENT_NAMES } from '../core/cloudtrail/event.js';
import { isS3Uri, parseS3Uri } from '../core/s3-uri.js';
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
      // an hour either side: calls near the window's ends still reconcile their revocations
      const start = Math.max(ctx.from - 3600, ctx.now() - 90 * 86400);
      const end = Math.min(ctx.to + 3600, ctx.now());
      const gap = lookupGap({
        account: ca.account,
        region: ca.region,
        from: ctx.from,
        to: ctx.to,
        now: ctx.now(),
      });
      if (gap) gaps.push(gap);
      let n = 0;
      const { lookupEvents } = await import('../aws/cloudtrail.js');
      for await (const e of lookupEvents((await ctx.inputs.aws()).cloudtrail(ca.region), {
        start,
        end,
        eventNames: LOOKUP_EVENT_NAMES,
        account: ca.account,
        region: ca.region,
        now: ctx.now,
        sleep: ctx.sleep,
      })) {
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
      const s3 = (await ctx.inputs.aws()).s3(ca.region);
      const keys = await trailObjectKeys(s3, {
        bucket,
        prefix: key,
        account: ca.account,
        region: ca.region,
        from: ctx.from,
        to: ctx.to,
      });
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
            const path = join(dir, `${next}.json`);
            await downloadObject(s3, bucket, k, path);
            const file = { ...(await openReportFile(path)), name: `s3://${bucket}/${k}` };
            try {
              await collector.addScan(file.name, false, pool ? pool.scan(file) : scanHere(file));
            } finally {
              await rm(path, { force: true });
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
