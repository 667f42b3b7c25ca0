import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryStreams } from '../../src/cli/streams.js';

/**
 * The CLI runs in process with its streams and environment injected (issue 17 item 3): what it
 * writes reaches the given stdout and stderr only, byte for byte what the built CLI prints
 * (the goldens are the oracle), and the exit code is returned, not set on the process.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// relative, as the goldens were made from the repository root (vitest's working directory)
const sample = (name: string) => `samples/${name}`;
const golden = (name: string) => readFileSync(join(ROOT, 'test', 'golden', name), 'utf8');

describe('main() with injected streams', () => {
  it('inspect writes its product to the given stdout, equal to the golden file', async () => {
    const io = memoryStreams();
    const code = await main(['inspect', sample('ca-2026-11-20.json'), '--at', '2026-11-20T02:00:00Z'], {
      streams: io,
    });
    expect(io.out()).toBe(golden('inspect-ca-2026-11-20.txt'));
    expect(io.err()).toBe('');
    expect(code).toBe(1);
  });

  it('diff as JSON, equal to the golden file', async () => {
    const io = memoryStreams();
    const code = await main(
      [
        'diff',
        sample('ca-2026-11-19.json'),
        sample('ca-2026-11-20.json'),
        '--old-created-at',
        '2026-11-19T02:00:00Z',
        '--new-created-at',
        '2026-11-20T02:00:00Z',
        '--format',
        'json',
      ],
      { streams: io },
    );
    expect(io.out()).toBe(golden('diff-samples.json'));
    expect(code).toBe(1);
  });

  it('a usage error goes to the given stderr, one line and a hint, exit 2; stdout stays empty', async () => {
    const io = memoryStreams();
    const code = await main(['inspect', sample('ca-2026-11-20.json'), '--format', 'yaml'], { streams: io });
    expect(code).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toMatch(/^pca-audit: --format: .*yaml.*\nhint: .*\n$/);
  });

  it("colour follows the given stdout (a terminal) and the given environment's NO_COLOR", async () => {
    const args = ['inspect', sample('ca-2026-11-20.json'), '--at', '2026-11-20T02:00:00Z'];
    const tty = memoryStreams({}, true);
    await main(args, { streams: tty });
    expect(tty.out()).toContain('\u001b[');
    const noColor = memoryStreams({ NO_COLOR: '1' }, true);
    await main(args, { streams: noColor });
    expect(noColor.out()).not.toContain('\u001b[');
  });

  it("--help is written to the given stdout, at a terminal's width", async () => {
    const io = memoryStreams();
    expect(await main(['--help'], { streams: io })).toBe(0);
    expect(io.out()).toMatch(/^pca-audit <command> \[options\]\n/);
    // memoryStreams' terminal is 80 columns wide: the help is laid out for it, not for 110
    const tty = memoryStreams({}, true);
    await main(['--help'], { streams: tty });
    expect(tty.out()).not.toBe(io.out());
    expect(tty.out().split('\n').length).toBeGreaterThan(io.out().split('\n').length);
  });

  it('events: the JSON lines of the window on the given stdout, what was read and left out on the given stderr', async () => {
    const io = memoryStreams();
    const code = await main(
      [
        'events',
        '--cloudtrail',
        'samples/cloudtrail',
        '--since',
        '2026-11-19T16:00:00Z',
        '--until',
        '2026-11-19T17:00:00Z',
      ],
      { streams: io },
    );
    expect(code).toBe(0);
    const lines = io.out().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
      {
        eventID: '95dea917-623d-4eeb-a800-d9db19c7fa25',
        eventName: 'RevokeCertificate',
        serial: '5a1164f15bc0bbc02ce7e307423955b9',
      },
    ]);
    expect(io.err()).toBe(
      'pca-audit: 9 duplicate CloudTrail records (delivered twice) listed once\n' +
        'pca-audit: 5 records of other APIs or services read and not listed\n',
    );
  });

  it('events: one file of the test fixtures, its one event; a record of another service said on stderr', async () => {
    const io = memoryStreams();
    const fixture = 'test/fixtures/cloudtrail/seed-000-acme-revoke.json';
    expect(await main(['events', '--cloudtrail', fixture], { streams: io })).toBe(0);
    expect(io.out().trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(io.out())).toMatchObject({ eventSource: 'acm-acme.amazonaws.com' });
    const other = memoryStreams();
    const exported = 'test/fixtures/cloudtrail/seed-000-eventbridge-export.fixed.json';
    expect(await main(['events', '--cloudtrail', exported], { streams: other })).toBe(0);
    expect(other.out()).toBe('');
    expect(other.err()).toBe('pca-audit: 1 record of other APIs or services read and not listed\n');
  });

  it('iam-policy: the policy on the given stdout; the state note on the given stderr', async () => {
    const io = memoryStreams();
    expect(await main(['iam-policy', '--command', 'diff'], { streams: io })).toBe(0);
    const policy = JSON.parse(io.out()) as { Version: string; Statement: Array<{ Sid: string }> };
    expect(policy.Version).toBe('2012-10-17');
    expect(policy.Statement.map((s) => s.Sid)).toContain('ReadReports');
    expect(io.err()).toBe('');
    const run = memoryStreams();
    expect(await main(['iam-policy', '--command', 'run'], { streams: run })).toBe(0);
    expect(JSON.parse(run.out())).toHaveProperty('Statement');
    expect(run.err()).toMatch(/^pca-audit: run --state s3:\/\/… also needs s3:ListBucket, [^\n]*\n$/);
  });

  it("iam-policy: a refused combination is the given stderr's one line and a hint, exit 2", async () => {
    const io = memoryStreams();
    expect(await main(['iam-policy', '--side', 'member'], { streams: io })).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toMatch(
      /^pca-audit: --side member: only run's policy [^\n]*\nhint: add --command run[^\n]*\n$/,
    );
  });

  it('a missing report: exit 2, one line naming it on the given stderr, nothing on stdout', async () => {
    const io = memoryStreams();
    const missing = 'samples/no-such-report.json';
    expect(await main(['inspect', missing], { streams: io })).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toBe(`pca-audit: reading report "${missing}": no such file\n`);
    const diff = memoryStreams();
    expect(await main(['diff', sample('ca-2026-11-19.json'), missing], { streams: diff })).toBe(2);
    expect(diff.out()).toBe('');
    expect(diff.err()).toBe(`pca-audit: reading report "${missing}": no such file\n`);
  });

  it('a CloudTrail source that is not JSON: exit 2, one line naming it and where', async () => {
    const io = memoryStreams();
    const bad = 'test/fixtures/cloudtrail/seed-000-acm-revoke.json';
    expect(await main(['events', '--cloudtrail', bad], { streams: io })).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toMatch(
      /^pca-audit: reading CloudTrail source "test\/fixtures\/cloudtrail\/seed-000-acm-revoke\.json": line 50, byte 1537: [^\n]*\n$/,
    );
  });
});
