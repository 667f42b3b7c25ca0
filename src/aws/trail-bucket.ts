/**
 * A CloudTrail trail bucket: `[prefix/]AWSLogs/[o-id/]<account>/CloudTrail/<region>/YYYY/MM/DD/`.
 * The date in the key is the delivery date, so the window is widened by a day on each side.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { listObjects, listPrefixes } from './s3.js';

export interface TrailWalk {
  bucket: string;
  prefix: string;
  account: string;
  region: string;
  /** epoch seconds */
  from: number;
  to: number;
}

function days(from: number, to: number): string[] {
  const out: string[] = [];
  const first = Math.floor(from / 86400) - 1;
  const last = Math.floor(to / 86400) + 1;
  for (let d = first; d <= last; d++) {
    const iso = new Date(d * 86400 * 1000).toISOString();
    out.push(`${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/`);
  }
  return out;
}

/** How the bucket is listed (a run's shared reads list each prefix once: src/run/event-passes.ts). */
export interface TrailLister {
  objects(bucket: string, prefix: string): Promise<{ key: string }[]>;
  prefixes(bucket: string, prefix: string): Promise<string[]>;
}

/** The trail log objects (keys) for the window, in key order. */
export async function trailObjectKeys(
  s3: S3Client,
  w: TrailWalk,
  lister: TrailLister = {
    objects: (b, p) => listObjects(s3, b, p),
    prefixes: (b, p) => listPrefixes(s3, b, p),
  },
): Promise<string[]> {
  const base = `${w.prefix && !w.prefix.endsWith('/') ? `${w.prefix}/` : w.prefix}AWSLogs/`;
  // organisation trails put the organisation id before the account
  const roots = [`${base}${w.account}/`];
  for (const p of await lister.prefixes(w.bucket, base)) {
    const name = p.slice(base.length, -1);
    if (name.startsWith('o-')) roots.push(`${p}${w.account}/`);
  }
  const keys: string[] = [];
  for (const root of roots) {
    for (const day of days(w.from, w.to)) {
      const objects = await lister.objects(w.bucket, `${root}CloudTrail/${w.region}/${day}`);
      for (const o of objects) if (/\.json(\.gz)?$/.test(o.key)) keys.push(o.key);
    }
  }
  return keys.sort();
}
