/**
 * `events`' output in order without holding every event: events are kept as their output lines
 * with their sort key, RUN_EVENTS at a time; a full buffer is sorted and written to a temporary run
 * file; at the end the runs (and what is left in memory) are merged, oldest first (by eventTime,
 * then eventID, then identity: the order EventCollector.result() gives). Memory is RUN_EVENTS lines
 * plus one line per run, whatever the number of events.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** events buffered before a run is written */
export const RUN_EVENTS = 20_000;
/** lines handed to the writer at once */
const BATCH_LINES = 1000;

/** [eventTime, eventID, identity, output line] */
type Entry = [string, string, string, string];

function compare(a: Entry, b: Entry): number {
  for (let k = 0; k < 3; k++) {
    if (a[k]! < b[k]!) return -1;
    if (a[k]! > b[k]!) return 1;
  }
  return 0;
}

export class EventSpill {
  private buffer: Entry[] = [];
  private readonly runs: string[] = [];
  private dir: string | undefined;
  /** events written to runs or held */
  count = 0;

  constructor(private readonly runEvents = RUN_EVENTS) {}

  async add(eventTime: string, eventID: string, identity: string, line: string): Promise<void> {
    this.buffer.push([eventTime, eventID, identity, line]);
    this.count++;
    if (this.buffer.length >= this.runEvents) await this.spill();
  }

  private async spill(): Promise<void> {
    this.buffer.sort(compare);
    this.dir ??= await mkdtemp(join(tmpdir(), 'pca-audit-events-'));
    const path = join(this.dir, `run-${this.runs.length}.jsonl`);
    // the key as JSON, a tab, the output line (JSON text: neither holds a raw tab or newline)
    await writeFile(
      path,
      this.buffer.map((e) => `${JSON.stringify([e[0], e[1], e[2]])}\t${e[3]}\n`).join(''),
    );
    this.runs.push(path);
    this.buffer = [];
  }

  /** The output, oldest first, in batches of lines (each ending in a newline). */
  async *text(): AsyncGenerator<string> {
    this.buffer.sort(compare);
    const sources: AsyncIterator<Entry>[] = [memory(this.buffer), ...this.runs.map(readRun)];
    const heads: (Entry | undefined)[] = [];
    for (const s of sources) heads.push((await s.next()).value as Entry | undefined);
    let batch = '';
    let lines = 0;
    for (;;) {
      let min = -1;
      for (let k = 0; k < heads.length; k++) {
        const h = heads[k];
        if (h !== undefined && (min < 0 || compare(h, heads[min]!) < 0)) min = k;
      }
      if (min < 0) break;
      batch += `${heads[min]![3]}\n`;
      if (++lines >= BATCH_LINES) {
        yield batch;
        batch = '';
        lines = 0;
      }
      const next = await sources[min]!.next();
      heads[min] = next.done ? undefined : next.value;
    }
    if (batch !== '') yield batch;
  }

  async dispose(): Promise<void> {
    if (this.dir !== undefined) await rm(this.dir, { recursive: true, force: true });
  }
}

async function* memory(entries: Entry[]): AsyncGenerator<Entry> {
  yield* entries;
}

async function* readRun(path: string): AsyncGenerator<Entry> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line === '') continue;
    const tab = line.indexOf('\t');
    const [t, id, identity] = JSON.parse(line.slice(0, tab)) as [string, string, string];
    yield [t, id, identity, line.slice(tab + 1)];
  }
}
