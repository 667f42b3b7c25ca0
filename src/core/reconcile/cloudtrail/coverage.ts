/**
 * Whether the CloudTrail sources cover a window (issue 16 item 5): a trail bucket with no log file
 * for more than an hour inside it, or a window older than LookupEvents keeps events.
 */
import { FINDING_SEVERITY, type Finding } from '../../finding.js';
import { findingMessage } from '../../finding-catalogue.js';
import { formatInstant } from '../../instant.js';

/** LookupEvents answers for the last 90 days only (aws-facts.md). */
export const LOOKUP_RETENTION_SECONDS = 90 * 86400;
/** a trail delivers a file about every 5 minutes while there are events: an hour without one is a gap */
export const TRAIL_MAX_SILENCE_SECONDS = 3600;

/** An uncovered span of the window, epoch seconds. */
export interface CoverageGap {
  /** what should have covered it: `lookup` or the trail bucket's `s3://` prefix */
  source: string;
  account: string;
  region: string;
  from: number;
  to: number;
  /** why it is not covered */
  reason: 'lookup-retention' | 'no-trail-file';
}

/**
 * When a trail log file was delivered, from its name
 * (`<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz`); undefined when the name is not AWS's.
 */
export function trailFileTime(key: string): number | undefined {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const m = /_CloudTrail_[^_]+_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_/.exec(name);
  if (!m) return undefined;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!) / 1000;
  return Number.isNaN(t) ? undefined : t;
}

/**
 * The spans of [from, to] longer than `maxSilence` without a trail file of one account and Region.
 * A file's name carries its delivery time, which follows its events by up to 15 minutes, so a file
 * delivered after `to` (within `maxSilence`) still covers the window's end.
 */
export function trailGaps(
  keys: readonly string[],
  w: { source: string; account: string; region: string; from: number; to: number },
  maxSilence = TRAIL_MAX_SILENCE_SECONDS,
): CoverageGap[] {
  if (!(w.to > w.from)) return [];
  const times = keys
    .map(trailFileTime)
    .filter((t): t is number => t !== undefined && t > w.from && t <= w.to + maxSilence)
    .map((t) => Math.min(t, w.to))
    .sort((a, b) => a - b);
  const points = [w.from, ...times];
  // the window's end is covered only by a file at or after it
  if (times.at(-1) !== w.to) points.push(w.to);
  const gaps: CoverageGap[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    if (b - a > maxSilence) gaps.push({ ...base(w), from: a, to: b, reason: 'no-trail-file' });
  }
  return gaps;
}

const base = (w: { source: string; account: string; region: string }) => ({
  source: w.source,
  account: w.account,
  region: w.region,
});

/** The part of [from, to] older than LookupEvents keeps (90 days before `now`). */
export function lookupGap(w: {
  account: string;
  region: string;
  from: number;
  to: number;
  now: number;
}): CoverageGap | undefined {
  const oldest = w.now - LOOKUP_RETENTION_SECONDS;
  if (!(w.from < oldest)) return undefined;
  return {
    ...base({ ...w, source: 'lookup' }),
    from: w.from,
    to: Math.min(w.to, oldest),
    reason: 'lookup-retention',
  };
}

function span(seconds: number): string {
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 3 * 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

/** CLOUDTRAIL_GAP findings, one per gap: what is uncovered, by which source, and why. */
export function gapFindings(gaps: readonly CoverageGap[]): Finding[] {
  // to the whole second, outward: the clock (now) has fractions, and a gap is never shown smaller
  return gaps
    .map(({ from, to, ...rest }) => ({ ...rest, from: Math.floor(from), to: Math.ceil(to) }))
    .map((g) => ({
      code: 'CLOUDTRAIL_GAP',
      severity: FINDING_SEVERITY.CLOUDTRAIL_GAP,
      message: findingMessage('CLOUDTRAIL_GAP', {
        reason: g.reason,
        source: g.source,
        account: g.account,
        region: g.region,
        from: formatInstant(g.from),
        to: formatInstant(g.to),
        span: span(g.to - g.from),
      }),
      evidence: {
        coverage: {
          source: g.source,
          account: g.account,
          region: g.region,
          from: formatInstant(g.from),
          to: formatInstant(g.to),
          reason: g.reason,
        },
      },
    }));
}
