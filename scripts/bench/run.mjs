#!/usr/bin/env node
// The `pca-audit diff` benchmark (`npm run bench` builds first, then runs this).
//
//   node scripts/bench/run.mjs [--count 1000000] [--runs 3] [--data bench-data] [--seed 1] [--cli bin/pca-audit.js]
//                              [--only diff|cloudtrail] [--format json|csv]
//
// Then the `pca-audit events` benchmark (scripts/bench/cloudtrail.mjs): a synthetic organisation trail
// day against DuckDB, alternating, in the same run.
//
// (Re)generates the report pair when the data set does not match the arguments, checks the CLI's output
// against what the generator planted, then times R rounds per format (JSON, CSV), each round a run of
// `pca-audit diff` (stdout counted and discarded) and one of DuckDB's diff of the same pair
// (duckdb-diff.mjs, its counts checked too), alternating, and reports wall times, the ratio of the
// medians with the per-round ratios, and peak RSS, each goal met or MISSED (issue 17: ≤ 0.6 × DuckDB,
// ≤ 200 MiB; from 5M records a report only the peak, ≤ 1.2 GiB). Exit 0 even when a goal is missed;
// exit 1 when a run fails or an output is wrong; exit 2 on a usage error.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchCloudTrail } from './cloudtrail.mjs';
import {
  describe,
  GENERATOR_VERSION,
  generate,
  MIN_COUNT,
  NEW_CREATED_AT,
  OLD_CREATED_AT,
} from './generate.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const PROBE = join(HERE, 'rss-probe.mjs');
// goals (issue 17): wall time ≤ 0.6 × DuckDB's (median of alternating rounds), peak RSS ≤ 200 MiB;
// from 10M records a report (--count 10000000), peak RSS ≤ 1.2 GiB (JSON) and no time goal
const TARGET_RATIO = 0.6;
const TARGET_MIB = 200;
const BIG_COUNT = 5_000_000;
const TARGET_BIG_MIB = 1.2 * 1024;
const FORMATS = ['json', 'csv'];
const DUCKDB = join(HERE, 'duckdb-diff.mjs');
// what is timed against DuckDB, and its environment
const CONTENDER_ENV = { 'pca-audit': {} };
const CONTENDERS = Object.keys(CONTENDER_ENV);
const STDERR_LIMIT = 64 * 1024;

class UsageError extends Error {}

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      count: { type: 'string', default: '1000000' },
      runs: { type: 'string', default: '3' },
      data: { type: 'string' },
      seed: { type: 'string', default: '1' },
      cli: { type: 'string' },
      only: { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const integer = (name, min) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}`);
    return n;
  };
  if (values.only !== undefined && values.only !== 'diff' && values.only !== 'cloudtrail') {
    throw new UsageError('--only must be diff or cloudtrail');
  }
  if (values.format !== undefined && !FORMATS.includes(values.format)) {
    throw new UsageError('--format must be json or csv');
  }
  return {
    help: values.help,
    formats: values.format === undefined ? FORMATS : [values.format],
    only: values.only,
    count: integer('count', MIN_COUNT),
    runs: integer('runs', 1),
    seed: integer('seed', 0),
    data: values.data === undefined ? join(ROOT, 'bench-data') : resolve(values.data),
    cli: values.cli === undefined ? join(ROOT, 'bin', 'pca-audit.js') : resolve(values.cli),
  };
}

// ---------------------------------------------------------------------------------------------------
// Data set.

async function fileSize(path) {
  try {
    return (await stat(path)).size;
  } catch {
    return -1;
  }
}

/** The manifest when the data set on disk is complete and was made by this generator with these arguments. */
async function currentManifest(dir, count, seed) {
  let manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  } catch {
    return null;
  }
  if (manifest.generatorVersion !== GENERATOR_VERSION || manifest.count !== count || manifest.seed !== seed) {
    return null;
  }
  for (const [name, { bytes }] of Object.entries(manifest.files)) {
    if ((await fileSize(join(dir, name))) !== bytes) return null;
  }
  return manifest;
}

async function ensureData(dir, count, seed) {
  const existing = await currentManifest(dir, count, seed);
  if (existing) {
    process.stdout.write(`using the data set in ${dir} (generator v${GENERATOR_VERSION}, seed ${seed})\n`);
    return existing;
  }
  process.stdout.write(`generating ${count} records (seed ${seed}) into ${dir} ...\n`);
  const manifest = await generate({ count, out: dir, seed });
  process.stdout.write(`${describe(manifest, dir)}\n`);
  return manifest;
}

// ---------------------------------------------------------------------------------------------------
// One CLI run.

/**
 * Spawns `pca-audit diff` with the RSS probe preloaded. stdout is counted and dropped, stderr kept (capped).
 * @returns {Promise<{code: number|null, signal: string|null, seconds: number, stdoutBytes: number,
 *   stderr: string, maxRssKiB: number|null}>}
 */
async function runDiff(options, manifest, format, tmp, run, extraArgs = [], env = {}) {
  return timed(
    [
      options.cli,
      'diff',
      join(options.data, `old.${format}`),
      join(options.data, `new.${format}`),
      '--old-created-at',
      manifest.oldCreatedAt,
      '--new-created-at',
      manifest.newCreatedAt,
      '--format',
      'json',
      '--fail-on',
      'never',
      ...extraArgs,
    ],
    join(tmp, `rss-${format}-${run}`),
    env,
  );
}

/** DuckDB's diff of the same pair (duckdb-diff.mjs), timed the same way; stderr holds its counts. */
function runDuckDb(options, manifest, format, tmp, run) {
  return timed(
    [
      DUCKDB,
      format,
      join(options.data, `old.${format}`),
      join(options.data, `new.${format}`),
      manifest.oldCreatedAt,
      manifest.newCreatedAt,
    ],
    join(tmp, `rss-${format}-duckdb-${run}`),
  );
}

/** Runs `node --import PROBE ...args`, stdout counted and dropped, stderr kept (capped). */
async function timed(nodeArgs, rssFile, env = {}) {
  const args = ['--import', PROBE, ...nodeArgs];
  let stdoutBytes = 0;
  let stderr = '';
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env, PCA_AUDIT_BENCH_RSS_FILE: rssFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => {
    stdoutBytes += chunk.length;
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text) => {
    if (stderr.length < STDERR_LIMIT) stderr += text;
  });
  const exited = once(child, 'exit');
  const closed = once(child, 'close');
  const [code, signal] = await Promise.race([
    exited,
    once(child, 'error').then(([err]) => {
      throw new Error(`cannot start ${process.execPath}: ${err.message}`);
    }),
  ]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await closed;
  let maxRssKiB = null;
  try {
    maxRssKiB = Number.parseInt(await readFile(rssFile, 'utf8'), 10);
  } catch {
    // The probe did not run (the process was killed, or never reached exit).
  }
  return { code, signal, seconds, stdoutBytes, stderr, maxRssKiB };
}

function failedRun(format, result) {
  const how = result.signal ? `signal ${result.signal}` : `exit code ${result.code}`;
  return `pca-audit diff (${format}) ended with ${how}; stderr:\n${result.stderr.trimEnd() || '(empty)'}`;
}

// ---------------------------------------------------------------------------------------------------
// Checking the output against the manifest.

function compareSummary(output, expected) {
  const problems = [];
  const same = (what, actual, wanted) => {
    if (actual !== wanted) problems.push(`${what}: got ${JSON.stringify(actual)}, expected ${wanted}`);
  };
  same('schemaVersion', output?.schemaVersion, 1);
  const summary = output?.summary ?? {};
  for (const key of ['issued', 'revoked', 'expired']) {
    same(`summary.${key}`, summary[key], expected.summary[key]);
    const list = output?.changes?.[key];
    if (!Array.isArray(list)) problems.push(`changes.${key}: not an array`);
    else same(`changes.${key}.length`, list.length, expected.summary[key]);
  }
  for (const key of ['error', 'warning', 'info']) {
    same(`summary.findings.${key}`, summary.findings?.[key], expected.summary.findings[key]);
  }
  return problems;
}

function compareFindings(output, manifest) {
  const problems = [];
  const findings = Array.isArray(output?.findings) ? output.findings : [];
  if (!Array.isArray(output?.findings)) problems.push('findings: not an array');
  const byCode = new Map();
  for (const f of findings) {
    if (!byCode.has(f.code)) byCode.set(f.code, []);
    byCode.get(f.code).push(f);
  }
  for (const [code, wanted] of Object.entries(manifest.expected.findings)) {
    const got = byCode.get(code) ?? [];
    if (got.length !== wanted) problems.push(`${code}: ${got.length} findings, expected ${wanted}`);
    const serials = new Set(got.map((f) => f.serial));
    for (const { serial } of manifest.planted[code]) {
      if (!serials.has(serial)) problems.push(`${code}: no finding for planted serial ${serial}`);
    }
  }
  for (const [code, got] of byCode) {
    if (!(code in manifest.expected.findings)) {
      const sample = got
        .slice(0, 3)
        .map((f) => f.serial ?? f.message)
        .join(', ');
      problems.push(`${code}: ${got.length} unexpected findings (e.g. ${sample})`);
    }
  }
  return problems;
}

async function verify(options, manifest, format, tmp) {
  const outputFile = join(tmp, `output-${format}.json`);
  const result = await runDiff(options, manifest, format, tmp, 'verify', ['--output', outputFile]);
  if (result.code !== 0) return { ok: false, fatal: failedRun(format, result), result };
  let output;
  try {
    output = JSON.parse(await readFile(outputFile, 'utf8'));
  } catch (err) {
    return { ok: false, problems: [`--output ${outputFile}: ${err.message}`], result };
  }
  const problems = [...compareSummary(output, manifest.expected), ...compareFindings(output, manifest)];
  return { ok: problems.length === 0, problems, result, outputBytes: await fileSize(outputFile) };
}

// ---------------------------------------------------------------------------------------------------
// Report.

function mib(kib) {
  return kib === null ? '?' : (kib / 1024).toFixed(1);
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function table(rows) {
  const header = [
    'format',
    'who',
    'input MB',
    'best s',
    'median s',
    'worst s',
    '× DuckDB',
    'per round',
    'peak MiB',
    'output',
  ];
  const right = [false, false, true, true, true, true, true, false, true, false];
  const cells = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(
      'usage: node scripts/bench/run.mjs [--count 1000000] [--runs 3] [--data bench-data] [--seed 1] [--cli bin/pca-audit.js] [--only diff|cloudtrail] [--format json|csv]\n',
    );
    return 0;
  }
  if ((await fileSize(options.cli)) < 0) {
    throw new UsageError(`${options.cli} does not exist`);
  }
  if (
    options.cli === join(ROOT, 'bin', 'pca-audit.js') &&
    (await fileSize(join(ROOT, 'dist', 'cli', 'main.js'))) < 0
  ) {
    throw new UsageError('dist/cli/main.js does not exist: run `npm run build` (or `npm run bench`)');
  }
  const code = options.only === 'cloudtrail' ? 0 : await benchDiff(options);
  if (code !== 0 || options.only === 'diff') return code;
  const tmp = await mkdtemp(join(os.tmpdir(), 'pca-audit-bench-'));
  try {
    const ok = await benchCloudTrail({
      root: ROOT,
      data: options.data,
      cli: options.cli,
      probe: PROBE,
      runs: options.runs,
      tmp,
      write: (text) => process.stdout.write(text),
    });
    return ok ? 0 : 1;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function benchDiff(options) {
  const manifest = await ensureData(options.data, options.count, options.seed);
  if (manifest.oldCreatedAt !== OLD_CREATED_AT || manifest.newCreatedAt !== NEW_CREATED_AT) {
    throw new Error('the manifest disagrees with the generator about the creation times');
  }
  const e = manifest.expected.summary;
  const big = manifest.counts.oldRecords >= BIG_COUNT;
  const targetMiB = big ? TARGET_BIG_MIB : TARGET_MIB;
  process.stdout.write(
    `pca-audit diff vs DuckDB: ${manifest.counts.oldRecords} → ${manifest.counts.newRecords} records, ${options.runs} round(s) per format, ` +
      `${os.cpus().length} CPUs, node ${process.version}\n` +
      `expected: issued ${e.issued}, revoked ${e.revoked}, expired ${e.expired}, ` +
      `findings error ${e.findings.error} / warning ${e.findings.warning} / info ${e.findings.info}\n`,
  );

  const tmp = await mkdtemp(join(os.tmpdir(), 'pca-audit-bench-'));
  const rows = [];
  const goals = [];
  let failed = false;
  try {
    for (const format of options.formats) {
      const inputBytes = manifest.files[`old.${format}`].bytes + manifest.files[`new.${format}`].bytes;
      const inputMB = inputBytes / 1e6;

      // The verification run also warms the page cache for the timed runs.
      const check = await verify(options, manifest, format, tmp);
      if (check.fatal) {
        process.stderr.write(`${check.fatal}\n`);
        return 1;
      }
      if (check.ok) {
        process.stdout.write(
          `${format}: output verified (${check.outputBytes} bytes, ${check.result.seconds.toFixed(3)} s, ${mib(check.result.maxRssKiB)} MiB)\n`,
        );
      } else {
        failed = true;
        process.stdout.write(
          `${format}: WRONG OUTPUT\n${check.problems.map((p) => `  - ${p}`).join('\n')}\n`,
        );
      }

      // alternating, so that all see the same machine (other processes, page cache)
      const contenders = [...CONTENDERS, 'duckdb'];
      const times = Object.fromEntries(contenders.map((c) => [c, []]));
      const peak = Object.fromEntries(contenders.map((c) => [c, null]));
      for (let run = 1; run <= options.runs; run++) {
        for (const name of contenders) {
          const result =
            name === 'duckdb'
              ? await runDuckDb(options, manifest, format, tmp, run)
              : await runDiff(options, manifest, format, tmp, `${name}-${run}`, [], CONTENDER_ENV[name]);
          if (result.code !== 0) {
            process.stderr.write(`${failedRun(`${format}, ${name}`, result)}\n`);
            return 1;
          }
          if (name === 'duckdb') {
            const wanted = `issued ${e.issued} revoked ${e.revoked} expired ${e.expired}`;
            if (result.stderr.trim() !== wanted) {
              process.stdout.write(`${format}: DuckDB found ${result.stderr.trim()}, expected ${wanted}\n`);
              failed = true;
            }
          } else if (check.ok && result.stdoutBytes !== check.outputBytes) {
            process.stdout.write(
              `${format}: note: ${name} run ${run} wrote ${result.stdoutBytes} bytes to stdout, --output wrote ${check.outputBytes}\n`,
            );
          }
          times[name].push(result.seconds);
          if (result.maxRssKiB === null) {
            process.stdout.write(`${format}: note: ${name} run ${run} left no RSS measurement\n`);
          } else if (peak[name] === null || result.maxRssKiB > peak[name]) {
            peak[name] = result.maxRssKiB;
          }
          process.stdout.write(
            `${format}: ${name} run ${run}/${options.runs}: ${result.seconds.toFixed(3)} s, ${mib(result.maxRssKiB)} MiB\n`,
          );
        }
      }

      for (const name of contenders) {
        const ratio = median(times[name]) / median(times.duckdb);
        const rounds = times[name].map((t, k) => (t / times.duckdb[k]).toFixed(2)).join(' ');
        rows.push([
          format,
          name,
          inputMB.toFixed(1),
          Math.min(...times[name]).toFixed(3),
          median(times[name]).toFixed(3),
          Math.max(...times[name]).toFixed(3),
          name === 'duckdb' ? '1' : ratio.toFixed(2),
          name === 'duckdb' ? '' : rounds,
          mib(peak[name]),
          name === 'duckdb' ? '' : check.ok ? 'ok' : 'WRONG',
        ]);
        if (name === 'duckdb') continue;
        const peakMiB = peak[name] === null ? null : peak[name] / 1024;
        if (!big) {
          goals.push([
            `${format} ${name}: median wall time ≤ ${TARGET_RATIO} × DuckDB's`,
            ratio.toFixed(2),
            ratio <= TARGET_RATIO,
          ]);
        }
        goals.push([
          `${format} ${name}: peak RSS ≤ ${targetMiB} MiB`,
          peakMiB === null ? '?' : `${peakMiB.toFixed(1)} MiB`,
          peakMiB !== null && peakMiB <= targetMiB,
        ]);
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }

  process.stdout.write(`\n${table(rows)}\n\n`);
  for (const [goal, value, met] of goals) {
    process.stdout.write(`goal ${goal}: ${value}: ${met ? 'met' : 'MISSED'}\n`);
  }
  if (failed) {
    process.stdout.write('\nFAILED: the diff output does not match what the generator planted (see above)\n');
    return 1;
  }
  return 0;
}

try {
  process.exitCode = await main();
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : err}\n`);
  process.exitCode = err instanceof UsageError || err?.code?.startsWith?.('ERR_PARSE_ARGS') ? 2 : 1;
}
