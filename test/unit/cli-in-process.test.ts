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
});
