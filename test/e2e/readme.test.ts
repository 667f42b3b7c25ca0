import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

// The README shows real output: this keeps it true whenever the CLI's output changes.
describe('README', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it('shows the sample diff exactly as the CLI prints it, with the exit code it gives', () => {
    const block =
      /<!-- sample-diff:begin -->\n```\n\$ pca-audit (.*)\n([\s\S]*?)```\n<!-- sample-diff:end -->/.exec(
        readme,
      );
    expect(block).not.toBeNull();
    const [, command, shown] = block!;
    const run = spawnSync(process.execPath, ['bin/pca-audit.js', ...command!.split(' ')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(shown);
    expect(run.status).toBe(1);
  });

  it('starts with the command it shows the output of', () => {
    const first = /```sh\nnpm ci && node bin\/pca-audit\.js (.*)\nnpm test\n```/.exec(readme);
    const shown = /\$ pca-audit (.*)\n/.exec(readme);
    expect(first?.[1]).toBe(shown?.[1]);
  });
});
