import yargs, { type Argv } from 'yargs';
import { ReportSyntaxError } from '../core/report-syntax-error.js';
import { InputError } from '../io/report-source.js';
import { runDiff } from './commands/diff.js';
import { runInspect } from './commands/inspect.js';
import { EXIT_INTERNAL, EXIT_USAGE, UsageError } from './errors.js';
import { FAIL_ON_LEVELS, type FailOn } from './fail-on.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output.js';
import { parseDurationFlag, parseInstantFlag } from './parse-values.js';

const EXIT_CODES = `Exit codes:
  0  nothing at or above --fail-on
  1  findings at or above --fail-on (default: warning)
  2  usage, config or input error (bad flag, unreadable or malformed report)
  3  AWS or network failure
  4  internal error (a bug: run again with PCA_AUDIT_DEBUG=1 and report it)`;

function outputOptions<T>(y: Argv<T>) {
  return y
    .option('format', { choices: OUTPUT_FORMATS, default: 'text' as OutputFormat, describe: 'output format' })
    .option('output', { alias: 'o', type: 'string', describe: 'write to FILE instead of stdout' })
    .option('force', { type: 'boolean', default: false, describe: 'replace an existing --output file' })
    .option('fail-on', {
      choices: FAIL_ON_LEVELS,
      default: 'warning' as FailOn,
      describe: 'lowest severity that exits 1',
    })
    .option('max-findings', {
      type: 'number',
      default: 1000,
      describe: 'findings listed per code (the rest are counted)',
    })
    .option('ca', {
      type: 'string',
      describe: 'the CA ARN the report(s) must be of (default: the CA most rows name)',
    });
}

function maxFindings(v: number): number {
  if (!Number.isInteger(v) || v < 0) throw new UsageError(`--max-findings: "${v}" is not a whole number`);
  return v;
}

/** Runs the CLI; returns the exit code. Only bin/ sets process.exitCode. */
export async function main(args: string[], now: () => number = () => Date.now() / 1000): Promise<number> {
  let code: number | undefined;
  const cli = yargs(args)
    .scriptName('pca-audit')
    .usage(
      '$0 <command> [options]\n\nAudits AWS Private CA audit reports: what a CA issued and revoked, and what must never change.',
    )
    .command(
      'inspect <report>',
      'validate and summarise one audit report',
      (y) =>
        outputOptions(y)
          .positional('report', {
            type: 'string',
            demandOption: true,
            describe: 'report file (JSON or CSV, gzip ok, - for stdin)',
          })
          .option('at', {
            type: 'string',
            describe: 'count active/expired/revoked as of this instant (default: now)',
          })
          .option('expiring-within', {
            type: 'string',
            default: '30d',
            describe: 'list certificates expiring within this',
          })
          .example('$0 inspect samples/ca-2026-11-20.json', 'counts, expiring certificates and problems')
          .example('$0 inspect report.csv.gz --format json --at 2026-11-20', 'as JSON, as of a date')
          .epilogue(EXIT_CODES),
      async (a) => {
        code = await runInspect({
          report: a.report,
          at: a.at === undefined ? Math.floor(now()) : parseInstantFlag('at', a.at),
          expiringWithin: parseDurationFlag('expiring-within', a['expiring-within']),
          format: a.format,
          force: a.force,
          failOn: a['fail-on'],
          maxFindings: maxFindings(a['max-findings']),
          ...(a.output === undefined ? {} : { output: a.output }),
          ...(a.ca === undefined ? {} : { ca: a.ca }),
        });
      },
    )
    .command(
      'diff <old> <new>',
      'compare two successive audit reports of one CA',
      (y) =>
        outputOptions(y)
          .positional('old', {
            type: 'string',
            demandOption: true,
            describe: 'the older report (- for stdin)',
          })
          .positional('new', {
            type: 'string',
            demandOption: true,
            describe: 'the newer report (- for stdin)',
          })
          .option('old-created-at', { type: 'string', describe: 'when OLD was made (enables LATE_ISSUANCE)' })
          .option('new-created-at', { type: 'string', describe: 'when NEW was made' })
          .example(
            '$0 diff samples/ca-2026-11-19.json samples/ca-2026-11-20.json --old-created-at 2026-11-19T02:00:00Z',
            'what changed, and what must never happen',
          )
          .example(
            '$0 diff old.json new.csv --format json --fail-on error',
            'JSON against CSV, machine-readable',
          )
          .epilogue(EXIT_CODES),
      async (a) => {
        code = await runDiff({
          old: a.old,
          new: a.new,
          format: a.format,
          force: a.force,
          failOn: a['fail-on'],
          maxFindings: maxFindings(a['max-findings']),
          ...(a['old-created-at'] === undefined
            ? {}
            : { oldCreatedAt: parseInstantFlag('old-created-at', a['old-created-at']) }),
          ...(a['new-created-at'] === undefined
            ? {}
            : { newCreatedAt: parseInstantFlag('new-created-at', a['new-created-at']) }),
          ...(a.output === undefined ? {} : { output: a.output }),
          ...(a.ca === undefined ? {} : { ca: a.ca }),
        });
      },
    )
    .demandCommand(1, 'name a command: inspect or diff')
    .strict()
    .recommendCommands()
    .exitProcess(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .epilogue(EXIT_CODES)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
  try {
    await cli.parseAsync();
    return code ?? 0;
  } catch (err) {
    return reportError(err);
  }
}

function reportError(err: unknown): number {
  const debug = process.env.PCA_AUDIT_DEBUG === '1';
  if (err instanceof UsageError) {
    process.stderr.write(`pca-audit: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
    if (!err.hint) process.stderr.write(`hint: see 'pca-audit --help'\n`);
    return EXIT_USAGE;
  }
  if (err instanceof InputError) {
    process.stderr.write(`pca-audit: reading report "${err.input}": ${err.message}\n`);
    if (debug && err.cause) process.stderr.write(`${(err.cause as Error).stack ?? err.cause}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof ReportSyntaxError) {
    process.stderr.write(`pca-audit: reading report: ${err.message}\n`);
    return EXIT_USAGE;
  }
  const e = err as Error;
  if ((e as NodeJS.ErrnoException)?.code === 'EPIPE') return 0;
  process.stderr.write(`pca-audit: internal error: ${e?.message ?? String(err)}\n`);
  process.stderr.write(
    debug ? `${e?.stack ?? ''}\n` : 'hint: run again with PCA_AUDIT_DEBUG=1 and report the output\n',
  );
  return EXIT_INTERNAL;
}
