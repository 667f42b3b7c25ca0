/**
 * Issue 13 ("Nothing lost, nothing forged"), items 8, 10 and 11: untrusted inputs of every size
 * and kind (big plain CloudTrail files, endless devices, FIFOs, reports cut short) end in a
 * result or in exit 2, never in a hang, a silent loss or exit 4.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { aRevokeRecord, aSerial, lookupEventsOutput } from '../builders.js';
import { linesOf, ROOT, runCli, runCommand, SAMPLES, WINDOW } from './cli.js';

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

describe('issue 13 item 10: endless rows, long gzip fields, FIFOs', () => {
  it('inspect /dev/zero ends with exit 2 (a row longer than the bound), not a hang', async () => {
    const r = await runCli(['inspect', '/dev/zero']);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"/dev/zero"');
  });

  it('a gzip report with a 30 MB field ends with exit 2', async () => {
    const text = readFileSync(join(ROOT, SAMPLES.newCsv), 'latin1');
    const path = join(dir, 'long-field.csv.gz');
    writeFileSync(path, gzipSync(Buffer.from(text.replace('CN=', `CN=${'a'.repeat(30_000_000)}`), 'latin1')));
    const r = await runCli(['inspect', path]);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
  });

  it('a report, --cloudtrail and --crl given as FIFOs read as the files do', async () => {
    const fifos = {
      old: join(dir, 'old.fifo'),
      new: join(dir, 'new.fifo'),
      trail: join(dir, 'trail.fifo'),
      crl: join(dir, 'crl.fifo'),
    };
    const sources: Record<keyof typeof fifos, string> = {
      old: SAMPLES.old,
      new: SAMPLES.newCsv,
      trail: 'samples/cloudtrail/lookup-events.json',
      crl: 'samples/ca.crl',
    };
    const made = await runCommand('mkfifo', Object.values(fifos));
    expect(made.code).toBe(0);
    // each FIFO is written by its own process, as `<(...)` or a producer would
    const writers = (Object.keys(fifos) as Array<keyof typeof fifos>).map((k) =>
      runCommand('sh', ['-c', 'cat "$1" > "$2"', 'sh', join(ROOT, sources[k]), fifos[k]]),
    );
    const args = (s: typeof sources) => [
      'diff',
      s.old,
      s.new,
      ...WINDOW,
      '--cloudtrail',
      s.trail,
      '--crl',
      s.crl,
      '--format',
      'json',
    ];
    const [viaFifo, viaFile] = await Promise.all([runCli(args(fifos)), runCli(args(sources))]);
    for (const w of await Promise.all(writers)) expect(w.code).toBe(0);
    expect(viaFifo.stderr).toBe('');
    expect(viaFifo.code).toBe(viaFile.code);
    let expected = viaFile.stdout;
    for (const k of Object.keys(fifos) as Array<keyof typeof fifos>) {
      expected = expected.replaceAll(JSON.stringify(sources[k]), JSON.stringify(fifos[k]));
    }
    expect(viaFifo.stdout).toBe(expected);
  });

  it('<(...) as a report and as --cloudtrail: read, never ESPIPE or exit 4', async () => {
    const r = await runCommand('bash', [
      '-c',
      `"$0" bin/pca-audit.js diff ${SAMPLES.old} <(cat ${SAMPLES.new}) ${WINDOW.join(' ')} --cloudtrail <(cat samples/cloudtrail/lookup-events.json) --crl <(cat samples/ca.crl) --format json`,
      process.execPath,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.length).toBeGreaterThan(0);
  });
});

describe('issue 13 item 10: copying a piped input to a temporary file', () => {
  it('a temporary directory that cannot be made is exit 2 naming the input, not a crash', async () => {
    const text = readFileSync(join(ROOT, SAMPLES.newCsv));
    const r = await runCli(['inspect', '-'], { stdin: text, env: { TMPDIR: join(dir, 'missing') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"-"');
  });
});
