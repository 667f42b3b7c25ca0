/**
 * Notifications of a run: a command (given the summary's paths and a few variables), a webhook
 * (the summary JSON POSTed, retried) and/or an SNS topic (the summary published). Each gets the
 * run id, for receivers to deduplicate. Each is a channel delivered on its own: one failing does
 * not make the others run again.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AwsClients } from '../aws/clients.js';
import { AwsError } from '../aws/errors.js';
import { parseCaArn } from '../core/ca-arn.js';
import type { Finding, Severity } from '../core/finding.js';
import { parseInstant } from '../core/instant.js';
import { safeText } from '../core/render/style.js';
import { type AlertForAsff, asffFinding, type ImportedFindings, securityHubPlan } from '../core/run/asff.js';
import { emfLines, type MetricDatum, metricDataBatches } from '../core/run/metrics.js';
import { findingKey, type RunSummary } from '../core/run/run-model.js';
import { type SnsFormat, snsMessage } from '../core/run/sns-message.js';
import { parseSnsTopicArn } from '../core/run/sns-topic.js';
import { redactUrl, type WebhookTarget } from '../core/run/webhook-url.js';
import { caStateDir } from '../store/layout.js';

/** Where a notification goes; the commit record keeps a delivery state for each. */
export type Channel = 'command' | 'webhook' | 'sns' | 'emf' | 'cloudwatch' | 'security-hub';
export const CHANNELS: readonly Channel[] = [
  'command',
  'webhook',
  'sns',
  'emf',
  'cloudwatch',
  'security-hub',
];
/** Channels that follow every night (numbers, Security Hub's findings), whatever --notify-on says. */
const NIGHTLY: ReadonlySet<Channel> = new Set<Channel>(['emf', 'cloudwatch', 'security-hub']);

export interface NotifySettings {
  command?: string;
  /** the URL without credentials; those, if any, only in `authorization` */
  webhook?: WebhookTarget;
  /** SNS Publish of the summary (--sns-topic-arn, --sns-format) */
  sns?: { topicArn: string; format: SnsFormat };
  /** the night's metrics: EMF lines (a file, or '-' for stdout) and/or PutMetricData */
  metrics?: { namespace: string; emf?: string; putMetricData: boolean };
  /** import each alert into Security Hub as an ASFF finding (--security-hub) */
  securityHub?: boolean;
  /** where `--emf -` writes (the CLI's stdout) */
  stdout: (text: string) => Promise<void>;
  /** the AWS clients' settings, for the AWS channels */
  aws?: () => Promise<AwsClients>;
  /**
   * The clients of a CA's own account (a run over `accounts`): Security Hub takes a finding only
   * from the account it names (`AwsAccountId`). Absent, or undefined for an account the run has no
   * role for: `aws`.
   */
  awsOf?: (account: string, region: string) => Promise<AwsClients | undefined>;
  /** notify on every run, or only when there are new alerts or a CA failed */
  on: 'alerts' | 'always';
  configured: boolean;
  /** seconds before the command is killed */
  commandTimeout: number;
  /** webhook attempts (with 1 s, 2 s, 4 s … between them) */
  webhookAttempts: number;
  sleep(seconds: number): Promise<void>;
}

export interface Notification {
  runId: string;
  summaryJson: string;
  summaryMarkdown: string;
  summary: RunSummary;
  /**
   * `run --test-notify`: a summary without CAs; the metrics send one `TestNotification` datum and
   * Security Hub one INFORMATIONAL finding of `testAccount`, imported ARCHIVED (nothing to act on)
   */
  test?: { caArn?: string };
  /** the state, for channels that remember what they sent (Security Hub) */
  state?: {
    dir: string;
    read(path: string): Promise<string | undefined>;
    save(path: string, data: string): Promise<void>;
  };
}

function runCommand(command: string, n: Notification, timeout: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const alerts = n.summary.cas.reduce((k, c) => k + c.newAlerts.length, 0);
    const child = spawn('/bin/sh', ['-c', command], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        PCA_AUDIT_RUN_ID: n.runId,
        PCA_AUDIT_SUMMARY: n.summaryMarkdown,
        PCA_AUDIT_SUMMARY_JSON: n.summaryJson,
        PCA_AUDIT_EXIT_CODE: String(n.summary.exitCode),
        PCA_AUDIT_NEW_ALERTS: String(alerts),
        ...(n.test ? { PCA_AUDIT_TEST_NOTIFICATION: '1' } : {}),
      },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 2000) stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout * 1000);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve(`the notify command could not start: ${err.message}`);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(undefined);
      else {
        const last = stderr.trim().split('\n').pop() ?? '';
        resolve(
          `the notify command ${signal ? `was killed (${signal})` : `exited ${code}`}${last ? `: ${last}` : ''}`,
        );
      }
    });
  });
}

async function postWebhook(
  hook: WebhookTarget,
  n: Notification,
  s: NotifySettings,
): Promise<string | undefined> {
  let last = '';
  for (let attempt = 1; attempt <= s.webhookAttempts; attempt++) {
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': n.runId,
          'user-agent': 'pca-audit',
          ...(hook.authorization === undefined ? {} : { authorization: hook.authorization }),
        },
        body: JSON.stringify(n.summary),
        // a 302/303 would turn the POST into a GET elsewhere and a 307/308 re-post the summary to
        // another host: a redirect is never followed, and never a delivery
        redirect: 'manual',
        signal: AbortSignal.timeout(30_000),
      });
      await res.body?.cancel();
      if (res.ok) return undefined;
      if (res.status >= 300 && res.status < 400) {
        return `the webhook answered HTTP ${res.status}, a redirect to ${redirectTarget(res.headers.get('location'), hook.url)}; pca-audit does not follow redirects`;
      }
      last = `HTTP ${res.status}`;
      // a client error will not get better by retrying (except 408/429)
      if (res.status < 500 && res.status !== 408 && res.status !== 429) break;
    } catch (err) {
      const e = err as Error & { cause?: { message?: unknown } };
      const cause = typeof e.cause?.message === 'string' ? ` (${e.cause.message})` : '';
      last = safeText(`${e.message}${cause}`);
    }
    if (attempt < s.webhookAttempts) await s.sleep(2 ** (attempt - 1));
  }
  return `the webhook failed: ${last}`;
}

/** Where a redirect pointed, printable: resolved against the webhook, no credentials, no control bytes. */
function redirectTarget(location: string | null, base: string): string {
  if (location === null) return '(no Location header)';
  let target: string;
  try {
    target = new URL(location, base).href;
  } catch {
    target = location;
  }
  const shown = safeText(redactUrl(target));
  return shown.length > 300 ? `${shown.slice(0, 300)}…` : shown;
}

/** The channels these settings deliver to. */
export function channelsOf(s: NotifySettings): Channel[] {
  const configured: Record<Channel, unknown> = {
    command: s.command,
    webhook: s.webhook,
    sns: s.sns,
    emf: s.metrics?.emf,
    cloudwatch: s.metrics?.putMetricData ? true : undefined,
    'security-hub': s.securityHub ? true : undefined,
  };
  return CHANNELS.filter((c) => configured[c] !== undefined);
}

/**
 * The channels a night delivers to: the messages (command, webhook, SNS) when there is news (or
 * --notify-on always), the metrics every night.
 */
export function channelsFor(s: NotifySettings, news: boolean): Channel[] {
  return channelsOf(s).filter((c) => NIGHTLY.has(c) || s.on === 'always' || news);
}

async function writeEmf(
  m: NonNullable<NotifySettings['metrics']>,
  target: string,
  n: Notification,
  s: NotifySettings,
): Promise<string | undefined> {
  const lines = n.test ? [testEmfLine(n, m.namespace)] : emfLines(n.summary, m.namespace);
  const text = lines.map((l) => `${l}\n`).join('');
  if (target === '-') {
    await s.stdout(text);
    return undefined;
  }
  try {
    // appended: a log file the CloudWatch agent tails
    await appendFile(target, text, { mode: 0o600 });
    return undefined;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return `writing the EMF file "${safeText(target)}" failed (refused by pca-audit's host): ${e.code ?? e.message}`;
  }
}

async function sendMetrics(
  m: NonNullable<NotifySettings['metrics']>,
  n: Notification,
  s: NotifySettings,
): Promise<string | undefined> {
  if (s.aws === undefined) return 'CloudWatch cannot be reached: no AWS clients';
  // each CA's metrics go to its own Region's CloudWatch, where its alarms are
  const byRegion = new Map<string | undefined, MetricDatum[][]>();
  if (n.test) byRegion.set(parseCaArn(n.test.caArn ?? '')?.region, [[testDatum(n)]]);
  else {
    const regions = [...new Set(n.summary.cas.map((c) => parseCaArn(c.ca)?.region))];
    for (const region of regions) {
      const cas = n.summary.cas.filter((c) => parseCaArn(c.ca)?.region === region);
      const batches = metricDataBatches({ ...n.summary, cas });
      if (batches.length > 0) byRegion.set(region, batches);
    }
  }
  const { putMetricData } = await import('../aws/cloudwatch.js');
  const problems: string[] = [];
  for (const [region, batches] of byRegion) {
    try {
      await putMetricData((await s.aws()).config(region), m.namespace, batches);
    } catch (err) {
      problems.push(
        awsRefusal(
          `sending metrics to CloudWatch${region ? ` in ${region}` : ''} (namespace ${safeText(m.namespace)})`,
          err,
        ),
      );
    }
  }
  return problems.length === 0 ? undefined : problems.join('; ');
}

/** An AWS channel's failure, saying that AWS refused, with the operation and AWS's error code. */
export function awsRefusal(what: string, err: unknown): string {
  if (err instanceof AwsError) {
    return `${what} failed: refused by AWS: ${err.operation}: ${err.errorName}: ${safeText(err.message)}${err.requestId ? ` (request id ${err.requestId})` : ''}`;
  }
  return `${what} failed: ${safeText((err as Error)?.message ?? String(err))}`;
}

/** The CA's findings tonight that Security Hub shows: its alerts, and the acknowledged ones. */
async function presentAlerts(
  n: Notification,
  c: RunSummary['cas'][number],
  caId: string,
): Promise<AlertForAsff[]> {
  const alerts: AlertForAsff[] = [...c.newAlerts, ...(c.persistentAlerts ?? [])].map((a) => ({
    key: findingKey(caId, a as Finding),
    code: a.code,
    severity: a.severity,
    ...(a.serial === undefined ? {} : { serial: a.serial }),
    message: a.message,
  }));
  const text = n.state ? await n.state.read(join(n.state.dir, 'runs', n.runId, `${caId}.json`)) : undefined;
  // acknowledged first: with --fail-on info an acknowledged finding is an alert too, and stays SUPPRESSED
  const out: AlertForAsff[] = [];
  let findings: Finding[] = [];
  try {
    findings = text === undefined ? [] : ((JSON.parse(text) as { findings?: Finding[] }).findings ?? []);
  } catch {
    findings = [];
  }
  for (const f of findings) {
    const ack = (f.evidence as { acknowledged?: { originalSeverity?: Severity; reason?: string } })
      ?.acknowledged;
    if (!ack?.originalSeverity) continue;
    out.push({
      key: findingKey(caId, f),
      code: f.code,
      severity: f.severity,
      ...(f.serial === undefined ? {} : { serial: f.serial }),
      message: f.message,
      acknowledged: { originalSeverity: ack.originalSeverity, reason: ack.reason ?? '' },
    });
  }
  return [...out, ...alerts];
}

const IMPORTED_SHAPE = (text: string | undefined): ImportedFindings => {
  if (text === undefined) return {};
  const v = JSON.parse(text) as unknown;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('is not a JSON object');
  return v as ImportedFindings;
};

async function importToSecurityHub(n: Notification, s: NotifySettings): Promise<string | undefined> {
  if (n.test) return importTestFinding(n, s);
  if (s.aws === undefined || n.state === undefined) return 'Security Hub cannot be reached: no AWS clients';
  const { importFindings, updateWorkflow } = await import('../aws/security-hub.js');
  const problems: string[] = [];
  for (const c of n.summary.cas) {
    const ca = parseCaArn(c.ca);
    if (!ca || c.status === 'failed') continue;
    const statePath = join(caStateDir(n.state.dir, ca), 'security-hub.json');
    let imported: ImportedFindings;
    try {
      imported = IMPORTED_SHAPE(await n.state.read(statePath));
    } catch (err) {
      problems.push(`${statePath}: ${(err as Error).message}`);
      continue;
    }
    const plan = securityHubPlan(
      c.ca,
      await presentAlerts(n, c, ca.id),
      imported,
      c.status === 'diffed' || c.status === 'baseline',
      parseInstant(n.summary.startedAt),
      (t) => createHash('sha256').update(t).digest('hex'),
    );
    if (plan.findings.length === 0 && JSON.stringify(plan.next) === JSON.stringify(imported)) continue;
    try {
      const config = ((await s.awsOf?.(ca.account, ca.region)) ?? (await s.aws())).config(ca.region);
      const failed = await importFindings(config, plan.findings);
      if (failed.length > 0) {
        const [f] = failed;
        problems.push(
          `Security Hub refused ${failed.length} of ${plan.findings.length} findings of ${ca.id} (refused by AWS: securityhub:BatchImportFindings: ${safeText(f!.errorCode)}: ${safeText(f!.errorMessage)}, finding ${safeText(f!.id)})`,
        );
        continue;
      }
      // the workflow changes, once the findings exist; the state is saved only when both took
      const unprocessed = await updateWorkflow(config, plan.updates);
      if (unprocessed.length > 0) {
        const [f] = unprocessed;
        const total = plan.updates.reduce((sum, u) => sum + u.findings.length, 0);
        problems.push(
          `Security Hub did not update the workflow of ${unprocessed.length} of ${total} findings of ${ca.id} (refused by AWS: securityhub:BatchUpdateFindings: ${safeText(f!.errorCode)}: ${safeText(f!.errorMessage)}, finding ${safeText(f!.id)})`,
        );
        continue;
      }
      await n.state.save(statePath, `${JSON.stringify(plan.next, null, 2)}\n`);
    } catch (err) {
      problems.push(awsRefusal(`importing the findings of ${ca.id} into Security Hub`, err));
    }
  }
  return problems.length === 0 ? undefined : problems.join('; ');
}

const testEmfLine = (n: Notification, namespace: string) =>
  JSON.stringify({
    _aws: {
      Timestamp: parseInstant(n.summary.startedAt) * 1000,
      CloudWatchMetrics: [
        { Namespace: namespace, Dimensions: [[]], Metrics: [{ Name: 'TestNotification', Unit: 'Count' }] },
      ],
    },
    RunId: n.runId,
    TestNotification: 1,
  });

const testDatum = (n: Notification) => ({
  MetricName: 'TestNotification' as const,
  Dimensions: [],
  Timestamp: parseInstant(n.summary.startedAt),
  Value: 1,
  Unit: 'Count' as const,
});

async function importTestFinding(n: Notification, s: NotifySettings): Promise<string | undefined> {
  const ca = parseCaArn(n.test?.caArn ?? '');
  if (!ca) return 'Security Hub is not tested: name a CA (--ca) for the account and Region to import into';
  if (s.aws === undefined) return 'Security Hub cannot be reached: no AWS clients';
  const now = parseInstant(n.summary.startedAt);
  const finding = {
    ...asffFinding(
      ca,
      {
        key: `pca-audit-test-notification|${ca.id}`,
        code: 'TEST_NOTIFICATION',
        severity: 'info',
        message: `pca-audit run --test-notify ${n.runId}: a test of the Security Hub channel; nothing to act on`,
      },
      `pca-audit-test-notification|${ca.id}`,
      { firstObservedAt: n.summary.startedAt, now },
    ),
    RecordState: 'ARCHIVED',
    Workflow: { Status: 'RESOLVED' },
  };
  try {
    const { importFindings } = await import('../aws/security-hub.js');
    const failed = await importFindings((await s.aws()).config(ca.region), [finding]);
    if (failed.length === 0) return undefined;
    return `Security Hub refused the test finding (refused by AWS: securityhub:BatchImportFindings: ${safeText(failed[0]!.errorCode)}: ${safeText(failed[0]!.errorMessage)})`;
  } catch (err) {
    return awsRefusal('importing the test finding into Security Hub', err);
  }
}

async function publishSns(
  target: NonNullable<NotifySettings['sns']>,
  n: Notification,
  s: NotifySettings,
): Promise<string | undefined> {
  if (s.aws === undefined) return 'the SNS topic cannot be reached: no AWS clients';
  const topic = parseSnsTopicArn(target.topicArn);
  if (!topic.ok) return `the SNS topic "${safeText(target.topicArn)}" ${topic.reason}`;
  try {
    const { publishToTopic } = await import('../aws/sns.js');
    const clients = await s.aws();
    await publishToTopic(clients.config(topic.region), target.topicArn, snsMessage(n.summary, target.format));
    return undefined;
  } catch (err) {
    return awsRefusal(`publishing to the SNS topic ${safeText(target.topicArn)}`, err);
  }
}

/**
 * The notifier port of the job: which channels are configured, and delivery of a run's notification
 * to one of them (undefined when it took it, else why not). `channelNotifier` is the real one
 * (command, webhook, SNS, EMF, CloudWatch, Security Hub); a test gives its own.
 */
export interface Notifier {
  configured(): Channel[];
  deliver(channel: Channel, n: Notification): Promise<string | undefined>;
}

export function channelNotifier(s: NotifySettings): Notifier {
  return { configured: () => channelsOf(s), deliver: (channel, n) => deliverTo(channel, s, n) };
}

/** Delivers to one channel: undefined when it took the notification, else why not. */
export async function deliverTo(
  channel: Channel,
  s: NotifySettings,
  n: Notification,
): Promise<string | undefined> {
  if (channel === 'command') {
    if (s.command === undefined) return 'no notify command is configured';
    return runCommand(s.command, n, s.commandTimeout);
  }
  if (channel === 'emf') {
    if (s.metrics?.emf === undefined) return 'no EMF file is configured';
    return writeEmf(s.metrics, s.metrics.emf, n, s);
  }
  if (channel === 'cloudwatch') {
    if (!s.metrics?.putMetricData) return 'PutMetricData is not configured';
    return sendMetrics(s.metrics, n, s);
  }
  if (channel === 'security-hub') {
    if (!s.securityHub) return 'Security Hub is not configured';
    return importToSecurityHub(n, s);
  }
  if (channel === 'sns') {
    if (s.sns === undefined) return 'no SNS topic is configured';
    return publishSns(s.sns, n, s);
  }
  if (s.webhook === undefined) return 'no webhook is configured';
  return postWebhook(s.webhook, n, s);
}
