/**
 * The index of one report as plain data (typed-array columns, see ReportIndex), and the reads of an
 * entry's values from it. Built by builder.ts, finished by finish.ts.
 */

import type { Finding } from '../../finding.js';
import { NO_REASON } from '../revocation-reason.js';
import { formatSerial, octetsToHex } from '../serial.js';

export type ReportFormat = 'json' | 'csv';

export const FLAG_NO_SERIAL = 1;
/** the row carries a revocation (a time, a reason, or both) */
export const FLAG_REVOKED = 2;
/** a later row for a serial already indexed: kept as an entry, not in the hash table */
export const FLAG_DUPLICATE = 4;
export const FLAG_INVALID = 8;

/** CA id 0: the ARN could not be read; 255: one of too many distinct CAs to tell apart */
export const CA_UNKNOWN = 0;
export const CA_OVERFLOW = 255;

/**
 * The compact per-serial index of one report: a row of typed-array columns per certificate
 * (serial octets, a fingerprint of the immutable fields, revocation state, position) and an
 * open-addressing hash table on the serial. Whole rows are never kept: evidence is read back from
 * the report by position. Plain data, so it can cross a worker boundary.
 */
export interface ReportIndex {
  source: string;
  format: ReportFormat;
  count: number;
  /** serial octets of entry i are arena[serialStart[i], serialStart[i + 1]) */
  arena: Uint8Array;
  serialStart: Uint32Array;
  /** fingerprint of the fields every report carries, and of the two extended ones */
  fpA: Int32Array;
  fpB: Int32Array;
  /**
   * Each row's group: the pair it shares with many others of (CA id, fingerprint of the extended
   * fields requestedByServicePrincipal and templateArn), a report having few. The first 255 pairs
   * met get ids (groupCa, groupExt by id); a row of any later pair is in group GROUP_ELSEWHERE, its
   * pair at its entry's place in groupOtherEntry (ascending). See caIdOf and fpExtOf.
   */
  group: Uint8Array;
  groupCa: Uint8Array;
  groupExt: Int32Array;
  groupOtherEntry: Uint32Array;
  groupOtherCa: Uint8Array;
  groupOtherExt: Int32Array;
  /**
   * notAfter in epoch seconds, while it is a whole number under NOT_AFTER_ELSEWHERE (until 2106);
   * that value sends to notAfterOtherValue, at the entry's place in notAfterOtherEntry (ascending):
   * NaN when absent or invalid, fractions, years before 1970 or after 2106. See notAfterOf.
   */
  notAfter: Uint32Array;
  notAfterOtherEntry: Uint32Array;
  notAfterOtherValue: Float64Array;
  /**
   * The revocations, kept apart (few rows carry one): the entries flagged FLAG_REVOKED in
   * ascending order, each with its revokedAt (epoch seconds, NaN when absent or invalid) and
   * reason code (revocation-reason.ts). See revocationSlot.
   */
  revokedEntry: Uint32Array;
  revokedTime: Float64Array;
  revokedReason: Uint8Array;
  flags: Uint8Array;
  /** byte offset of the row: 32 bits while every offset fits, else 64-bit floats */
  offset: Uint32Array | Float64Array;
  /**
   * The rows' lines as runs (a report's rows mostly take the same number of lines each): run k
   * covers the entries from lineRunEntry[k] (ascending, the first is 0) to the next run's, entry
   * i of it on line lineRunFirst[k] + (i - lineRunEntry[k]) * lineRunStep[k]. See lineOf.
   */
  lineRunEntry: Uint32Array;
  lineRunFirst: Uint32Array;
  lineRunStep: Uint32Array;
  /**
   * open addressing on the serial (linear probing from homeSlot), 0 = empty, at most three
   * quarters full; a value is entry index + 1 in the low tableBits(length) bits, the hash's low
   * bits above them (see slotTag)
   */
  table: Int32Array;
  /** extended fields (requestedByServicePrincipal, templateArn) this report carries at all */
  hasExtended: boolean;
  /** CA ARNs by id (index 0 unused), and how many rows name each */
  caArns: string[];
  caCounts: number[];
  /** the CA this report is of: the expected one, else the one most rows name */
  caArn: string | undefined;
  revoked: number;
  revokedByReason: Record<string, number>;
  byTemplate: Record<string, number>;
  /** the latest issuedAt or revokedAt in the report: it was made no earlier (NaN if none) */
  latestInstant: number;
  findings: Finding[];
  findingCounts: Record<string, number>;
}

export interface IndexOptions {
  source: string;
  format: ReportFormat;
  /** rows to make room for up front (an estimate; columns grow as needed) */
  expectedRows?: number;
  /** the CA the report must be of; defaults to the CA most rows name */
  expectedCa?: string;
  /** findings kept in full per code */
  findingLimit?: number;
}

/** The serial of entry i in the report's colon form, undefined for a row without a usable serial. */
export function entrySerialText(
  index: Pick<ReportIndex, 'arena' | 'serialStart'>,
  i: number,
): string | undefined {
  const s = index.serialStart[i]!;
  const e = index.serialStart[i + 1]!;
  return e > s ? formatSerial(octetsToHex(index.arena, s, e)) : undefined;
}

export function entrySerialHex(index: ReportIndex, i: number): string {
  return octetsToHex(index.arena, index.serialStart[i]!, index.serialStart[i + 1]!);
}

/** The last k with a[k] <= i, a ascending; -1 when there is none. */
function lastAtOrBefore(a: Uint32Array, i: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= i) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Where entry i is in a column of the entries kept apart (ascending), or -1. */
function slotOf(entries: Uint32Array, i: number): number {
  const k = lastAtOrBefore(entries, i);
  return k >= 0 && entries[k] === i ? k : -1;
}

/** Where entry i's revocation is kept (revokedTime, revokedReason), or -1 when its row carries none. */
export function revocationSlot(index: Pick<ReportIndex, 'revokedEntry'>, i: number): number {
  return slotOf(index.revokedEntry, i);
}

/** Entry i's revokedAt in epoch seconds; NaN when absent or invalid. */
export function revokedAtOf(index: Pick<ReportIndex, 'revokedEntry' | 'revokedTime'>, i: number): number {
  const k = revocationSlot(index, i);
  return k < 0 ? Number.NaN : index.revokedTime[k]!;
}

/** Entry i's revocation reason code (NO_REASON when it has none). */
export function reasonOf(index: Pick<ReportIndex, 'revokedEntry' | 'revokedReason'>, i: number): number {
  const k = revocationSlot(index, i);
  return k < 0 ? NO_REASON : index.revokedReason[k]!;
}

/** The line entry i's row starts on. */
export function lineOf(
  index: Pick<ReportIndex, 'lineRunEntry' | 'lineRunFirst' | 'lineRunStep'>,
  i: number,
): number {
  const k = lastAtOrBefore(index.lineRunEntry, i);
  return index.lineRunFirst[k]! + (i - index.lineRunEntry[k]!) * index.lineRunStep[k]!;
}

/** The group of a row whose (CA, extended fields) pair is kept apart: see ReportIndex.group. */
export const GROUP_ELSEWHERE = 255;

export type Groups = Pick<
  ReportIndex,
  'group' | 'groupCa' | 'groupExt' | 'groupOtherEntry' | 'groupOtherCa' | 'groupOtherExt'
>;

/** Entry i's CA id (see ReportIndex.caArns). */
export function caIdOf(index: Groups, i: number): number {
  const g = index.group[i]!;
  if (g !== GROUP_ELSEWHERE) return index.groupCa[g]!;
  const k = slotOf(index.groupOtherEntry, i);
  return k < 0 ? CA_UNKNOWN : index.groupOtherCa[k]!;
}

/** Entry i's fingerprint of the extended fields. */
export function fpExtOf(index: Groups, i: number): number {
  const g = index.group[i]!;
  if (g !== GROUP_ELSEWHERE) return index.groupExt[g]!;
  const k = slotOf(index.groupOtherEntry, i);
  return k < 0 ? 0 : index.groupOtherExt[k]!;
}

/** The notAfter column's value for "not here": see ReportIndex.notAfter. */
export const NOT_AFTER_ELSEWHERE = 0xffffffff;

/** Entry i's notAfter in epoch seconds; NaN when absent or invalid. */
export function notAfterOf(
  index: Pick<ReportIndex, 'notAfter' | 'notAfterOtherEntry' | 'notAfterOtherValue'>,
  i: number,
): number {
  const v = index.notAfter[i]!;
  if (v !== NOT_AFTER_ELSEWHERE) return v;
  const k = slotOf(index.notAfterOtherEntry, i);
  return k < 0 ? Number.NaN : index.notAfterOtherValue[k]!;
}
