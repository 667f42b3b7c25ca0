import { EXTENDED_FIELDS, type RecordView } from './audit-record.js';
import type { ChunkedScanner, RecordSink } from './chunked-scanner.js';
import { CsvReportScanner } from './csv-report-scanner.js';
import { JsonReportScanner } from './json-report-scanner.js';
import {
  type IndexOptions,
  type ReportFormat,
  type ReportIndex,
  ReportIndexBuilder,
} from './report-index.js';

/** The format of a report, told from its first significant byte (after a BOM and whitespace). */
export function detectFormat(head: Uint8Array): ReportFormat | undefined {
  // a byte order mark not fully arrived yet says nothing
  if (head.length < 3 && head[0] === 0xef && (head.length < 2 || head[1] === 0xbb)) return undefined;
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09))
    i++;
  if (i >= head.length) return undefined;
  return head[i] === 0x5b || head[i] === 0x7b ? 'json' : 'csv';
}

/** Bytes of a report's head that estimateRows reads. */
export const ESTIMATE_HEAD = 1 << 16;

/**
 * How many rows a plain report of `size` bytes holds, from its head (its first ESTIMATE_HEAD
 * bytes, the whole report when `whole`): the rows there exactly, else the head's bytes a row
 * scaled to the file, 10% over (an index sizes its hash table by it: too few rows cost a rehash
 * and a table twice the size). 300 bytes a row when the head says nothing.
 */
export function estimateRows(head: Uint8Array, whole: boolean, size: number): number {
  const format = detectFormat(head);
  if (format === undefined) return size / 300;
  let first = -1;
  let last = -1;
  let rows = 0;
  const sink = (view: RecordView) => {
    if (first < 0) first = view.offset;
    last = view.offset;
    rows++;
  };
  const scanner = format === 'json' ? new JsonReportScanner(sink) : new CsvReportScanner(sink);
  try {
    scanner.push(head);
    if (whole) scanner.end();
  } catch {
    return size / 300;
  }
  if (whole) return rows;
  if (rows < 8 || last <= first) return size / 300;
  return ((size - first) / ((last - first) / (rows - 1))) * 1.1;
}

/**
 * Reads a report pushed chunk by chunk: detects its format from the content, scans its rows and
 * hands each to onRecord. Use `format` after the first push that carried a significant byte.
 */
export class ReportReader {
  private scanner: (ChunkedScanner & { seenFields: Set<number> }) | undefined;
  private held: Uint8Array[] = [];
  format: ReportFormat | undefined;

  constructor(
    private readonly onRecord: RecordSink,
    private readonly onFormat: (format: ReportFormat) => void = () => {},
  ) {}

  push(chunk: Uint8Array): void {
    if (this.scanner) {
      this.scanner.push(chunk);
      return;
    }
    this.held.push(chunk);
    const head = this.held.length === 1 ? chunk : concat(this.held);
    const format = detectFormat(head.subarray(0, Math.min(head.length, 1 << 16)));
    if (format === undefined && head.length < 1 << 16) return;
    this.start(format ?? 'csv', head);
  }

  end(): void {
    if (!this.scanner) this.start(detectFormat(concat(this.held)) ?? 'json', concat(this.held));
    this.scanner!.end();
  }

  /** Fields that occur in the report at all (CSV: its header; JSON: any row). */
  get seenFields(): ReadonlySet<number> {
    return this.scanner?.seenFields ?? new Set();
  }

  private start(format: ReportFormat, head: Uint8Array): void {
    this.format = format;
    this.held = [];
    this.onFormat(format);
    this.scanner =
      format === 'json' ? new JsonReportScanner(this.onRecord) : new CsvReportScanner(this.onRecord);
    if (head.length > 0) this.scanner.push(head);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Builds the index of a report from its byte chunks. */
export async function indexReport(
  chunks: AsyncIterable<Uint8Array>,
  options: Omit<IndexOptions, 'format'>,
): Promise<ReportIndex> {
  let builder: ReportIndexBuilder | undefined;
  const reader = new ReportReader(
    (view: RecordView) => builder!.add(view),
    (format) => {
      builder = new ReportIndexBuilder({ ...options, format });
    },
  );
  for await (const chunk of chunks) reader.push(chunk);
  reader.end();
  // CSV: the header has the columns. JSON drops a key without a value, and requestedByServicePrincipal
  // has one only for ACM-requested certificates: a report of the current layout shows either key.
  builder!.setHasExtended(
    reader.format === 'csv'
      ? EXTENDED_FIELDS.every((f) => reader.seenFields.has(f))
      : EXTENDED_FIELDS.some((f) => reader.seenFields.has(f)),
  );
  return builder!.finish();
}

/** Reads the rows at the given byte offsets (ascending) back from a report's byte chunks. */
export async function readRowsAt(
  chunks: AsyncIterable<Uint8Array>,
  offsets: readonly number[],
): Promise<Map<number, ReturnType<RecordView['toRecord']> & { line: number }>> {
  const wanted = new Set(offsets);
  const out = new Map<number, ReturnType<RecordView['toRecord']> & { line: number }>();
  const reader = new ReportReader((view) => {
    if (wanted.has(view.offset)) out.set(view.offset, { ...view.toRecord(), line: view.line });
  });
  for await (const chunk of chunks) {
    reader.push(chunk);
    if (out.size === wanted.size) break;
  }
  // stopping early leaves the document unfinished on purpose; otherwise its end is checked
  if (out.size < wanted.size) reader.end();
  return out;
}
