import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { diff } from '../../src/app/diff.js';
import { events } from '../../src/app/events.js';
import { inspect } from '../../src/app/inspect.js';
import type { AwsAccess, EventQuery, EventSource, Output, ReportSource } from '../../src/app/ports.js';
import { UsageError } from '../../src/core/errors.js';
import { parseInstant } from '../../src/core/instant.js';
import type { CloudTrailEvent } from '../../src/core/reconcile/cloudtrail/event.js';
import { rendererFor } from '../../src/core/render/registry.js';
import type { CollectedEvents } from '../../src/io/event-inputs.js';
import { type EventStats, emptyEventStats } from '../../src/io/event-source.js';
import { openInput } from '../../src/io/inputs.js';

/**
 * The use cases of src/app run on their ports alone (issue 17 item 3): reports and CloudTrail
 * events come from whatever the ports give, no AWS client is built, and the result (model, exit
 * code, notes) is returned for the caller to render.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CA =
  'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c35';
const noAws: AwsAccess = {
  aws: () => Promise.reject(new Error('no AWS client may be built here')),
};

/** Locations (any names, s3:// ones too) served from the samples; what was opened and disposed is kept. */
function samples(map: Record<string, string>): ReportSource & { opened: string[]; disposed: string[] } {
  const opened: string[] = [];
  const disposed: string[] = [];
  return {
    opened,
    disposed,
    open: async (location, where) => {
      opened.push(`${location}@${where?.region ?? ''}`);
      const file = await openInput(`samples/${map[location]}`, noAws);
      return {
        ...file,
        dispose: async () => {
          disposed.push(location);
          await file.dispose();
        },
      };
    },
  };
}

const stats = (over: Partial<EventStats> = {}): EventStats => ({ ...emptyEventStats(), files: 1, ...over });

/** An event source from memory; the queries it was asked are kept. */
function memoryEvents(
  list: CloudTrailEvent[],
  over: Partial<EventStats> = {},
): EventSource & { queries: Array<{ sources: readonly string[]; query: EventQuery }> } {
  const queries: Array<{ sources: readonly string[]; query: EventQuery }> = [];
  return {
    queries,
    collect: async (sources, query): Promise<CollectedEvents> => {
      queries.push({ sources, query });
      if (query.onEvent) for (const e of list) await query.onEvent(e, e.eventID);
      return { events: query.onEvent ? [] : list, stats: stats(over), gaps: [] };
    },
  };
}

function memoryOutput(): Output & { text(): string } {
  const parts: string[] = [];
  return {
    color: false,
    emit: async (product) => {
      if (typeof product === 'string') parts.push(product);
      else for await (const p of product) parts.push(p);
    },
    text: () => parts.join(''),
  };
}

const revoke = (id: string, time: string): CloudTrailEvent => ({
  eventID: id,
  eventTime: time,
  eventSource: 'acm-pca.amazonaws.com',
  eventName: 'RevokeCertificate',
  kind: 'revoke',
  actor: 'arn:aws:iam::111122223333:user/x',
  caArn: CA,
  serial: '01',
  origin: { source: 'memory', line: 1, byte: 0 },
});

describe('src/app use cases on in-memory ports', () => {
  it('inspect: the report comes through the ReportSource (an s3:// name, no AWS), is disposed, the model equals the golden', async () => {
    const reports = samples({ 's3://reports/ca.json': 'ca-2026-11-20.json' });
    const result = await inspect(
      {
        report: 's3://reports/ca.json',
        at: parseInstant('2026-11-20T02:00:00Z'),
        expiringWithin: 30 * 86400,
        failOn: 'warning',
        maxFindings: 1000,
      },
      { reports },
    );
    expect(reports.opened).toEqual(['s3://reports/ca.json@']);
    expect(reports.disposed).toEqual(['s3://reports/ca.json']);
    expect(result.exitCode).toBe(1);
    const render = await rendererFor('inspect', 'text');
    expect(render(result.out, { color: false }, undefined)).toBe(
      readFileSync(join(ROOT, 'test', 'golden', 'inspect-ca-2026-11-20.txt'), 'utf8'),
    );
  });

  it("diff: both reports opened in the CA's Region; the events read for the window through the EventSource; a malformed count becomes a note", async () => {
    const reports = samples({ old: 'ca-2026-11-19.json', new: 'ca-2026-11-20.json' });
    const source = memoryEvents([], { malformed: 2, malformedExamples: ['line 3'] });
    const notes: string[] = [];
    const result = await diff(
      {
        old: 'old',
        new: 'new',
        oldCreatedAt: parseInstant('2026-11-19T02:00:00Z'),
        newCreatedAt: parseInstant('2026-11-20T02:00:00Z'),
        ca: CA,
        failOn: 'error',
        maxFindings: 1000,
        cloudtrail: ['memory'],
        lenient: true,
        propagationAllowance: 3600,
        timeTolerance: 300,
      },
      {
        ...noAws,
        now: () => parseInstant('2026-11-21T00:00:00Z'),
        sleep: async () => {},
        progress: () => {},
        note: (m) => notes.push(m),
        reports,
        events: source,
      },
    );
    expect(reports.opened).toEqual(['old@eu-west-1', 'new@eu-west-1']);
    expect(reports.disposed).toEqual(['old', 'new']);
    expect(source.queries).toHaveLength(1);
    expect(source.queries[0]!.sources).toEqual(['memory']);
    expect(source.queries[0]!.query).toMatchObject({
      lenient: true,
      region: 'eu-west-1',
      from: parseInstant('2026-11-19T02:00:00Z'),
      to: parseInstant('2026-11-20T02:00:00Z'),
    });
    expect(result.out.reconciliation?.sources).toEqual(['memory']);
    expect(result.notes).toEqual([
      'warning: skipped 2 malformed CloudTrail records (--lenient); first: line 3',
    ]);
    expect(notes).toEqual([]);
  });

  it('diff refuses two reports on stdin before opening anything', async () => {
    const reports = samples({});
    const refused = diff(
      {
        old: '-',
        new: '-',
        failOn: 'error',
        maxFindings: 1000,
        cloudtrail: [],
        lenient: false,
        propagationAllowance: 3600,
        timeTolerance: 300,
      },
      {
        ...noAws,
        now: () => 0,
        sleep: async () => {},
        progress: () => {},
        note: () => {},
        reports,
        events: memoryEvents([]),
      },
    );
    await expect(refused).rejects.toBeInstanceOf(UsageError);
    expect(reports.opened).toEqual([]);
  });

  it("events: the source's events in the window and of the CA, oldest first, to the Output; what was left out as notes", async () => {
    const other = `${CA.slice(0, -1)}0`;
    const source = memoryEvents(
      [
        revoke('c', '2026-11-19T18:00:00Z'),
        revoke('a', '2026-11-19T16:30:00Z'),
        { ...revoke('b', '2026-11-19T16:40:00Z'), caArn: other },
        revoke('z', '2026-11-18T00:00:00Z'),
        revoke('d', '2026-11-19T16:10:00Z'),
      ],
      { duplicates: 1 },
    );
    const output = memoryOutput();
    const notes: string[] = [];
    const code = await events(
      {
        cloudtrail: ['memory'],
        ca: CA,
        since: parseInstant('2026-11-19T16:00:00Z'),
        until: parseInstant('2026-11-19T19:00:00Z'),
        lenient: false,
      },
      { events: source, output, note: (m) => notes.push(m), now: () => 0 },
    );
    expect(code).toBe(0);
    expect(
      output
        .text()
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as CloudTrailEvent).eventID),
    ).toEqual(['d', 'a', 'c']);
    expect(source.queries[0]!.query).toMatchObject({ region: 'eu-west-1', ca: { arn: CA } });
    expect(notes).toEqual(['1 duplicate CloudTrail record (delivered twice) listed once']);
  });
});
