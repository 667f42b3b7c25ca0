import { readFileSync } from 'node:fs';
import { parseDurationFlag, parseInstantFlag } from '../app/parse-values.js';
import type { Streams } from '../app/ports.js';
import { IAM_COMMANDS, IAM_SIDES } from '../core/bucket/iam-policy.js';
import {
  describeError,
  EXIT_INTERNAL,
  exitCodeOf,
  hintOf,
  isSystemError,
  UsageError,
} from '../core/errors.js';
import { FAIL_ON_LEVELS } from '../core/fail-on.js';
import { safeText } from '../core/render/style.js';
import { InputError } from '../io/report-source.js';
import { systemReason } from '../io/system-error.js';
import {
  type CommandSpec,
  type Options,
  type Positional,
  type ProgramSpec,
  parseCommandLine,
  type RawValues,
  renderHelp,
  typedValues,
  type Values,
} from './args.js';
import { type CliContext, makeContext } from './context.js';
import { OUTPUT_FORMATS } from './output.js';
import { processStreams } from './streams.js';

const EXIT_CODES = `Exit codes:
  0  nothing at or above --fail-on
  1  findings at or above --fail-on (default: warning)
  2  usage, config or input error (bad flag, unreadable or malformed report, unwritable file)
  3  AWS or network failure
  4  internal error (a bug: run again with PCA_AUDIT_DEBUG=1 and report it)
  5  not now: no report can be had yet (AWS's 30-minute rule); retry after the time given`;

/** Accepted before and after the command name. */
const GLOBAL_OPTIONS = {
  region: { type: 'string', describe: "AWS Region (default: the CA ARN's, else the SDK's)" },
  profile: { type: 'string', describe: 'AWS profile from the shared config files' },
  'endpoint-url': {
    type: 'string',
    describe: 'send every AWS call to this URL (AWS_ENDPOINT_URL_<SERVICE> also work)',
  },
  'retry-mode': {
    type: 'string',
    choices: ['standard', 'adaptive'],
    default: 'standard',
    describe: 'SDK retry mode',
  },
  'max-attempts': { type: 'string', default: '5', describe: 'SDK attempts per call' },
} as const satisfies Options;

/** The options of the commands that render findings: inspect and diff. */
const OUTPUT_OPTIONS = {
  format: { type: 'string', choices: OUTPUT_FORMATS, default: 'text', describe: 'output format' },
  output: { type: 'string', short: 'o', describe: 'write to FILE instead of stdout' },
  force: { type: 'boolean', default: false, describe: 'replace an existing --output file' },
  'fail-on': {
    type: 'string',
    choices: FAIL_ON_LEVELS,
    default: 'warning',
    describe: 'lowest severity that exits 1',
  },
  'max-findings': {
    type: 'string',
    default: '1000',
    describe: 'findings listed per code (the rest are counted)',
  },
  ca: {
    type: 'string',
    describe: 'the CA ARN the report(s) must be of (default: the CA most rows name)',
  },
} as const satisfies Options;

type GlobalValues = Values<typeof GLOBAL_OPTIONS, []>;

/** The values of OUTPUT_OPTIONS as inspect and diff take them. */
function outputValues(a: Values<typeof OUTPUT_OPTIONS, []>) {
  return {
    format: a.format,
    force: a.force,
    failOn: a['fail-on'],
    maxFindings: maxFindings(a['max-findings']),
    ...(a.output === undefined ? {} : { output: a.output }),
    ...(a.ca === undefined ? {} : { ca: a.ca }),
  };
}

/** A row of the table: what parsing and --help read, and the handler. */
interface Command extends CommandSpec {
  run(values: RawValues, shell: Shell): Promise<number>;
}

/** What main() runs a command with: the clock for defaults like --at, and the streams. */
interface Shell {
  now(): number;
  streams: Streams;
}

/** A command whose handler gets its options typed from its own table row (and the global options). */
function command<const O extends Options, const P extends readonly Positional[]>(
  spec: CommandSpec<O, P>,
  run: (a: Values<O, P> & GlobalValues, shell: Shell) => Promise<number>,
): Command {
  return { ...spec, run: (values, shell) => run(typedValues(values), shell) };
}

function maxFindings(v: string): number {
  const text = v.trim();
  if (!/^\d+$/.test(text)) throw new UsageError(`--max-findings: "${text}" is not a whole number`);
  return Number(text);
}

/** The shell for a command: AWS settings from the global flags, the clock, stderr. */
function contextFrom(a: GlobalValues, shell: Shell): CliContext {
  // the newer SDK warns about Node 20 on every process; the warning is not for our users
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (a.profile) process.env.AWS_PROFILE = a.profile;
  const attempts = Number(a['max-attempts']);
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 20) {
    throw new UsageError(`--max-attempts: "${a['max-attempts']}" is not a whole number from 1 to 20`);
  }
  return makeContext(
    {
      ...(a.region ? { region: a.region } : {}),
      ...(a['endpoint-url'] ? { endpointUrl: a['endpoint-url'] } : {}),
      retryMode: a['retry-mode'],
      maxAttempts: attempts,
    },
    shell.streams,
  );
}

const inspect = command(
  {
    name: 'inspect',
    describe: 'validate and summarise one audit report',
    positionals: [
      {
        name: 'report',
        describe: 'report file (JSON or CSV, gzip ok, - for stdin)',
        required: 'name the report to inspect (a file, or - for stdin)',
      },
    ],
    options: {
      ...OUTPUT_OPTIONS,
      at: { type: 'string', describe: 'count active/expired/revoked as of this instant (default: now)' },
      'expiring-within': {
        type: 'string',
        default: '30d',
        describe: 'list certificates expiring within this',
      },
    },
    examples: [
      ['$0 inspect samples/ca-2026-11-20.json', 'counts, expiring certificates and problems'],
      ['$0 inspect report.csv.gz --format json --at 2026-11-20', 'as JSON, as of a date'],
    ],
    epilogue: EXIT_CODES,
  },
  async (a, shell) => {
    const { runInspect } = await import('./commands/inspect.js');
    return runInspect(
      {
        report: a.report,
        at: a.at === undefined ? Math.floor(shell.now()) : parseInstantFlag('at', a.at),
        expiringWithin: parseDurationFlag('expiring-within', a['expiring-within']),
        ...outputValues(a),
      },
      contextFrom(a, shell),
    );
  },
);

const diff = command(
  {
    name: 'diff',
    describe: 'compare two successive audit reports of one CA',
    positionals: [
      {
        name: 'old',
        describe: 'the older report (- for stdin)',
        required: 'name the reports to compare: OLD and NEW (files, or one of them - for stdin)',
      },
      { name: 'new', describe: 'the newer report (- for stdin); omitted with --latest 2' },
    ],
    options: {
      ...OUTPUT_OPTIONS,
      latest: {
        type: 'string',
        describe: 'with an s3://bucket/audit-report/<CA_ID>/ prefix as OLD: diff its 2 newest reports',
      },
      'old-created-at': { type: 'string', describe: 'when OLD was made (enables LATE_ISSUANCE)' },
      'new-created-at': { type: 'string', describe: 'when NEW was made' },
      cloudtrail: {
        type: 'string',
        multiple: true,
        describe:
          'CloudTrail records to reconcile with: trail log files (.json/.json.gz), lookup-events output, EventBridge events, JSON lines, directories, -',
      },
      lenient: {
        type: 'boolean',
        default: false,
        describe: 'skip malformed CloudTrail records (counted) instead of failing',
      },
      'propagation-allowance': {
        type: 'string',
        default: '1h',
        describe:
          'a revocation younger than this may be missing from NEW (or the CRL): a warning, not an error',
      },
      'time-tolerance': {
        type: 'string',
        default: '5m',
        describe: 'how far a RevokeCertificate call and the report revokedAt may differ',
      },
      crl: { type: 'string', describe: 'the CA CRL (DER or PEM) to check against NEW' },
      'ca-certificate': {
        type: 'string',
        describe: "the CA's certificate (PEM or DER): the CRL's signature and issuer are checked against it",
      },
      'crl-max-age': {
        type: 'string',
        describe:
          'a CRL whose thisUpdate is older than this is CRL_STALE (warning); default: half its validity and an hour, when PCA replaces it',
      },
    },
    examples: [
      [
        '$0 diff samples/ca-2026-11-19.json samples/ca-2026-11-20.json --old-created-at 2026-11-19T02:00:00Z',
        'what changed, and what must never happen',
      ],
      ['$0 diff old.json new.csv --format json --fail-on error', 'JSON against CSV, machine-readable'],
      [
        '$0 diff old.json new.json --cloudtrail trail-logs/ --crl ca.crl --ca-certificate ca.pem',
        'reconcile with CloudTrail and the CRL, its signature verified',
      ],
    ],
    epilogue: EXIT_CODES,
  },
  async (a, shell) => {
    const latest = a.latest === undefined ? undefined : Number(a.latest);
    if (latest !== undefined && !Number.isInteger(latest)) {
      throw new UsageError(`--latest: "${a.latest}" is not a whole number`);
    }
    const { runDiff } = await import('./commands/diff.js');
    return runDiff(
      {
        old: a.old,
        new: a.new ?? '',
        ...(latest === undefined ? {} : { latest }),
        cloudtrail: a.cloudtrail ?? [],
        lenient: a.lenient,
        propagationAllowance: parseDurationFlag('propagation-allowance', a['propagation-allowance']),
        timeTolerance: parseDurationFlag('time-tolerance', a['time-tolerance']),
        ...(a.crl === undefined ? {} : { crl: a.crl }),
        ...(a['ca-certificate'] === undefined ? {} : { caCertificate: a['ca-certificate'] }),
        ...(a['crl-max-age'] === undefined
          ? {}
          : { crlMaxAge: parseDurationFlag('crl-max-age', a['crl-max-age']) }),
        ...outputValues(a),
        ...(a['old-created-at'] === undefined
          ? {}
          : { oldCreatedAt: parseInstantFlag('old-created-at', a['old-created-at']) }),
        ...(a['new-created-at'] === undefined
          ? {}
          : { newCreatedAt: parseInstantFlag('new-created-at', a['new-created-at']) }),
      },
      contextFrom(a, shell),
    );
  },
);

const events = command(
  {
    name: 'events',
    describe: 'print the CloudTrail events pca-audit reads, normalised, as JSON lines',
    positionals: [],
    options: {
      cloudtrail: {
        type: 'string',
        multiple: true,
        required: 'name the CloudTrail records to read with --cloudtrail',
        describe:
          'trail log files (.json/.json.gz), lookup-events output, EventBridge events, JSON lines, directories, -',
      },
      ca: { type: 'string', describe: 'only events naming this CA ARN' },
      since: { type: 'string', describe: 'only events at or after this instant' },
      until: { type: 'string', describe: 'only events at or before this instant' },
      lenient: {
        type: 'boolean',
        default: false,
        describe: 'skip malformed records (counted on stderr) instead of failing',
      },
      output: { type: 'string', short: 'o', describe: 'write to FILE instead of stdout' },
      force: { type: 'boolean', default: false, describe: 'replace an existing --output file' },
    },
    examples: [['$0 events --cloudtrail samples/cloudtrail/ --ca arn:aws:acm-pca:...', "one CA's events"]],
    epilogue: EXIT_CODES,
  },
  async (a, shell) => {
    const { runEvents } = await import('./commands/events.js');
    return runEvents(
      {
        cloudtrail: a.cloudtrail,
        lenient: a.lenient,
        force: a.force,
        ...(a.ca === undefined ? {} : { ca: a.ca }),
        ...(a.since === undefined ? {} : { since: parseInstantFlag('since', a.since) }),
        ...(a.until === undefined ? {} : { until: parseInstantFlag('until', a.until) }),
        ...(a.output === undefined ? {} : { output: a.output }),
      },
      contextFrom(a, shell),
    );
  },
);

const generate = command(
  {
    name: 'generate',
    describe:
      'have the CA make an audit report (within the 30-minute rule), wait for it, download and keep it',
    positionals: [],
    options: {
      ca: { type: 'string', required: 'name the CA with --ca ARN', describe: 'the CA ARN' },
      bucket: {
        type: 'string',
        required: 'name the bucket the CA writes reports into with --bucket',
        describe: 'the S3 bucket the CA writes reports into',
      },
      format: { type: 'string', choices: ['json', 'csv'], default: 'json', describe: 'report format' },
      out: { type: 'string', default: '.', describe: 'directory to keep the report in' },
      timeout: { type: 'string', default: '30m', describe: 'how long to wait for the report' },
      'poll-interval': { type: 'string', default: '3s', describe: 'time between status checks' },
      'wait-for-slot': {
        type: 'boolean',
        default: false,
        describe: 'wait out the 30 minutes when a report of the other format is recent',
      },
      'accept-any-format': {
        type: 'boolean',
        default: false,
        describe: 'use a recent report of the other format rather than exit 5 (diff compares JSON with CSV)',
      },
      json: { type: 'boolean', default: false, describe: 'print what was made as JSON' },
    },
    examples: [
      [
        '$0 generate --ca arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/... --bucket my-audit-reports --out reports/',
        'prints the path of the kept report',
      ],
    ],
    epilogue: EXIT_CODES,
  },
  async (a, shell) => {
    const { runGenerate } = await import('./commands/generate.js');
    return runGenerate(
      {
        ca: a.ca,
        bucket: a.bucket,
        format: a.format,
        out: a.out,
        timeout: parseDurationFlag('timeout', a.timeout),
        pollInterval: parseDurationFlag('poll-interval', a['poll-interval']),
        waitForSlot: a['wait-for-slot'],
        acceptAnyFormat: a['accept-any-format'],
        json: a.json,
      },
      contextFrom(a, shell),
    );
  },
);

const run = command(
  {
    name: 'run',
    describe:
      'the nightly job: for each CA generate, diff against the last reconciled report, reconcile, store, alert',
    positionals: [],
    options: {
      config: { type: 'string', describe: 'JSON config file (flags > PCA_AUDIT_* environment > file)' },
      ca: { type: 'string', multiple: true, describe: 'a CA ARN (repeatable)' },
      all: { type: 'boolean', describe: 'every ACTIVE or DISABLED CA the caller sees, shared ones included' },
      bucket: { type: 'string', describe: 'the S3 bucket the CAs write reports into' },
      state: { type: 'string', describe: 'keep the state in S3 instead: s3://bucket/prefix/' },
      'state-dir': {
        type: 'string',
        describe: 'where checkpoints and results live (default $XDG_STATE_HOME/pca-audit)',
      },
      cloudtrail: {
        type: 'string',
        multiple: true,
        describe: "events to reconcile with: 'lookup' (default) or s3://trail-bucket[/prefix]/",
      },
      'fail-on': {
        type: 'string',
        describe: 'lowest severity alerted; a new alert exits 1 (default warning)',
      },
      'repeat-alerts': {
        type: 'boolean',
        describe: 'alerts of earlier nights still present exit 1 again, not only new ones',
      },
      concurrency: { type: 'string', describe: 'CAs audited at once (default 4)' },
      'ack-file': {
        type: 'string',
        describe: 'acknowledged findings (JSON: [{code, serial, reason, expires?}])',
      },
      'notify-command': { type: 'string', describe: 'run this (sh -c) with the summary when there is news' },
      webhook: { type: 'string', describe: 'POST the summary JSON here when there is news' },
      'sns-topic-arn': {
        type: 'string',
        describe: 'publish the summary to this SNS topic when there is news (attributes: exitCode, runId)',
      },
      'sns-format': { type: 'string', describe: 'the SNS message body: markdown (default) or json' },
      emf: {
        type: 'string',
        describe:
          "append each night's metrics per CA as CloudWatch Embedded Metric Format lines to FILE ('-': stdout)",
      },
      'cloudwatch-namespace': {
        type: 'string',
        describe: 'the metrics namespace (default PcaAudit); alone, the metrics are sent with PutMetricData',
      },
      'security-hub': {
        type: 'boolean',
        describe:
          'import each alert into Security Hub as an ASFF finding; gone ones are archived (RESOLVED), acknowledged ones SUPPRESSED',
      },
      'put-metric-data': {
        type: 'boolean',
        describe: "send each night's metrics per CA with CloudWatch PutMetricData",
      },
      'notify-on': { type: 'string', describe: 'alerts (default: new alerts or a failed CA) or always' },
      'report-format': { type: 'string', describe: 'json (default) or csv' },
      timeout: { type: 'string', describe: 'wait for each report this long (default 30m)' },
      'poll-interval': { type: 'string', describe: 'time between report status checks (default 3s)' },
      'propagation-allowance': { type: 'string', describe: 'see diff (default 1h)' },
      'time-tolerance': { type: 'string', describe: 'see diff (default 5m)' },
      'keep-reports': { type: 'string', describe: 'reports kept per CA in the state directory (default 2)' },
      ocsp: {
        type: 'boolean',
        describe:
          "ask the CA's OCSP responder (when enabled) about the night's revocations (default on; --no-ocsp: off)",
      },
      'ocsp-max': {
        type: 'string',
        describe:
          'certificates asked per CA and night; beyond it, those with the smallest SHA-256 of the serial (default 100)',
      },
      'crl-check': {
        type: 'string',
        describe:
          "on|off: fetch the CA's CRL from its RevocationConfiguration, verify it and check it against NEW (default on)",
      },
      'crl-max-age': { type: 'string', describe: "see diff (default: half the CRL's validity and an hour)" },
      'max-report-age': {
        type: 'string',
        describe:
          'REPORT_STALE when the newest successful report of a CA is older than this, failed nights included (default 36h, as doctor)',
      },
      'dry-run': {
        type: 'boolean',
        default: false,
        describe: 'read only: no report made, nothing stored, no notification',
      },
      'test-notify': {
        type: 'boolean',
        describe: 'send a test notification through every configured channel and exit (3 if one failed)',
      },
      format: {
        type: 'string',
        choices: ['text', 'json'],
        default: 'text',
        describe: 'summary format on stdout',
      },
    },
    examples: [
      ['$0 run --bucket my-audit-reports --all --state-dir /var/lib/pca-audit', 'every CA, nightly'],
      ['$0 run --config /etc/pca-audit.json', 'settings from a file'],
    ],
    epilogue: EXIT_CODES,
  },
  async (a, shell) => {
    // the AWS SDK is loaded only by the commands that talk to AWS
    const { runRun } = await import('./commands/run.js');
    return runRun(
      {
        dryRun: a['dry-run'],
        format: a.format,
        ...(a.config === undefined ? {} : { config: a.config }),
        ...(a.ca === undefined ? {} : { ca: a.ca }),
        ...(a.all === undefined ? {} : { all: a.all }),
        ...(a.bucket === undefined ? {} : { bucket: a.bucket }),
        ...(a['state-dir'] === undefined ? {} : { stateDir: a['state-dir'] }),
        ...(a.state === undefined ? {} : { state: a.state }),
        ...(a.cloudtrail === undefined ? {} : { cloudtrail: a.cloudtrail }),
        ...(a['fail-on'] === undefined ? {} : { failOn: a['fail-on'] }),
        ...(a['repeat-alerts'] === undefined ? {} : { repeatAlerts: a['repeat-alerts'] }),
        ...(a.concurrency === undefined ? {} : { concurrency: a.concurrency }),
        ...(a['ack-file'] === undefined ? {} : { ackFile: a['ack-file'] }),
        ...(a['notify-command'] === undefined ? {} : { notifyCommand: a['notify-command'] }),
        ...(a.webhook === undefined ? {} : { webhook: a.webhook }),
        ...(a['sns-topic-arn'] === undefined ? {} : { snsTopicArn: a['sns-topic-arn'] }),
        ...(a['sns-format'] === undefined ? {} : { snsFormat: a['sns-format'] }),
        ...(a.emf === undefined ? {} : { emf: a.emf }),
        ...(a['cloudwatch-namespace'] === undefined
          ? {}
          : { cloudwatchNamespace: a['cloudwatch-namespace'] }),
        ...(a['put-metric-data'] === undefined ? {} : { putMetricData: a['put-metric-data'] }),
        ...(a['security-hub'] === undefined ? {} : { securityHub: a['security-hub'] }),
        ...(a['test-notify'] === undefined ? {} : { testNotify: a['test-notify'] }),
        ...(a['notify-on'] === undefined ? {} : { notifyOn: a['notify-on'] }),
        ...(a['report-format'] === undefined ? {} : { reportFormat: a['report-format'] }),
        ...(a.timeout === undefined ? {} : { timeout: a.timeout }),
        ...(a['poll-interval'] === undefined ? {} : { pollInterval: a['poll-interval'] }),
        ...(a['propagation-allowance'] === undefined
          ? {}
          : { propagationAllowance: a['propagation-allowance'] }),
        ...(a['time-tolerance'] === undefined ? {} : { timeTolerance: a['time-tolerance'] }),
        ...(a['keep-reports'] === undefined ? {} : { keepReports: a['keep-reports'] }),
        ...(a.ocsp === undefined ? {} : { ocsp: a.ocsp }),
        ...(a['ocsp-max'] === undefined ? {} : { ocspMax: a['ocsp-max'] }),
        ...(a['crl-check'] === undefined ? {} : { crlCheck: a['crl-check'] }),
        ...(a['crl-max-age'] === undefined ? {} : { crlMaxAge: a['crl-max-age'] }),
        ...(a['max-report-age'] === undefined ? {} : { maxReportAge: a['max-report-age'] }),
      },
      contextFrom(a, shell),
    );
  },
);

const bootstrap = command(
  {
    name: 'bootstrap',
    describe:
      "make a bucket ready for the CAs' audit reports: merge the least-privilege statement into its policy",
    positionals: [],
    options: {
      bucket: {
        type: 'string',
        required: 'name the bucket the CAs write reports into with --bucket',
        describe: 'the S3 bucket',
      },
      ca: {
        type: 'string',
        multiple: true,
        required: 'name each CA with --ca ARN',
        describe: 'a CA ARN (repeat for several CAs of one Region)',
      },
      create: {
        type: 'boolean',
        default: false,
        describe: "make the bucket in the CA's Region if it does not exist",
      },
      'dry-run': { type: 'boolean', default: false, describe: 'show the policy diff, write nothing' },
      format: { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'output format' },
    },
    examples: [
      [
        '$0 bootstrap --bucket my-audit-reports --ca arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/... --create',
        'make the bucket and grant the CA',
      ],
      ['$0 bootstrap --bucket my-audit-reports --ca ARN1 --ca ARN2 --dry-run', 'show what would change'],
    ],
    epilogue: EXIT_CODES,
  },
  async (a, shell) => {
    const { runBootstrap } = await import('./commands/bootstrap.js');
    return runBootstrap(
      { bucket: a.bucket, ca: a.ca, create: a.create, dryRun: a['dry-run'], format: a.format },
      contextFrom(a, shell),
    );
  },
);

const doctor = command(
  {
    name: 'doctor',
    describe:
      'check everything a CA needs to deliver audit reports into a bucket, and say how to fix each failure',
    positionals: [],
    options: {
      ca: { type: 'string', required: 'name the CA with --ca ARN', describe: 'the CA ARN' },
      bucket: {
        type: 'string',
        required: 'name the bucket the CA writes reports into with --bucket',
        describe: 'the S3 bucket',
      },
      'max-report-age': {
        type: 'string',
        default: '36h',
        describe: 'the newest report must be younger than this',
      },
      'crl-max-age': {
        type: 'string',
        describe:
          "the CA's CRL (thisUpdate) must be younger than this (default: half its validity and an hour, when PCA replaces it)",
      },
      format: { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'output format' },
    },
    examples: [
      [
        '$0 doctor --ca arn:aws:acm-pca:... --bucket my-audit-reports',
        'PASS/FAIL per check, exit 1 on a FAIL',
      ],
    ],
    epilogue: EXIT_CODES,
  },
  async (a, shell) => {
    const { runDoctorCommand } = await import('./commands/doctor.js');
    return runDoctorCommand(
      {
        ca: a.ca,
        bucket: a.bucket,
        maxReportAge: parseDurationFlag('max-report-age', a['max-report-age']),
        ...(a['crl-max-age'] === undefined
          ? {}
          : { maxCrlAge: parseDurationFlag('crl-max-age', a['crl-max-age']) }),
        format: a.format,
      },
      contextFrom(a, shell),
    );
  },
);

const iamPolicy = command(
  {
    name: 'iam-policy',
    describe: "print the least-privilege IAM policy pca-audit's own role needs",
    positionals: [],
    options: {
      command: {
        type: 'string',
        choices: IAM_COMMANDS,
        describe: 'only what this command needs (default: every command)',
      },
      bucket: { type: 'string', multiple: true, describe: 'limit S3 access to this bucket (repeatable)' },
      'bucket-pattern': {
        type: 'string',
        multiple: true,
        describe:
          'limit S3 access to the buckets of a pattern like pca-audit-{account}-{region} (repeatable)',
      },
      ca: { type: 'string', multiple: true, describe: 'limit ACM PCA access to this CA (repeatable)' },
      'trail-bucket': {
        type: 'string',
        multiple: true,
        describe: 'the CloudTrail bucket --cloudtrail s3://… reads (repeatable; default: the --bucket ones)',
      },
      'crl-bucket': {
        type: 'string',
        multiple: true,
        describe:
          'the bucket a CA publishes its CRL into, read by run and doctor (repeatable; default: the --bucket ones)',
      },
      state: { type: 'string', describe: "add run's rights on its S3 state: s3://bucket/prefix/" },
      'sns-topic-arn': {
        type: 'string',
        multiple: true,
        describe: "add run's sns:Publish on this topic (repeatable)",
      },
      'security-hub': {
        type: 'boolean',
        describe: "add run's securityhub:BatchImportFindings and BatchUpdateFindings",
      },
      'cloudwatch-namespace': {
        type: 'string',
        describe: "add run's cloudwatch:PutMetricData, held to this namespace",
      },
      side: {
        type: 'string',
        choices: IAM_SIDES,
        describe:
          "run across accounts: only the central audit role's part (with --role-arn) or a member role's",
      },
      'role-arn': {
        type: 'string',
        multiple: true,
        describe: 'with --side central: a member role it assumes (repeatable; IAM wildcards allowed)',
      },
    },
    examples: [
      ['$0 iam-policy --command generate --bucket my-audit-reports', 'what generate needs'],
      [
        '$0 iam-policy --command run --bucket my-audit-reports --trail-bucket my-trail --state s3://my-state/pca-audit/',
        'the nightly job, with a trail bucket and its state in S3',
      ],
    ],
  },
  async (a, shell) => {
    const { runIamPolicy } = await import('./commands/iam-policy.js');
    return runIamPolicy(
      {
        ...(a.command === undefined ? {} : { command: a.command }),
        bucket: a.bucket ?? [],
        ca: a.ca ?? [],
        trailBucket: a['trail-bucket'] ?? [],
        crlBucket: a['crl-bucket'] ?? [],
        ...(a.state === undefined ? {} : { state: a.state }),
        ...(a['sns-topic-arn'] === undefined ? {} : { snsTopicArn: a['sns-topic-arn'] }),
        ...(a['security-hub'] === undefined ? {} : { securityHub: a['security-hub'] }),
        ...(a['cloudwatch-namespace'] === undefined
          ? {}
          : { cloudwatchNamespace: a['cloudwatch-namespace'] }),
        ...(a.side === undefined ? {} : { side: a.side }),
        ...(a['role-arn'] === undefined ? {} : { roleArn: a['role-arn'] }),
        ...(a['bucket-pattern'] === undefined ? {} : { bucketPattern: a['bucket-pattern'] }),
      },
      contextFrom(a, shell),
    );
  },
);

export const PROGRAM: ProgramSpec<Command> = {
  name: 'pca-audit',
  describe: 'Audits AWS Private CA audit reports: what a CA issued and revoked, and what must never change.',
  options: GLOBAL_OPTIONS,
  commands: [inspect, diff, events, generate, run, bootstrap, doctor, iamPolicy],
  epilogue: EXIT_CODES,
  noCommand: 'name a command: inspect, diff, events, generate, run, bootstrap, doctor or iam-policy',
};

/** package.json's version, read (not imported) so that --version loads nothing else. */
function version(): string {
  const pkg: { version?: unknown } = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  );
  return String(pkg.version);
}

/** What main() may be given instead of the process's own: tests run the CLI in process with these. */
export interface MainOptions {
  /** epoch seconds (default: the system clock) */
  now?: () => number;
  /** stdout, stderr and the environment (default: the process's) */
  streams?: Streams;
}

/** Runs the CLI; returns the exit code. Only bin/ sets process.exitCode. */
export async function main(args: string[], options: MainOptions = {}): Promise<number> {
  const streams = options.streams ?? processStreams();
  const shell: Shell = { now: options.now ?? (() => Date.now() / 1000), streams };
  let code: number;
  try {
    const parsed = parseCommandLine(PROGRAM, args);
    switch (parsed.kind) {
      case 'help':
        await streams.stdout.write(
          renderHelp(PROGRAM, parsed.command, Math.min(110, streams.stdout.columns || 110)),
        );
        code = 0;
        break;
      case 'version':
        await streams.stdout.write(`${version()}\n`);
        code = 0;
        break;
      case 'command':
        code = await parsed.command.run(parsed.values, shell);
        break;
    }
    // every write made so far has succeeded or failed once this one is handed over
    await streams.stdout.write('');
  } catch (err) {
    return reportError(err, streams);
  }
  return code;
}

/** Messages from elsewhere can span lines; ours are one line. */
function oneLine(msg: string): string {
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}

/** One line, no terminal control sequences: messages quote report content. */
function safeLine(msg: string): string {
  return safeText(oneLine(msg));
}

function reportError(err: unknown, streams: Streams): number {
  const debug = streams.env.PCA_AUDIT_DEBUG === '1';
  const say = (text: string) => void streams.stderr.write(text);
  // the reader of stdout went away: nothing to say, nobody to say it to
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') return 0;
  const code = exitCodeOf(err);
  say(
    `pca-audit: ${describeError(err, { clean: safeLine, systemReason: (e) => safeLine(systemReason(e)) })}\n`,
  );
  const hint = hintOf(err);
  if (hint) say(`hint: ${safeLine(hint)}\n`);
  else if (err instanceof UsageError) say(`hint: see 'pca-audit --help'\n`);
  if (code === EXIT_INTERNAL) {
    const e = err as Error | undefined;
    say(debug ? `${e?.stack ?? ''}\n` : 'hint: run again with PCA_AUDIT_DEBUG=1 and report the output\n');
  } else if (debug) {
    const cause = (err as Error | undefined)?.cause;
    if (err instanceof InputError && cause) say(`${(cause as Error).stack ?? cause}\n`);
    else if (isSystemError(err)) say(`${(err as unknown as Error).stack ?? ''}\n`);
  }
  return code;
}
