#!/usr/bin/env node
// Rewrites the README's output blocks (`<!-- NAME:begin -->` … `<!-- NAME:end -->`) with what the
// built CLI prints for the command each block shows (test/e2e/readme.test.ts checks they match), and
// the findings table (`<!-- findings-table:begin -->`) from the finding catalogue
// (src/core/finding-catalogue.ts; test/unit/finding-catalogue.test.ts checks it). Run `npm run build` first.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const path = join(ROOT, 'README.md');
const readme = readFileSync(path, 'utf8');
const { findingsTable } = await import(join(ROOT, 'dist', 'core', 'finding-catalogue.js'));
const updated = readme
  .replace(
    /(<!-- findings-table:begin -->\n)[\s\S]*?(<!-- findings-table:end -->)/,
    (_all, head, tail) => `${head}${findingsTable()}${tail}`,
  )
  .replace(
    /(<!-- ([\w-]+):begin -->\n```\n\$ pca-audit (.*)\n)([\s\S]*?)(```\n<!-- \2:end -->)/g,
    (_all, head, _name, command, _old, tail) => {
      const out = spawnSync(process.execPath, ['bin/pca-audit.js', ...command.split(' ')], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      });
      if (out.stderr) process.stderr.write(out.stderr);
      return `${head}${out.stdout}${tail}`;
    },
  );
if (updated !== readme) {
  writeFileSync(path, updated);
  console.log('README.md updated');
} else console.log('README.md already up to date');
