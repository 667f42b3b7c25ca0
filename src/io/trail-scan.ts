/**
 * Reading CloudTrail files fast: each file is decompressed and split into records, and the records of
 * other APIs and services are told apart by their top-level fields without being decoded or parsed
 * (see Skim in the splitter); they are only counted here. What is left (records of interest, and
 * anything that is not plainly a record of no interest) goes to the EventCollector, in file order.
 *
 * With several files, files are scanned on worker threads (as many as the machine has cores, at
 * most MAX_THREADS), a few files ahead of the one being collected; their pieces come back in batches,
 * and a worker waits when MAX_UNREAD batches of one file are not yet read, so memory stays bounded
 * whatever the files hold.
 */
import { isUtf8 } from 'node:buffer';
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { isOtherRecord } from '../core/reconcile/cloudtrail/event.js';
import {
  type JsonPiece,
  JsonSplitError,
  JsonSplitter,
  type Skim,
} from '../core/reconcile/cloudtrail/json-splitter.js';
import { InputError, type ReportFile, readChunks } from './report-source.js';

/** Records of other APIs and services, counted unparsed: how many, what, and their time span. */
export interface OtherTally {
  records: number;
  /** by `eventSource eventName`, as normalise() names a skip */
  skipped: Record<string, number>;
  /** epoch seconds; NaN: none */
  earliest: number;
  latest: number;
}

/** The end of a file's scan: the tally, the first bytes (to tell another file from CloudTrail's), and what failed. */
export interface ScanEnd {
  tally: OtherTally;
  head: string;
  error?: unknown;
}

/** A file's pieces in batches, in order; returns how it ended. */
export type Scan = AsyncGenerator<JsonPiece[], ScanEnd, void>;

/** how much of a file's start is kept for ScanEnd.head */
export const HEAD_BYTES = 64 * 1024;
const MAX_THREADS = 4;
/** a batch holds at most this many pieces or bytes of text */
const BATCH_PIECES = 512;
const BATCH_BYTES = 1 << 20;
/** batches of one file sent and not yet read before its worker waits */
const MAX_UNREAD = 4;

const SKIM: Skim = { other: isOtherRecord, isUtf8: (b) => isUtf8(b) };

function newTally(): OtherTally {
  return { records: 0, skipped: {}, earliest: Number.NaN, latest: Number.NaN };
}

/** Splits one file; records of no interest are counted in `tally`, the other pieces are batched. */
async function* splitFile(file: ReportFile, end: ScanEnd): AsyncGenerator<JsonPiece[]> {
  const splitter = new JsonSplitter(SKIM);
  const tally = end.tally;
  // counts by eventSource, then eventName (the splitter gives the same strings for the same bytes),
  // written into tally.skipped at the end: no string made per record
  const bySource = new Map<string, Map<string, number>>();
  let batch: JsonPiece[] = [];
  let size = 0;
  try {
    for await (const chunk of readChunks(file)) {
      if (end.head.length < HEAD_BYTES) {
        end.head += Buffer.from(chunk.subarray(0, HEAD_BYTES)).toString('latin1');
      }
      for (const piece of splitter.push(chunk)) {
        const o = piece.other;
        if (o !== undefined) {
          tally.records++;
          let names = bySource.get(o.eventSource);
          if (names === undefined) {
            names = new Map();
            bySource.set(o.eventSource, names);
          }
          names.set(o.eventName, (names.get(o.eventName) ?? 0) + 1);
          const t = o.time;
          if (!(t >= tally.earliest)) tally.earliest = t;
          if (!(t <= tally.latest)) tally.latest = t;
          continue;
        }
        batch.push(piece);
        size += piece.text.length;
        if (batch.length >= BATCH_PIECES || size >= BATCH_BYTES) {
          yield batch;
          batch = [];
          size = 0;
        }
      }
      if (batch.length > 0) {
        yield batch;
        batch = [];
        size = 0;
      }
    }
    splitter.end();
  } catch (err) {
    end.error = err;
  } finally {
    for (const [source, names] of bySource) {
      for (const [name, count] of names) {
        const why = `${source} ${name}`;
        tally.skipped[why] = (tally.skipped[why] ?? 0) + count;
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/** Scans a file on this thread. */
export async function* scanHere(file: ReportFile): Scan {
  const end: ScanEnd = { tally: newTally(), head: '' };
  yield* splitFile(file, end);
  return end;
}

// ---------------------------------------------------------------------------------------------------
// Worker threads.

type Job = { id: number; path: string; gzip: boolean; name: string };
type ToWorker = { job: Job } | { read: number } | { cancel: number };
type WireError =
  | { kind: 'split'; what: string; line: number; byte: number }
  | { kind: 'input'; input: string; message: string }
  | { kind: 'other'; message: string; stack?: string };
type FromWorker =
  | { id: number; batch: JsonPiece[] }
  | { id: number; end: { tally: OtherTally; head: string; error?: WireError } };

function toWire(err: unknown): WireError {
  if (err instanceof JsonSplitError) return { kind: 'split', what: err.what, line: err.line, byte: err.byte };
  if (err instanceof InputError) return { kind: 'input', input: err.input, message: err.message };
  const e = err as Error;
  return { kind: 'other', message: String(e?.message ?? err), ...(e?.stack ? { stack: e.stack } : {}) };
}

function fromWire(w: WireError): Error {
  if (w.kind === 'split') return new JsonSplitError(w.what, w.line, w.byte);
  if (w.kind === 'input') return new InputError(w.input, w.message);
  return Object.assign(new Error(w.message), w.stack === undefined ? {} : { stack: w.stack });
}

/** One file being scanned by a worker: its batches as they come, read in order. */
class RemoteScan {
  readonly batches: JsonPiece[][] = [];
  end: ScanEnd | undefined;
  failure: Error | undefined;
  wake: (() => void) | undefined;
  /** the worker scanning it, once it started */
  worker: Worker | undefined;
  constructor(readonly job: Job) {}
  private ack(): void {
    this.worker?.postMessage({ read: this.job.id } satisfies ToWorker);
  }
  notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
  async *read(): Scan {
    try {
      for (;;) {
        const batch = this.batches.shift();
        if (batch !== undefined) {
          this.ack();
          yield batch;
          continue;
        }
        if (this.failure) throw this.failure;
        if (this.end) return this.end;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } finally {
      // left before the end (the file is not CloudTrail's, or reading stopped): the worker stops too
      if (this.end === undefined) this.worker?.postMessage({ cancel: this.job.id } satisfies ToWorker);
    }
  }
}

/** How many threads scan files: PCA_AUDIT_READ_THREADS (0: this thread), else the cores, at most MAX_THREADS. */
export function readThreads(env: NodeJS.ProcessEnv = process.env): number {
  const set = env.PCA_AUDIT_READ_THREADS;
  if (set !== undefined && /^\d+$/.test(set)) return Math.min(Number(set), 16);
  // a worker runs compiled JavaScript; tests run the TypeScript sources on this thread
  if (import.meta.url.endsWith('.ts')) return 0;
  return Math.min(availableParallelism(), MAX_THREADS);
}

/** Below this many bytes in all (on disk), worker threads cost more than they save (unless PCA_AUDIT_READ_THREADS is set). */
export const MIN_THREADED_BYTES = 8 << 20;

/** Whether files of this many bytes in all are worth worker threads. */
export function worthThreads(bytes: number, env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PCA_AUDIT_READ_THREADS !== undefined || bytes >= MIN_THREADED_BYTES;
}

/** Worker threads that scan files, one file at a time each, in the order asked. */
export class ScanPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: RemoteScan[] = [];
  private readonly running = new Map<number, RemoteScan>();
  private readonly busy = new Map<Worker, RemoteScan>();
  private nextId = 0;
  private closed = false;

  constructor(private readonly threads: number) {}

  /** Starts scanning the file (when a worker is free); read the result with the returned Scan. */
  scan(file: ReportFile): Scan {
    const job: Job = { id: this.nextId++, path: file.path, gzip: file.gzip, name: file.name };
    const remote = new RemoteScan(job);
    this.queue.push(remote);
    this.pump();
    return remote.read();
  }

  private pump(): void {
    while (!this.closed && this.queue.length > 0) {
      let w = this.idle.pop();
      if (w === undefined) {
        if (this.all.length >= this.threads) return;
        w = this.spawn();
      }
      const remote = this.queue.shift()!;
      this.busy.set(w, remote);
      remote.worker = w;
      this.running.set(remote.job.id, remote);
      w.postMessage({ job: remote.job } satisfies ToWorker);
    }
  }

  private spawn(): Worker {
    const w = new Worker(new URL(import.meta.url), { workerData: { trailScan: true } });
    this.all.push(w);
    w.on('message', (m: FromWorker) => {
      const remote = this.running.get(m.id);
      if (remote === undefined) return;
      if ('batch' in m) remote.batches.push(m.batch);
      else {
        const { error, ...rest } = m.end;
        remote.end = { ...rest, ...(error === undefined ? {} : { error: fromWire(error) }) };
        this.running.delete(m.id);
        this.busy.delete(w);
        this.idle.push(w);
        this.pump();
      }
      remote.notify();
    });
    const fail = (err: Error) => {
      const remote = this.busy.get(w);
      if (remote) {
        remote.failure = err;
        remote.notify();
      }
    };
    w.on('error', fail);
    w.on('exit', (code) => {
      if (!this.closed) fail(new Error(`file reading worker exited with code ${code}`));
    });
    return w;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.all.map((w) => w.terminate()));
  }
}

// (only in a worker started by ScanPool: another worker importing this module is left alone)
if (!isMainThread && parentPort && (workerData as { trailScan?: boolean } | undefined)?.trailScan === true) {
  const port = parentPort;
  /** per job: batches sent and not yet read, and the wait for the reader */
  const unread = new Map<number, { n: number; cancelled?: boolean; wake?: (() => void) | undefined }>();
  port.on('message', (m: ToWorker) => {
    if ('read' in m || 'cancel' in m) {
      const u = unread.get('read' in m ? m.read : m.cancel);
      if (!u) return;
      if ('read' in m) u.n--;
      else u.cancelled = true;
      const w = u.wake;
      u.wake = undefined;
      w?.();
      return;
    }
    void run(m.job);
  });
  const run = async (job: Job) => {
    const u: { n: number; cancelled?: boolean; wake?: (() => void) | undefined } = { n: 0 };
    unread.set(job.id, u);
    const end: ScanEnd = { tally: newTally(), head: '' };
    const file: ReportFile = {
      name: job.name,
      path: job.path,
      gzip: job.gzip,
      size: 0,
      dispose: async () => {},
    };
    try {
      for await (const batch of splitFile(file, end)) {
        while (u.n >= MAX_UNREAD && !u.cancelled) await new Promise<void>((resolve) => (u.wake = resolve));
        if (u.cancelled) break;
        u.n++;
        port.postMessage({ id: job.id, batch } satisfies FromWorker);
      }
    } catch (err) {
      end.error = err;
    }
    unread.delete(job.id);
    const { error, ...rest } = end;
    port.postMessage({
      id: job.id,
      end: { ...rest, ...(error === undefined ? {} : { error: toWire(error) }) },
    } satisfies FromWorker);
  };
}
