/**
 * Issue 13 ("Nothing lost, nothing forged"), items 8, 10 and 11: untrusted inputs of every size
 * and kind (big plain CloudTrail files, endless devices, FIFOs, reports cut short) end in a
 * result or in exit 2, never in a hang, a silent loss or exit 4.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aRevokeRecord, aSerial, lookupEventsOutput } from '../builders.js';
import { linesOf, ROOT, runCli, SAMPLES } from './cli.js';

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

describe('issue 13 item 11: a CSV report cut inside its last row', () => {
  it('is refused with exit 2 (cut in the last cell), and read as fewer rows when cut between rows', async () => {
    const bytes = readFileSync(join(ROOT, SAMPLES.newCsv));
    const lastRow = bytes.subarray(0, bytes.length - 2).lastIndexOf(0x0a) + 1;
    const inCell = join(dir, 'cut-in-cell.csv');
    const between = join(dir, 'cut-between.csv');
    writeFileSync(inCell, bytes.subarray(0, bytes.length - 5)); // inside templateArn's "/V1"
    writeFileSync(between, bytes.subarray(0, lastRow));
    const [cut, fewer] = await Promise.all([
      runCli(['inspect', inCell, '--format', 'json']),
      runCli(['inspect', between, '--format', 'json']),
    ]);
    expect(cut.code).toBe(2);
    expect(cut.stdout).toBe('');
    expect(cut.stderr).toContain(`"${inCell}"`);
    expect([0, 1]).toContain(fewer.code);
    expect(fewer.stderr).toBe('');
  });
});
