import {
  FLAG_REVOKED,
  NOT_AFTER_ELSEWHERE,
  notAfterOf,
  type ReportIndex,
  revokedAtOf,
} from './report-index.js';

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
  // expired = notAfter at or before `at` and not revoked as of `at`; revoked = revoked at or before
  // `at`, or at an unknown time. Every row's notAfter first, without a branch per row (expired or
  // not is a coin toss the CPU would mispredict), then the few notAfters kept apart, then the few
  // revoked rows.
  const { notAfter, count, revokedEntry, revokedTime, notAfterOtherValue } = index;
  let lapsed = 0;
  for (let i = 0; i < count; i++) lapsed += +(notAfter[i]! <= at);
  const elsewhere = +(NOT_AFTER_ELSEWHERE <= at);
  for (let k = 0; k < notAfterOtherValue.length; k++) lapsed += +(notAfterOtherValue[k]! <= at) - elsewhere;
  let revoked = 0;
  let revokedLapsed = 0;
  for (let k = 0; k < revokedEntry.length; k++) {
    if (revokedTime[k]! > at) continue;
    revoked++;
    revokedLapsed += +(notAfterOf(index, revokedEntry[k]!) <= at);
  }
  const expired = lapsed - revokedLapsed;
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
  const notAfter = index.notAfter;
  for (let i = 0; i < index.count; i++) {
    let na: number = notAfter[i]!;
    if (na === NOT_AFTER_ELSEWHERE) na = notAfterOf(index, i);
    if (
      na > at &&
      na <= at + within &&
      !((index.flags[i]! & FLAG_REVOKED) !== 0 && !(revokedAtOf(index, i) > at))
    ) {
      out.push(i);
    }
  }
  return out.sort(
    (a, b) => notAfterOf(index, a) - notAfterOf(index, b) || index.offset[a]! - index.offset[b]!,
  );
}

export function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k]!;
  return out;
}
