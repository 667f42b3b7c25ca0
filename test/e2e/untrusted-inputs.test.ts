/**
 * Issue 13 ("Nothing lost, nothing forged"), items 8, 10 and 11: untrusted inputs of every size
 * and kind (big plain CloudTrail files, endless devices, FIFOs, reports cut short) end in a
 * result or in exit 2, never in a hang, a silent loss or exit 4.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aRevokeRecord, aSerial, lookupEventsOutput } from '../builders.js';
import { linesOf, runCli } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'pca-audit-e2e-untrusted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `aws cloudtrail lookup-events` output of n distinct revocations, and its path. */
function bigLookupEvents(n: number): { path: string; text: string } {
  const records = Array.from({ length: n }, (_v, i) =>
    aRevokeRecord(aSerial(i), new Date(Date.UTC(2026, 10, 20, 0, 0, i)).toISOString().replace('.000', '')),
  );
  const text = lookupEventsOutput(records);
  const path = join(dir, `lookup-${n}.json`);
  writeFileSync(path, text);
  return { path, text };
}

describe('issue 13 item 8: plain CloudTrail files larger than the read buffers', () => {
  it('a 4 MB lookup-events output is read whole, from a file and from stdin', async () => {
    const { path, text } = bigLookupEvents(2500);
    expect(text.length).toBeGreaterThan(4_000_000);
    const [file, stdin] = await Promise.all([
      runCli(['events', '--cloudtrail', path]),
      runCli(['events', '--cloudtrail', '-'], { stdin: text }),
    ]);
    expect(file.stderr).toBe('');
    expect(file.code).toBe(0);
    expect(linesOf(file.stdout)).toHaveLength(2500);
    expect(stdin.code).toBe(0);
    expect(stdin.stdout).toBe(file.stdout.replaceAll(JSON.stringify(path), '"-"'));
  });
});
