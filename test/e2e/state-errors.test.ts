/**
 * `run` against a damaged state directory, through the built CLI, with no AWS at all: every case
 * here fails before the first AWS call, so a failure is exit 2 naming the path, never exit 4
 * (issue 13 items 1, 9 and 19).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, linesOf, runCli, SAMPLE_CA } from './cli.js';

let work: string;
beforeAll(() => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'pca-audit-state-errors-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CA_ID = SAMPLE_CA.split('/').pop()!;
/** layout 2: a CA's state under cas/<account>/<region>/<CA_ID>/ */
const CA_DIR = ['111122223333', 'eu-west-1', CA_ID] as const;
/** no AWS: an endpoint nobody listens on, and no retries */
const env = {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'eu-west-1',
  AWS_MAX_ATTEMPTS: '1',
  AWS_EC2_METADATA_DISABLED: 'true',
};
const run = (state: string, ...more: string[]) =>
  runCli(
    [
      'run',
      '--bucket',
      'b',
      '--ca',
      SAMPLE_CA,
      '--state-dir',
      state,
      '--endpoint-url',
      'http://127.0.0.1:9',
      ...more,
    ],
    { env },
  );

function fresh(name: string): string {
  const d = join(work, name);
  mkdirSync(d, { recursive: true });
  return d;
}

describe('run on a damaged state directory', () => {
  it('issue 13 item 9: a file where the state directory should be (ENOTDIR) exits 2 naming the path', async () => {
    const d = fresh('enotdir');
    writeFileSync(join(d, 'file'), 'x');
    const r = await run(join(d, 'file', 'state'));
    expect(r.code, r.stderr).toBe(2);
    expect(linesOf(r.stderr)[0]).toContain(`"${join(d, 'file', 'state')}"`);
    expect(r.stderr).toMatch(/ENOTDIR/);
    expect(r.stderr).not.toMatch(/internal error/);
  });

  it.each([
    ['a directory (EISDIR)', 'dir'],
    ['null', 'null'],
    ['an empty object', '{}'],
  ])('issue 13 item 9: a state.json that is %s exits 2 naming it', async (_name, what) => {
    const d = fresh(`marker-${what}`);
    if (what === 'dir') mkdirSync(join(d, 'state.json'));
    else writeFileSync(join(d, 'state.json'), what);
    const r = await run(d);
    expect(r.code, r.stderr).toBe(2);
    expect(linesOf(r.stderr)[0]).toContain(`"${join(d, 'state.json')}"`);
  });

  it.each([
    ['null', 'null'],
    ['an empty object', '{}'],
    ['a directory (EISDIR)', 'dir'],
    ['not JSON', '{"layout": 1,'],
    ['pointing outside its directory', 'escape'],
  ])(
    'issue 13 items 1 and 9: a checkpoint that is %s fails its CA with exit 2, naming it',
    async (_name, what) => {
      const d = fresh(`checkpoint-${what.replace(/\W/g, '')}`);
      writeFileSync(join(d, 'state.json'), '{"layout": 2}');
      const cas = join(d, 'cas', ...CA_DIR);
      mkdirSync(cas, { recursive: true });
      const cp = join(cas, 'checkpoint.json');
      if (what === 'dir') mkdirSync(cp);
      else if (what === 'escape') {
        writeFileSync(
          cp,
          JSON.stringify({
            layout: 1,
            ca: SAMPLE_CA,
            reportId: 'r',
            bucket: 'b',
            key: 'k',
            format: 'json',
            createdAt: '2026-11-19T02:00:00Z',
            reportFile: 'reports/../../../../etc/passwd',
            reportSha256: 'x',
            previous: null,
            runId: 'run',
            hash: 'h',
          }),
        );
      } else writeFileSync(cp, what);
      const r = await run(d, '--format', 'json');
      expect(r.code, r.stderr).toBe(2);
      const summary = JSON.parse(r.stdout);
      expect(summary.cas.map((c: { status: string }) => c.status)).toEqual(['failed']);
      expect(summary.cas[0].error).toContain(cp);
    },
  );

  it('issue 13 item 9: a file where the CA directory should be (ENOTDIR) fails the CA with exit 2', async () => {
    const d = fresh('ca-enotdir');
    mkdirSync(join(d, 'cas', ...CA_DIR.slice(0, 2)), { recursive: true });
    writeFileSync(join(d, 'cas', ...CA_DIR), 'x');
    const r = await run(d, '--format', 'json');
    expect(r.code, r.stderr).toBe(2);
    const summary = JSON.parse(r.stdout);
    expect(summary.cas[0].status).toBe('failed');
    expect(summary.cas[0].error).toContain(join(d, 'cas', ...CA_DIR));
  });

  it('issue 13 item 19: --dry-run refuses a newer layout too', async () => {
    const d = fresh('dry-newer');
    writeFileSync(join(d, 'state.json'), '{"layout": 99}');
    const r = await run(d, '--dry-run');
    expect(r.code, r.stderr).toBe(2);
    expect(linesOf(r.stderr)[0]).toMatch(/state\.json": layout 99 is newer than this pca-audit understands/);
  });

  it('issue 13 item 13: a run removes the temporary files of killed runs and creates private directories', async () => {
    const d = fresh('leftovers');
    writeFileSync(join(d, 'state.json'), '{"layout": 2}');
    const cas = join(d, 'cas', ...CA_DIR);
    mkdirSync(join(cas, 'reports'), { recursive: true });
    const dead = 2 ** 22 + 12345; // above Linux's largest PID: never running
    const leftovers = [
      join(cas, `checkpoint.json.tmp-${dead}-0123abcd`),
      join(d, `latest-summary.json.tmp-${dead}-89abcdef`),
      join(cas, 'reports', `r1.json.partial-${dead}`),
    ];
    for (const f of leftovers) writeFileSync(f, 'half');
    const r = await run(d, '--format', 'json');
    // the CA fails on AWS (nothing listens), after the state was opened and cleaned
    expect(r.code, r.stderr).toBe(3);
    for (const f of leftovers) expect(existsSync(f), f).toBe(false);
    const [runId] = readdirSync(join(d, 'runs'));
    for (const dir of [join(d, 'runs'), join(d, 'runs', runId!)])
      expect((statSync(dir).mode & 0o777).toString(8), dir).toBe('700');
  });
});
