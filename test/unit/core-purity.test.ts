import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** src/core is pure (design.md, "Layers"): no I/O, no SDK, no clock, no console. */
const CORE = fileURLToPath(new URL('../../src/core', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : /\.[cm]?[jt]s$/.test(e.name)
        ? [join(dir, e.name)]
        : [],
  );
}

/** The module specifiers a file imports or re-exports, statically or dynamically, or requires. */
function specifiers(source: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const p of patterns) for (const m of source.matchAll(p)) out.push(m[1]!);
  return out;
}

const NODE_BUILTINS = new Set([
  'fs',
  'fs/promises',
  'path',
  'os',
  'child_process',
  'http',
  'https',
  'net',
  'stream',
  'zlib',
  'process',
  'crypto',
  'worker_threads',
  'readline',
  'url',
  'util',
]);

function forbiddenImport(spec: string): string | undefined {
  if (spec.startsWith('node:')) return 'a node: module';
  if (NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(spec.split('/')[0]!)) return 'a Node built-in';
  if (spec.startsWith('@aws-sdk/') || spec === 'aws-sdk') return 'the AWS SDK';
  if (/(^|\/)(cli|io|aws|store)\//.test(spec) && spec.startsWith('..')) return 'an outer layer';
  return undefined;
}

const FORBIDDEN_CODE: Array<[RegExp, string]> = [
  [/\bDate\.now\s*\(/, 'reads the clock (Date.now)'],
  [/\bnew\s+Date\s*\(\s*\)/, 'reads the clock (new Date())'],
  [/\bperformance\.now\s*\(/, 'reads the clock (performance.now)'],
  [/\bconsole\./, 'writes to the console'],
  [/\bprocess\./, 'touches process'],
];

/** The source without comments, so prose about Date.now or console does not count. */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

describe('src/core is pure', () => {
  const files = sourceFiles(CORE);

  it('finds the core sources', () => {
    expect(files.length).toBeGreaterThan(15);
    expect(files.some((f) => f.endsWith(join('render', 'text.ts')))).toBe(true);
  });

  it.each(files.map((f) => [relative(CORE, f), f]))('%s', (_name, file) => {
    const source = readFileSync(file, 'utf8');
    const problems: string[] = [];
    for (const spec of specifiers(source)) {
      const why = forbiddenImport(spec);
      if (why) problems.push(`imports ${why}: '${spec}'`);
    }
    const body = code(source);
    for (const [pattern, why] of FORBIDDEN_CODE) if (pattern.test(body)) problems.push(why);
    expect(problems).toEqual([]);
  });
});

describe('the purity check itself', () => {
  it('catches each forbidden thing', () => {
    const bad = [
      "import { readFile } from 'node:fs/promises';",
      "import fs from 'fs';",
      "import { S3Client } from '@aws-sdk/client-s3';",
      "const m = await import('node:os');",
      "export { x } from 'zlib';",
    ];
    for (const line of bad)
      expect(specifiers(line).map(forbiddenImport).filter(Boolean), line).not.toEqual([]);
    const code1 = code('const t = Date.now();');
    expect(FORBIDDEN_CODE.some(([p]) => p.test(code1))).toBe(true);
    expect(FORBIDDEN_CODE.some(([p]) => p.test(code('const d = new Date();')))).toBe(true);
    expect(FORBIDDEN_CODE.some(([p]) => p.test(code('console.log(1);')))).toBe(true);
  });

  it('allows what core may use', () => {
    const ok = [
      "import { stringify } from 'csv-stringify/sync';",
      "import { x } from './serial.js';",
      "import type { F } from '../finding.js';",
    ];
    for (const line of ok) expect(specifiers(line).map(forbiddenImport).filter(Boolean), line).toEqual([]);
    expect(FORBIDDEN_CODE.some(([p]) => p.test(code('// Date.now() is not used here\nconst x = 1;')))).toBe(
      false,
    );
    expect(FORBIDDEN_CODE.some(([p]) => p.test(code('new Date(ms).toISOString()')))).toBe(false);
  });
});
