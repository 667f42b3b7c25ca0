import { type EventsRequest, events } from '../../app/events.js';
import { eventSource } from '../../app/sources.js';
import type { CliContext } from '../context.js';
import { makeOutput } from '../output.js';

export interface EventsCommand extends EventsRequest {
  output?: string;
  force: boolean;
}

/** `pca-audit events`: the use case (src/app/events.ts), its JSON lines to stdout or --output. */
export async function runEvents(cmd: EventsCommand, ctx: CliContext): Promise<number> {
  const { output, force, ...request } = cmd;
  return events(request, {
    events: eventSource(ctx),
    output: makeOutput(ctx.streams, { format: 'json', output, force }),
    note: ctx.note,
    now: ctx.now,
  });
}
