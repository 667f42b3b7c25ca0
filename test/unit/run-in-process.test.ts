import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryStreams } from '../../src/cli/streams.js';

/**
 * `run` in process (issue 17 item 3), on the paths that need no AWS: its help, and the refusals made
 * before any client is built. Exit code, stdout and stderr are the given ones; the environment is
 * the given one too (except the settings' PCA_AUDIT_* variables, which yargs reads from process.env).
 */
const work = mkdtempSync(join(tmpdir(), 'pca-audit-run-in-process-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CA =
  'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/11111111-1111-1111-1111-111111111111';

async function run(args: string[], env: Record<string, string> = {}) {
  const io = memoryStreams(env);
  const code = await main(['run', ...args], { streams: io });
  return { code, out: io.out(), err: io.err() };
}

describe('run in process', () => {
  it('--help: the options and exit codes on the given stdout, exit 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^pca-audit run/);
    expect(r.out).toContain('--state-dir');
    expect(r.out).toContain('--test-notify');
  });

  it('a config file error names the file and the JSON path: one line on stderr, exit 2', async () => {
    const config = join(work, 'accounts.json');
    writeFileSync(
      config,
      JSON.stringify({ accounts: [{ accountId: '111122223333', regions: 'eu-west-1' }] }),
    );
    const r = await run(['--config', config]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    const [line, hint, ...rest] = r.err.split('\n');
    expect(line).toMatch(new RegExp(`^pca-audit: --config: "${config}": accounts\\[0\\]\\.regions`));
    expect(hint).toMatch(/^hint: .*README/);
    expect(rest).toEqual(['']);
  });

  it('no bucket: a usage error saying where to give one, exit 2', async () => {
    const r = await run(['--ca', CA]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      'pca-audit: name the bucket the CAs write reports into: --bucket, PCA_AUDIT_BUCKET or "bucket" in the config\n' +
        "hint: see 'pca-audit --help'\n",
    );
  });

  it("the given environment's PCA_AUDIT_STATE beside --state-dir is refused, before AWS is reached", async () => {
    const args = ['--ca', CA, '--bucket', 'my-audit-reports', '--state-dir', join(work, 'state')];
    const r = await run(args, { PCA_AUDIT_STATE: 's3://my-state/pca-audit/' });
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe("pca-audit: give --state-dir or --state, not both\nhint: see 'pca-audit --help'\n");
  });

  it('--state that is not an s3:// URI: exit 2 with a hint', async () => {
    const r = await run(['--ca', CA, '--bucket', 'my-audit-reports', '--state', 'my-state/pca-audit']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(
      /^pca-audit: --state: "my-state\/pca-audit" .*\nhint: write it like s3:\/\/my-bucket\/pca-audit\/\n$/,
    );
  });

  it('--test-notify without a channel: exit 2, nothing sent, nothing on stdout', async () => {
    const r = await run(['--ca', CA, '--bucket', 'my-audit-reports', '--test-notify']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^pca-audit: --test-notify: no channel is configured\nhint: give --notify-command/);
  });
});
