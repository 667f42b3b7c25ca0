import { FLAG_REVOKED, type ReportIndex } from './report-index.js';

export interface ReportSummary {
  certificates: number;
  active: number;
  expired: number;
  revoked: number;
  revokedByReason: Record<string, number>;
  byTemplate: Record<string, number>;
}

/**
 * Counts as of an instant: revoked (revoked at or before it, or at an unknown time), expired
 * (notAfter at or before it and not revoked), active (the rest, including not-yet-valid ones).
 */
export function summarise(index: ReportIndex, at: number): ReportSummary {
  let revoked = 0;
  let expired = 0;
  // the columns in locals, and no branch on a row's state (expired or not is a coin toss the CPU
  // would mispredict): revoked = flagged and not revoked after `at`; expired = the rest with notAfter ≤ at
  const { flags, revokedAt, notAfter, count } = index;
  const shift = Math.clz32(1) - Math.clz32(FLAG_REVOKED);
  for (let i = 0; i < count; i++) {
    const r = (flags[i]! >> shift) & 1 & +!(revokedAt[i]! > at);
    revoked += r;
    expired += (r ^ 1) & +(notAfter[i]! <= at);
  }
  return {
    certificates: index.count,
    active: index.count - revoked - expired,
    expired,
    revoked,
    revokedByReason: sortKeys(index.revokedByReason),
    byTemplate: sortKeys(index.byTemplate),
  };
}

/** Entries not revoked as of `at` whose notAfter falls in (at, at + within], soonest first. */
export function expiringEntries(index: ReportIndex, at: number, within: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < index.count; i++) {
    const na = index.notAfter[i]!;
    if (
      na > at &&
      na <= at + within &&
      !((index.flags[i]! & FLAG_REVOKED) !== 0 && !(index.revokedAt[i]! > at))
    ) {
      out.push(i);
    }
  }
  return out.sort((a, b) => index.notAfter[a]! - index.notAfter[b]! || index.offset[a]! - index.offset[b]!);
}

export function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k]!;
  return out;
}
