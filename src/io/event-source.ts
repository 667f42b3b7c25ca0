/**
 * Reads CloudTrail records from what a user hands over (files, `-`, directories walked
 * recursively; any envelope, plain or gzip) into normalised events, deduplicated: a duplicate is
 * the same record delivered twice (same eventID, eventSource, eventName and eventTime).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseInstant } from '../core/instant.js';
import {
  type CertificateDecoder,
  type CloudTrailEvent,
  type EventOrigin,
  jsonMessage,
  normalise,
  recordsIssuance,
  unwrap,
} from '../core/reconcile/cloudtrail/event.js';
import { type JsonPiece, JsonSplitError } from '../core/reconcile/cloudtrail/json-splitter.js';
import { loadCertificateDecoder } from './certificate-decoder.js';
import { InputError, openReportFile, type ReportFile } from './report-source.js';
import {
  type OtherTally,
  readThreads,
  type Scan,
  type ScanEnd,
  ScanPool,
  scanHere,
  worthThreads,
} from './trail-scan.js';

const KIND = 'CloudTrail source';

export interface EventReadOptions {
  /** skip malformed records (counted) instead of failing */
  lenient: boolean;
  stdin?: NodeJS.ReadableStream;
}

export interface EventStats {
  /** files read as CloudTrail (skipped files not included) */
  files: number;
  /**
   * files skipped as not CloudTrail: found walking a directory (a README, a report, a binary), or
   * a CloudTrail digest file wherever named
   */
  skippedFiles: number;
  /** the first few of them, for the summary */
  skippedFileExamples: string[];
  /** records read, duplicates included */
  records: number;
  /** records of interest dropped as a second delivery of one already read */
  duplicates: number;
  /** eventIDs shared by records of interest that are not the same record (all kept) */
  collisions: number;
  /** the first few such eventIDs, for the message */
  collisionExamples: string[];
  /** records of no interest (other APIs), by what they were */
  skipped: Record<string, number>;
  /** malformed records skipped under --lenient */
  malformed: number;
  /** the first few malformed records, for the message */
  malformedExamples: string[];
  /** earliest and latest eventTime of every record read (NaN: none) */
  earliest: number;
  latest: number;
  /**
   * per source named on the command line: the span of its records, and whether it holds
   * issuance records at all (IssueCertificate, IssueCertificateDetails, PCA's Issuance event)
   * (a RevokeCertificate-only export says nothing of issuance)
   */
  groups: Map<string, { earliest: number; latest: number; issuance: boolean }>;
}

export interface EventSet {
  /** distinct events of interest, by eventTime then eventID */
  events: CloudTrailEvent[];
  stats: EventStats;
}

/** Expands directories (recursively, in name order; dot-files skipped) into files. */
async function expand(path: string): Promise<string[]> {
  if (path === '-') return [path];
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch {
    return [path]; // openReportFile names the problem
  }
  if (!st.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = join(path, e.name);
    if (e.isDirectory()) out.push(...(await expand(full)));
    else if (e.isFile()) out.push(full);
  }
  return out;
}

export function rekind(err: unknown): unknown {
  if (err instanceof InputError && err.kind !== KIND) {
    return new InputError(err.input, err.message, { cause: err.cause, kind: KIND });
  }
  return err;
}

/** The statistics of a read that has read nothing yet. */
export function emptyEventStats(): EventStats {
  return {
    files: 0,
    skippedFiles: 0,
    skippedFileExamples: [],
    records: 0,
    duplicates: 0,
    collisions: 0,
    collisionExamples: [],
    skipped: {},
    malformed: 0,
    malformedExamples: [],
    earliest: Number.NaN,
    latest: Number.NaN,
    groups: new Map(),
  };
}

/**
 * Collects events from any number of sources: files (any envelope, plain or gzip), and records
 * handed over one by one (LookupEvents). Deduplicates by eventID; keeps the statistics.
 */
export class EventCollector {
  readonly stats: EventStats = emptyEventStats();
  /** the source (command-line argument) records are being read from */
  group = '';
  /** events of interest by identity (see identity()): a record delivered twice is kept once */
  private readonly byIdentity = new Map<string, CloudTrailEvent>();
  /**
   * When set, events of interest are handed to it (once each, deduplicated) instead of being kept:
   * only their identities are (for `events`, which streams them; result().events is then empty).
   */
  onEvent: ((event: CloudTrailEvent, identity: string) => Promise<void> | void) | undefined;
  private readonly identities = new Set<string>();
  /** eventID → the identity first read with it, to tell a collision from a duplicate */
  private readonly identityOfId = new Map<string, string>();
  private decoder: CertificateDecoder | undefined;

  constructor(private readonly lenient: boolean) {}

  private bad(name: string, what: string, line: number, byte: number): void {
    if (!this.lenient) throw new InputError(name, `line ${line}, byte ${byte}: ${what}`, { kind: KIND });
    this.stats.malformed++;
    if (this.stats.malformedExamples.length < 3) {
      this.stats.malformedExamples.push(`${name}: line ${line}: ${what}`);
    }
  }

  /** One JSON value: an envelope, a record, a lookup-events element. */
  async addValue(value: unknown, origin: EventOrigin, what: string): Promise<void> {
    const u = unwrap(value);
    if (u.kind === 'invalid') {
      this.bad(origin.source, `${what}: ${u.why}`, origin.line, origin.byte);
      return;
    }
    if (u.kind === 'skip') {
      if (u.why !== 'envelope') this.stats.skipped[u.why] = (this.stats.skipped[u.why] ?? 0) + 1;
      return;
    }
    if (u.kind === 'many') {
      for (const [k, item] of u.items.entries())
        await this.addValue(item, origin, `${what}, element ${k + 1}`);
      return;
    }
    this.stats.records++;
    const rec = u.record;
    const t = typeof rec.eventTime === 'string' ? parseInstant(rec.eventTime) : Number.NaN;
    if (rec.eventSource === 'acm-acme.amazonaws.com' && rec.eventName === 'RevokeCertificate') {
      this.decoder ??= await loadCertificateDecoder();
    }
    const n = normalise(rec, origin, this.decoder);
    if (n.kind === 'invalid') {
      this.bad(origin.source, `${what}: ${n.why}`, origin.line, origin.byte);
      return;
    }
    if (!Number.isNaN(t)) {
      if (!(t >= this.stats.earliest)) this.stats.earliest = t;
      if (!(t <= this.stats.latest)) this.stats.latest = t;
      const g = this.stats.groups.get(this.group) ?? { earliest: t, latest: t, issuance: false };
      g.earliest = Math.min(g.earliest, t);
      g.latest = Math.max(g.latest, t);
      if (n.kind === 'event' && recordsIssuance(n.event.kind)) g.issuance = true;
      this.stats.groups.set(this.group, g);
    }
    // only records of interest are deduplicated: a skipped record reserves no eventID (AWS's
    // documentation examples reuse ids, and a skipped one must not hide an event of interest)
    if (n.kind === 'skip') {
      this.stats.skipped[n.why] = (this.stats.skipped[n.why] ?? 0) + 1;
      return;
    }
    const key = identity(n.event);
    if (this.byIdentity.has(key) || this.identities.has(key)) {
      this.stats.duplicates++;
      return;
    }
    if (this.onEvent) {
      this.identities.add(key);
      await this.onEvent(n.event, key);
    } else this.byIdentity.set(key, n.event);
    const first = this.identityOfId.get(n.event.eventID);
    if (first === undefined) this.identityOfId.set(n.event.eventID, key);
    else if (first !== key) {
      // two different records with one eventID: both kept, the collision counted
      this.stats.collisions++;
      if (this.stats.collisionExamples.length < 3) this.stats.collisionExamples.push(n.event.eventID);
    }
  }

  /**
   * A file of JSON (any envelope, JSON lines, gzip), streamed piece by piece. Its first JSON value
   * tells whether it is CloudTrail's: a digest file is skipped (counted) wherever named; any other
   * file that is not (not JSON, or JSON of something else, and no CloudTrail key in its first bytes)
   * is skipped (counted) when `walked` (found walking a directory), and an error when named. A file
   * that looks like CloudTrail's (a truncated trail log) is never skipped: a malformed record in it
   * is an error unless --lenient. Returns whether the file was read.
   */
  async addFile(file: ReportFile, walked = false): Promise<boolean> {
    return this.addScan(file.name, walked, scanHere(file));
  }

  /**
   * addFile's work on a file being scanned (here or on a worker thread, see trail-scan.ts): the
   * pieces that are not plainly records of no interest are parsed and added in order; the records of
   * no interest, counted by the scan, are added when the file is read to its end.
   */
  async addScan(name: string, walked: boolean, scan: Scan): Promise<boolean> {
    // nothing is added to the statistics before the first piece decides, so a skip undoes nothing
    let known = false;
    const other = (text: string) => walked && !known && !CLOUDTRAIL_KEY.test(text);
    const handle = async (piece: JsonPiece) => {
      let value: unknown;
      try {
        value = JSON.parse(piece.text);
      } catch (err) {
        if (other(piece.text)) throw new NotCloudTrail();
        const pos = positionIn(piece, err);
        this.bad(name, `${describePiece(piece)} is not valid JSON: ${jsonMessage(err)}`, pos.line, pos.byte);
        return;
      }
      if (!known) {
        // an element of a Records or Events array: a CloudTrail envelope whatever the element holds
        if (piece.kind === 'document' || piece.key === '') {
          const u = unwrap(value);
          if (u.kind === 'skip' && u.why === DIGEST) throw new NotCloudTrail();
          if (u.kind === 'invalid' && other(piece.text)) throw new NotCloudTrail();
        }
        known = true;
      }
      await this.addValue(value, { source: name, line: piece.line, byte: piece.byte }, describePiece(piece));
    };
    let end: ScanEnd;
    try {
      for (;;) {
        const r = await scan.next();
        if (r.done) {
          end = r.value;
          break;
        }
        for (const piece of r.value) await handle(piece);
      }
      if (end.error !== undefined) throw end.error;
    } catch (err) {
      await scan.return?.(undefined as never);
      if (err instanceof NotCloudTrail || (err instanceof JsonSplitError && other(end!.head))) {
        this.stats.skippedFiles++;
        if (this.stats.skippedFileExamples.length < 10) this.stats.skippedFileExamples.push(name);
        return false;
      }
      if (err instanceof JsonSplitError) throw new InputError(name, err.message, { cause: err, kind: KIND });
      throw rekind(err);
    }
    this.addOthers(end.tally);
    this.stats.files++;
    return true;
  }

  /** Records of no interest counted unparsed (see trail-scan.ts). */
  private addOthers(t: OtherTally): void {
    if (t.records === 0) return;
    this.stats.records += t.records;
    for (const [why, n] of Object.entries(t.skipped))
      this.stats.skipped[why] = (this.stats.skipped[why] ?? 0) + n;
    if (!(t.earliest >= this.stats.earliest)) this.stats.earliest = t.earliest;
    if (!(t.latest <= this.stats.latest)) this.stats.latest = t.latest;
    const g = this.stats.groups.get(this.group) ?? {
      earliest: t.earliest,
      latest: t.latest,
      issuance: false,
    };
    g.earliest = Math.min(g.earliest, t.earliest);
    g.latest = Math.max(g.latest, t.latest);
    this.stats.groups.set(this.group, g);
  }

  result(): EventSet {
    const events = [...this.byIdentity.entries()]
      .sort(([ka, a], [kb, b]) =>
        a.eventTime < b.eventTime
          ? -1
          : a.eventTime > b.eventTime
            ? 1
            : a.eventID < b.eventID
              ? -1
              : a.eventID > b.eventID
                ? 1
                : ka < kb
                  ? -1
                  : 1,
      )
      .map(([, e]) => e);
    return { events, stats: this.stats };
  }
}

/**
 * What makes two records the same record delivered twice (a trail and LookupEvents overlapping,
 * a log file read twice): eventID alone is not enough, as different records may share one.
 */
function identity(e: CloudTrailEvent): string {
  return JSON.stringify([e.eventID, e.eventSource, e.eventName, e.eventTime]);
}

/** unwrap()'s reason for a CloudTrail digest file (hashes of log files, no records) */
const DIGEST = 'CloudTrail digest file';

/** A key only CloudTrail's shapes have (a record, an envelope, lookup-events, EventBridge). */
const CLOUDTRAIL_KEY =
  /"(?:eventID|eventName|eventSource|eventTime|Records|Events|CloudTrailEvent|detail-type)"\s*:/;

/** Thrown inside addFile when a file's first JSON value shows it is not CloudTrail's. */
class NotCloudTrail extends Error {}

/** Opens a named input (a file path, or - for stdin) as a ReportFile. */
export type Opener = (name: string) => Promise<ReportFile>;

/** Reads every local source (files, -, directories); a malformed one throws an InputError naming the file and position. */
export async function readEventSources(
  sources: readonly string[],
  options: EventReadOptions,
  collector = new EventCollector(options.lenient),
): Promise<EventSet> {
  const threads = readThreads();
  // several files: scanned on worker threads, a few files ahead of the one being collected
  let pool: ScanPool | undefined;
  const ahead: { file: ReportFile; scan: Scan }[] = [];
  try {
    for (const source of sources) {
      collector.group = source;
      const files = await expand(source);
      if (files.length === 0) throw new InputError(source, 'no files in this directory', { kind: KIND });
      // a file found walking a directory may be anything (a README, a digest): skipped if not CloudTrail
      const walked = !(files.length === 1 && files[0] === source);
      if (threads > 0 && files.length > 1 && !pool) {
        const sizes = await Promise.all(
          files.map((f) =>
            stat(f).then(
              (st) => st.size,
              () => 0,
            ),
          ),
        );
        if (worthThreads(sizes.reduce((a, b) => a + b, 0))) pool = new ScanPool(threads);
      }
      let read = 0;
      let next = 0;
      const open = async () => {
        const file = await openReportFile(files[next++]!, options.stdin).catch((err) => {
          throw rekind(err);
        });
        ahead.push({ file, scan: pool && files.length > 1 ? pool.scan(file) : scanHere(file) });
      };
      while (next < files.length || ahead.length > 0) {
        while (next < files.length && (ahead.length === 0 || (pool && ahead.length < threads + 1)))
          await open();
        const { file, scan } = ahead.shift()!;
        try {
          if (await collector.addScan(file.name, walked, scan)) read++;
        } finally {
          await file.dispose();
        }
      }
      if (walked && read === 0) {
        throw new InputError(
          source,
          `no CloudTrail files in this directory (${files.length} skipped, first: ${files[0]})`,
          { kind: KIND },
        );
      }
    }
  } finally {
    for (const { file, scan } of ahead.splice(0)) {
      await scan.return(undefined as never).catch(() => {});
      await file.dispose();
    }
    await pool?.close();
  }
  return collector.result();
}

function describePiece(p: JsonPiece): string {
  if (p.kind === 'document') return 'the JSON value';
  return p.key === '' ? `element ${p.index + 1}` : `element ${p.index + 1} of "${p.key}"`;
}

/** The line and byte of a JSON.parse error inside a piece, when V8 tells the position. */
function positionIn(piece: JsonPiece, err: unknown): { line: number; byte: number } {
  const m = /at position (\d+)/.exec(String((err as Error)?.message));
  if (!m) return { line: piece.line, byte: piece.byte };
  const before = piece.text.slice(0, Number(m[1]));
  let line = piece.line;
  for (let i = before.indexOf('\n'); i >= 0; i = before.indexOf('\n', i + 1)) line++;
  return { line, byte: piece.byte + Buffer.byteLength(before) };
}
