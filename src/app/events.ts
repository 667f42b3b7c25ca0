/** `pca-audit events`: the normalised CloudTrail events of interest, as JSON lines, oldest first. */
import { parseCaArn } from '../core/ca-arn.js';
import { UsageError } from '../core/errors.js';
import { parseInstant } from '../core/instant.js';
import type { CloudTrailEvent } from '../core/reconcile/cloudtrail/event.js';
import { safeText } from '../core/render/style.js';
import { skippedFilesText } from '../core/render/text.js';
import type { EventStats } from '../io/event-source.js';
import { EventSpill } from '../io/event-spill.js';
import { malformedWarning } from './diff.js';
import type { Diagnostics, EventSource, Output } from './ports.js';

export interface EventsRequest {
  /** CloudTrail sources: files, directories, `-`, s3:// objects or trail buckets, `lookup` */
  cloudtrail: string[];
  /** only this CA's events (a CA ARN) */
  ca?: string;
  /** epoch seconds, inclusive */
  since?: number;
  until?: number;
  lenient: boolean;
}

export interface EventsPorts extends Pick<Diagnostics, 'note'> {
  events: EventSource;
  /** where the JSON lines go */
  output: Output;
  now(): number;
}

/** Streams the events to the output (sorted through a spill on disk, not held), then says on stderr what was left out. */
export async function events(req: EventsRequest, ports: EventsPorts): Promise<number> {
  if (req.cloudtrail.filter((s) => s === '-').length > 1) {
    throw new UsageError('only one input can be standard input (-)');
  }
  if (req.since !== undefined && req.until !== undefined && req.since > req.until) {
    throw new UsageError('--since must not be after --until');
  }
  const ca = req.ca === undefined ? undefined : parseCaArn(req.ca);
  if (req.ca !== undefined && ca === undefined) throw new UsageError(`--ca: "${req.ca}" is not a CA ARN`);
  const keep = (e: CloudTrailEvent) => {
    const t = parseInstant(e.eventTime);
    if (req.since !== undefined && t < req.since) return false;
    if (req.until !== undefined && t > req.until) return false;
    return req.ca === undefined || e.caArn === req.ca;
  };
  // the events are streamed to a spill (sorted runs on disk past a few thousand), not held
  const spill = new EventSpill();
  try {
    const set = await ports.events.collect(req.cloudtrail, {
      lenient: req.lenient,
      region: ca?.region,
      ...(ca ? { ca } : {}),
      from: req.since ?? Number.NaN,
      to: req.until ?? ports.now(),
      onEvent: async (e, identity) => {
        if (keep(e)) await spill.add(e.eventTime, e.eventID, identity, JSON.stringify(e));
      },
    });
    await ports.output.emit(spill.text());
    if (set.stats.malformed > 0) ports.note(malformedWarning(set));
    for (const line of statLines(set.stats)) ports.note(line);
    // issue 16 item 5: the parts of the window the sources do not cover, said as diff and run find them
    if (set.gaps.length > 0) {
      const { gapFindings } = await import('../core/reconcile/cloudtrail/coverage.js');
      for (const f of gapFindings(set.gaps)) ports.note(`${f.code}: ${safeText(f.message)}`);
    }
  } finally {
    await spill.dispose();
  }
  return 0;
}

/** What was read but is not on stdout, said on stderr so nothing is dropped without a word. */
export function statLines(stats: EventStats): string[] {
  const out: string[] = [];
  if (stats.duplicates > 0) {
    out.push(
      `${stats.duplicates} duplicate CloudTrail record${stats.duplicates === 1 ? '' : 's'} (delivered twice) listed once`,
    );
  }
  if (stats.collisions > 0) {
    out.push(
      `${stats.collisions} eventID${stats.collisions === 1 ? '' : 's'} shared by different records, all listed; first: ${stats.collisionExamples[0] ?? ''}`,
    );
  }
  const other = Object.values(stats.skipped).reduce((a, b) => a + b, 0);
  if (other > 0) {
    out.push(`${other} record${other === 1 ? '' : 's'} of other APIs or services read and not listed`);
  }
  if (stats.skippedFiles > 0) out.push(skippedFilesText(stats.skippedFiles, stats.skippedFileExamples));
  return out;
}
