import type { RecordView } from './audit-record.js';
import { ReportSyntaxError } from './report-syntax-error.js';

export type RecordSink = (view: RecordView) => void;

/** Returned by scan steps that ran into the end of the buffered bytes before a row was complete. */
export const NEED_MORE = -1;

/**
 * No row (a CSV row with its line end, the header included; a JSON record from '{' to '}') may be
 * longer: a real one is well under 64 KiB. Without a bound, input that never ends a row
 * (`/dev/zero`, a binary file) would be held whole.
 */
export const MAX_ROW_BYTES = 1 << 20;
export const ROW_TOO_LONG = `a row longer than ${MAX_ROW_BYTES >> 20} MiB: not an audit report`;

/**
 * Feeds a byte scanner chunk by chunk. A row that straddles two chunks is rescanned once the next
 * chunk arrives, so scanners only ever see whole rows and never hold more than one partial row.
 */
export abstract class ChunkedScanner {
  protected buf: Uint8Array = new Uint8Array(0);
  /** buf four bytes at a time (see findStop2), when buf starts on a 4-byte boundary; else empty */
  protected words: Int32Array = NO_WORDS;
  /** buf as a DataView: unaligned words in one load (see report/wide-bytes.ts) */
  protected dv: DataView = NO_VIEW;
  protected pos = 0;
  /** absolute offset of buf[0] in the whole input */
  protected base = 0;
  private carry = new Uint8Array(0);
  private carryView: Uint8Array = this.carry;
  protected line = 1;
  /** bytes JSON/CSV unescaping writes to; reset for each row; allocated on first use */
  protected scratch = new Uint8Array(0);
  protected scratchUsed = 0;
  private first = true;
  private ended = false;
  /**
   * Unscanned bytes needed before the next scan: twice what the last scan left unfinished. A long
   * row arriving in small chunks (gunzip's) is thus rescanned a logarithmic number of times, not
   * once a chunk: scanning stays linear in the input.
   */
  private rescanAt = 0;

  constructor(protected readonly onRecord: RecordSink) {}

  push(chunk: Uint8Array): void {
    if (this.ended) throw new Error('push after end');
    if (chunk.length === 0) return;
    // one element type in the hot loops: a Buffer subclass would make every access polymorphic
    if (Object.getPrototypeOf(chunk) !== Uint8Array.prototype) {
      chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    }
    if (this.pos >= this.buf.length) {
      this.base += this.buf.length;
      this.buf = chunk;
      this.words = wordsOf(chunk);
      this.dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.length);
    } else {
      // the unfinished row moves to the front of a carry buffer reused from chunk to chunk, so a
      // multi-GB report makes no garbage here
      const rest = this.buf.length - this.pos;
      const need = rest + chunk.length;
      if (this.carry.length < need) {
        const grown = new Uint8Array(Math.max(need, this.carry.length * 2));
        grown.set(this.buf.subarray(this.pos));
        this.carry = grown;
      } else if (this.buf === this.carryView) {
        // already at the front when the last push only appended (pos 0): nothing to move
        if (this.pos > 0) this.carry.copyWithin(0, this.pos, this.buf.length);
      } else {
        this.carry.set(this.buf.subarray(this.pos));
      }
      this.carry.set(chunk, rest);
      this.base += this.pos;
      this.carryView = this.carry.subarray(0, need);
      this.buf = this.carryView;
      this.words = wordsOf(this.carryView);
      this.dv = new DataView(this.carryView.buffer, this.carryView.byteOffset, this.carryView.length);
    }
    this.pos = 0;
    if (this.first) {
      this.first = false;
      // a UTF-8 byte order mark at the very start is not content
      if (this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf) this.pos = 3;
    }
    if (this.buf.length - this.pos < this.rescanAt) return;
    this.pos = this.scan(this.pos, false);
    this.rescanAt = 2 * (this.buf.length - this.pos);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.pos = this.scan(this.pos, true);
    this.finish();
  }

  /** Scans whole rows from pos; returns where the next scan must resume. */
  protected abstract scan(pos: number, final: boolean): number;
  /** Called once after the last byte: complain about an unterminated document. */
  protected abstract finish(): void;

  protected fail(what: string, at: number, line = this.line): never {
    throw new ReportSyntaxError(what, line, this.base + at);
  }

  protected reserveScratch(length: number): number {
    if (this.scratchUsed + length > this.scratch.length) {
      const grown = new Uint8Array(Math.max(this.scratch.length * 2, this.scratchUsed + length, 4096));
      grown.set(this.scratch.subarray(0, this.scratchUsed));
      // spans of earlier fields of this row point into the old scratch: they stay valid there
      this.scratch = grown;
    }
    const at = this.scratchUsed;
    this.scratchUsed += length;
    return at;
  }
}

/** Human-readable form of the byte at position for error messages. */
export function describeByte(b: number | undefined): string {
  if (b === undefined) return 'end of input';
  if (b >= 0x21 && b < 0x7f) return `'${String.fromCharCode(b)}'`;
  return `byte 0x${b.toString(16).padStart(2, '0')}`;
}

const NO_WORDS = new Int32Array(0);
const NO_VIEW = new DataView(new ArrayBuffer(0));

function wordsOf(buf: Uint8Array): Int32Array {
  return (buf.byteOffset & 3) === 0 ? new Int32Array(buf.buffer, buf.byteOffset, buf.length >> 2) : NO_WORDS;
}

const ONES = 0x01010101;
const HIGHS = 0x80808080 | 0;

/** findStop2Below with no bytes below (a word with neither a nor b is skipped whole). */
export function findStop2(
  buf: Uint8Array,
  words: Int32Array,
  q: number,
  end: number,
  stops: Uint8Array,
  a: number,
  b: number,
): number {
  return findStop2Below(buf, words, q, end, stops, a, b, 0);
}

/**
 * The first index in [q, end) whose byte is in `stops`, or end: `stops` holds a, b and the bytes
 * under `below` (at most 0x80; 0: none), or a subset that includes a and b and every byte under
 * `below` it must stop at. Four bytes a step where `words` covers them (a word with none of them is
 * skipped whole, three tests a word), one at a time elsewhere.
 */
export function findStop2Below(
  buf: Uint8Array,
  words: Int32Array,
  q: number,
  end: number,
  stops: Uint8Array,
  a: number,
  b: number,
  below: number,
): number {
  const wEnd = Math.min(words.length, end >> 2);
  const ma = Math.imul(a, ONES);
  const mb = Math.imul(b, ONES);
  const ml = Math.imul(below, ONES);
  for (;;) {
    const stop = Math.min(end, (q + 3) & ~3);
    while (q < stop) {
      if (stops[buf[q]!] !== 0) return q;
      q++;
    }
    let w = q >> 2;
    while (w < wEnd) {
      const v = words[w]!;
      const x = v ^ ma;
      const y = v ^ mb;
      if ((((x - ONES) & ~x) | ((y - ONES) & ~y) | ((v - ml) & ~v)) & HIGHS) break;
      w++;
    }
    if (w >= wEnd) {
      q = Math.max(q, w << 2);
      while (q < end && stops[buf[q]!] === 0) q++;
      return q;
    }
    q = w << 2;
    const wordEnd = q + 4;
    while (q < wordEnd) {
      if (stops[buf[q]!] !== 0) return q;
      q++;
    }
  }
}
