import { KIND_ABSENT, KIND_STRING, RecordView } from './audit-record.js';
import {
  ChunkedScanner,
  describeByte,
  findStop2,
  findStop2Below,
  MAX_ROW_BYTES,
  NEED_MORE,
  type RecordSink,
  ROW_TOO_LONG,
} from './chunked-scanner.js';
import { REPORT_FIELDS } from './report-fields.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

/** bytes that end the run of plain bytes in an unquoted cell, and in a quoted one */
const UNQUOTED_STOP = new Uint8Array(256);
for (const b of [COMMA, LF, CR, QUOTE]) UNQUOTED_STOP[b] = 1;
const QUOTED_STOP = new Uint8Array(256);
for (const b of [QUOTE, LF]) QUOTED_STOP[b] = 1;

/** each field's header cell (the field table's csvColumn), by field index */
const CSV_COLUMNS: readonly string[] = REPORT_FIELDS.map((f) => f.csvColumn);

/**
 * Streams the rows of a CSV audit report (RFC 4180: `"` quoting with `""` inside, LF or CRLF).
 * The first row is the header: the 9-column (before March 2020) and 11-column layouts are both
 * accepted, columns are found by name, unknown columns ignored. A quote in an unquoted cell, text
 * after a closing quote, an unterminated quote, a row with the wrong number of cells or a last row
 * without its line end is a ReportSyntaxError: the file is not a sound CSV (or is cut short) and
 * nothing in it can be trusted.
 */
export class CsvReportScanner extends ChunkedScanner {
  /** field index per column, -1 for a column the tool does not use; null until the header is read */
  private columns: Int32Array | null = null;
  /** field index per column once the header is read (-1: a column the tool does not use) */
  get columnFields(): readonly number[] | null {
    return this.columns === null ? null : Array.from(this.columns);
  }
  private readonly view = new RecordView();
  /** header cells as read */
  headerNames: string[] = [];
  readonly seenFields = new Set<number>();
  // cell spans of the row being scanned
  private cellStart = new Int32Array(16);
  private cellEnd = new Int32Array(16);
  private cellBuf: Uint8Array[] = [];

  constructor(onRecord: RecordSink) {
    super(onRecord);
  }

  protected scan(pos: number, final: boolean): number {
    const end = this.buf.length;
    let p = pos;
    while (p < end) {
      const b = this.buf[p]!;
      // blank lines carry no row
      if (b === LF) {
        this.line++;
        p++;
        continue;
      }
      if (b === CR && this.buf[p + 1] === LF) {
        this.line++;
        p += 2;
        continue;
      }
      if (b === CR && p + 1 >= end && !final) return p;
      const next = this.scanRow(p, final);
      if (next === NEED_MORE) {
        if (end - p > MAX_ROW_BYTES) this.fail(ROW_TOO_LONG, p);
        return p;
      }
      p = next;
    }
    return p;
  }

  protected finish(): void {
    if (this.columns === null) this.fail('the report is empty: no CSV header', this.buf.length);
  }

  /** Scans one row at p into the cell arrays; returns the index after its line end. */
  private scanRow(p: number, final: boolean): number {
    const buf = this.buf;
    const end = buf.length;
    const startLine = this.line;
    let line = startLine;
    let q = p;
    let cell = 0;
    this.scratchUsed = 0;
    for (;;) {
      if (cell >= this.cellStart.length) this.growCells();
      if (q < end && buf[q] === QUOTE) {
        // quoted cell: runs to the next lone quote
        const open = q;
        const openLine = line;
        let r = q + 1;
        let doubled = false;
        for (;;) {
          if (r >= end) {
            if (final) this.fail('unterminated quoted cell (truncated?)', open, openLine);
            return NEED_MORE;
          }
          // to a quote or a line feed
          r = findStop2(buf, this.words, r, end, QUOTED_STOP, QUOTE, LF);
          if (r >= end) continue;
          const c = buf[r]!;
          if (c === QUOTE) {
            if (r + 1 >= end && !final) return NEED_MORE;
            if (buf[r + 1] === QUOTE) {
              doubled = true;
              r += 2;
              continue;
            }
            break;
          }
          if (c === LF) line++;
          r++;
        }
        if (doubled) {
          const at = this.reserveScratch(r - open - 1);
          const out = this.scratch;
          let o = at;
          for (let i = open + 1; i < r; i++) {
            out[o++] = buf[i]!;
            if (buf[i] === QUOTE) i++;
          }
          this.scratchUsed = o;
          this.cellBuf[cell] = out;
          this.cellStart[cell] = at;
          this.cellEnd[cell] = o;
        } else {
          this.cellBuf[cell] = buf;
          this.cellStart[cell] = open + 1;
          this.cellEnd[cell] = r;
        }
        q = r + 1;
        if (q < end) {
          const c = buf[q]!;
          if (c !== COMMA && c !== LF && c !== CR) {
            this.fail(`${describeByte(c)} after the closing quote of cell ${cell + 1}`, q, line);
          }
        }
      } else {
        let r = q;
        // to a comma, a line end or a quote
        r = findStop2Below(buf, this.words, r, end, UNQUOTED_STOP, COMMA, QUOTE, CR + 1);
        if (r < end && buf[r] === QUOTE) this.fail(`a quote inside unquoted cell ${cell + 1}`, r, line);
        this.cellBuf[cell] = buf;
        this.cellStart[cell] = q;
        this.cellEnd[cell] = r;
        q = r;
      }
      cell++;
      if (q >= end) {
        // Every row AWS writes ends with a line end. Without one the last row cannot be told from
        // a cut inside its last cell (a shorter template ARN, serial or reason is still a valid
        // cell), so it is a truncation, as an unclosed JSON array is.
        if (final)
          this.fail('the last row has no line end: the report is cut short (truncated?)', p, startLine);
        return NEED_MORE;
      }
      const c = buf[q]!;
      if (c === COMMA) {
        q++;
        continue;
      }
      if (c === LF) {
        q++;
        break;
      }
      // CR
      if (q + 1 >= end && !final) return NEED_MORE;
      if (buf[q + 1] !== LF) this.fail('a carriage return not followed by a line feed', q, line);
      q += 2;
      break;
    }
    if (q - p > MAX_ROW_BYTES) this.fail(ROW_TOO_LONG, p, startLine);
    this.line = line + 1;
    if (this.columns === null) this.readHeader(cell, p, startLine);
    else this.emitRow(cell, p, startLine);
    return q;
  }

  private growCells(): void {
    const n = this.cellStart.length * 2;
    const s = new Int32Array(n);
    s.set(this.cellStart);
    const e = new Int32Array(n);
    e.set(this.cellEnd);
    this.cellStart = s;
    this.cellEnd = e;
  }

  private readHeader(cells: number, at: number, line: number): void {
    const decoder = new TextDecoder();
    const names: string[] = [];
    const columns = new Int32Array(cells).fill(-1);
    const found = new Set<number>();
    for (let c = 0; c < cells; c++) {
      const name = decoder.decode(this.cellBuf[c]!.subarray(this.cellStart[c]!, this.cellEnd[c]!)).trim();
      names.push(name);
      const field = CSV_COLUMNS.indexOf(name);
      if (field < 0) continue;
      if (found.has(field)) this.fail(`the header names column '${name}' twice`, at, line);
      found.add(field);
      columns[c] = field;
    }
    // the extended fields' columns are only in reports since March 2020
    const missing = CSV_COLUMNS.filter((_c, f) => !found.has(f) && !REPORT_FIELDS[f]!.extended);
    if (missing.length > 0) {
      const shown = names.join(',');
      this.fail(
        `not an audit report header (missing ${missing.join(', ')}): '${shown.length > 120 ? `${shown.slice(0, 120)}...` : shown}'`,
        at,
        line,
      );
    }
    for (const f of found) this.seenFields.add(f);
    this.headerNames = names;
    this.columns = columns;
  }

  private emitRow(cells: number, at: number, line: number): void {
    const columns = this.columns!;
    if (cells !== columns.length) {
      this.fail(`row has ${cells} cells, the header has ${columns.length}`, at, line);
    }
    const view = this.view;
    view.reset();
    view.offset = this.base + at;
    view.line = line;
    for (let c = 0; c < cells; c++) {
      const f = columns[c]!;
      if (f < 0) continue;
      const s = this.cellStart[c]!;
      const e = this.cellEnd[c]!;
      if (e === s) {
        view.kind[f] = KIND_ABSENT; // an empty cell is a value that is not there
        continue;
      }
      view.buf[f] = this.cellBuf[c]!;
      view.start[f] = s;
      view.end[f] = e;
      view.kind[f] = KIND_STRING;
    }
    this.onRecord(view);
  }
}
