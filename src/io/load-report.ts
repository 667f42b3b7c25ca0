import { once } from 'node:events';
import { closeSync, openSync, readSync } from 'node:fs';
import { MessageChannel } from 'node:worker_threads';
import { releaseJoinColumns } from '../core/diff/diff.js';
import type { RecordView } from '../core/report/audit-record.js';
import { CsvReportScanner } from '../core/report/csv-report-scanner.js';
import { JsonReportScanner } from '../core/report/json-report-scanner.js';
import { lineOf, type ReportIndex } from '../core/report/report-index.js';
import type { RowsByOffset } from '../core/report/report-model.js';
import { ESTIMATE_HEAD, estimateRows, indexReport, readRowsAt } from '../core/report/report-reader.js';
import { ReportSyntaxError } from '../core/report/report-syntax-error.js';
import { InputError, type ReportFile, readChunks } from './report-source.js';

export interface LoadOptions {
  expectedCa?: string;
  findingLimit: number;
}

/** A plain report file's rows, estimated from its head (300 bytes a row if it cannot be read here). */
function plainRows(file: ReportFile): number {
  try {
    const fd = openSync(file.path, 'r');
    try {
      const head = new Uint8Array(ESTIMATE_HEAD);
      const n = readSync(fd, head, 0, head.length, 0);
      return estimateRows(head.subarray(0, n), n < head.length, file.size);
    } finally {
      closeSync(fd);
    }
  } catch {
    return file.size / 300;
  }
}

/** Indexes a report file; a malformed report becomes an InputError naming the file and position. */
export async function loadReport(file: ReportFile, options: LoadOptions): Promise<ReportIndex> {
  try {
    return await indexReport(readChunks(file), {
      source: file.name,
      // a gzip report's rows from its size (about 60 compressed bytes a row), a plain one's from its head
      expectedRows: file.gzip ? file.size / 60 : plainRows(file),
      findingLimit: options.findingLimit,
      ...(options.expectedCa === undefined ? {} : { expectedCa: options.expectedCa }),
    });
  } catch (err) {
    throw asInputError(file, err);
  }
}

/**
 * releaseJoinColumns on each index, and their memory freed now rather than at the next full GC
 * (which a busy tail may not run before its peak): they are moved into a message that is dropped
 * unread, and dropping it frees them.
 */
export async function freeJoinColumns(...indexes: ReportIndex[]): Promise<void> {
  const buffers = [...new Set(indexes.flatMap(releaseJoinColumns))].filter((b) => b.byteLength > 0);
  const { port1, port2 } = new MessageChannel();
  const closed = once(port2, 'close');
  try {
    port1.postMessage(null, buffers);
  } catch {
    // a buffer that cannot be moved is left to the GC, like the others would be
  }
  port1.close();
  port2.close();
  await closed;
}

function asInputError(file: ReportFile, err: unknown): unknown {
  if (err instanceof ReportSyntaxError) return new InputError(file.name, err.message, { cause: err });
  return err;
}

const STOP = Symbol('stop');
/** bytes read for a row at first (more when it is longer), and the most read at once for nearby rows */
const ROW_WINDOW = 4096;
const BLOCK = 256 * 1024;

/**
 * Reads rows back by byte offset. Plain files are read at each offset (a header or '[' is fed
 * first so the scanner has its context); gzip streams are rescanned once from the start.
 */
/** The entry whose row starts at offset (rows are indexed in file order), or -1. */
function entryAt(index: ReportIndex, offset: number): number {
  let lo = 0;
  let hi = index.count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = index.offset[mid]!;
    if (v === offset) return mid;
    if (v < offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

export async function fetchRows(
  file: ReportFile,
  index: ReportIndex,
  offsets: readonly number[],
): Promise<RowsByOffset> {
  if (offsets.length === 0) return new Map();
  if (file.gzip) {
    try {
      return await readRowsAt(readChunks(file), offsets);
    } catch (err) {
      throw asInputError(file, err);
    }
  }
  const lineAt = (offset: number) => {
    const i = entryAt(index, offset);
    return i < 0 ? undefined : lineOf(index, i);
  };
  return readBack(file, index, offsets, (view, at) => ({
    ...view.toRecord(),
    offset: at,
    line: lineAt(at) ?? view.line,
  }));
}

/**
 * The rows at the given byte offsets (ascending) of a plain (not gzip) report, each as make() turns
 * the scanner's view of it (valid only during the call) into a value.
 */
export function readBack<T>(
  file: ReportFile,
  index: ReportIndex,
  offsets: readonly number[],
  make: (view: RecordView, offset: number) => T,
): Map<number, T> {
  const out = new Map<number, T>();
  if (offsets.length === 0) return out;
  try {
    // synchronous preads: thousands of small reads cost far less without a thread-pool round trip
    const fd = openSync(file.path, 'r');
    try {
      let prefix: Uint8Array;
      if (index.format === 'json') prefix = new Uint8Array([0x5b]);
      else {
        const headerEnd = index.count > 0 ? index.offset[0]! : 0;
        prefix = new Uint8Array(headerEnd);
        readSync(fd, prefix, 0, headerEnd, 0);
      }
      // A run of rows close to one another (new certificates are appended, so most of a diff's rows
      // are) is read with one pread and scanned in one pass: the block holds file bytes [blockStart, blockStart + blockLength).
      const block = new Uint8Array(BLOCK);
      let blockStart = 0;
      let blockLength = 0;
      let blockAtEnd = false;
      /** the index after the run of offsets from k: each within a row window of the one before */
      const runEnd = (k: number): number => {
        let j = k + 1;
        while (
          j < offsets.length &&
          offsets[j]! - offsets[j - 1]! <= ROW_WINDOW &&
          offsets[j]! + ROW_WINDOW - offsets[k]! <= BLOCK
        ) {
          j++;
        }
        return j;
      };
      /** file bytes [offset, offset + size), fewer only at the end of the file */
      const bytesAt = (k: number, offset: number, size: number): Uint8Array => {
        const from = offset - blockStart;
        if (from >= 0 && (from + size <= blockLength || (blockAtEnd && from <= blockLength))) {
          return block.subarray(from, Math.min(from + size, blockLength));
        }
        if (size > BLOCK) {
          const buf = new Uint8Array(size);
          return buf.subarray(0, readSync(fd, buf, 0, size, offset));
        }
        const want = Math.max(size, offsets[runEnd(k) - 1]! + ROW_WINDOW - offset);
        blockStart = offset;
        blockLength = readSync(fd, block, 0, want, offset);
        blockAtEnd = blockLength < want;
        return block.subarray(0, Math.min(size, blockLength));
      };
      const newScanner = (sink: (view: RecordView) => void) =>
        index.format === 'json' ? new JsonReportScanner(sink) : new CsvReportScanner(sink);
      /**
       * The rows of the run offsets[k, m) with one scanner over the bytes read for them; a row it
       * does not settle (cut off at the end, or anything unexpected) is left to the row-by-row read.
       */
      const scanRun = (k: number, m: number): void => {
        const start = offsets[k]!;
        const bytes = bytesAt(k, start, offsets[m - 1]! + ROW_WINDOW - start);
        const wanted = new Set(offsets.slice(k, m));
        let left = wanted.size;
        const scanner = newScanner((view) => {
          const at = start + view.offset - prefix.length;
          if (!wanted.has(at)) return;
          out.set(at, make(view, at));
          if (--left === 0) throw STOP;
        });
        try {
          scanner.push(prefix);
          scanner.push(bytes);
        } catch (err) {
          if (err !== STOP && !(err instanceof ReportSyntaxError)) throw err;
        }
      };
      for (let k = 0; k < offsets.length; k++) {
        const offset = offsets[k]!;
        if (out.has(offset)) continue;
        const m = runEnd(k);
        if (m - k > 1) {
          scanRun(k, m);
          if (out.has(offset)) continue;
        }
        for (let size = ROW_WINDOW; ; size *= 4) {
          const buf = bytesAt(k, offset, size);
          const bytesRead = buf.length;
          let got: { value: T } | undefined;
          const sink = (view: RecordView) => {
            got = { value: make(view, offset) };
            throw STOP;
          };
          const scanner = newScanner(sink);
          try {
            scanner.push(prefix);
            scanner.push(buf);
            if (bytesRead < size) scanner.end();
          } catch (err) {
            if (err !== STOP) throw err;
          }
          if (got) {
            out.set(offset, got.value);
            break;
          }
          if (bytesRead < size)
            throw new InputError(
              file.name,
              `no record at byte ${offset}: the file changed while it was read`,
            );
        }
      }
    } finally {
      closeSync(fd);
    }
    return out;
  } catch (err) {
    throw asInputError(file, err);
  }
}
