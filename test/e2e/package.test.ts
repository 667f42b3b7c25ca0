import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
  );
}

/** What the published package holds (issue 17 item 6): the tool, not the stand-in or the test oracle. */
describe('the published package', () => {
  it('npm pack leaves the emulator out and keeps the CLI', () => {
    const out = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(out.status, out.stderr).toBe(0);
    const files = (JSON.parse(out.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map(
      (f) => f.path,
    );
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('bin/pca-audit.js');
    expect(files.filter((f) => f.startsWith('dist/emulator/'))).toEqual([]);
  });

  it('the code it ships imports only its dependencies, and nothing of the emulator', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const dist = join(ROOT, 'dist');
    const shipped = jsFiles(dist).filter((f) => !f.startsWith(join(dist, 'emulator')));
    const wrong: string[] = [];
    for (const file of shipped) {
      const text = readFileSync(file, 'utf8');
      const specs = [
        ...text.matchAll(/^\s*(?:import|export)\b[^;'"]*?from\s*['"]([^'"]+)['"]/gm),
        ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
        ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
      ].map((m) => m[1]!);
      for (const spec of specs) {
        const where = relative(ROOT, file);
        if (spec.startsWith('.')) {
          if (/(^|\/)emulator\//.test(relative(dist, join(file, '..', spec))))
            wrong.push(`${where}: ${spec}`);
          continue;
        }
        if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!(name in pkg.dependencies)) wrong.push(`${where}: ${spec}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
