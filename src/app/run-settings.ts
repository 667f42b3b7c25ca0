/**
 * `run`'s settings: flags > PCA_AUDIT_* environment > config file > defaults, every value checked
 * (a bad one is a UsageError naming the flag, variable or config key), as the job's RunSettings.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { YargsOption } from 'yargs';
import { parseCaArn } from '../core/ca-arn.js';
import { UsageError } from '../core/errors.js';
import { FAIL_ON_LEVELS, type FailOn } from '../core/fail-on.js';
import { parseOcspOverride } from '../core/reconcile/ocsp-check.js';
import { safeText } from '../core/render/style.js';
import { DEFAULT_NAMESPACE, namespaceProblem } from '../core/run/metrics.js';
import { parseAcks } from '../core/run/run-model.js';
import { parseSnsTopicArn } from '../core/run/sns-topic.js';
import { type AccountEntry, parseAccounts, planTargets, type Target } from '../core/run/targets.js';
import { parseWebhookUrl, redactUrl, type WebhookTarget } from '../core/run/webhook-url.js';
import type { RunSettings } from '../run/nightly.js';
import { parseDurationFlag } from './parse-values.js';
import type { AppContext } from './ports.js';

/** Everything `run` can be told, as flags give it (undefined: not given). */
export interface RunFlags {
  config?: string;
  ca?: string[];
  all?: boolean;
  bucket?: string;
  stateDir?: string;
  /** s3://bucket/prefix: the state lives in S3 */
  state?: string;
  cloudtrail?: string[];
  failOn?: string;
  repeatAlerts?: boolean;
  concurrency?: string;
  ackFile?: string;
  notifyCommand?: string;
  webhook?: string;
  snsTopicArn?: string;
  snsFormat?: string;
  /** EMF lines to this file, or '-' for stdout */
  emf?: string;
  cloudwatchNamespace?: string;
  putMetricData?: boolean;
  securityHub?: boolean;
  notifyOn?: string;
  reportFormat?: string;
  timeout?: string;
  pollInterval?: string;
  propagationAllowance?: string;
  timeTolerance?: string;
  keepReports?: string;
  /** false: --no-ocsp */
  ocsp?: boolean;
  ocspMax?: string;
  /** 'on' (default) or 'off': the CA's CRL fetched and checked (issue 15) */
  crlCheck?: string;
  crlMaxAge?: string;
  /** REPORT_STALE beyond it (issue 16 item 5) */
  maxReportAge?: string;
  dryRun: boolean;
  /** send a test notification through every configured channel, and exit */
  testNotify?: boolean;
  format: 'text' | 'json';
}

const CONFIG_KEYS: Record<string, keyof RunFlags> = {
  cas: 'ca',
  all: 'all',
  bucket: 'bucket',
  stateDir: 'stateDir',
  state: 'state',
  cloudtrail: 'cloudtrail',
  failOn: 'failOn',
  repeatAlerts: 'repeatAlerts',
  concurrency: 'concurrency',
  ackFile: 'ackFile',
  notifyCommand: 'notifyCommand',
  webhook: 'webhook',
  snsTopicArn: 'snsTopicArn',
  snsFormat: 'snsFormat',
  emf: 'emf',
  cloudwatchNamespace: 'cloudwatchNamespace',
  putMetricData: 'putMetricData',
  securityHub: 'securityHub',
  notifyOn: 'notifyOn',
  reportFormat: 'reportFormat',
  timeout: 'timeout',
  pollInterval: 'pollInterval',
  propagationAllowance: 'propagationAllowance',
  timeTolerance: 'timeTolerance',
  keepReports: 'keepReports',
  ocsp: 'ocsp',
  ocspMax: 'ocspMax',
  crlCheck: 'crlCheck',
  crlMaxAge: 'crlMaxAge',
  maxReportAge: 'maxReportAge',
};

const LIST_KEYS = new Set<keyof RunFlags>(['ca', 'cloudtrail']);
const BOOLEAN_KEYS = new Set<keyof RunFlags>(['all', 'repeatAlerts', 'putMetricData', 'securityHub', 'ocsp']);

/** The config file: the flags' keys, and `accounts` (issue 16), validated. */
interface ConfigFile {
  flags: Partial<Record<keyof RunFlags, unknown>>;
  accounts?: AccountEntry[];
}

async function loadConfig(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--config: cannot read "${path}" (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--config: "${path}" is not valid JSON (${(err as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new UsageError(`--config: "${path}" must hold a JSON object`);
  }
  const out: Partial<Record<keyof RunFlags, unknown>> = {};
  let accounts: AccountEntry[] | undefined;
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (k === 'accounts') {
      const parsed = parseAccounts(v);
      if (!parsed.ok)
        throw new UsageError(
          `--config: "${safeText(path)}": ${parsed.path}: ${safeText(parsed.reason)}`,
          'see "The nightly job" in the README for the keys of an account',
        );
      accounts = parsed.value;
      continue;
    }
    const key = CONFIG_KEYS[k];
    if (key === undefined) {
      throw new UsageError(
        `--config: unknown key "${k}" in "${path}"`,
        `the keys are: ${[...Object.keys(CONFIG_KEYS), 'accounts'].join(', ')}`,
      );
    }
    if (LIST_KEYS.has(key) && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) {
      throw new UsageError(`--config: "${k}" must be a list of strings`);
    }
    // checked here: yargs would read "yes" as false
    if (BOOLEAN_KEYS.has(key) && typeof v !== 'boolean') {
      throw new UsageError(`--config: "${k}" must be true or false`);
    }
    out[key] = typeof v === 'number' ? String(v) : v;
  }
  return { flags: out, ...(accounts ? { accounts } : {}) };
}

/** The config file's keys and the environment's names: yargs camel-cases PCA_AUDIT_STATE_DIR to stateDir. */
const SETTINGS = [...new Set(Object.values(CONFIG_KEYS))];

/** A list from the environment is comma-separated: PCA_AUDIT_CAS=arn1,arn2. */
function commaList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((x) =>
    String(x)
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  );
}

/**
 * flags > PCA_AUDIT_* environment > config file, by yargs' own `.env()` and `.config()`: the config
 * file (already validated by loadConfig: its errors are ours) is yargs' config object, the flags are
 * the parse context (they win over both). yargs names each setting's variable PCA_AUDIT_ and the
 * config key in upper snake case (`cas`, an alias of `ca`, gives PCA_AUDIT_CAS). Three wraps keep the
 * documented contract: a list variable is split at commas, an empty variable is not set (it does
 * not hide the config file's value), and a boolean variable is true or false, nothing else.
 * yargs reads process.env (not resolveRunSettings' `env`); it is loaded only when `run` runs.
 */
async function layer(
  flags: RunFlags,
  file: Partial<Record<keyof RunFlags, unknown>>,
): Promise<Partial<Record<keyof RunFlags, unknown>>> {
  const { default: yargs } = await import('yargs');
  const options: Record<string, YargsOption> = {};
  for (const key of SETTINGS) {
    options[key] = LIST_KEYS.has(key)
      ? { type: 'array', string: true, coerce: commaList, ...(key === 'ca' ? { alias: 'cas' } : {}) }
      : // a boolean as written, checked below: yargs' boolean type reads PCA_AUDIT_OCSP=maybe as false
        { type: 'string' };
  }
  const given: Record<string, unknown> = {};
  for (const key of SETTINGS) {
    const f = flags[key];
    if (f !== undefined && !(Array.isArray(f) && f.length === 0)) given[key] = f;
  }
  const argv = yargs([])
    .help(false)
    .version(false)
    .exitProcess(false)
    .strict(false)
    // values stay the strings written: "007" is not 7
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
    .env('PCA_AUDIT')
    .config(file)
    .options(options)
    .fail((message, error) => {
      throw error ?? new UsageError(`settings: ${message ?? 'cannot be read'}`);
    })
    .parseSync([], given);
  const out: Partial<Record<keyof RunFlags, unknown>> = {};
  for (const key of SETTINGS) {
    let v = argv[key];
    const empty = v === '' || (Array.isArray(v) && v.length === 0);
    if (empty && given[key] === undefined) v = file[key];
    if (Array.isArray(v) && v.length === 0) v = undefined;
    if (BOOLEAN_KEYS.has(key) && v !== undefined && typeof v !== 'boolean') {
      // flags and the config file give booleans: a string is the environment's
      if (v !== 'true' && v !== 'false') {
        const name = `PCA_AUDIT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
        throw new UsageError(`${name}: "${safeText(String(v))}" is not true or false`);
      }
      v = v === 'true';
    }
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** flags > environment > config file > defaults */
export async function resolveRunSettings(
  flags: RunFlags,
  env: NodeJS.ProcessEnv,
  ctx: AppContext,
): Promise<RunSettings> {
  const config: ConfigFile = flags.config ? await loadConfig(flags.config) : { flags: {} };
  const layered = await layer(flags, config.flags);
  const pick = <T>(key: keyof RunFlags, fallback: T): T => {
    const v = layered[key];
    return v === undefined ? fallback : (v as T);
  };
  const bucket = pick<string | undefined>('bucket', undefined);
  const cas = pick<string[]>('ca', []);
  const all = pick<boolean>('all', false) === true;
  // issue 16: `accounts` names every target, with its buckets and CAs
  const targets = config.accounts ? planTargets(config.accounts) : undefined;
  if (targets && (bucket || cas.length > 0 || all))
    throw new UsageError(
      `--config: "${safeText(flags.config ?? '')}" has "accounts": give no ${bucket ? 'bucket' : cas.length > 0 ? 'CA' : '--all'} beside it (flag, environment or config key)`,
      'each account names its own bucket or bucketPattern, and its cas (a list or "all")',
    );
  if (!bucket && !targets)
    throw new UsageError(
      'name the bucket the CAs write reports into: --bucket, PCA_AUDIT_BUCKET or "bucket" in the config',
    );
  for (const c of cas) if (!parseCaArn(c)) throw new UsageError(`--ca: "${c}" is not a CA ARN`);
  // booleans are true or false from every source: loadConfig and the environment layer refuse others
  const repeatAlerts = pick<boolean>('repeatAlerts', false);
  if (cas.length === 0 && !all && !targets)
    throw new UsageError('name the CAs: --ca ARN (repeatable) or --all', 'or "cas" in the config file');
  const failOn = pick<string>('failOn', 'warning');
  if (!FAIL_ON_LEVELS.includes(failOn as FailOn))
    throw new UsageError(`--fail-on: "${failOn}" is not one of ${FAIL_ON_LEVELS.join(', ')}`);
  const whole = (key: keyof RunFlags, fallback: number, min: number, max: number) => {
    const v = String(pick<string>(key, String(fallback)));
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
      throw new UsageError(`${key}: "${v}" is not a whole number from ${min} to ${max}`);
    return Number(v);
  };
  const notifyOn = pick<string>('notifyOn', 'alerts');
  if (notifyOn !== 'alerts' && notifyOn !== 'always')
    throw new UsageError(`--notify-on: "${notifyOn}" is not alerts or always`);
  const crlCheck = pick<string>('crlCheck', 'on');
  const maxAge = pick<string | undefined>('crlMaxAge', undefined);
  if (crlCheck !== 'on' && crlCheck !== 'off')
    throw new UsageError(`--crl-check: "${crlCheck}" is not on or off`);
  const reportFormat = pick<string>('reportFormat', 'json');
  if (reportFormat !== 'json' && reportFormat !== 'csv')
    throw new UsageError(`--report-format: "${reportFormat}" is not json or csv`);
  const ocsp = pick<boolean>('ocsp', true);
  const ocspUrl = env.PCA_AUDIT_OCSP_URL;
  let urlOverride: string | undefined;
  if (ocspUrl) {
    const parsed = parseOcspOverride(ocspUrl);
    if (!parsed.ok) throw new UsageError(`PCA_AUDIT_OCSP_URL: "${safeText(ocspUrl)}" ${parsed.reason}`);
    urlOverride = parsed.url;
  }
  const stateHome = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  let acks: RunSettings['acks'] = [];
  const ackFile = pick<string | undefined>('ackFile', undefined);
  if (ackFile) {
    let text: string;
    try {
      text = await readFile(ackFile, 'utf8');
    } catch (err) {
      throw new UsageError(
        `--ack-file: cannot read "${ackFile}" (${(err as NodeJS.ErrnoException).code ?? err})`,
      );
    }
    const parsed = parseAcks(text);
    if (!parsed.ok) throw new UsageError(`--ack-file: "${ackFile}": ${parsed.reason}`);
    acks = parsed.acks;
  }
  const command = pick<string | undefined>('notifyCommand', undefined);
  const webhookText = pick<string | undefined>('webhook', undefined);
  let webhook: WebhookTarget | undefined;
  if (webhookText) {
    const parsed = parseWebhookUrl(webhookText);
    // the URL's user:pass@ is never echoed, not even in a usage error
    if (!parsed.ok) throw new UsageError(`--webhook: "${safeText(redactUrl(webhookText))}" ${parsed.reason}`);
    webhook = parsed.target;
  }
  const snsTopicArn = pick<string | undefined>('snsTopicArn', undefined);
  if (snsTopicArn) {
    const parsed = parseSnsTopicArn(snsTopicArn);
    if (!parsed.ok) throw new UsageError(`--sns-topic-arn: "${safeText(snsTopicArn)}" ${parsed.reason}`);
  }
  const snsFormat = pick<string>('snsFormat', 'markdown');
  if (snsFormat !== 'markdown' && snsFormat !== 'json')
    throw new UsageError(`--sns-format: "${safeText(snsFormat)}" is not markdown or json`);
  const emf = pick<string | undefined>('emf', undefined);
  const namespace = pick<string | undefined>('cloudwatchNamespace', undefined);
  if (namespace !== undefined) {
    const problem = namespaceProblem(namespace);
    if (problem) throw new UsageError(`--cloudwatch-namespace: "${safeText(namespace)}" ${problem}`);
  }
  const putFlag = pick<boolean>('putMetricData', false);
  // --cloudwatch-namespace alone sends PutMetricData; with --emf it names the EMF lines' namespace
  const putMetricData = putFlag || (namespace !== undefined && !emf);
  const securityHub = pick<boolean>('securityHub', false);
  const metrics =
    emf || putMetricData
      ? { namespace: namespace ?? DEFAULT_NAMESPACE, ...(emf ? { emf } : {}), putMetricData }
      : undefined;
  return {
    cas,
    all,
    bucket: bucket ?? '',
    ...(targets ? { targets } : {}),
    stateDir: pick<string>('stateDir', join(stateHome, 'pca-audit')),
    format: reportFormat,
    cloudtrail: pick<string[]>('cloudtrail', ['lookup']),
    failOn: failOn as FailOn,
    repeatAlerts,
    concurrency: whole('concurrency', 4, 1, 64),
    dryRun: flags.dryRun,
    acks,
    notify: {
      ...(command ? { command } : {}),
      ...(webhook ? { webhook } : {}),
      ...(snsTopicArn ? { sns: { topicArn: snsTopicArn, format: snsFormat } } : {}),
      ...(metrics ? { metrics } : {}),
      ...(securityHub ? { securityHub } : {}),
      stdout: (text) => ctx.streams.stdout.write(text),
      aws: ctx.aws,
      ...(targets && ctx.awsFor ? { awsOf: clientsOfAccount(targets, ctx) } : {}),
      on: notifyOn,
      configured: Boolean(command || webhook || snsTopicArn || metrics || securityHub),
      commandTimeout: 60,
      webhookAttempts: 4,
      sleep: ctx.sleep,
    },
    timeout: parseDurationFlag('timeout', pick<string>('timeout', '30m')),
    pollInterval: parseDurationFlag('poll-interval', pick<string>('pollInterval', '3s')),
    propagationAllowance: parseDurationFlag(
      'propagation-allowance',
      pick<string>('propagationAllowance', '1h'),
    ),
    timeTolerance: parseDurationFlag('time-tolerance', pick<string>('timeTolerance', '5m')),
    maxFindings: 1000,
    lenient: false,
    keepReports: whole('keepReports', 2, 1, 1000),
    ocsp: {
      enabled: ocsp,
      max: whole('ocspMax', 100, 1, 100_000),
      ...(urlOverride ? { urlOverride } : {}),
      timeout: 10,
      concurrency: 8,
    },
    crlCheck: crlCheck === 'on',
    maxReportAge: parseDurationFlag('max-report-age', pick<string>('maxReportAge', '36h')),
    ...(maxAge === undefined ? {} : { crlMaxAge: parseDurationFlag('crl-max-age', maxAge) }),
  };
}

/** The clients of a target's account in a Region (any target of that account gives its role). */
function clientsOfAccount(targets: readonly Target[], ctx: AppContext) {
  return async (account: string, region: string) => {
    const t = targets.find((x) => x.account === account);
    if (!t || !ctx.awsFor) return undefined;
    return ctx.awsFor(region, roleOf(t));
  };
}

export const roleOf = (t: Target) =>
  t.roleArn
    ? {
        roleArn: t.roleArn,
        ...(t.externalId ? { externalId: t.externalId } : {}),
        ...(t.sessionName ? { sessionName: t.sessionName } : {}),
      }
    : undefined;

/** The config file's `state` (s3://…), if any: read apart, as loadConfig gives flags only. */
export async function configState(config: string | undefined): Promise<string | undefined> {
  if (!config) return undefined;
  const text = await readFile(config, 'utf8').catch(() => '{}');
  try {
    const v = (JSON.parse(text) as { state?: unknown }).state;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
