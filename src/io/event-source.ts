/**
 * Reads CloudTrail records from what a user hands over (files, `-`, directories walked
 * recursively; any envelope, plain or gzip) into normalised events, deduplicated by eventID.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CertificateDecoder,
  type CloudTrailEvent,
  jsonMessage,
  normalise,
  unwrap,
} from '../core/cloudtrail/event.js';
import { type JsonPiece, JsonSplitError, JsonSplitter } from '../core/cloudtrail/json-splitter.js';
import { parseInstant } from '../core/instant.js';
import { loadCertificateDecoder } from './certificate-decoder.js';
import { InputError, openReportFile, readChunks } from './report-source.js';

const KIND = 'CloudTrail source';

export interface EventReadOptions {
  /** skip malformed records (counted) instead of failing */
  lenient: boolean;
  stdin?: NodeJS.ReadableStream;
}

export interface EventStats {
  files: number;
  /** records read, duplicates included */
  records: number;
  duplicates: number;
  /** records of no interest (other APIs), by what they were */
  skipped: Record<string, number>;
  /** malformed records skipped under --lenient */
  malformed: number;
  /** the first few malformed records, for the message */
  malformedExamples: string[];
  /** earliest and latest eventTime of every record read (NaN: none) */
  earliest: number;
  latest: number;
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

function rekind(err: unknown): unknown {
  if (err instanceof InputError && err.kind !== KIND) {
    return new InputError(err.input, err.message, { cause: err.cause, kind: KIND });
  }
  return err;
}

/** Reads every source; a malformed one throws an InputError naming the file and position. */
export async function readEventSources(
  sources: readonly string[],
  options: EventReadOptions,
): Promise<EventSet> {
  const stats: EventStats = {
    files: 0,
    records: 0,
    duplicates: 0,
    skipped: {},
    malformed: 0,
    malformedExamples: [],
    earliest: Number.NaN,
    latest: Number.NaN,
  };
  const byId = new Map<string, CloudTrailEvent>();
  const seenIds = new Set<string>();
  let decoder: CertificateDecoder | undefined;
  for (const source of sources) {
    const files = await expand(source);
    if (files.length === 0) throw new InputError(source, 'no files in this directory', { kind: KIND });
    for (const name of files) {
      stats.files++;
      const file = await openReportFile(name, options.stdin).catch((err) => {
        throw rekind(err);
      });
      try {
        const splitter = new JsonSplitter();
        const bad = (what: string, line: number, byte: number) => {
          if (!options.lenient) {
            throw new InputError(name, `line ${line}, byte ${byte}: ${what}`, { kind: KIND });
          }
          stats.malformed++;
          if (stats.malformedExamples.length < 3)
            stats.malformedExamples.push(`${name}: line ${line}: ${what}`);
        };
        const handle = async (piece: JsonPiece) => {
          let value: unknown;
          try {
            value = JSON.parse(piece.text);
          } catch (err) {
            const pos = positionIn(piece, err);
            bad(`${describePiece(piece)} is not valid JSON: ${jsonMessage(err)}`, pos.line, pos.byte);
            return;
          }
          const u = unwrap(value);
          if (u.kind === 'invalid') {
            bad(`${describePiece(piece)}: ${u.why}`, piece.line, piece.byte);
            return;
          }
          if (u.kind === 'skip') {
            if (u.why !== 'envelope') stats.skipped[u.why] = (stats.skipped[u.why] ?? 0) + 1;
            return;
          }
          stats.records++;
          const rec = u.record;
          const t = typeof rec.eventTime === 'string' ? parseInstant(rec.eventTime) : Number.NaN;
          const origin = { source: name, line: piece.line, byte: piece.byte };
          if (rec.eventSource === 'acm-acme.amazonaws.com' && rec.eventName === 'RevokeCertificate') {
            decoder ??= await loadCertificateDecoder();
          }
          const n = normalise(rec, origin, decoder);
          if (n.kind === 'invalid') {
            bad(`${describePiece(piece)}: ${n.why}`, piece.line, piece.byte);
            return;
          }
          if (!Number.isNaN(t)) {
            if (!(t >= stats.earliest)) stats.earliest = t;
            if (!(t <= stats.latest)) stats.latest = t;
          }
          const id = rec.eventID as string;
          if (seenIds.has(id)) {
            stats.duplicates++;
            return;
          }
          seenIds.add(id);
          if (n.kind === 'skip') {
            stats.skipped[n.why] = (stats.skipped[n.why] ?? 0) + 1;
            return;
          }
          byId.set(id, n.event);
        };
        try {
          for await (const chunk of readChunks(file)) {
            for (const piece of splitter.push(chunk)) await handle(piece);
          }
          splitter.end();
        } catch (err) {
          if (err instanceof JsonSplitError)
            throw new InputError(name, err.message, { cause: err, kind: KIND });
          throw rekind(err);
        }
      } finally {
        await file.dispose();
      }
    }
  }
  const events = [...byId.values()].sort((a, b) =>
    a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : a.eventID < b.eventID ? -1 : 1,
  );
  return { events, stats };
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
