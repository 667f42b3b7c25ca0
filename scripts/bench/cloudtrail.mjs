// The `pca-audit events` benchmark (issue 16 item 3), run by `npm run bench` after the diff one:
// a synthetic day of an organisation trail (cloudtrail-day.mjs, generated once under the bench data
// directory), read by `pca-audit events` and by DuckDB (read_json + a filter on eventSource, in its
// own process: duckdb-trail.mjs), alternating, R runs each, in the same run; prints wall times, the
// ratio of the best times (target: events ≤ 0.5 × DuckDB) and peak RSS. Both are checked against the
// generator's manifest: DuckDB's rows are the acm-pca records; events' listed events plus the records
// of other APIs it counts on stderr are the day's records (it lists only the acm-pca calls it
// reconciles, so GetCertificate and the like are among the counted ones). A third process, gunzip-trail.mjs,
// only decompresses the same files: the floor that `events` cannot beat, printed beside the ratio.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { generateCloudTrailDay } from './cloudtrail-day.mjs';

const TARGET_RATIO = 0.5;
const STDERR_LIMIT = 64 * 1024;

/** Runs `node --import probe ...args`: wall seconds, stdout lines, stderr (capped), peak RSS. */
async function timed(probe, args, tmp, tag) {
  const rssFile = join(tmp, `rss-${tag}`);
  let lines = 0;
  let stderr = '';
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--import', probe, ...args], {
    env: { ...process.env, PCA_AUDIT_BENCH_RSS_FILE: rssFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => {
    for (const b of chunk) if (b === 10) lines++;
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text) => {
    if (stderr.length < STDERR_LIMIT) stderr += text;
  });
  const [code] = await once(child, 'exit');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  let maxRssKiB = null;
  try {
    maxRssKiB = Number.parseInt(await readFile(rssFile, 'utf8'), 10);
  } catch {
    // no measurement
  }
  return { code, seconds, lines, stderr, maxRssKiB };
}

const mib = (kib) => (kib === null ? '?' : (kib / 1024).toFixed(1));

/**
 * @param {{ root: string, data: string, cli: string, probe: string, runs: number, tmp: string,
 *   write: (text: string) => void }} o
 * @returns {Promise<boolean>} false when a run failed or `events` missed records
 */
export async function benchCloudTrail(o) {
  const out = join(o.data, 'cloudtrail-day');
  o.write(`\npca-audit events vs DuckDB: a synthetic organisation trail day in ${out}\n`);
  const m = await generateCloudTrailDay({ out });
  o.write(
    `${m.args.files} gzip files, ${m.args.records} records, ${(m.rawBytes / 1e6).toFixed(0)} MB uncompressed, ${m.pca} of acm-pca\n`,
  );
  const glob = join(out, 'AWSLogs', '**', '*.json.gz');
  const events = [o.cli, 'events', '--cloudtrail', join(out, 'AWSLogs')];
  const duck = [join(o.root, 'scripts', 'bench', 'duckdb-trail.mjs'), glob];
  // the floor: the same files only decompressed, as many at once as `events` has reading threads
  const threads = Math.min(availableParallelism(), 4);
  const gunzip = [
    join(o.root, 'scripts', 'bench', 'gunzip-trail.mjs'),
    join(out, 'AWSLogs'),
    String(threads),
  ];
  const times = { events: [], duckdb: [], gunzip: [] };
  const rss = { events: null, duckdb: null, gunzip: null };
  let ok = true;
  for (let run = 1; run <= o.runs; run++) {
    // alternating, so that both see the same machine (other processes, page cache)
    for (const [name, args] of [
      ['duckdb', duck],
      ['events', events],
      ['gunzip', gunzip],
    ]) {
      const r = await timed(o.probe, args, o.tmp, `${name}-${run}`);
      if (r.code !== 0) {
        o.write(`${name}: run ${run} failed (exit ${r.code}): ${r.stderr.trim()}\n`);
        return false;
      }
      if (name === 'events') {
        const other = /(\d+) records? of other APIs or services read and not listed/.exec(r.stderr);
        const read = Number(other?.[1] ?? 0) + r.lines;
        if (read > m.args.records || Number(other?.[1] ?? 0) < m.args.records - m.pca) {
          o.write(
            `events: run ${run}: ${r.lines} events and ${other?.[1]} other records: not the day's ${m.args.records}\n`,
          );
          ok = false;
        }
      } else if (name === 'gunzip') {
        const bytes = Number(/(\d+) bytes/.exec(r.stderr)?.[1]);
        if (bytes !== m.rawBytes) {
          o.write(`gunzip: run ${run}: ${bytes} bytes, the generator wrote ${m.rawBytes}\n`);
          ok = false;
        }
      } else if (r.lines !== m.pca) {
        o.write(`duckdb: run ${run}: ${r.lines} rows, the generator wrote ${m.pca} acm-pca records\n`);
        ok = false;
      }
      times[name].push(r.seconds);
      if (r.maxRssKiB !== null && (rss[name] === null || r.maxRssKiB > rss[name])) rss[name] = r.maxRssKiB;
      o.write(`${name}: run ${run}/${o.runs}: ${r.seconds.toFixed(3)} s, ${mib(r.maxRssKiB)} MiB\n`);
    }
  }
  const best = (xs) => Math.min(...xs);
  const median = (xs) => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  const ratio = best(times.events) / best(times.duckdb);
  // runs alternate; on a shared machine the medians (and the per-round ratios) say more than the bests
  const rounds = times.events.map((t, k) => (t / times.duckdb[k]).toFixed(2)).join(', ');
  o.write(
    `events median ${median(times.events).toFixed(3)} s, DuckDB median ${median(times.duckdb).toFixed(3)} s: ` +
      `ratio of medians ${(median(times.events) / median(times.duckdb)).toFixed(2)}; per round ${rounds}\n`,
  );
  o.write(
    `events best ${best(times.events).toFixed(3)} s (peak RSS ${mib(rss.events)} MiB), ` +
      `DuckDB best ${best(times.duckdb).toFixed(3)} s (peak RSS ${mib(rss.duckdb)} MiB): ` +
      `ratio ${ratio.toFixed(2)} (target ≤ ${TARGET_RATIO}: ${ratio <= TARGET_RATIO ? 'met' : 'MISSED'})\n`,
  );
  const floor = median(times.gunzip);
  o.write(
    `gunzip alone (${threads} at once) median ${floor.toFixed(3)} s: the floor; events spends ` +
      `${(median(times.events) - floor).toFixed(3)} s beyond it, and cannot go below ratio ` +
      `${(floor / median(times.duckdb)).toFixed(2)} on this machine\n`,
  );
  return ok;
}
