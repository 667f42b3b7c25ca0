import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root (this file is test/e2e/cli.ts). */
export const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'pca-audit.js');
export const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

export interface RunOptions {
  /** bytes for the child's standard input; without it stdin is empty (closed at once) */
  stdin?: string | Uint8Array;
  /** added to the scrubbed environment (a value of undefined removes a variable) */
  env?: Record<string, string | undefined>;
  /** working directory (default: the repository root) */
  cwd?: string;
  /** milliseconds before the child is killed (default 20 s) */
  timeoutMs?: number;
}

export interface RunResult {
  /** exit code; null only if the child was killed by a signal (see `signal`) */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout exactly as written, for byte-for-byte comparisons */
  stdoutBytes: Buffer;
}

/** Fails with a clear message when the CLI has not been built (`npm test` builds first). */
export function assertBuilt(): void {
  if (!existsSync(MAIN)) {
    throw new Error(
      `${MAIN} is missing: the e2e tests run the built CLI. Run \`npm run build\` first ` +
        '(`npm test` builds before it runs vitest).',
    );
  }
}

/**
 * The environment every CLI run starts from: PATH and HOME only. No AWS_* variables (so nothing
 * can reach a real account), no NO_COLOR, no PCA_AUDIT_DEBUG, no CI/TERM hints. TZ is set to a
 * zone far from UTC with a half-hour offset, so any local-time leak shows up in the output.
 */
export function scrubbedEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/nonexistent',
    TZ: 'Pacific/Chatham',
    ...extra,
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** Runs an arbitrary command with the scrubbed environment (used for `script` and `openssl`). */
export function runCommand(command: string, args: readonly string[], options: RunOptions = {}) {
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: scrubbedEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({
        code,
        signal,
        stdout: stdoutBytes.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        stdoutBytes,
      });
    });
    // a child that exits without reading its stdin must not fail the run
    child.stdin.on('error', () => {});
    child.stdin.end(options.stdin === undefined ? undefined : Buffer.from(options.stdin));
  });
}

/** Runs `node bin/pca-audit.js ...args` (the built CLI) and collects what it printed. */
export async function runCli(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  assertBuilt();
  return runCommand(process.execPath, [BIN, ...args], options);
}

/** The lines of a text, without the empty string after a final newline. */
export function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Paths of the samples, relative to the repository root (as the CLI is run from there). */
export const SAMPLES = {
  old: 'samples/ca-2026-11-19.json',
  new: 'samples/ca-2026-11-20.json',
  newCsv: 'samples/ca-2026-11-20.csv',
} as const;

export const SAMPLE_CA =
  'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c35';

/** The sample diff's window, as samples/README.md gives it. */
export const WINDOW = [
  '--old-created-at',
  '2026-11-19T02:00:00Z',
  '--new-created-at',
  '2026-11-20T02:00:00Z',
];
