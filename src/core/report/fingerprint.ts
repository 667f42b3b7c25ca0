import { ViewCache } from './wide-bytes.js';

/** The DataView of the buffer bytes() was last given (a new one only when the buffer changes). */
const views = new ViewCache();

/**
 * A 64-bit fingerprint in two independent 32-bit lanes (FNV-1a and a murmur-style multiply), fed
 * field by field. It stands in for a row's immutable fields in the per-serial index: equal rows
 * always agree, and two different rows agree with probability about 2^-64.
 */
export class Fingerprint {
  a = 0;
  b = 0;

  reset(): void {
    this.a = 0x811c9dc5 | 0;
    this.b = 0x9747b28c | 0;
  }

  /** Mixes in buf[start, end): span with buf's DataView. */
  bytes(tag: number, buf: Uint8Array, start: number, end: number): void {
    this.span(tag, views.of(buf), buf, start, end);
  }

  /**
   * Mixes in buf[start, end), with dv a DataView of buf: four bytes a step, each word read in one
   * load (see wide-bytes.ts).
   */
  span(tag: number, dv: DataView, buf: Uint8Array, start: number, end: number): void {
    let a = Math.imul(this.a ^ tag, 0x01000193);
    let b = Math.imul(this.b ^ (tag + end - start), 0x5bd1e995);
    let i = start;
    // the length is mixed in above, so a short tail cannot alias a longer one
    for (const stop = end - 3; i < stop; i += 4) {
      const w = dv.getInt32(i, true);
      a = Math.imul(a ^ w, 0x01000193);
      a ^= a >>> 15;
      b = Math.imul(b ^ w, 0x5bd1e995);
      b ^= b >>> 13;
    }
    for (; i < end; i++) {
      const c = buf[i]!;
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 13;
    }
    this.a = a;
    this.b = b;
  }

  /**
   * Mixes in a pair of words standing for a value: the two lanes of a Fingerprint fed that value
   * alone (see hashOf), cached by the caller for a value that recurs on many rows.
   */
  words(tag: number, x: number, y: number): void {
    this.a = Math.imul(Math.imul(this.a ^ tag, 0x01000193) ^ x, 0x01000193);
    let b = Math.imul(this.b ^ (tag * 0x9e3779b1), 0x5bd1e995);
    b = Math.imul(b ^ y, 0x5bd1e995);
    this.b = b ^ (b >>> 15);
  }

  number(tag: number, value: number): void {
    // whole seconds in two words, the fraction in nanoseconds, NaN apart from every number
    const whole = Math.floor(value);
    const lo = whole | 0;
    const hi = Number.isNaN(value) ? 0x7ff80000 : Math.floor(whole / 4294967296) | 0;
    const frac = Number.isNaN(value) ? -1 : Math.round((value - whole) * 1e9) | 0;
    tag = (tag * 0x9e3779b1) ^ frac;
    let a = Math.imul(this.a ^ tag, 0x01000193);
    a = Math.imul(a ^ lo, 0x01000193);
    a = Math.imul(a ^ hi, 0x01000193);
    let b = Math.imul(this.b ^ (tag * 31), 0x5bd1e995);
    b = Math.imul(b ^ lo, 0x5bd1e995);
    b ^= b >>> 15;
    b = Math.imul(b ^ hi, 0x5bd1e995);
    this.a = a;
    this.b = b;
  }
}

/** FNV-1a over a byte span: the serial's slot in the index's hash table. */
export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h ^ (h >>> 16);
}

/** The two lanes of a Fingerprint fed bytes[start, end) alone: the words to pass to words(). */
export function hashOf(buf: Uint8Array, start: number, end: number): [number, number] {
  const fp = new Fingerprint();
  fp.reset();
  fp.bytes(0, buf, start, end);
  return [fp.a, fp.b];
}
