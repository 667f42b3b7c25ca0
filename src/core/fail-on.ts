import { type Severity, severityRank } from './finding.js';

/** The lowest severity that fails a command (`--fail-on`), or never. */
export type FailOn = Severity | 'never';
export const FAIL_ON_LEVELS: readonly FailOn[] = ['error', 'warning', 'info', 'never'];

/** Whether a finding of this severity is at or above the --fail-on level. */
export function failsAt(severity: Severity, failOn: FailOn): boolean {
  return failOn !== 'never' && severityRank(severity) >= severityRank(failOn);
}

/** 1 (findings) when any finding is at or above the --fail-on level, else 0. */
export function exitCodeFor(counts: Record<Severity, number>, failOn: FailOn): number {
  return (Object.keys(counts) as Severity[]).some((s) => counts[s] > 0 && failsAt(s, failOn)) ? 1 : 0;
}
