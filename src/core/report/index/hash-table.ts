/**
 * The index's hash table on the serial: open addressing with linear probing, sized for a load of
 * at most three quarters; the lookups of a serial. The builder (builder.ts) inserts and rehashes.
 */
import { hashBytes } from '../fingerprint.js';
import { hexToOctets } from '../serial.js';
import type { ReportIndex } from './model.js';

export function sameBytes(
  a: Uint8Array,
  as: number,
  alen: number,
  b: Uint8Array,
  bs: number,
  blen: number,
): boolean {
  if (alen !== blen) return false;
  // from the end: values that share a long prefix (ARNs, template names) differ near the end
  for (let k = alen - 1; k >= 0; k--) if (a[as + k] !== b[bs + k]) return false;
  return true;
}

/** Slots of a hash table for this many rows: at most three quarters full. */
export function tableSizeFor(rows: number): number {
  return Math.max(1024, Math.ceil((Math.max(0, rows || 0) * 4) / 3));
}

/** The bits that hold entry + 1 in a table of this many slots: the least b with 2^b >= size. */
export function tableBits(size: number): number {
  return 32 - Math.clz32(size - 1);
}

/**
 * The slot a serial's hash starts probing at: the hash's high bits scaled to the table's size
 * (floor(hash * size / 2^32), exactly, in two 16-bit halves), so that any size serves.
 */
export function homeSlot(hash: number, size: number): number {
  const h = hash >>> 0;
  return Math.floor(((h >>> 16) * size + Math.floor(((h & 0xffff) * size) / 65536)) / 65536);
}

/**
 * The bits of a hash table value above entry + 1: the serial's low hash bits (the slot comes from
 * its high ones). A table holds fewer entries than 2^bits, so entry + 1 fits under them and the
 * value (tag | entry + 1) stays a positive Int32; a probe compares octets only when the tags agree.
 */
export function slotTag(hash: number, bits: number): number {
  return (hash << bits) & 0x7fffffff;
}

/** Entry index of the serial whose octets are bytes[start, end) in the index, or -1. */
export function findSerial(index: ReportIndex, bytes: Uint8Array, start: number, end: number): number {
  const table = index.table;
  const size = table.length;
  if (size === 0) throw new Error('findSerial: the index no longer has its hash table');
  const bits = tableBits(size);
  const mask = 2 ** bits - 1;
  const h = hashBytes(bytes, start, end);
  const tag = slotTag(h, bits);
  let slot = homeSlot(h, size);
  for (;;) {
    const v = table[slot]!;
    if (v === 0) return -1;
    if ((v & ~mask) === tag) {
      const j = (v & mask) - 1;
      const js = index.serialStart[j]!;
      if (sameBytes(index.arena, js, index.serialStart[j + 1]! - js, bytes, start, end - start)) return j;
    }
    slot = slot + 1 === size ? 0 : slot + 1;
  }
}

/** Entry index of a serial given in canonical hex (see parseSerial), or -1. */
export function findSerialHex(index: ReportIndex, hex: string): number {
  const b = hexToOctets(hex);
  return findSerial(index, b, 0, b.length);
}
