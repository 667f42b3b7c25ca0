import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { assertBuilt, BIN, ROOT, runCommand, SAMPLES } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'pca-audit-e2e-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const HOOK = join(ROOT, 'test', 'support', 'load-log.mjs');

/** Runs the CLI; returns its exit code and the files it loaded, relative to the repository root. */
async function loaded(name: string, args: string[]): Promise<{ code: number | null; files: string[] }> {
  assertBuilt();
  const log = join(dir, `${name}.log`);
  const r = await runCommand(process.execPath, ['--import', pathToFileURL(HOOK).href, BIN, ...args], {
    env: { PCA_AUDIT_LOAD_LOG: log },
  });
  const files = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((url) => relative(ROOT, fileURLToPath(url)));
  return { code: r.code, files };
}

const commandModules = (files: string[]) => files.filter((f) => f.startsWith('dist/cli/commands/'));

// The command line is parsed by our own layer on node:util: a run loads no dependency at all before
// its command needs one, and only the module of the command it runs.
describe.concurrent('startup loads only what the command line needs', () => {
  it.each([
    ['version', ['--version']],
    ['help', ['--help']],
    ['diff-help', ['diff', '--help']],
    // yargs (run's settings layer) is loaded only when run runs
    ['run-help', ['run', '--help']],
    ['usage-error', ['inspect', '--frobnicate']],
  ])('%s: no dependency, no command module', async (name, args) => {
    const { code, files } = await loaded(name, args);
    expect(code).toBe(name === 'usage-error' ? 2 : 0);
    expect(files).toContain('dist/cli/main.js');
    expect(files.filter((f) => f.includes('node_modules'))).toEqual([]);
    expect(commandModules(files)).toEqual([]);
  });

  it('diff on two files: its own module only, still no dependency (not even the AWS SDK)', async () => {
    const { code, files } = await loaded('diff', ['diff', SAMPLES.old, SAMPLES.new]);
    expect(code).toBe(1);
    expect(commandModules(files)).toEqual(['dist/cli/commands/diff.js']);
    expect(files.filter((f) => f.includes('node_modules'))).toEqual([]);
  });

  it('run: yargs is loaded for its settings (flags > environment > config file)', async () => {
    const { code, files } = await loaded('run', ['run', '--ca', 'arn:aws:acm-pca:x']);
    expect(code).toBe(2);
    expect(commandModules(files)).toContain('dist/cli/commands/run.js');
    expect(files.some((f) => f.startsWith('node_modules/yargs/'))).toBe(true);
  });

  it('iam-policy: its own module only (the bucket and CA checks it shares with bootstrap are src/app/names.ts)', async () => {
    const { code, files } = await loaded('iam-policy', ['iam-policy', '--command', 'diff']);
    expect(code).toBe(0);
    expect(commandModules(files).sort()).toEqual(['dist/cli/commands/iam-policy.js']);
    expect(files).toContain('dist/app/names.js');
  });
});
