/**
 * `pca-audit run`, the nightly job. For each CA: generate (30-minute rule), take the last
 * reconciled report from the checkpoint, diff and reconcile with CloudTrail, store the results,
 * and only then advance the checkpoint. Never loses a result, never alerts twice for the same
 * thing, and one CA failing does not stop the others.
 *
 * Crash safety is a write-ahead record per run (`runs/<id>/commit.json`): results are written
 * first, then the commit record (new checkpoints, the alerts it raises, the pending notification),
 * then the checkpoints, then the notification. A re-run first finishes every commit record it finds
 * (applies its checkpoints, delivers its notification), so a crash at any step repeats nothing.
 * The one window left (delivered, not yet marked) is covered by the run id the receivers get as an
 * idempotency key.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { AwsError, LocalWriteError, RetryLaterError } from '../aws/errors.js';
import { generateReport, listReports } from '../aws/generate.js';
import { listCas } from '../aws/pca.js';
import { downloadObject } from '../aws/s3.js';
import { type CaArn, parseCaArn } from '../core/ca-arn.js';
import { crlTrustFindings } from '../core/crl-check.js';
import type { CheckedCrl } from '../core/crl-location.js';
import type { FailOn } from '../core/fail-on.js';
import { countBySeverity, FINDING_SEVERITY, type Finding } from '../core/finding.js';
import { formatInstant } from '../core/instant.js';
import { type CaMetrics, EXPIRING_SOON_SECONDS } from '../core/metrics.js';
import { renderDiffMarkdown } from '../core/render/markdown.js';
import type { DiffOutput } from '../core/report-model.js';
import { expiringEntries } from '../core/report-summary.js';
import {
  type Ack,
  alertExitCode,
  applyAcks,
  type CaResult,
  findingKey,
  type RunSummary,
  renderRunMarkdown,
  splitAlerts,
  summariseRun,
  type TargetSummary,
} from '../core/run-model.js';
import { type Target, targetName } from '../core/targets.js';
import { loadReport } from '../io/load-report.js';
import { InputError, openReportFile } from '../io/report-source.js';
import {
  acquireLock,
  cleanStaleTemps,
  isFsError,
  listDir,
  type Mirror,
  makeStateDir,
  objectWith,
  openStateDir,
  readJson,
  readText,
  StateError,
  stateFailure,
  writeAtomic,
} from '../store/fs-store.js';
import { caKey, caStateDir, keyStateDir, migrateToLayout2 } from '../store/layout.js';
import type { CaReads, RevocationSources } from './crl-step.js';
import { CHANNELS, type Channel, channelsFor, channelsOf, deliverTo, type NotifySettings } from './notify.js';
import type { OcspSettings, OcspStepDeps } from './ocsp-step.js';

export interface RunSettings {
  cas: string[];
  all: boolean;
  bucket: string;
  stateDir: string;
  format: 'json' | 'csv';
  cloudtrail: string[];
  failOn: FailOn;
  /** persistent alerts (alerted on an earlier night, still present) fail the run again */
  repeatAlerts: boolean;
  concurrency: number;
  dryRun: boolean;
  acks: Ack[];
  notify: NotifySettings;
  timeout: number;
  pollInterval: number;
  propagationAllowance: number;
  timeTolerance: number;
  maxFindings: number;
  lenient: boolean;
  /** reports kept per CA (the checkpoint's, and older ones) */
  keepReports: number;
  /** OCSP checks of the night's revocations (absent: off) */
  ocsp?: OcspSettings;
  /** the CA's CRL is fetched and checked (--crl-check on, the default) */
  crlCheck?: boolean;
  /** seconds: a CRL older than this (thisUpdate) is CRL_STALE (warning); default 25 h */
  crlMaxAge?: number;
  /** seconds: REPORT_STALE when the newest successful report is older (default 36 h; absent: not checked) */
  maxReportAge?: number;
  /**
   * issue 16: the (account, Region) targets of the config's `accounts`. Absent: one target, the
   * default credentials with `bucket` and `cas`/`all`, as before.
   */
  targets?: Target[];
}

/** What the job needs from the shell; `diff` is the diff pipeline (src/cli/commands/diff.ts). */
export interface RunDeps {
  ctx: import('../cli/context.js').CliContext;
  diff(
    oldPath: string,
    newPath: string,
    settings: {
      ca: string;
      oldCreatedAt: number;
      newCreatedAt: number;
      cloudtrail: string[];
      propagationAllowance: number;
      timeTolerance: number;
      maxFindings: number;
      lenient: boolean;
      /** the CA's CRL, fetched and verified by the CRL step */
      checkedCrl?: CheckedCrl;
      crlMaxAge?: number;
      /** count NEW's certificates expiring within this (metrics' ExpiringSoon) */
      expiringWithin?: number;
    },
  ): Promise<{ out: DiffOutput; expiringSoon?: number }>;
  /** the CRL step (src/run/crl-step.ts); absent: no CRL checked (--crl-check off) */
  revocation?(ca: CaArn): Promise<RevocationSources>;
  /** test-only: exit abruptly right after this step (PCA_AUDIT_TEST_CRASH_AFTER) */
  crashAfter?: string;
  /** the state's remote copy, when it lives in S3 */
  mirror?: Mirror;
  /** the OCSP step's AWS calls, HTTP and clock (default: the real ones, from ctx) */
  ocsp?: OcspStepDeps;
  /** the CA reads the CRL step made this run, so the OCSP step does not make them again */
  caReads?: CaReads;
  /**
   * The shell of one target: a context whose clients carry the target's credentials and Region,
   * and the steps built on it. Needed when `targets` is given.
   */
  forTarget?(target: Target): Promise<Pick<RunDeps, 'ctx' | 'diff' | 'revocation' | 'caReads'>>;
  /**
   * the run's shared CloudTrail reads (src/run/event-passes.ts): told each CA's window start, and
   * held while a CA makes its report, so one pass per account and Region reaches every report
   */
  passes?: Pick<import('./event-passes.js').EventPasses, 'expect' | 'hold'>;
}

export interface Checkpoint {
  layout: 1;
  ca: string;
  reportId: string;
  bucket: string;
  key: string;
  format: 'json' | 'csv';
  /** when the report was made, UTC */
  createdAt: string;
  /** the kept report, relative to the CA's directory */
  reportFile: string;
  reportSha256: string;
  /** hash of the checkpoint this one follows (null for a baseline) */
  previous: string | null;
  runId: string;
  /** sha256 of this checkpoint's canonical JSON without `hash` */
  hash: string;
}

/** One channel's delivery of a run's notification. */
interface ChannelState {
  delivered: boolean;
  attempts: number;
  lastError?: string;
}

interface CommitRecord {
  runId: string;
  checkpoints: Record<string, Checkpoint>;
  alerted: Record<string, string[]>;
  applied: boolean;
  notification: {
    wanted: boolean;
    /** every channel took it */
    delivered: boolean;
    attempts: number;
    lastError?: string;
    /**
     * Per channel: one that took the notification is never run again for this run. Absent in
     * records of earlier versions: then every channel configured now is pending.
     */
    channels?: Partial<Record<Channel, ChannelState>>;
  };
}

const pending = (channels: readonly Channel[]): Partial<Record<Channel, ChannelState>> =>
  Object.fromEntries(channels.map((c) => [c, { delivered: false, attempts: 0 }]));

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const isString = (v: unknown) => typeof v === 'string';
const isRecord = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
const HASH = /^[0-9a-f]{64}$/;

/**
 * What a checkpoint must look like before anything trusts it. `reportFile` and `previous` become
 * paths: they are held to names inside the CA's directory, so an edited checkpoint cannot make the
 * job read (or diff against) a file elsewhere.
 */
const CHECKPOINT_SHAPE = objectWith({
  layout: (v) => v === 1,
  ca: isString,
  reportId: isString,
  bucket: isString,
  key: isString,
  format: (v) => v === 'json' || v === 'csv',
  createdAt: (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)),
  reportFile: (v) => typeof v === 'string' && /^reports\/[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v),
  reportSha256: isString,
  previous: (v) => v === null || (typeof v === 'string' && HASH.test(v)),
  runId: isString,
  hash: isString,
});

const COMMIT_SHAPE = objectWith({
  runId: isString,
  checkpoints: isRecord,
  alerted: isRecord,
  applied: (v) => typeof v === 'boolean',
  notification: isRecord,
});

const ALERTED_SHAPE = (v: unknown) =>
  v === null
    ? 'is null'
    : !isRecord(v) || !Object.values(v as object).every(isString)
      ? 'is not a JSON object of alert keys and run ids'
      : undefined;

const readCheckpoint = (path: string) => readJson<Checkpoint>(path, CHECKPOINT_SHAPE);

/** Writes a state file atomically, then copies it to the mirror: the mirror sees writes in order. */
async function save(deps: RunDeps, path: string, data: string): Promise<void> {
  await writeAtomic(path, data);
  await deps.mirror?.put(path);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function checkpointHash(c: Omit<Checkpoint, 'hash'> & { hash?: string }): string {
  const { hash: _drop, ...rest } = c;
  return sha256(canonical(rest));
}

async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function runIdAt(now: number): string {
  const t = formatInstant(Math.floor(now)).replace(/[-:]/g, '');
  return `${t}-${randomBytes(3).toString('hex')}`;
}

const caDir = caStateDir;

/** The step hook for crash tests: nothing unless PCA_AUDIT_TEST_CRASH_AFTER names this step. */
function step(deps: RunDeps, name: string): void {
  if (deps.crashAfter === name) {
    process.stderr.write(`pca-audit: test hook: crashing after ${name}\n`);
    process.exit(137);
  }
}

/**
 * Checks a CA's history: the checkpoint's own hash, the chain to the previous checkpoint, and the
 * kept report's SHA-256. Returns HISTORY_TAMPERED findings (empty when all is well).
 */
export async function verifyHistory(dir: string, cp: Checkpoint): Promise<Finding[]> {
  const problems: string[] = [];
  if (checkpointHash(cp) !== cp.hash) problems.push('the checkpoint does not match its own hash (edited?)');
  if (cp.previous !== null) {
    const prev = await readCheckpoint(join(dir, 'history', `${cp.previous}.json`)).catch((err: unknown) =>
      err instanceof StateError ? null : Promise.reject(err),
    );
    if (prev === null) problems.push(`the previous checkpoint ${cp.previous.slice(0, 12)}… was edited`);
    else if (!prev)
      problems.push(`the previous checkpoint ${cp.previous.slice(0, 12)}… is missing from the history`);
    else if (checkpointHash(prev) !== cp.previous)
      problems.push(`the previous checkpoint ${cp.previous.slice(0, 12)}… was edited`);
  }
  const reportPath = join(dir, cp.reportFile);
  const actual = await fileSha256(reportPath).catch(() => undefined);
  if (actual === undefined) problems.push(`the kept report ${cp.reportFile} is missing`);
  else if (actual !== cp.reportSha256)
    problems.push(`the kept report ${cp.reportFile} no longer matches its SHA-256 (edited?)`);
  return problems.map((p) => ({
    code: 'HISTORY_TAMPERED',
    severity: FINDING_SEVERITY.HISTORY_TAMPERED,
    message: p,
    evidence: {
      checkpoint: relative(dir, join(dir, 'checkpoint.json')),
      reportId: cp.reportId,
      runId: cp.runId,
    },
  }));
}

function exitForError(err: unknown): number {
  if (err instanceof RetryLaterError) return 5;
  if (err instanceof AwsError) return 3;
  if (err instanceof InputError || err instanceof StateError || err instanceof LocalWriteError) return 2;
  return 4;
}

/** A file system error escaping a CA's work (its report directory, a kept report) as a StateError. */
function asStateError(err: unknown, fallbackPath: string): unknown {
  return isFsError(err) ? stateFailure(err.path ?? fallbackPath, 'use the state', err) : err;
}

function describeError(err: unknown): string {
  if (err instanceof RetryLaterError) {
    const who =
      err.refusedBy === 'AWS'
        ? 'refused by AWS'
        : err.reason === 'ReportWaitTimeout'
          ? 'pca-audit stopped waiting for AWS'
          : 'refused by pca-audit';
    return `not now: ${who}: ${err.message}; retry after ${formatInstant(Math.ceil(err.retryAfter))}`;
  }
  if (err instanceof LocalWriteError) return `writing "${err.path}": ${err.message}`;
  if (err instanceof AwsError) {
    return `AWS ${err.operation} failed: ${err.errorName}: ${err.message}${err.requestId ? ` (request id ${err.requestId})` : ''}`;
  }
  if (err instanceof InputError) return `reading ${err.kind} "${err.input}": ${err.message}`;
  if (err instanceof StateError) return `${err.path}: ${err.message}`;
  return `internal error: ${(err as Error)?.message ?? String(err)}`;
}

/** Finishes commit records left by earlier runs: applies checkpoints, delivers notifications. */
async function finishCommits(state: string, s: RunSettings, deps: RunDeps): Promise<void> {
  for (const run of await listDir(join(state, 'runs'))) {
    const path = join(state, 'runs', run, 'commit.json');
    const record = await readJson<CommitRecord>(path, COMMIT_SHAPE);
    if (!record) continue;
    if (!record.applied) {
      deps.ctx.note(`finishing run ${run}, which stopped before it was complete`);
      await applyCommit(state, record, deps);
      record.applied = true;
      await save(deps, path, `${JSON.stringify(record, null, 2)}\n`);
    }
    if (record.notification.wanted && !record.notification.delivered) {
      await notify(state, record, path, s, deps, true);
    }
  }
}

async function applyCommit(state: string, record: CommitRecord, deps: RunDeps): Promise<void> {
  for (const [caId, cp] of Object.entries(record.checkpoints)) {
    const dir = keyStateDir(state, caId);
    const current = await readCheckpoint(join(dir, 'checkpoint.json'));
    if (current?.hash === cp.hash) continue;
    // kept under the hash of its content, which is what the next checkpoint's `previous` names
    if (current) {
      await save(
        deps,
        join(dir, 'history', `${checkpointHash(current)}.json`),
        `${JSON.stringify(current, null, 2)}\n`,
      );
    }
    await save(deps, join(dir, 'checkpoint.json'), `${JSON.stringify(cp, null, 2)}\n`);
  }
  for (const [caId, keys] of Object.entries(record.alerted)) {
    const path = join(keyStateDir(state, caId), 'alerted.json');
    const known = (await readJson<Record<string, string>>(path, ALERTED_SHAPE)) ?? {};
    let changed = false;
    for (const k of keys) {
      if (!(k in known)) {
        known[k] = record.runId;
        changed = true;
      }
    }
    if (changed) await save(deps, path, `${JSON.stringify(known, null, 2)}\n`);
  }
}

async function notify(
  state: string,
  record: CommitRecord,
  path: string,
  s: RunSettings,
  deps: RunDeps,
  retry: boolean,
): Promise<void> {
  const dir = join(state, 'runs', record.runId);
  const summary = await readJson<RunSummary>(join(dir, 'summary.json'));
  if (!summary) return;
  const n = record.notification;
  n.channels ??= pending(channelsOf(s.notify));
  const configured = channelsOf(s.notify);
  n.attempts++;
  const notification = {
    runId: record.runId,
    summaryJson: join(dir, 'summary.json'),
    summaryMarkdown: join(dir, 'summary.md'),
    summary,
    // Security Hub remembers per CA what it imported (cas/<id>/security-hub.json), to archive it later
    state: { dir: state, read: readText, save: (p: string, data: string) => save(deps, p, data) },
  };
  const errors: string[] = [];
  for (const channel of CHANNELS) {
    const ch = n.channels[channel];
    if (!ch || ch.delivered) continue;
    if (!configured.includes(channel)) {
      errors.push(`the ${channel} is not configured in this run, so it stays pending`);
      continue;
    }
    ch.attempts++;
    const error = await deliverTo(channel, s.notify, notification);
    if (error === undefined) {
      step(deps, 'notify');
      ch.delivered = true;
      delete ch.lastError;
    } else {
      ch.lastError = error;
      errors.push(error);
    }
    // recorded before the next channel: a crash there does not run this one again
    await save(deps, path, `${JSON.stringify(record, null, 2)}\n`);
  }
  if (errors.length === 0) {
    n.delivered = true;
    delete n.lastError;
    if (retry) deps.ctx.note(`delivered the notification of run ${record.runId} (attempt ${n.attempts})`);
  } else {
    n.lastError = errors.join('; ');
    deps.ctx.note(`notification of run ${record.runId} failed (${n.lastError}); it will be retried next run`);
  }
  await save(deps, path, `${JSON.stringify(record, null, 2)}\n`);
}

/** `fn` over `items`, at most `limit` at once; the results in the items' order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** A CA of the night, with the settings and shell of its target. */
interface PlannedCa {
  ca: CaArn;
  settings: RunSettings;
  deps: RunDeps;
}

/**
 * The night's CAs over every target, and each target's outcome. A target that fails before it has
 * CAs (its role refused, its listing refused, its bucket missing) is a failed target; the others
 * go on. A CA two targets see (shared through RAM) is audited once, by its own account's target
 * when the run has one, else by the first that lists it.
 */
async function planRun(
  s: RunSettings,
  deps: RunDeps,
): Promise<{ items: PlannedCa[]; targets?: TargetSummary[] }> {
  if (!s.targets) return { items: (await resolveCas(s, deps)).map((ca) => ({ ca, settings: s, deps })) };
  if (!deps.forTarget) throw new Error('run: targets given without a way to reach them (forTarget)');
  const forTarget = deps.forTarget;
  // at most --concurrency targets are opened at once (AssumeRole, listing, HeadBucket)
  const planned = await mapLimited(s.targets, s.concurrency, async (t) => {
    try {
      const shell = await forTarget(t);
      const clients = await shell.ctx.aws();
      await clients.ready();
      const cas =
        t.cas === 'all'
          ? await resolveCas({ ...s, cas: [], all: true }, { ...deps, ...shell }, t.region)
          : t.cas;
      const { bucketRegion } = await import('../aws/bucket-settings.js');
      const where = await bucketRegion(clients.s3(t.region), t.bucket);
      if (where === undefined)
        throw new AwsError(
          'HeadBucket',
          'NoSuchBucket',
          `bucket ${t.bucket} of target ${targetName(t)} does not exist`,
          undefined,
          `create it in ${t.region} (pca-audit bootstrap --create), or fix bucket/bucketPattern`,
        );
      return { t, cas, shell };
    } catch (err) {
      deps.ctx.note(`target ${targetName(t)}: ${describeError(err)}`);
      return { t, err };
    }
  });
  const owners = new Set(s.targets.map((t) => `${t.account}|${t.region}`));
  const chosen = new Map<string, PlannedCa>();
  const targets: TargetSummary[] = [];
  for (const p of planned) {
    const base = { ...(p.t.account ? { account: p.t.account } : {}), region: p.t.region, bucket: p.t.bucket };
    if ('err' in p) {
      targets.push({
        ...base,
        status: 'failed',
        cas: 0,
        error: describeError(p.err),
        exitCode: exitForError(p.err),
      });
      continue;
    }
    let count = 0;
    for (const ca of p.cas!) {
      const own = ca.account === p.t.account;
      const before = chosen.get(ca.arn);
      if (before && !own) continue;
      if (!before && !own && owners.has(`${ca.account}|${ca.region}`)) continue;
      chosen.set(ca.arn, { ca, settings: { ...s, bucket: p.t.bucket }, deps: { ...deps, ...p.shell! } });
      count++;
    }
    targets.push({ ...base, status: 'ok', cas: count, exitCode: 0 });
  }
  return { items: [...chosen.values()], targets };
}

async function resolveCas(s: RunSettings, deps: RunDeps, region?: string): Promise<CaArn[]> {
  const arns = new Set(s.cas);
  if (s.all) {
    const pca = (await deps.ctx.aws()).pca(region);
    for (const shared of [false, true]) {
      for (const ca of await listCas(pca, shared)) {
        if (ca.status === 'ACTIVE' || ca.status === 'DISABLED') arns.add(ca.arn);
      }
    }
  }
  const out: CaArn[] = [];
  for (const a of [...arns].sort()) {
    const ca = parseCaArn(a);
    if (!ca) throw new StateError(a, 'is not a CA ARN');
    out.push(ca);
  }
  return out;
}

/** The CA ids named by applied commit records in `runs/` (read once a run, when first needed). */
function committedCas(state: string): () => Promise<Set<string>> {
  let found: Promise<Set<string>> | undefined;
  const scan = async () => {
    const ids = new Set<string>();
    for (const run of await listDir(join(state, 'runs'))) {
      const record = await readJson<CommitRecord>(join(state, 'runs', run, 'commit.json'), COMMIT_SHAPE);
      if (record?.applied) for (const id of Object.keys(record.checkpoints)) ids.add(id);
    }
    return ids;
  };
  return () => {
    found ??= scan();
    return found;
  };
}

/**
 * What shows that a CA without a checkpoint had one: its checkpoint was deleted (or its directory
 * moved away), not never written. History is what only a committed checkpoint leaves behind: an
 * entry in `cas/<id>/history/`, an `alerted.json`, or an applied commit record in `runs/` naming
 * the CA. A kept report alone is not: a run killed before its commit leaves the report it fetched,
 * and the re-run must record the baseline that run never did. Undefined: no history (a first run).
 */
async function historyWithoutCheckpoint(
  state: string,
  ca: CaArn,
  committed: () => Promise<Set<string>>,
): Promise<string | undefined> {
  const dir = caDir(state, ca);
  const entries = (await listDir(join(dir, 'history'))).filter((n) => n.endsWith('.json'));
  if (entries.length > 0) return `${entries.length} earlier checkpoint(s) in history/`;
  if ((await readText(join(dir, 'alerted.json'))) !== undefined) return 'alerted.json records its alerts';
  if ((await committed()).has(caKey(ca))) return 'a committed run in runs/ recorded its checkpoint';
  return undefined;
}

async function processCa(
  ca: CaArn,
  state: string,
  runId: string,
  s: RunSettings,
  deps: RunDeps,
  commit: CommitRecord,
  committed: () => Promise<Set<string>>,
  /** called once the night's report is had (its CloudTrail reads may then start) */
  reportMade: () => void = () => {},
): Promise<CaResult> {
  const { ctx } = deps;
  const dir = caDir(state, ca);
  // a checkpoint that is not valid JSON or not of a checkpoint's shape fails this CA (exit 2, the
  // file named): an unreadable checkpoint is never taken for "no checkpoint"
  const checkpoint = await readCheckpoint(join(dir, 'checkpoint.json'));
  const tampered = checkpoint ? await verifyHistory(dir, checkpoint) : [];
  if (!checkpoint) {
    const history = await historyWithoutCheckpoint(state, ca, committed);
    // issue 13 item 1: a deleted checkpoint is not a first run, or that night's changes go unseen
    if (history !== undefined) {
      tampered.push({
        code: 'HISTORY_TAMPERED',
        severity: FINDING_SEVERITY.HISTORY_TAMPERED,
        message: `the checkpoint is missing, though the CA has history (${history}): deleted?`,
        evidence: { checkpoint: 'checkpoint.json', history },
      });
    }
  }
  const reportsDir = join(dir, 'reports');
  let temp: string | undefined;
  const notes: string[] = [];
  try {
    // the newest report: made now (30-minute rule), or in a dry run only read from the bucket
    let report: { id: string; key: string; format: 'json' | 'csv'; createdAt: number; path: string };
    if (s.dryRun) {
      const [newest] = await listReports(await ctx.aws(), s.bucket, ca);
      if (!newest)
        throw new InputError(
          `s3://${s.bucket}/audit-report/${ca.id}/`,
          'no report to read (a dry run makes none)',
          { kind: 'report' },
        );
      temp = await mkdtemp(join(tmpdir(), 'pca-audit-dry-'));
      const path = join(temp, `${newest.id}.${newest.format}`);
      const got = await downloadObject((await ctx.aws()).s3(ca.region), s.bucket, newest.key, path);
      report = { id: newest.id, key: newest.key, format: newest.format, createdAt: got.lastModified, path };
    } else {
      await makeStateDir(reportsDir);
      const g = await generateReport(
        {
          clients: await ctx.aws(),
          now: ctx.now,
          sleep: ctx.sleep,
          note: (m) => ctx.note(`${ca.id}: ${m}`),
          progress: ctx.progress,
        },
        {
          ca,
          bucket: s.bucket,
          format: s.format,
          outDir: reportsDir,
          timeout: s.timeout,
          pollInterval: s.pollInterval,
          waitForSlot: true,
          // a fresh report of the other format is diffed as it is (JSON against CSV works), rather
          // than waited out for up to 30 minutes holding the lock
          acceptAnyFormat: true,
        },
      );
      report = { id: g.id, key: g.key, format: g.format, createdAt: g.createdAt, path: g.path };
      if (g.format !== g.requestedFormat) {
        notes.push(
          `report ${g.id} is ${g.format.toUpperCase()}, not ${g.requestedFormat.toUpperCase()}: it was made at ${formatInstant(g.createdAt)}, and AWS makes one report per CA every 30 minutes`,
        );
      }
    }
    reportMade();
    const reportSha256 = await fileSha256(report.path);
    if (!s.dryRun) await deps.mirror?.put(report.path);
    const next: Omit<Checkpoint, 'hash'> = {
      layout: 1,
      ca: ca.arn,
      reportId: report.id,
      bucket: s.bucket,
      key: report.key,
      format: report.format,
      createdAt: formatInstant(report.createdAt),
      reportFile: `reports/${report.id}.${report.format}`,
      reportSha256,
      // the hash of the checkpoint as it is now: after tampering is reported once, the chain holds again
      previous: checkpoint ? checkpointHash(checkpoint) : null,
      runId,
    };
    const resultDir = join(state, 'runs', runId);
    let findings: Finding[] = [...tampered];
    // issue 16 item 5: a report older than --max-report-age (a dry run reads the newest in the bucket)
    const { healthOfReport } = await import('./health-step.js');
    findings.push(...healthOfReport(ca.arn, report.createdAt, ctx.now(), s));
    // issue 15: the CA's own CRL, fetched and verified; the diff checks it against NEW
    const revocation = await deps.revocation?.(ca);
    if (revocation) {
      findings.push(...revocation.findings);
      notes.push(...revocation.notes);
    }
    let outcome: CaResult['outcome'];
    let diff: DiffOutput | undefined;
    // the night's numbers for CloudWatch; the report was reconciled once this CA does not throw
    const metrics: CaMetrics = { lastGoodReportAt: formatInstant(report.createdAt) };
    if (checkpoint && checkpoint.reportId === report.id && tampered.length === 0) {
      outcome = { status: 'unchanged', reportId: report.id };
    } else if (!checkpoint || tampered.some((f) => /kept report/.test(f.message))) {
      // a first run (or history that cannot be diffed against) records a baseline
      const file = await openReportFile(report.path);
      try {
        const index = await loadReport(file, { findingLimit: s.maxFindings, expectedCa: ca.arn });
        findings = [...findings, ...index.findings];
        metrics.certificates = index.count;
        metrics.expiringSoon = expiringEntries(index, report.createdAt, EXPIRING_SOON_SECONDS).length;
        outcome = {
          status: 'baseline',
          reportId: report.id,
          createdAt: formatInstant(report.createdAt),
          certificates: index.count,
        };
      } finally {
        await file.dispose();
      }
      ctx.note(
        `${ca.id}: ${tampered.length > 0 ? 're-baselined after a history problem' : 'first run: baseline recorded'} (report ${report.id})`,
      );
    } else {
      const night = await deps.diff(join(dir, checkpoint.reportFile), report.path, {
        ca: ca.arn,
        oldCreatedAt: Date.parse(checkpoint.createdAt) / 1000,
        newCreatedAt: report.createdAt,
        cloudtrail: s.cloudtrail,
        propagationAllowance: s.propagationAllowance,
        timeTolerance: s.timeTolerance,
        maxFindings: s.maxFindings,
        lenient: s.lenient,
        ...(revocation?.crl ? { checkedCrl: revocation.crl } : {}),
        ...(s.crlMaxAge === undefined ? {} : { crlMaxAge: s.crlMaxAge }),
        expiringWithin: EXPIRING_SOON_SECONDS,
      });
      diff = night.out;
      metrics.certificates = diff.new.summary.certificates;
      if (night.expiringSoon !== undefined) metrics.expiringSoon = night.expiringSoon;
      findings = [...findings, ...diff.findings];
      // issue 15 item 4: the night's revocations, as relying parties asking OCSP are told them
      if (s.ocsp?.enabled && diff.changes.revoked.length > 0) {
        const { checkRevocationsByOcsp, ocspDepsOf } = await import('./ocsp-step.js');
        const checked = await checkRevocationsByOcsp(
          ca,
          diff.changes.revoked,
          s.ocsp,
          s.propagationAllowance,
          deps.ocsp ?? (await ocspDepsOf(ctx, s.ocsp, deps.caReads)),
        );
        findings = [...findings, ...checked.findings];
        if (checked.summary) {
          diff.ocsp = checked.summary;
          const o = checked.summary;
          notes.push(
            `OCSP ${o.url}: ${o.asked} asked, ${o.revokedAsExpected} revoked as the report says${o.notAskedUnreachable > 0 ? `, ${o.notAskedUnreachable} not asked (no answer to the first requests)` : ''}${o.expired > 0 ? `, ${o.expired} expired (not asked)` : ''}`,
          );
          if (checked.summary.sampledOut > 0)
            notes.push(
              `OCSP: ${checked.summary.asked} of ${checked.summary.asked + checked.summary.sampledOut} revoked certificates asked (--ocsp-max; chosen by the smallest SHA-256 of the serial), ${checked.summary.sampledOut} not asked`,
            );
        }
      }
      outcome = { status: 'diffed', reportId: report.id, previousReportId: checkpoint.reportId, diff };
    }
    // no diff tonight (a baseline, an unchanged report): the CA's CRL is still verified and judged
    if (!diff && revocation?.crl) {
      const c = revocation.crl;
      findings.push(
        ...crlTrustFindings(
          c.crl,
          {
            source: c.source,
            verification: c.verification,
            now: ctx.now(),
            ...(s.crlMaxAge === undefined ? {} : { maxAge: s.crlMaxAge }),
          },
          s.maxFindings,
        ),
      );
    }
    const acked = applyAcks(findings, s.acks, ctx.now()).findings;
    const omitted = diff?.omittedFindings ?? {};
    if (diff) {
      diff.findings = acked;
      diff.summary.findings = countBySeverity(acked, omitted);
    }
    const alerted = (await readJson<Record<string, string>>(join(dir, 'alerted.json'), ALERTED_SHAPE)) ?? {};
    // the diff keeps every finding; the night counts and alerts those the OLD report did not raise already
    const split = splitAlerts(
      ca.id,
      acked,
      alerted,
      s.failOn,
      diff ? { old: diff.old.source, new: diff.new.source } : undefined,
    );
    const { newAlerts, persistentAlerts } = split;
    const counts = countBySeverity(split.counted, omitted);
    // results first: JSON and Markdown for this CA
    const result = {
      schemaVersion: 1,
      runId,
      ca: ca.arn,
      outcome: outcome.status,
      reportId: report.id,
      findings: acked,
      counts,
      ...(diff ? { diff } : {}),
    };
    if (!s.dryRun) {
      await save(deps, join(resultDir, `${ca.id}.json`), `${JSON.stringify(result, null, 2)}\n`);
      await save(
        deps,
        join(resultDir, `${ca.id}.md`),
        diff ? renderDiffMarkdown(diff) : `## ${ca.arn}\n\n${outcome.status}: report ${report.id}\n`,
      );
      if (outcome.status !== 'unchanged')
        commit.checkpoints[caKey(ca)] = { ...next, hash: checkpointHash(next) };
      commit.alerted[caKey(ca)] = newAlerts.map((f) => findingKey(ca.id, f));
    }
    return {
      ca: ca.arn,
      outcome,
      newAlerts,
      persistentAlerts,
      counts,
      exitCode: alertExitCode(split, omitted, s.failOn, s.repeatAlerts),
      ...(notes.length > 0 ? { notes } : {}),
      metrics,
    };
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

/**
 * Tells the shared CloudTrail reads where each CA's window starts (its checkpoint's report), so
 * the one pass of an account and Region covers them all. A checkpoint that cannot be read tells
 * nothing here: its CA fails on its own.
 */
async function expectWindows(
  state: string,
  cas: readonly CaArn[],
  passes: NonNullable<RunDeps['passes']>,
  now: number,
): Promise<void> {
  const { lookupSpan } = await import('../io/event-inputs.js');
  for (const ca of cas) {
    const cp = await readCheckpoint(join(caDir(state, ca), 'checkpoint.json')).catch(() => undefined);
    if (!cp) continue;
    const from = Date.parse(cp.createdAt) / 1000;
    passes.expect(ca.account, ca.region, lookupSpan(from, from, now).start);
  }
}

/** Removes kept reports beyond the newest `keep` (the checkpoint's is always kept). */
async function pruneReports(state: string, ca: CaArn, keep: number, deps: RunDeps): Promise<void> {
  const dir = caDir(state, ca);
  const cp = await readCheckpoint(join(dir, 'checkpoint.json'));
  if (!cp) return;
  const reports = join(dir, 'reports');
  const names = await readdir(reports).catch(() => [] as string[]);
  const protectedName = cp.reportFile.split('/').pop();
  const dated = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(reports, n))).mtimeMs })));
  dated.sort((a, b) => b.t - a.t);
  for (const [i, { n }] of dated.entries()) {
    if (i < keep || n === protectedName || n.includes('.partial-')) continue;
    await rm(join(reports, n), { force: true });
    await deps.mirror?.remove(join(reports, n));
  }
}

export async function runNightly(s: RunSettings, deps: RunDeps): Promise<RunSummary> {
  const { ctx } = deps;
  const state = s.stateDir;
  let release: (() => Promise<void>) | undefined;
  const marker = join(state, 'state.json');
  if (s.dryRun) {
    // a dry run writes nothing, but refuses a layout it does not know like any run
    await openStateDir(state, true);
    if ((await readJson<{ layout: number }>(marker))?.layout === 1)
      throw new StateError(
        marker,
        'is layout 1: a dry run does not move the state to layout 2 (cas/<account>/<region>/<CA_ID>/)',
        'run once without --dry-run (the move is automatic and crash-safe), or use an older pca-audit',
      );
  } else {
    await openStateDir(state);
    release = await acquireLock(state, ctx.now, 6 * 3600, ctx.note);
  }
  try {
    if (!s.dryRun) {
      // under the lock no other run writes here: these are killed runs' leftovers
      for (const path of await cleanStaleTemps(state))
        ctx.note(`removed a temporary file a killed run left: ${relative(state, path)}`);
    }
    // issue 16: layout 1 (cas/<CA_ID>/) moves to layout 2 under the lock, before anything is read
    if (!s.dryRun && (await readJson<{ layout: number }>(marker))?.layout === 1)
      await migrateToLayout2(state, marker, deps.mirror, ctx.note);
    if (!s.dryRun) await finishCommits(state, s, deps);
    const { items, targets } = await planRun(s, deps);
    const cas = items.map((i) => i.ca);
    if (cas.length === 0 && !s.targets)
      throw new StateError(
        state,
        'no CA to audit',
        'give --ca ARN (repeatable), --all, or "cas" in the config file',
      );
    const started = ctx.now();
    const runId = runIdAt(started);
    const commit: CommitRecord = {
      runId,
      checkpoints: {},
      alerted: {},
      applied: false,
      notification: { wanted: false, delivered: false, attempts: 0 },
    };
    const results: CaResult[] = new Array(cas.length);
    const committed = committedCas(state);
    if (deps.passes) await expectWindows(state, cas, deps.passes, ctx.now());
    let next = 0;
    const worker = async () => {
      while (next < cas.length) {
        const i = next++;
        const { ca, settings, deps: caDeps } = items[i]!;
        // taken before any await, so a CA's CloudTrail pass waits for the CAs started with it
        const reportMade = deps.passes?.hold(ca.account, ca.region) ?? (() => {});
        try {
          results[i] = await processCa(ca, state, runId, settings, caDeps, commit, committed, reportMade);
        } catch (caught) {
          reportMade();
          const err = asStateError(caught, caDir(state, ca));
          ctx.note(`${ca.id}: ${describeError(err)}`);
          // issue 16 item 5: a failed night still says how long the CA has gone unaudited, and why
          const { failedCaResult, firstTried } = await import('./health-step.js');
          const dir = caDir(state, ca);
          // a checkpoint that cannot be read dates nothing (and is no sign of a CA never audited)
          const cp = await readCheckpoint(join(dir, 'checkpoint.json')).then(
            (c) => c ?? null,
            () => undefined,
          );
          const lastGood = cp ? Date.parse(cp.createdAt) / 1000 : undefined;
          const alerted =
            (await readJson<Record<string, string>>(join(dir, 'alerted.json'), ALERTED_SHAPE).catch(
              () => undefined,
            )) ?? {};
          results[i] = failedCaResult({
            caArn: ca.arn,
            caId: ca.id,
            err,
            error: describeError(err),
            exitCode: exitForError(err),
            now: ctx.now(),
            lastGood,
            firstTried: cp === null ? await firstTried(state, ca.arn).catch(() => undefined) : undefined,
            alerted,
            settings: s,
          });
          // metrics: how long since this CA's last good report (its checkpoint), if it ever had one
          if (cp) results[i] = { ...results[i]!, metrics: { lastGoodReportAt: cp.createdAt } };
          if (!s.dryRun && results[i]!.newAlerts.length > 0)
            commit.alerted[caKey(ca)] = results[i]!.newAlerts.map((f) => findingKey(ca.id, f));
        } finally {
          // whatever way the CA ended, the others' CloudTrail reads no longer wait for it
          reportMade();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(s.concurrency, cas.length)) }, worker));
    step(deps, 'ca-results');
    const expired = applyAcks([], s.acks, ctx.now()).expired;
    const summary = summariseRun(
      runId,
      started,
      s.failOn,
      s.dryRun,
      results,
      expired,
      s.repeatAlerts,
      targets,
    );
    if (s.dryRun) return summary;
    const dir = join(state, 'runs', runId);
    await save(deps, join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    await save(deps, join(dir, 'summary.md'), renderRunMarkdown(summary));
    const anyAlerts =
      summary.cas.some((c) => c.newAlerts.length > 0 || c.status === 'failed') ||
      (summary.targets ?? []).some((t) => t.status === 'failed');
    const wanted = channelsFor(s.notify, anyAlerts);
    commit.notification.wanted = wanted.length > 0;
    if (wanted.length > 0) commit.notification.channels = pending(wanted);
    const commitPath = join(dir, 'commit.json');
    await save(deps, commitPath, `${JSON.stringify(commit, null, 2)}\n`);
    step(deps, 'commit');
    await applyCommit(state, commit, deps);
    commit.applied = true;
    await save(deps, commitPath, `${JSON.stringify(commit, null, 2)}\n`);
    step(deps, 'apply');
    // housekeeping, after the commit: a CA that failed is left as it is, and a CA whose old reports
    // cannot be removed is said so, without stopping the summary and notification of the others
    for (const [i, ca] of cas.entries()) {
      if (results[i]?.outcome.status === 'failed') continue;
      await pruneReports(state, ca, s.keepReports, deps).catch((err: unknown) =>
        ctx.note(`${ca.id}: removing old reports: ${describeError(asStateError(err, caDir(state, ca)))}`),
      );
    }
    if (commit.notification.wanted) await notify(state, commit, commitPath, s, deps, false);
    // copy the latest summary where a human (or a scheduler) finds it without knowing the run id
    await save(deps, join(state, 'latest-summary.md'), renderRunMarkdown(summary));
    await save(deps, join(state, 'latest-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } catch (err) {
    // whatever file system call on the state failed, the error names its path (exit 2, not 4)
    throw asStateError(err, state);
  } finally {
    await release?.();
  }
}
