import { parseCaArn } from '../../core/ca-arn.js';
import { parseInstant } from '../../core/instant.js';
import type { CloudTrailEvent } from '../../core/reconcile/cloudtrail/event.js';
import { safeText } from '../../core/render/style.js';
import { skippedFilesText } from '../../core/render/text.js';
import { collectEvents } from '../../io/event-inputs.js';
import type { EventStats } from '../../io/event-source.js';
import { EventSpill } from '../../io/event-spill.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { makeOutput } from '../output.js';
import { warnMalformed } from './diff.js';

export interface EventsCommand {
  cloudtrail: string[];
  ca?: string;
  since?: number;
  until?: number;
  lenient: boolean;
  output?: string;
  force: boolean;
}

/** `pca-audit events`: the normalised events of interest, as JSON lines, oldest first. */
export async function runEvents(cmd: EventsCommand, ctx: CliContext): Promise<number> {
  if (cmd.cloudtrail.filter((s) => s === '-').length > 1) {
    throw new UsageError('only one input can be standard input (-)');
  }
  if (cmd.since !== undefined && cmd.until !== undefined && cmd.since > cmd.until) {
    throw new UsageError('--since must not be after --until');
  }
  const ca = cmd.ca === undefined ? undefined : parseCaArn(cmd.ca);
  if (cmd.ca !== undefined && ca === undefined) throw new UsageError(`--ca: "${cmd.ca}" is not a CA ARN`);
  const keep = (e: CloudTrailEvent) => {
    const t = parseInstant(e.eventTime);
    if (cmd.since !== undefined && t < cmd.since) return false;
    if (cmd.until !== undefined && t > cmd.until) return false;
    return cmd.ca === undefined || e.caArn === cmd.ca;
  };
  // the events are streamed to a spill (sorted runs on disk past a few thousand), not held
  const spill = new EventSpill();
  try {
    const set = await collectEvents(cmd.cloudtrail, {
      lenient: cmd.lenient,
      inputs: { aws: ctx.aws, ...(ca ? { region: ca.region } : {}) },
      ...(ca ? { ca } : {}),
      from: cmd.since ?? Number.NaN,
      to: cmd.until ?? ctx.now(),
      now: ctx.now,
      sleep: ctx.sleep,
      progress: ctx.progress,
      onEvent: async (e, identity) => {
        if (keep(e)) await spill.add(e.eventTime, e.eventID, identity, JSON.stringify(e));
      },
    });
    await makeOutput(ctx.streams, { format: 'json', output: cmd.output, force: cmd.force }).emit(
      spill.text(),
    );
    if (set.stats.malformed > 0) warnMalformed(set, ctx);
    for (const line of statLines(set.stats)) ctx.note(line);
    // issue 16 item 5: the parts of the window the sources do not cover, said as diff and run find them
    if (set.gaps.length > 0) {
      const { gapFindings } = await import('../../core/reconcile/cloudtrail/coverage.js');
      for (const f of gapFindings(set.gaps)) ctx.note(`${f.code}: ${safeText(f.message)}`);
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
