/**
 * Issue 13 items 9 and 13 (output part): where the product goes when the reader, the disk or the
 * user gives up. A closed stdout is a quiet end; a filesystem refusal is exit 2 naming the path; an
 * --output file is replaced whole or not at all, and no partial file outlives its run.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aRecord, aSerial, toJsonReport } from '../builders.js';
import {
  assertBuilt,
  BIN,
  linesOf,
  ROOT,
  type RunResult,
  runCli,
  SAMPLES,
  scrubbedEnv,
  WINDOW,
} from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'pca-audit-e2e-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Exit 2, nothing on stdout, one `pca-audit:` line on stderr naming `where`, and no stack trace. */
function expectRefusal(r: RunResult, where: string): string {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = linesOf(r.stderr);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^pca-audit: \S/);
  expect(lines[0]).toContain(where);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

/** Runs the CLI with stdout on a file descriptor of ours (e.g. /dev/full). */
function runWithStdout(fd: number, args: readonly string[]): Promise<RunResult> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: scrubbedEnv(),
      stdio: ['ignore', fd, 'pipe'],
    });
    const err: Buffer[] = [];
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout: '',
        stderr: Buffer.concat(err).toString(),
        stdoutBytes: Buffer.alloc(0),
      }),
    );
  });
}

/** A report whose text output is far larger than a pipe's buffer, with one INVALID_RECORD (exit 1). */
function bigReport(): string {
  const path = join(dir, 'big.json');
  const records = Array.from({ length: 4000 }, (_, n) =>
    aRecord({ serial: aSerial(n), notAfter: '2026-11-25T00:00:00+0000' }),
  );
  records.push(aRecord({ serial: aSerial(5000), issuedAt: 'not a date' }));
  writeFileSync(path, toJsonReport(records));
  return path;
}

describe('stdout closed early, or full (issue 13 item 9)', () => {
  it("EPIPE (`| head -1`): no message, and the exit code is still the findings' (1)", async () => {
    assertBuilt();
    const report = bigReport();
    const r = await new Promise<{ code: number | null; stderr: string; got: number }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [BIN, 'inspect', report, '--at', '2026-11-20T00:00:00Z', '--format', 'csv'],
        { cwd: ROOT, env: scrubbedEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let got = 0;
      const err: Buffer[] = [];
      child.stderr.on('data', (b: Buffer) => err.push(b));
      // like head -1: read the first chunk, then close the pipe
      child.stdout.once('data', (b: Buffer) => {
        got = b.length;
        child.stdout.destroy();
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr: Buffer.concat(err).toString(), got }));
    });
    expect(r.got).toBeGreaterThan(0);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
  });

  it('stdout on /dev/full: exit 2, "writing stdout", no stack trace', async () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const message = expectRefusal(
        await runWithStdout(fd, ['diff', SAMPLES.old, SAMPLES.new, ...WINDOW]),
        'stdout',
      );
      expect(message).toContain('ENOSPC');
      // commands that print without waiting (iam-policy, help) fail the same way
      expectRefusal(await runWithStdout(fd, ['iam-policy', '--command', 'diff']), 'stdout');
      expectRefusal(await runWithStdout(fd, ['inspect', '--help']), 'stdout');
    } finally {
      closeSync(fd);
    }
  });
});

describe('--output refused by the filesystem: exit 2 naming the path (issue 13 item 9)', () => {
  const args = ['inspect', SAMPLES.new, '--format', 'json'];

  it('ENOSPC: --output /dev/full --force', async () => {
    const message = expectRefusal(await runCli([...args, '--output', '/dev/full', '--force']), '"/dev/full"');
    expect(message).toContain('ENOSPC');
  });

  it('EISDIR: a directory as --output', async () => {
    const target = join(dir, 'a-directory');
    mkdirSync(target);
    const message = expectRefusal(await runCli([...args, '--output', target, '--force']), `"${target}"`);
    expect(message).toContain('EISDIR');
  });

  it('ENOTDIR: a file as the parent of --output', async () => {
    const parent = join(dir, 'a-file');
    writeFileSync(parent, 'x');
    const target = join(parent, 'out.json');
    const message = expectRefusal(await runCli([...args, '--output', target]), `"${target}"`);
    expect(message).toContain('ENOTDIR');
  });

  it('ENOENT: a missing parent directory names the target, not a partial file', async () => {
    const target = join(dir, 'missing', 'out.json');
    const message = expectRefusal(await runCli([...args, '--output', target]), `"${target}"`);
    expect(message).not.toContain('.partial-');
  });
});

describe('--output --force replaces atomically (issue 13 item 13)', () => {
  const args = ['inspect', SAMPLES.new, '--format', 'json'];
  const partials = (d: string) => readdirSync(d).filter((n) => n.includes('.partial-'));

  it('a run killed while writing leaves the old file and no partial file (SIGTERM and SIGINT)', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const d = mkdtempSync(join(dir, 'killed-'));
      const target = join(d, 'out.json');
      writeFileSync(target, 'the old report\n');
      assertBuilt();
      const result = await new Promise<{ code: number | null; signal: string | null; partial: string[] }>(
        (resolve, reject) => {
          const child = spawn(process.execPath, [BIN, ...args, '--output', target, '--force'], {
            cwd: ROOT,
            env: scrubbedEnv({ PCA_AUDIT_TEST_PAUSE_OUTPUT: '1' }),
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stderr = '';
          let partial: string[] = [];
          child.stderr.on('data', (b: Buffer) => {
            stderr += b.toString();
            // the hook says so once the partial file holds its first bytes
            if (stderr.includes('test hook: paused writing')) {
              partial = partials(d);
              child.kill(signal);
            }
          });
          child.on('error', reject);
          child.on('close', (code, sig) => resolve({ code, signal: sig, partial }));
        },
      );
      expect(result.partial, signal).toEqual([`out.json.partial-${result.partial[0]?.split('-').at(-1)}`]);
      expect(result.signal, signal).toBe(signal);
      expect(partials(d), signal).toEqual([]);
      expect(readFileSync(target, 'utf8')).toBe('the old report\n');
    }
  });

  it("partial files of dead runs are removed by the next write there; a live run's are kept", async () => {
    const d = mkdtempSync(join(dir, 'stale-'));
    const target = join(d, 'out.json');
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(`${target}.partial-${dead}`, 'half');
    // this test process is alive: its partial file may still be being written
    writeFileSync(`${target}.partial-${process.pid}`, 'half');
    writeFileSync(join(d, `other.json.partial-${dead}`), 'not ours to judge');
    const r = await runCli([...args, '--output', target]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(partials(d).sort()).toEqual(
      [`other.json.partial-${dead}`, `out.json.partial-${process.pid}`].sort(),
    );
    expect(JSON.parse(readFileSync(target, 'utf8')).schemaVersion).toBe(1);
  });

  it('a replaced file keeps its permissions and nothing else is left beside it', async () => {
    const d = mkdtempSync(join(dir, 'mode-'));
    const target = join(d, 'out.json');
    writeFileSync(target, 'old', { mode: 0o640 });
    const r = await runCli([...args, '--output', target, '--force']);
    expect(r.code).toBe(1);
    expect(readdirSync(d)).toEqual(['out.json']);
    expect(JSON.parse(readFileSync(target, 'utf8')).schemaVersion).toBe(1);
    const { statSync } = await import('node:fs');
    expect(statSync(target).mode & 0o777).toBe(0o640);
  });
});
