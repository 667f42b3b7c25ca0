#!/usr/bin/env node
// Rewrites the README's output blocks (`<!-- NAME:begin -->` … `<!-- NAME:end -->`) with what the
// built CLI prints for the command each block shows. test/e2e/readme.test.ts checks they match.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const path = join(ROOT, 'README.md');
const readme = readFileSync(path, 'utf8');
const updated = readme.replace(
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
