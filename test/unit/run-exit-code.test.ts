/**
 * Issue 13 item 14: exit 5 ("not now: retry after T") is the mildest failure of a CA in `run`: it
 * must never hide findings (1) or a failure (2, 3, 4) of another CA.
 */
import { describe, expect, it } from 'vitest';
import { type CaResult, summariseRun } from '../../src/core/run/run-model.js';

function ca(exitCode: number, i: number): CaResult {
  return {
    ca: `arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/00000000-0000-4000-8000-00000000000${i}`,
    outcome:
      exitCode === 0 || exitCode === 1
        ? { status: 'unchanged', reportId: 'r' }
        : { status: 'failed', error: 'e', exitCode },
    newAlerts: [],
    persistentAlerts: [],
    counts: { error: exitCode === 1 ? 1 : 0, warning: 0, info: 0 },
    exitCode,
  };
}

const runExit = (codes: number[]) => summariseRun('run', 0, 'warning', false, codes.map(ca), []).exitCode;

describe('run exit code with "not now" (issue 13 item 14)', () => {
  it.each([
    [[0, 5], 5],
    [[5, 1], 1],
    [[1, 5], 1],
    [[5, 2], 2],
    [[3, 5], 3],
    [[5, 4], 4],
    [[0, 1, 3], 3],
  ])('issue 13 item 14: CAs exiting %j: the run exits %i', (codes, expected) => {
    expect(runExit(codes)).toBe(expected);
  });
});
