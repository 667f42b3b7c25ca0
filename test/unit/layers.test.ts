import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layers of src (README, Development, "Layout"), each a directory, and what each may import:
 *
 *   cli -> app -> run -> store -> io -> aws -> fs -> core        emulator -> core
 *
 * A layer may import any layer to its right, never one to its left: the CLI (argv, streams, exit
 * codes) over the use cases (src/app, behind their ports), over the nightly job (run), the state
 * store (store), the inputs (io: files, stdin, S3 objects, CloudTrail sources), the AWS adapters
 * (aws: the only code loading the SDK), the file system's primitives (fs: the one atomic
 * writer, used by the output, the state and S3 downloads), and the pure core. The emulator (the stand-in for PCA and
 * CloudTrail) is not part of the tool: it uses the core only, and nothing uses it.
 * Every import counts: static, dynamic (`import('…')`), re-exports, and `import('…').Type`.
 */
const SRC = fileURLToPath(new URL('../../src', import.meta.url));

const ORDER = ['cli', 'app', 'run', 'store', 'io', 'aws', 'fs', 'core'] as const;
const ALLOWED: Record<string, readonly string[]> = {
  ...Object.fromEntries(ORDER.map((layer, i) => [layer, ORDER.slice(i + 1)])),
  emulator: ['core'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : /\.[cm]?[jt]s$/.test(e.name) && !e.name.endsWith('.d.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

interface Reference {
  spec: string;
  /** erased at compile time: `import type`, `export type`, `import('…').Type` */
  typeOnly: boolean;
}

/** Every module a file refers to: imports, re-exports, dynamic imports, require, import types. */
function references(source: string, fileName = 'x.ts'): Reference[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const out: Reference[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      const typeOnly =
        c !== undefined &&
        (c.isTypeOnly ||
          (c.name === undefined &&
            c.namedBindings !== undefined &&
            ts.isNamedImports(c.namedBindings) &&
            c.namedBindings.elements.length > 0 &&
            c.namedBindings.elements.every((e) => e.isTypeOnly)));
      out.push({ spec: n.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      out.push({ spec: n.moduleSpecifier.text, typeOnly: n.isTypeOnly });
    } else if (
      ts.isImportEqualsDeclaration(n) &&
      ts.isExternalModuleReference(n.moduleReference) &&
      ts.isStringLiteral(n.moduleReference.expression)
    ) {
      out.push({ spec: n.moduleReference.expression.text, typeOnly: n.isTypeOnly });
    } else if (ts.isCallExpression(n) && n.arguments.length > 0) {
      const arg = n.arguments[0]!;
      const isImport = n.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(n.expression) && n.expression.text === 'require';
      if ((isImport || isRequire) && ts.isStringLiteralLike(arg))
        out.push({ spec: arg.text, typeOnly: false });
      else if (isImport) out.push({ spec: '<computed>', typeOnly: false });
    } else if (
      ts.isImportTypeNode(n) &&
      ts.isLiteralTypeNode(n.argument) &&
      ts.isStringLiteral(n.argument.literal)
    ) {
      out.push({ spec: n.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** The layer of a path under src (its first directory), '' for a file at the top. */
function layerOf(pathUnderSrc: string): string {
  const parts = pathUnderSrc.split(sep);
  return parts.length > 1 ? parts[0]! : '';
}

/** `../cli/context.js` from src/run/nightly.ts → `cli/context.ts`; undefined for a package. */
function target(fromUnderSrc: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const abs = resolve(join(SRC, dirname(fromUnderSrc)), spec);
  return relative(SRC, abs).replace(/\.js$/, '.ts');
}

/** What is wrong with one reference of a file, if anything. */
function layerProblem(fromUnderSrc: string, ref: Reference): string | undefined {
  const from = layerOf(fromUnderSrc);
  if (ref.spec === '<computed>') return 'imports a computed module name';
  // the SDK is loaded only by src/aws (types may be named elsewhere: they are erased)
  if (
    (ref.spec.startsWith('@aws-sdk/') || ref.spec === 'aws-sdk') &&
    !ref.typeOnly &&
    from !== 'aws' &&
    from !== 'emulator'
  ) {
    return `loads the AWS SDK ('${ref.spec}') outside src/aws`;
  }
  const to = target(fromUnderSrc, ref.spec);
  if (to === undefined) return undefined;
  if (to.startsWith('..')) return `reaches outside src ('${ref.spec}')`;
  const toLayer = layerOf(to);
  if (toLayer === from) return undefined;
  if (!(from in ALLOWED)) return `is in no layer (${from || 'src'}/)`;
  if (ALLOWED[from]!.includes(toLayer)) return undefined;
  return `${from} imports ${toLayer || 'src'} ('${ref.spec}')`;
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

/** src/core is pure: no Node module, no SDK. */
function coreImportProblem(spec: string): string | undefined {
  if (spec.startsWith('node:')) return 'a node: module';
  if (NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(spec.split('/')[0]!)) return 'a Node built-in';
  if (spec.startsWith('@aws-sdk/') || spec === 'aws-sdk') return 'the AWS SDK';
  return undefined;
}

const CLOCK_AND_PROCESS: Array<[RegExp, string]> = [
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

const files = sourceFiles(SRC).map((f) => relative(SRC, f));
const read = (f: string) => readFileSync(join(SRC, f), 'utf8');

describe('layers: cli -> app -> run -> store -> io -> aws -> fs -> core; nothing imports upward', () => {
  it('finds the sources of every layer', () => {
    for (const layer of [...ORDER, 'emulator']) {
      expect(
        files.some((f) => layerOf(f) === layer),
        layer,
      ).toBe(true);
    }
    expect(files.filter((f) => layerOf(f) === 'core').length).toBeGreaterThan(15);
  });

  it.each(files.filter((f) => layerOf(f) !== '').map((f) => [f]))('%s', (file) => {
    const problems = references(read(file), file)
      .map((r) => layerProblem(file, r))
      .filter(Boolean);
    expect(problems).toEqual([]);
  });

  it('no file at the top of src (each is in a layer)', () => {
    expect(files.filter((f) => layerOf(f) === '')).toEqual([]);
  });
});

describe('src/core and src/app touch no clock, console or process; core imports no Node module or SDK', () => {
  it.each(files.filter((f) => ['core', 'app'].includes(layerOf(f))).map((f) => [f]))('%s', (file) => {
    const source = read(file);
    const problems: string[] = [];
    if (layerOf(file) === 'core') {
      for (const { spec } of references(source, file)) {
        const why = coreImportProblem(spec);
        if (why) problems.push(`imports ${why}: '${spec}'`);
      }
    }
    const body = code(source);
    for (const [pattern, why] of CLOCK_AND_PROCESS) if (pattern.test(body)) problems.push(why);
    expect(problems).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const problemsOf = (file: string, line: string) =>
    references(line, file)
      .map((r) => layerProblem(file, r))
      .filter(Boolean);

  it('catch an upward import of every kind: static, re-export, dynamic, import type, require', () => {
    const planted: Array<[string, string]> = [
      ['core/diff/diff.ts', "import { openInput } from '../../io/inputs.js';"],
      ['core/render/text.ts', "import type { CliContext } from '../../cli/context.js';"],
      ['io/inputs.ts', "export { runDiff } from '../cli/commands/diff.js';"],
      ['aws/s3.ts', "const m = await import('../io/inputs.js');"],
      ['store/layout.ts', "let x: import('../run/nightly.js').RunSettings;"],
      ['run/nightly.ts', "import { diff } from '../app/diff.js';"],
      ['app/diff.ts', "const { main } = require('../cli/main.js');"],
      ['io/inputs.ts', "import { FsStateStore } from '../store/fs-state-store.js';"],
      ['emulator/main.ts', "import { openInput } from '../io/inputs.js';"],
      ['app/diff.ts', 'const m = await import(name);'],
      ['io/inputs.ts', "import { S3Client } from '@aws-sdk/client-s3';"],
    ];
    for (const [file, line] of planted) expect(problemsOf(file, line), `${file}: ${line}`).not.toEqual([]);
  });

  it('allow what points down or stays in its layer', () => {
    const fine: Array<[string, string]> = [
      ['cli/commands/diff.ts', "import { diff } from '../../app/diff.js';"],
      ['cli/context.ts', "const m = await import('../aws/clients.js');"],
      ['app/diff.ts', "import { fetchRows } from '../io/load-report.js';"],
      ['run/nightly.ts', "import { FsStateStore } from '../store/fs-state-store.js';"],
      ['io/inputs.ts', "let c: import('../aws/clients.js').AwsClients;"],
      ['core/diff/diff.ts', "import type { F } from '../finding.js';"],
      ['emulator/main.ts', "import { parseCaArn } from '../core/ca-arn.js';"],
      ['io/event-inputs.ts', "import type { S3Client } from '@aws-sdk/client-s3';"],
      ['aws/s3.ts', "import { S3Client } from '@aws-sdk/client-s3';"],
    ];
    for (const [file, line] of fine) expect(problemsOf(file, line), `${file}: ${line}`).toEqual([]);
  });

  it("catch core's forbidden imports and code, and allow its own", () => {
    for (const line of [
      "import { readFile } from 'node:fs/promises';",
      "import fs from 'fs';",
      "import { S3Client } from '@aws-sdk/client-s3';",
      "const m = await import('node:os');",
      "export { x } from 'zlib';",
      "let w: import('node:worker_threads').Worker;",
    ]) {
      expect(
        references(line)
          .map((r) => coreImportProblem(r.spec))
          .filter(Boolean),
        line,
      ).not.toEqual([]);
    }
    for (const line of [
      "import { stringify } from 'csv-stringify/sync';",
      "import { x } from './serial.js';",
    ]) {
      expect(
        references(line)
          .map((r) => coreImportProblem(r.spec))
          .filter(Boolean),
        line,
      ).toEqual([]);
    }
    const caught = (s: string) => CLOCK_AND_PROCESS.some(([p]) => p.test(code(s)));
    expect(caught('const t = Date.now();')).toBe(true);
    expect(caught('const d = new Date();')).toBe(true);
    expect(caught('console.log(1);')).toBe(true);
    expect(caught('const e = process.env;')).toBe(true);
    expect(caught('// Date.now() is not used here\nconst x = 1;')).toBe(false);
    expect(caught('new Date(ms).toISOString()')).toBe(false);
  });

  it('a planted upward import in a real file is caught (the file-level check runs on what it reads)', () => {
    const file = 'core/diff/diff.ts';
    const planted = `${read(file)}\nexport type X = import('../../cli/context.js').CliContext;\n`;
    const problems = references(planted, file)
      .map((r) => layerProblem(file, r))
      .filter(Boolean);
    expect(problems).toEqual(["core imports cli ('../../cli/context.js')"]);
  });
});
