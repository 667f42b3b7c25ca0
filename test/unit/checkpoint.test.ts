/** The pure checkpoint model (src/core/run/checkpoint.ts): canonical JSON, the hash, the history's problems. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type Checkpoint,
  canonical,
  checkpointHashWith,
  historyProblems,
  tamperedFindings,
} from '../../src/core/run/checkpoint.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function cp(reportId: string, previous: Checkpoint | null): Checkpoint {
  const body = {
    layout: 1 as const,
    ca: 'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/x',
    reportId,
    bucket: 'b',
    key: `k/${reportId}`,
    format: 'json' as const,
    createdAt: '2026-11-20T01:17:09Z',
    reportFile: `reports/${reportId}.json`,
    reportSha256: sha256(reportId),
    previous: previous ? checkpointHashWith(previous, sha256) : null,
    runId: `run-${reportId}`,
  };
  return { ...body, hash: checkpointHashWith(body, sha256) };
}

describe('canonical JSON and the checkpoint hash', () => {
  it('sorts keys at every depth and leaves undefined members out: the same value, the same text', () => {
    expect(canonical({ b: 1, a: [{ d: undefined, c: 'x' }, null] })).toBe('{"a":[{"c":"x"},null],"b":1}');
    expect(canonical({ a: 1, b: 2 })).toBe(canonical({ b: 2, a: 1 }));
  });

  it('hashes the checkpoint without its own hash, with the digest given', () => {
    const c = cp('r1', null);
    const { hash, ...rest } = c;
    expect(hash).toBe(sha256(canonical(rest)));
    expect(checkpointHashWith({ ...c, hash: 'anything' }, sha256)).toBe(hash);
    expect(checkpointHashWith(c, (t) => `digest of ${t.length}`)).toBe(`digest of ${canonical(rest).length}`);
  });
});

describe('historyProblems', () => {
  const first = cp('r1', null);
  const second = cp('r2', first);

  it('an intact chain and kept report: no problem', () => {
    expect(historyProblems(second, first, sha256('r2'), sha256)).toEqual([]);
    expect(historyProblems(first, undefined, sha256('r1'), sha256)).toEqual([]);
  });

  it('names each break: an edited checkpoint, a previous one edited, unreadable or missing, a report changed or gone', () => {
    expect(historyProblems({ ...second, runId: 'forged' }, first, sha256('r2'), sha256)).toEqual([
      'the checkpoint does not match its own hash (edited?)',
    ]);
    const short = `${second.previous!.slice(0, 12)}…`;
    expect(historyProblems(second, { ...first, reportId: 'forged' }, sha256('r2'), sha256)).toEqual([
      `the previous checkpoint ${short} was edited`,
    ]);
    expect(historyProblems(second, null, sha256('r2'), sha256)).toEqual([
      `the previous checkpoint ${short} was edited`,
    ]);
    expect(historyProblems(second, undefined, undefined, sha256)).toEqual([
      `the previous checkpoint ${short} is missing from the history`,
      'the kept report reports/r2.json is missing',
    ]);
    expect(historyProblems(second, first, sha256('r2 edited'), sha256)).toEqual([
      'the kept report reports/r2.json no longer matches its SHA-256 (edited?)',
    ]);
  });

  it('each problem is a HISTORY_TAMPERED finding naming the checkpoint, report and run', () => {
    const [f] = tamperedFindings(second, ['x']);
    expect(f).toMatchObject({
      code: 'HISTORY_TAMPERED',
      message: 'x',
      evidence: { checkpoint: 'checkpoint.json', reportId: 'r2', runId: 'run-r2' },
    });
  });
});
