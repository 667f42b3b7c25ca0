import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  EXTENDED_FIELDS,
  F_ARN,
  F_SUBJECT,
  FIELD_COUNT,
  KIND_ABSENT,
  RecordView,
} from '../core/audit-record.js';
import { CsvReportScanner } from '../core/csv-report-scanner.js';
import type { JoinScan } from '../core/diff.js';
import { FINDING_SEVERITY, type FindingCode, FindingCollector } from '../core/finding.js';
import {
  duplicateFinding,
  entrySerialText,
  finishIndex,
  incompleteFinding,
  invalidFinding,
  invertedFinding,
  lineOf,
  mismatchFinding,
  type ReportFormat,
  type ReportIndex,
  subjectWhat,
  WHAT_ACCOUNT,
  WHAT_ARN_NO_CA,
  WHAT_ARN_NO_SERIAL,
  WHAT_ARN_NOT_ARN,
  WHAT_INSTANT,
  WHAT_MISSING,
  WHAT_NOT_STRING,
  WHAT_REASON,
  WHAT_SERIAL_LONG,
  WHAT_TEMPLATE,
} from '../core/report-index.js';
import { detectFormat, ESTIMATE_HEAD, estimateRows } from '../core/report-reader.js';
import { ReportSyntaxError } from '../core/report-syntax-error.js';
import { octetsToHex, serialErrorReason, writeSerialOctets } from '../core/serial.js';
import { checkSubjectBytes } from '../core/subject.js';
import type { LoadOptions } from './load-report.js';
import { readBack } from './load-report.js';
import type { ReportFile } from './report-source.js';

/**
 * The native indexer (native/, built by `npm run build`): the same scanners and index builder as
 * src/core, in C++, run on the libuv thread pool so that the two reports of a diff are indexed at
 * once without a worker thread. The TypeScript stays the reference (the tests prove the two equal)
 * and the fallback: for gzip input, and wherever the addon is not built (PCA_AUDIT_NATIVE=0 forces
 * it). The addon records finding events; this module words them, reading the rows back.
 */

interface NativeOptions {
  csv: boolean;
  columns?: number[];
  start?: number;
  line?: number;
  expectedRows?: number;
  block?: number;
}

export type NativeResult =
  | { ok: false; errorAt: number }
  | {
      ok: true;
      count: number;
      arena: ArrayBuffer;
      serialStart: ArrayBuffer;
      fpA: ArrayBuffer;
      fpB: ArrayBuffer;
      group: ArrayBuffer;
      groupCa: ArrayBuffer;
      groupExt: ArrayBuffer;
      groupOtherEntry: ArrayBuffer;
      groupOtherCa: ArrayBuffer;
      groupOtherExt: ArrayBuffer;
      notAfter: ArrayBuffer;
      notAfterOtherEntry: ArrayBuffer;
      notAfterOtherValue: ArrayBuffer;
      revokedEntry: ArrayBuffer;
      revokedTime: ArrayBuffer;
      revokedReason: ArrayBuffer;
      flags: ArrayBuffer;
      offset: ArrayBuffer;
      offset64: boolean;
      lineRunEntry: ArrayBuffer;
      lineRunFirst: ArrayBuffer;
      lineRunStep: ArrayBuffer;
      table: ArrayBuffer;
      revoked: number;
      reasonCounts: number[];
      latest: number;
      caPrefixes: Uint8Array[];
      caCounts: number[];
      templates: Uint8Array[];
      templateCounts: number[];
      noTemplate: number;
      seenMask: number;
      events: Int32Array;
    };

/** Rows read back natively: per row asked for, FIELD_COUNT kinds and [start, end) spans into data. */
export interface NativeRows {
  data: Uint8Array;
  spans: Int32Array;
  kinds: Uint8Array;
  /** 1: the row was read; 0: not (cut off, not a row start...): the caller reads it */
  settled: Uint8Array;
  /** 1: the row's bytes are all ASCII */
  ascii: Uint8Array;
}

export interface NativeAddon {
  indexFile(path: string, options: NativeOptions): Promise<NativeResult>;
  indexBuffer(bytes: Uint8Array, options: NativeOptions): NativeResult;
  /** detaches each buffer, freeing the memory under it now (a column's: see freeJoinColumns) */
  detach(buffers: ArrayBuffer[]): void;
  /**
   * The rows of a plain report at the given offsets (ascending), scanned natively: the twin of
   * readBack's own reading, which reads for itself each row this leaves unsettled.
   */
  readRows(path: string, options: { csv: boolean; columns?: number[] }, offsets: Float64Array): NativeRows;
  /** the twin of scanJoin (see DiffOptions.scan) */
  diffScan(
    oldIndex: ReportIndex,
    newIndex: ReportIndex,
    from: number,
    to: number,
    compareExtended: boolean,
  ): JoinScan;
  parseInstant(bytes: Uint8Array): number;
  subjectOk(bytes: Uint8Array): boolean;
}

let addon: NativeAddon | null | undefined;
let loadError: string | undefined;

/** The addon, or undefined when it is not built or PCA_AUDIT_NATIVE=0 turns it off. */
export function nativeAddon(): NativeAddon | undefined {
  if (process.env.PCA_AUDIT_NATIVE === '0') return undefined;
  if (addon === undefined) {
    try {
      addon = createRequire(import.meta.url)('../../build/Release/pca_audit_native.node') as NativeAddon;
    } catch (err) {
      addon = null;
      loadError = (err as Error).message;
    }
  }
  return addon ?? undefined;
}

/** Why the addon did not load (the tests say it when CI requires the addon). */
export function nativeLoadError(): string | undefined {
  nativeAddon();
  return loadError;
}

// What values of the addon's EV_INVALID events say (native/indexer.h, enum What).
const WHAT_TEXT: Record<number, string> = {
  1: WHAT_NOT_STRING,
  2: WHAT_MISSING,
  3: WHAT_SERIAL_LONG,
  4: serialErrorReason(-1),
  5: serialErrorReason(-2),
  6: serialErrorReason(-3),
  7: WHAT_ACCOUNT,
  8: WHAT_ARN_NOT_ARN,
  9: WHAT_ARN_NO_CA,
  10: WHAT_ARN_NO_SERIAL,
  12: WHAT_INSTANT,
  13: WHAT_REASON,
  14: WHAT_TEMPLATE,
};
const W_NOT_STRING = 1;
const W_SUBJECT = 11;
const EVENT_CODES: Record<number, FindingCode> = {
  1: 'INVALID_RECORD',
  2: 'SERIAL_ARN_MISMATCH',
  3: 'REVOCATION_INCOMPLETE',
  4: 'VALIDITY_INVERTED',
  5: 'DUPLICATE_SERIAL',
};
const EV_INVALID = 1;
const EV_MISMATCH = 2;
const EV_INCOMPLETE = 3;
const EV_INVERTED = 4;
const EV_DUPLICATE = 5;

const DECODER = new TextDecoder();
const CERTIFICATE_SEGMENT = '/certificate/';

/** Where the rows start and how columns map to fields, for a CSV report (read by the TypeScript). */
interface CsvStart {
  columns: number[];
  start: number;
  line: number;
}

/**
 * The CSV header, read by the TypeScript scanner (which words every header error): the column map
 * and where the first row starts, from the head of the file (complete: the head is the whole file).
 * Undefined when no row follows the header in the head.
 */
export function csvStartOf(head: Uint8Array, complete: boolean): CsvStart | undefined {
  let first: { offset: number; line: number } | undefined;
  const stop = Symbol('stop');
  const scanner = new CsvReportScanner((view) => {
    first = { offset: view.offset, line: view.line };
    throw stop;
  });
  try {
    scanner.push(head);
    if (complete) scanner.end();
  } catch (err) {
    if (err !== stop) throw err;
  }
  const columns = scanner.columnFields;
  if (first === undefined || columns === null) return undefined;
  return { columns: [...columns], start: first.offset, line: first.line };
}

export function csvStart(path: string): CsvStart | undefined {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(1 << 20);
    const n = readSync(fd, head, 0, head.length, 0);
    return csvStartOf(head.subarray(0, n), n < head.length);
  } finally {
    closeSync(fd);
  }
}

/** The report's head: its format, and its rows estimated (see estimateRows). */
export function readHead(path: string, size: number): { format: ReportFormat | undefined; rows: number } {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(ESTIMATE_HEAD);
    const n = readSync(fd, head, 0, head.length, 0);
    const bytes = head.subarray(0, n);
    return { format: detectFormat(bytes), rows: estimateRows(bytes, n < head.length, size) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Indexes a plain report file natively. Undefined when this path does not apply (gzip, no addon,
 * a CSV with no row): the caller indexes it with the TypeScript. A syntax error also returns
 * undefined: the TypeScript scanner then finds it again and says what and where.
 */
export async function loadReportNative(
  file: ReportFile,
  options: LoadOptions,
  native = nativeAddon(),
): Promise<ReportIndex | undefined> {
  if (native === undefined || file.gzip) return undefined;
  // a file that cannot be read here is left to the TypeScript path, which says what is wrong
  let format: ReportFormat | undefined;
  let rows: number;
  try {
    ({ format, rows } = readHead(file.path, file.size));
  } catch {
    return undefined;
  }
  if (format === undefined) return undefined;
  let csv: CsvStart | undefined;
  if (format === 'csv') {
    try {
      csv = csvStart(file.path);
    } catch (err) {
      if (err instanceof ReportSyntaxError) throw err;
      return undefined;
    }
    if (csv === undefined) return undefined;
  }
  let result: NativeResult;
  try {
    result = await native.indexFile(file.path, {
      csv: format === 'csv',
      ...(csv ?? {}),
      expectedRows: rows,
    });
  } catch {
    // the addon could not read the file or ran out of memory: the TypeScript path says what is wrong
    return undefined;
  }
  if (!result.ok) return undefined;
  return finishNative(result, { file, format, csvColumns: csv?.columns, options });
}

interface FinishContext {
  file: ReportFile;
  format: ReportFormat;
  csvColumns: readonly number[] | undefined;
  options: LoadOptions;
}

/** The ReportIndex of a native result: columns wrapped, findings worded from the rows read back. */
export function finishNative(r: Extract<NativeResult, { ok: true }>, ctx: FinishContext): ReportIndex {
  const source = ctx.file.name;
  const hasExtended =
    ctx.format === 'csv'
      ? EXTENDED_FIELDS.every((f) => ctx.csvColumns?.includes(f))
      : EXTENDED_FIELDS.some((f) => (r.seenMask & (1 << f)) !== 0);
  const partial = {
    source,
    format: ctx.format,
    count: r.count,
    arena: new Uint8Array(r.arena),
    serialStart: new Uint32Array(r.serialStart),
    fpA: new Int32Array(r.fpA),
    fpB: new Int32Array(r.fpB),
    group: new Uint8Array(r.group),
    groupCa: new Uint8Array(r.groupCa),
    groupExt: new Int32Array(r.groupExt),
    groupOtherEntry: new Uint32Array(r.groupOtherEntry),
    groupOtherCa: new Uint8Array(r.groupOtherCa),
    groupOtherExt: new Int32Array(r.groupOtherExt),
    notAfter: new Uint32Array(r.notAfter),
    notAfterOtherEntry: new Uint32Array(r.notAfterOtherEntry),
    notAfterOtherValue: new Float64Array(r.notAfterOtherValue),
    revokedEntry: new Uint32Array(r.revokedEntry),
    revokedTime: new Float64Array(r.revokedTime),
    revokedReason: new Uint8Array(r.revokedReason),
    flags: new Uint8Array(r.flags),
    offset: r.offset64 ? new Float64Array(r.offset) : new Uint32Array(r.offset),
    lineRunEntry: new Uint32Array(r.lineRunEntry),
    lineRunFirst: new Uint32Array(r.lineRunFirst),
    lineRunStep: new Uint32Array(r.lineRunStep),
    table: new Int32Array(r.table),
    hasExtended,
  };
  const collector = new FindingCollector(ctx.options.findingLimit);
  wordEvents(r.events, partial, ctx.file, collector);
  return finishIndex({
    ...partial,
    expectedCa: ctx.options.expectedCa,
    caArns: r.caPrefixes.map((p) => DECODER.decode(p)),
    caCounts: r.caCounts,
    revoked: r.revoked,
    reasonCounts: r.reasonCounts,
    templateNames: r.templates.map((t) => DECODER.decode(t)),
    templateCounts: r.templateCounts,
    noTemplate: r.noTemplate,
    latestInstant: r.latest,
    collector,
  });
}

type Columns = Pick<
  ReportIndex,
  'count' | 'arena' | 'serialStart' | 'offset' | 'lineRunEntry' | 'lineRunFirst' | 'lineRunStep' | 'format'
>;

/** A copy of a scanner's view that outlives the scan. */
function cloneView(view: RecordView, offset: number, line: number): RecordView {
  const copy = new RecordView();
  for (let f = 0; f < FIELD_COUNT; f++) {
    copy.kind[f] = view.kind[f]!;
    if (view.kind[f] === KIND_ABSENT) continue;
    copy.buf[f] = view.buf[f]!.slice(view.start[f]!, view.end[f]!);
    copy.start[f] = 0;
    copy.end[f] = copy.buf[f]!.length;
  }
  copy.offset = offset;
  copy.line = line;
  return copy;
}

/**
 * Turns the addon's events into findings in the order the TypeScript builder adds them, keeping the
 * collector's limit: only rows with a finding still to be kept in full are read back.
 */
function wordEvents(events: Int32Array, index: Columns, file: ReportFile, collector: FindingCollector): void {
  const kept = new Map<FindingCode, number>();
  const wanted = new Uint8Array(events.length / 4);
  const rows = new Set<number>();
  for (let k = 0; k < events.length; k += 4) {
    const code = EVENT_CODES[events[k]!]!;
    const n = kept.get(code) ?? 0;
    if (n >= collector.limit) continue;
    kept.set(code, n + 1);
    wanted[k / 4] = 1;
    if (events[k] !== EV_DUPLICATE) rows.add(events[k + 1]!);
  }
  // a row with a kept finding is read back whole, and so is every event of it
  const entries = [...rows].sort((a, b) => a - b);
  const entryAt = new Map(entries.map((i) => [index.offset[i]!, i]));
  const views = readBack(file, index as ReportIndex, [...entryAt.keys()], (view, at) =>
    cloneView(view, at, lineOf(index, entryAt.get(at)!)),
  );
  const viewOf = (i: number) => {
    const v = views.get(index.offset[i]!);
    if (v === undefined) throw new Error(`native index: row ${i} could not be read back`);
    return v;
  };
  const source = file.name;
  for (let k = 0; k < events.length; k += 4) {
    const ev = events[k]!;
    const i = events[k + 1]!;
    const code = EVENT_CODES[ev]!;
    if (wanted[k / 4] === 0) {
      collector.count(code);
      // a field judged not a string reads as absent to the checks after it
      if (ev === EV_INVALID && events[k + 3] === W_NOT_STRING && rows.has(i))
        viewOf(i).kind[events[k + 2]!] = 0;
      continue;
    }
    const severity = FINDING_SEVERITY[code];
    switch (ev) {
      case EV_INVALID: {
        const view = viewOf(i);
        const field = events[k + 2]!;
        const w = events[k + 3]!;
        const what =
          w === W_SUBJECT
            ? subjectWhat(
                checkSubjectBytes(view.buf[F_SUBJECT]!, view.start[F_SUBJECT]!, view.end[F_SUBJECT]!) ?? '?',
              )
            : WHAT_TEXT[w]!;
        collector.add({ code, severity, ...invalidFinding(source, view, field, what) });
        if (w === W_NOT_STRING) view.kind[field] = KIND_ABSENT;
        break;
      }
      case EV_MISMATCH: {
        const view = viewOf(i);
        const arn = view.buf[F_ARN]!.subarray(view.start[F_ARN]!, view.end[F_ARN]!);
        const from =
          Buffer.from(arn.buffer, arn.byteOffset, arn.length).lastIndexOf(CERTIFICATE_SEGMENT) +
          CERTIFICATE_SEGMENT.length;
        const out = new Uint8Array(256);
        const n = writeSerialOctets(arn, from, arn.length, out, 0);
        collector.add({
          code,
          severity,
          ...mismatchFinding(source, view, entrySerialText(index, i)!, octetsToHex(out, 0, Math.max(n, 0))),
        });
        break;
      }
      case EV_INCOMPLETE:
        collector.add({
          code,
          severity,
          ...incompleteFinding(source, viewOf(i), entrySerialText(index, i), events[k + 3] === 1),
        });
        break;
      case EV_INVERTED:
        collector.add({ code, severity, ...invertedFinding(source, viewOf(i), entrySerialText(index, i)) });
        break;
      case EV_DUPLICATE: {
        const j = events[k + 2]!;
        collector.add({
          code,
          severity,
          ...duplicateFinding(
            source,
            entrySerialText(index, i)!,
            { line: lineOf(index, j), byte: index.offset[j]! },
            { line: lineOf(index, i), byte: index.offset[i]! },
          ),
        });
        break;
      }
    }
  }
}
