/**
 * `pca-audit run`, the nightly job's orchestrator. For each CA (src/run/ca-step.ts): generate
 * (30-minute rule), take the last reconciled report from the checkpoint, diff and reconcile with
 * CloudTrail, store the results, and only then advance the checkpoint through the run's commit
 * record (src/run/commit-log.ts). Never loses a result, never alerts twice for the same thing, and
 * one CA failing does not stop the others. Here: the lock and layout, the targets (accounts and
 * Regions) and their CAs, the global concurrency, the summary and the notification. The state is
 * read and written only through a StateStore (src/store/state-store.ts).
 */
import { randomBytes } from 'node:crypto';
import { relative } from 'node:path';
import { AwsError } from '../aws/errors.js';
import { listCas } from '../aws/pca.js';
import { type CaArn, parseCaArn } from '../core/ca-arn.js';
import { describeError as describeOne, exitCodeOf } from '../core/errors.js';
import type { FailOn } from '../core/fail-on.js';
import { formatInstant } from '../core/instant.js';
import type { CheckedCrl } from '../core/reconcile/crl-location.js';
import type { DiffOutput } from '../core/report/report-model.js';
import {
  type Ack,
  applyAcks,
  type CaResult,
  findingKey,
  type RunSummary,
  renderRunMarkdown,
  summariseRun,
  type TargetSummary,
} from '../core/run/run-model.js';
import { type Target, targetName } from '../core/run/targets.js';
import { systemReason } from '../io/system-error.js';
import { FsStateStore } from '../store/fs-state-store.js';
import { isFsError, StateError, stateFailure } from '../store/fs-store.js';
import type { StateStore } from '../store/state-store.js';
import { processCa } from './ca-step.js';
import {
  applyCommit,
  committedCas,
  emptyCommit,
  finishCommits,
  notify,
  pending,
  step,
} from './commit-log.js';
import type { CaReads, RevocationSources } from './crl-step.js';
import { channelsFor, type Notifier, type NotifySettings } from './notify.js';
import type { OcspSettings, OcspStepDeps } from './ocsp-step.js';
import type { RunContext } from './run-context.js';

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

/** What the job needs from the shell; `diff` is the diff pipeline (src/app/diff.ts, given by src/app/run.ts). */
export interface RunDeps {
  ctx: RunContext;
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
  /** the state (default: the local directory `stateDir`); `run --state s3://…` gives the S3 store */
  store?: StateStore;
  /** the notification's channels (default: channelNotifier of the settings' notify) */
  notifier?: Notifier;
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

function runIdAt(now: number): string {
  const t = formatInstant(Math.floor(now)).replace(/[-:]/g, '');
  return `${t}-${randomBytes(3).toString('hex')}`;
}

/** A file system error escaping a CA's work (its report directory, a kept report) as a StateError. */
function asStateError(err: unknown, fallbackPath: string): unknown {
  return isFsError(err) ? stateFailure(err.path ?? fallbackPath, 'use the state', err) : err;
}

/** The run summary's text of an error: one line, the AWS answer of a "not now" kept in its own field. */
function describeError(err: unknown): string {
  return describeOne(err, { brief: true, systemReason });
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
        exitCode: exitCodeOf(p.err),
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

/**
 * Tells the shared CloudTrail reads where each CA's window starts (its checkpoint's report), so
 * the one pass of an account and Region covers them all. A checkpoint that cannot be read tells
 * nothing here: its CA fails on its own.
 */
async function expectWindows(
  store: StateStore,
  cas: readonly CaArn[],
  passes: NonNullable<RunDeps['passes']>,
  now: number,
): Promise<void> {
  const { lookupSpan } = await import('../io/event-inputs.js');
  for (const ca of cas) {
    const cp = await store
      .ca(ca)
      .readCheckpoint()
      .catch(() => undefined);
    if (!cp) continue;
    const from = Date.parse(cp.createdAt) / 1000;
    passes.expect(ca.account, ca.region, lookupSpan(from, from, now).start);
  }
}

/** Removes kept reports beyond the newest `keep` (the checkpoint's is always kept). */
async function pruneReports(store: StateStore, ca: CaArn, keep: number): Promise<void> {
  const caState = store.ca(ca);
  const cp = await caState.readCheckpoint();
  if (!cp) return;
  await caState.pruneReports(keep, cp.reportFile.split('/').pop()!);
}

export async function runNightly(s: RunSettings, deps: RunDeps): Promise<RunSummary> {
  const { ctx } = deps;
  // the run's state: the store given (the S3 one, opened by the caller), else the directory
  const store = deps.store ?? new FsStateStore(s.stateDir);
  const state = store.root;
  let release: (() => Promise<void>) | undefined;
  if (s.dryRun) {
    // a dry run writes nothing, but refuses a layout it does not know like any run
    if ((await store.open(true)) === 1)
      throw new StateError(
        `${state}/state.json`,
        'is layout 1: a dry run does not move the state to layout 2 (cas/<account>/<region>/<CA_ID>/)',
        'run once without --dry-run (the move is automatic and crash-safe), or use an older pca-audit',
      );
  } else {
    await store.open();
    release = await store.lock(ctx.now, 6 * 3600, ctx.note);
  }
  try {
    if (!s.dryRun) {
      // under the lock no other run writes here: these are killed runs' leftovers
      for (const path of await store.cleanTemps())
        ctx.note(`removed a temporary file a killed run left: ${relative(state, path)}`);
    }
    // issue 16: layout 1 (cas/<CA_ID>/) moves to layout 2 under the lock, before anything is read
    if (!s.dryRun && (await store.layout()) === 1) await store.moveLayout(ctx.note);
    if (!s.dryRun) await finishCommits(store, s, deps);
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
    const commit = emptyCommit(runId);
    const results: CaResult[] = new Array(cas.length);
    const committed = committedCas(store);
    if (deps.passes) await expectWindows(store, cas, deps.passes, ctx.now());
    let next = 0;
    const worker = async () => {
      while (next < cas.length) {
        const i = next++;
        const { ca, settings, deps: caDeps } = items[i]!;
        // taken before any await, so a CA's CloudTrail pass waits for the CAs started with it
        const reportMade = deps.passes?.hold(ca.account, ca.region) ?? (() => {});
        try {
          results[i] = await processCa(ca, store, runId, settings, caDeps, commit, committed, reportMade);
        } catch (caught) {
          reportMade();
          const caState = store.ca(ca);
          const err = asStateError(caught, caState.dir);
          ctx.note(`${ca.id}: ${describeError(err)}`);
          // issue 16 item 5: a failed night still says how long the CA has gone unaudited, and why
          const { failedCaResult, firstTried } = await import('./health-step.js');
          // a checkpoint that cannot be read dates nothing (and is no sign of a CA never audited)
          const cp = await caState.readCheckpoint().then(
            (c) => c ?? null,
            () => undefined,
          );
          const lastGood = cp ? Date.parse(cp.createdAt) / 1000 : undefined;
          const alerted = (await caState.readAlerted().catch(() => undefined)) ?? {};
          results[i] = failedCaResult({
            caArn: ca.arn,
            caId: ca.id,
            err,
            error: describeError(err),
            exitCode: exitCodeOf(err),
            now: ctx.now(),
            lastGood,
            firstTried: cp === null ? await firstTried(store, ca.arn).catch(() => undefined) : undefined,
            alerted,
            settings: s,
          });
          // metrics: how long since this CA's last good report (its checkpoint), if it ever had one
          if (cp) results[i] = { ...results[i]!, metrics: { lastGoodReportAt: cp.createdAt } };
          if (!s.dryRun && results[i]!.newAlerts.length > 0)
            commit.alerted[caState.key] = results[i]!.newAlerts.map((f) => findingKey(ca.id, f));
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
    await store.writeRunFile(runId, 'summary.json', `${JSON.stringify(summary, null, 2)}\n`);
    await store.writeRunFile(runId, 'summary.md', renderRunMarkdown(summary));
    const anyAlerts =
      summary.cas.some((c) => c.newAlerts.length > 0 || c.status === 'failed') ||
      (summary.targets ?? []).some((t) => t.status === 'failed');
    const wanted = channelsFor(s.notify, anyAlerts);
    commit.notification.wanted = wanted.length > 0;
    if (wanted.length > 0) commit.notification.channels = pending(wanted);
    await store.writeCommit(commit);
    step(deps, 'commit');
    await applyCommit(store, commit);
    commit.applied = true;
    await store.writeCommit(commit);
    step(deps, 'apply');
    // housekeeping, after the commit: a CA that failed is left as it is, and a CA whose old reports
    // cannot be removed is said so, without stopping the summary and notification of the others
    for (const [i, ca] of cas.entries()) {
      if (results[i]?.outcome.status === 'failed') continue;
      await pruneReports(store, ca, s.keepReports).catch((err: unknown) =>
        ctx.note(`${ca.id}: removing old reports: ${describeError(asStateError(err, store.ca(ca).dir))}`),
      );
    }
    if (commit.notification.wanted) await notify(store, commit, s, deps, false);
    // copy the latest summary where a human (or a scheduler) finds it without knowing the run id
    await store.writeLatest('latest-summary.md', renderRunMarkdown(summary));
    await store.writeLatest('latest-summary.json', `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } catch (err) {
    // whatever file system call on the state failed, the error names its path (exit 2, not 4)
    throw asStateError(err, state);
  } finally {
    await release?.();
  }
}
