import yargs, { type Argv } from 'yargs';
import { AwsError } from '../aws/errors.js';
import { FAIL_ON_LEVELS, type FailOn } from '../core/fail-on.js';
import { IAM_COMMANDS, type IamCommand } from '../core/iam-policy.js';
import { safeText } from '../core/render/style.js';
import { ReportSyntaxError } from '../core/report-syntax-error.js';
import { InputError } from '../io/report-source.js';
import { StateError } from '../store/fs-store.js';
import { type CliContext, makeContext } from './context.js';
import { EXIT_AWS, EXIT_INTERNAL, EXIT_USAGE, UsageError } from './errors.js';
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
      type: 'string',
      default: '1000',
      describe: 'findings listed per code (the rest are counted)',
    })
    .option('ca', {
      type: 'string',
      describe: 'the CA ARN the report(s) must be of (default: the CA most rows name)',
    });
}

function maxFindings(v: string | number): number {
  const text = String(v).trim();
  if (!/^\d+$/.test(text)) throw new UsageError(`--max-findings: "${text}" is not a whole number`);
  return Number(text);
}

/**
 * yargs reads a lone `-` as an empty positional and refuses it as an option value
 * (yargs/yargs-parser#381, yargs/yargs#1312); it is swapped for a token before parsing and back
 * in the handlers.
 */
const DASH = '\u0000-';
const dash = (v: string): string => (v === DASH ? '-' : v);

const COMMANDS = ['inspect', 'diff', 'events', 'generate', 'run', 'bootstrap', 'doctor', 'iam-policy'];

interface GlobalArgs {
  region?: string | undefined;
  profile?: string | undefined;
  'endpoint-url'?: string | undefined;
  'retry-mode': string;
  'max-attempts': string;
}

/** The shell for a command: AWS settings from the global flags, the clock, stderr. */
function contextFrom(a: GlobalArgs): CliContext {
  // the newer SDK warns about Node 20 on every process; the warning is not for our users
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (a.profile) process.env.AWS_PROFILE = a.profile;
  const attempts = Number(a['max-attempts']);
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 20) {
    throw new UsageError(`--max-attempts: "${a['max-attempts']}" is not a whole number from 1 to 20`);
  }
  return makeContext({
    ...(a.region ? { region: a.region } : {}),
    ...(a['endpoint-url'] ? { endpointUrl: a['endpoint-url'] } : {}),
    retryMode: a['retry-mode'] === 'adaptive' ? 'adaptive' : 'standard',
    maxAttempts: attempts,
  });
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

/** yargs' messages can span lines; ours are one line. */
function oneLine(msg: string): string {
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}

/** Runs the CLI; returns the exit code. Only bin/ sets process.exitCode. */
export async function main(args: string[], now: () => number = () => Date.now() / 1000): Promise<number> {
  let code: number | undefined;
  const first = args.find((a) => !a.startsWith('-'));
  if (first !== undefined && !COMMANDS.includes(first) && first !== 'help') {
    const near = COMMANDS.find((c) => editDistance(c, first) <= 2);
    return reportError(
      new UsageError(
        `unknown command "${first}"${near ? ` (did you mean ${near}?)` : ''}`,
        `the commands are: ${COMMANDS.join(', ')}`,
      ),
    );
  }
  const cli = yargs(args.map((a) => (a === '-' ? DASH : a)))
    .scriptName('pca-audit')
    .usage(
      '$0 <command> [options]\n\nAudits AWS Private CA audit reports: what a CA issued and revoked, and what must never change.',
    )
    .option('region', {
      type: 'string',
      global: true,
      describe: "AWS Region (default: the CA ARN's, else the SDK's)",
    })
    .option('profile', { type: 'string', global: true, describe: 'AWS profile from the shared config files' })
    .option('endpoint-url', {
      type: 'string',
      global: true,
      describe: 'send every AWS call to this URL (AWS_ENDPOINT_URL_<SERVICE> also work)',
    })
    .option('retry-mode', {
      choices: ['standard', 'adaptive'],
      default: 'standard',
      global: true,
      describe: 'SDK retry mode',
    })
    .option('max-attempts', { type: 'string', default: '5', global: true, describe: 'SDK attempts per call' })
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
        const { runInspect } = await import('./commands/inspect.js');
        code = await runInspect(
          {
            report: dash(a.report),
            at: a.at === undefined ? Math.floor(now()) : parseInstantFlag('at', a.at),
            expiringWithin: parseDurationFlag('expiring-within', a['expiring-within']),
            format: a.format,
            force: a.force,
            failOn: a['fail-on'],
            maxFindings: maxFindings(a['max-findings']),
            ...(a.output === undefined ? {} : { output: dash(a.output) }),
            ...(a.ca === undefined ? {} : { ca: a.ca }),
          },
          contextFrom(a),
        );
      },
    )
    .command(
      'diff <old> [new]',
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
            describe: 'the newer report (- for stdin); omitted with --latest 2',
          })
          .option('latest', {
            type: 'string',
            describe: 'with an s3://bucket/audit-report/<CA_ID>/ prefix as OLD: diff its 2 newest reports',
          })
          .option('old-created-at', { type: 'string', describe: 'when OLD was made (enables LATE_ISSUANCE)' })
          .option('new-created-at', { type: 'string', describe: 'when NEW was made' })
          .option('cloudtrail', {
            type: 'string',
            array: true,
            describe:
              'CloudTrail records to reconcile with: trail log files (.json/.json.gz), lookup-events output, EventBridge events, JSON lines, directories, -',
          })
          .option('lenient', {
            type: 'boolean',
            default: false,
            describe: 'skip malformed CloudTrail records (counted) instead of failing',
          })
          .option('propagation-allowance', {
            type: 'string',
            default: '1h',
            describe:
              'a revocation younger than this may be missing from NEW (or the CRL): a warning, not an error',
          })
          .option('time-tolerance', {
            type: 'string',
            default: '5m',
            describe: 'how far a RevokeCertificate call and the report revokedAt may differ',
          })
          .option('crl', { type: 'string', describe: 'the CA CRL (DER or PEM) to check against NEW' })
          .example(
            '$0 diff samples/ca-2026-11-19.json samples/ca-2026-11-20.json --old-created-at 2026-11-19T02:00:00Z',
            'what changed, and what must never happen',
          )
          .example(
            '$0 diff old.json new.csv --format json --fail-on error',
            'JSON against CSV, machine-readable',
          )
          .example(
            '$0 diff old.json new.json --cloudtrail trail-logs/ --crl ca.crl',
            'reconcile with CloudTrail and the CRL',
          )
          .epilogue(EXIT_CODES),
      async (a) => {
        const latest = a.latest === undefined ? undefined : Number(a.latest);
        if (latest !== undefined && !Number.isInteger(latest)) {
          throw new UsageError(`--latest: "${a.latest}" is not a whole number`);
        }
        const { runDiff } = await import('./commands/diff.js');
        code = await runDiff(
          {
            old: dash(a.old),
            new: a.new === undefined ? '' : dash(a.new),
            ...(latest === undefined ? {} : { latest }),
            cloudtrail: (a.cloudtrail ?? []).map((s) => dash(String(s))),
            lenient: a.lenient,
            propagationAllowance: parseDurationFlag('propagation-allowance', a['propagation-allowance']),
            timeTolerance: parseDurationFlag('time-tolerance', a['time-tolerance']),
            ...(a.crl === undefined ? {} : { crl: dash(a.crl) }),
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
            ...(a.output === undefined ? {} : { output: dash(a.output) }),
            ...(a.ca === undefined ? {} : { ca: a.ca }),
          },
          contextFrom(a),
        );
      },
    )
    .command(
      'events',
      'print the CloudTrail events pca-audit reads, normalised, as JSON lines',
      (y) =>
        y
          .option('cloudtrail', {
            type: 'string',
            array: true,
            demandOption: 'name the CloudTrail records to read with --cloudtrail',
            describe:
              'trail log files (.json/.json.gz), lookup-events output, EventBridge events, JSON lines, directories, -',
          })
          .option('ca', { type: 'string', describe: 'only events naming this CA ARN' })
          .option('since', { type: 'string', describe: 'only events at or after this instant' })
          .option('until', { type: 'string', describe: 'only events at or before this instant' })
          .option('lenient', {
            type: 'boolean',
            default: false,
            describe: 'skip malformed records (counted on stderr) instead of failing',
          })
          .option('output', { alias: 'o', type: 'string', describe: 'write to FILE instead of stdout' })
          .option('force', { type: 'boolean', default: false, describe: 'replace an existing --output file' })
          .example('$0 events --cloudtrail samples/cloudtrail/ --ca arn:aws:acm-pca:...', "one CA's events")
          .epilogue(EXIT_CODES),
      async (a) => {
        const { runEvents } = await import('./commands/events.js');
        code = await runEvents(
          {
            cloudtrail: (a.cloudtrail ?? []).map((s) => dash(String(s))),
            lenient: a.lenient,
            force: a.force,
            ...(a.ca === undefined ? {} : { ca: a.ca }),
            ...(a.since === undefined ? {} : { since: parseInstantFlag('since', a.since) }),
            ...(a.until === undefined ? {} : { until: parseInstantFlag('until', a.until) }),
            ...(a.output === undefined ? {} : { output: dash(a.output) }),
          },
          contextFrom(a),
        );
      },
    )
    .command(
      'generate',
      'have the CA make an audit report (within the 30-minute rule), wait for it, download and keep it',
      (y) =>
        y
          .option('ca', { type: 'string', demandOption: 'name the CA with --ca ARN', describe: 'the CA ARN' })
          .option('bucket', {
            type: 'string',
            demandOption: 'name the bucket the CA writes reports into with --bucket',
            describe: 'the S3 bucket the CA writes reports into',
          })
          .option('format', {
            choices: ['json', 'csv'] as const,
            default: 'json' as const,
            describe: 'report format',
          })
          .option('out', { type: 'string', default: '.', describe: 'directory to keep the report in' })
          .option('timeout', { type: 'string', default: '30m', describe: 'how long to wait for the report' })
          .option('poll-interval', { type: 'string', default: '3s', describe: 'time between status checks' })
          .option('wait-for-slot', {
            type: 'boolean',
            default: false,
            describe: 'wait out the 30 minutes when a report of the other format is recent',
          })
          .option('json', { type: 'boolean', default: false, describe: 'print what was made as JSON' })
          .example(
            '$0 generate --ca arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/... --bucket my-audit-reports --out reports/',
            'prints the path of the kept report',
          )
          .epilogue(EXIT_CODES),
      async (a) => {
        const { runGenerate } = await import('./commands/generate.js');
        code = await runGenerate(
          {
            ca: a.ca,
            bucket: a.bucket,
            format: a.format,
            out: a.out,
            timeout: parseDurationFlag('timeout', a.timeout),
            pollInterval: parseDurationFlag('poll-interval', a['poll-interval']),
            waitForSlot: a['wait-for-slot'],
            json: a.json,
          },
          contextFrom(a),
        );
      },
    )
    .command(
      'bootstrap',
      "make a bucket ready for the CAs' audit reports: merge the least-privilege statement into its policy",
      (y) =>
        y
          .option('bucket', {
            type: 'string',
            demandOption: 'name the bucket the CAs write reports into with --bucket',
            describe: 'the S3 bucket',
          })
          .option('ca', {
            type: 'string',
            array: true,
            demandOption: 'name each CA with --ca ARN',
            describe: 'a CA ARN (repeat for several CAs of one Region)',
          })
          .option('create', {
            type: 'boolean',
            default: false,
            describe: "make the bucket in the CA's Region if it does not exist",
          })
          .option('dry-run', {
            type: 'boolean',
            default: false,
            describe: 'show the policy diff, write nothing',
          })
          .option('format', {
            choices: ['text', 'json'] as const,
            default: 'text' as const,
            describe: 'output format',
          })
          .example(
            '$0 bootstrap --bucket my-audit-reports --ca arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/... --create',
            'make the bucket and grant the CA',
          )
          .example(
            '$0 bootstrap --bucket my-audit-reports --ca ARN1 --ca ARN2 --dry-run',
            'show what would change',
          )
          .epilogue(EXIT_CODES),
      async (a) => {
        const { runBootstrap } = await import('./commands/bootstrap.js');
        code = await runBootstrap(
          {
            bucket: a.bucket,
            ca: (a.ca ?? []).map(String),
            create: a.create,
            dryRun: a['dry-run'],
            format: a.format,
          },
          contextFrom(a),
        );
      },
    )
    .command(
      'doctor',
      'check everything a CA needs to deliver audit reports into a bucket, and say how to fix each failure',
      (y) =>
        y
          .option('ca', { type: 'string', demandOption: 'name the CA with --ca ARN', describe: 'the CA ARN' })
          .option('bucket', {
            type: 'string',
            demandOption: 'name the bucket the CA writes reports into with --bucket',
            describe: 'the S3 bucket',
          })
          .option('max-report-age', {
            type: 'string',
            default: '36h',
            describe: 'the newest report must be younger than this',
          })
          .option('format', {
            choices: ['text', 'json'] as const,
            default: 'text' as const,
            describe: 'output format',
          })
          .example(
            '$0 doctor --ca arn:aws:acm-pca:... --bucket my-audit-reports',
            'PASS/FAIL per check, exit 1 on a FAIL',
          )
          .epilogue(EXIT_CODES),
      async (a) => {
        const { runDoctorCommand } = await import('./commands/doctor.js');
        code = await runDoctorCommand(
          {
            ca: a.ca,
            bucket: a.bucket,
            maxReportAge: parseDurationFlag('max-report-age', a['max-report-age']),
            format: a.format,
          },
          contextFrom(a),
        );
      },
    )
    .command(
      'iam-policy',
      "print the least-privilege IAM policy pca-audit's own role needs",
      (y) =>
        y
          .option('command', {
            choices: IAM_COMMANDS,
            describe: 'only what this command needs (default: every command)',
          })
          .option('bucket', {
            type: 'string',
            array: true,
            describe: 'limit S3 access to this bucket (repeatable)',
          })
          .option('ca', {
            type: 'string',
            array: true,
            describe: 'limit ACM PCA access to this CA (repeatable)',
          })
          .example('$0 iam-policy --command generate --bucket my-audit-reports', 'what generate needs'),
      async (a) => {
        const { runIamPolicy } = await import('./commands/iam-policy.js');
        code = await runIamPolicy({
          ...(a.command === undefined ? {} : { command: a.command as IamCommand }),
          bucket: (a.bucket ?? []).map(String),
          ca: (a.ca ?? []).map(String),
        });
      },
    )
    .command(
      'run',
      'the nightly job: for each CA generate, diff against the last reconciled report, reconcile, store, alert',
      (y) =>
        y
          .option('config', {
            type: 'string',
            describe: 'JSON config file (flags > PCA_AUDIT_* environment > file)',
          })
          .option('ca', { type: 'string', array: true, describe: 'a CA ARN (repeatable)' })
          .option('all', {
            type: 'boolean',
            describe: 'every ACTIVE or DISABLED CA the caller sees, shared ones included',
          })
          .option('bucket', { type: 'string', describe: 'the S3 bucket the CAs write reports into' })
          .option('state', { type: 'string', describe: 'keep the state in S3 instead: s3://bucket/prefix/' })
          .option('state-dir', {
            type: 'string',
            describe: 'where checkpoints and results live (default $XDG_STATE_HOME/pca-audit)',
          })
          .option('cloudtrail', {
            type: 'string',
            array: true,
            describe: "events to reconcile with: 'lookup' (default) or s3://trail-bucket[/prefix]/",
          })
          .option('fail-on', { type: 'string', describe: 'lowest severity that exits 1 (default warning)' })
          .option('concurrency', { type: 'string', describe: 'CAs audited at once (default 4)' })
          .option('ack-file', {
            type: 'string',
            describe: 'acknowledged findings (JSON: [{code, serial, reason, expires?}])',
          })
          .option('notify-command', {
            type: 'string',
            describe: 'run this (sh -c) with the summary when there is news',
          })
          .option('webhook', { type: 'string', describe: 'POST the summary JSON here when there is news' })
          .option('notify-on', {
            type: 'string',
            describe: 'alerts (default: new alerts or a failed CA) or always',
          })
          .option('report-format', { type: 'string', describe: 'json (default) or csv' })
          .option('timeout', { type: 'string', describe: 'wait for each report this long (default 30m)' })
          .option('poll-interval', {
            type: 'string',
            describe: 'time between report status checks (default 3s)',
          })
          .option('propagation-allowance', { type: 'string', describe: 'see diff (default 1h)' })
          .option('time-tolerance', { type: 'string', describe: 'see diff (default 5m)' })
          .option('keep-reports', {
            type: 'string',
            describe: 'reports kept per CA in the state directory (default 2)',
          })
          .option('dry-run', {
            type: 'boolean',
            default: false,
            describe: 'read only: no report made, nothing stored, no notification',
          })
          .option('format', {
            choices: ['text', 'json'] as const,
            default: 'text' as const,
            describe: 'summary format on stdout',
          })
          .example(
            '$0 run --bucket my-audit-reports --all --state-dir /var/lib/pca-audit',
            'every CA, nightly',
          )
          .example('$0 run --config /etc/pca-audit.json', 'settings from a file')
          .epilogue(EXIT_CODES),
      async (a) => {
        // the AWS SDK is loaded only by the commands that talk to AWS
        const { runRun } = await import('./commands/run.js');
        code = await runRun(
          {
            dryRun: a['dry-run'],
            format: a.format,
            ...(a.config === undefined ? {} : { config: a.config }),
            ...(a.ca === undefined ? {} : { ca: a.ca.map(String) }),
            ...(a.all === undefined ? {} : { all: a.all }),
            ...(a.bucket === undefined ? {} : { bucket: a.bucket }),
            ...(a['state-dir'] === undefined ? {} : { stateDir: a['state-dir'] }),
            ...(a.state === undefined ? {} : { state: a.state }),
            ...(a.cloudtrail === undefined ? {} : { cloudtrail: a.cloudtrail.map(String) }),
            ...(a['fail-on'] === undefined ? {} : { failOn: a['fail-on'] }),
            ...(a.concurrency === undefined ? {} : { concurrency: a.concurrency }),
            ...(a['ack-file'] === undefined ? {} : { ackFile: a['ack-file'] }),
            ...(a['notify-command'] === undefined ? {} : { notifyCommand: a['notify-command'] }),
            ...(a.webhook === undefined ? {} : { webhook: a.webhook }),
            ...(a['notify-on'] === undefined ? {} : { notifyOn: a['notify-on'] }),
            ...(a['report-format'] === undefined ? {} : { reportFormat: a['report-format'] }),
            ...(a.timeout === undefined ? {} : { timeout: a.timeout }),
            ...(a['poll-interval'] === undefined ? {} : { pollInterval: a['poll-interval'] }),
            ...(a['propagation-allowance'] === undefined
              ? {}
              : { propagationAllowance: a['propagation-allowance'] }),
            ...(a['time-tolerance'] === undefined ? {} : { timeTolerance: a['time-tolerance'] }),
            ...(a['keep-reports'] === undefined ? {} : { keepReports: a['keep-reports'] }),
          },
          contextFrom(a),
        );
      },
    )
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
    .demandCommand(1, 'name a command: inspect, diff, events, generate, run, bootstrap, doctor or iam-policy')
    .strict()
    .exitProcess(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .epilogue(EXIT_CODES)
    .fail((msg, err) => {
      throw err ?? new UsageError(oneLine(msg));
    });
  skipHelpCache(cli);
  try {
    await cli.parseAsync();
    return code ?? 0;
  } catch (err) {
    return reportError(err);
  }
}

/**
 * yargs renders a command's whole help before running its handler, in case the handler fails and
 * help is to be shown (~30 ms of text wrapping on every run). Our fail() handler never shows it:
 * the rendering is skipped. Help asked for (--help) is rendered as before.
 */
function skipHelpCache(cli: Argv): void {
  const internal = (cli as unknown as { getInternalMethods?: () => { getUsageInstance?: () => unknown } })
    .getInternalMethods?.()
    ?.getUsageInstance?.() as { cacheHelpMessage?: () => void } | undefined;
  if (typeof internal?.cacheHelpMessage === 'function') internal.cacheHelpMessage = () => {};
}

/** One line, no terminal control sequences: messages quote report content. */
function safeLine(msg: string): string {
  return safeText(oneLine(msg));
}

function reportError(err: unknown): number {
  const debug = process.env.PCA_AUDIT_DEBUG === '1';
  if (err instanceof UsageError) {
    process.stderr.write(`pca-audit: ${safeLine(err.message)}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
    if (!err.hint) process.stderr.write(`hint: see 'pca-audit --help'\n`);
    return EXIT_USAGE;
  }
  if (err instanceof InputError) {
    process.stderr.write(
      `pca-audit: reading ${err.kind} "${safeLine(err.input)}": ${safeLine(err.message)}\n`,
    );
    if (debug && err.cause) process.stderr.write(`${(err.cause as Error).stack ?? err.cause}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof StateError) {
    process.stderr.write(`pca-audit: state "${safeLine(err.path)}": ${safeLine(err.message)}\n`);
    if (err.hint) process.stderr.write(`hint: ${safeLine(err.hint)}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof AwsError) {
    const id = err.requestId ? ` (request id ${err.requestId})` : '';
    process.stderr.write(
      `pca-audit: AWS ${err.operation} failed: ${safeLine(err.errorName)}: ${safeLine(err.message)}${id}\n`,
    );
    if (err.hint) process.stderr.write(`hint: ${safeLine(err.hint)}\n`);
    return EXIT_AWS;
  }
  if (err instanceof ReportSyntaxError) {
    process.stderr.write(`pca-audit: reading report: ${safeLine(err.message)}\n`);
    return EXIT_USAGE;
  }
  const e = err as Error;
  if ((e as NodeJS.ErrnoException)?.code === 'EPIPE') return 0;
  process.stderr.write(`pca-audit: internal error: ${safeLine(e?.message ?? String(err))}\n`);
  process.stderr.write(
    debug ? `${e?.stack ?? ''}\n` : 'hint: run again with PCA_AUDIT_DEBUG=1 and report the output\n',
  );
  return EXIT_INTERNAL;
}
