import type { Severity } from '../core/finding.js';
import { EXIT_FINDINGS, EXIT_OK } from './errors.js';

export type FailOn = Severity | 'never';
export const FAIL_ON_LEVELS: readonly FailOn[] = ['error', 'warning', 'info', 'never'];

/** Exit 1 when any finding is at or above the --fail-on level. */
export function exitCodeFor(counts: Record<Severity, number>, failOn: FailOn): number {
  if (failOn === 'never') return EXIT_OK;
  const levels: Severity[] =
    failOn === 'error'
      ? ['error']
      : failOn === 'warning'
        ? ['error', 'warning']
        : ['error', 'warning', 'info'];
  return levels.some((l) => counts[l] > 0) ? EXIT_FINDINGS : EXIT_OK;
}
