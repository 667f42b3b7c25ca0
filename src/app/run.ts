/**
 * The `run` use case: the settings (src/app/run-settings.ts), the state (a local directory, or an
 * S3 prefix through S3StateStore.open()), then the nightly job (src/run/nightly.ts) or, with
 * --test-notify, one test notification per channel. It returns what happened and the exit code;
 * the CLI renders it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseS3Uri } from '../core/bucket/s3-uri.js';
import { type CaArn, parseCaArn } from '../core/ca-arn.js';
import { UsageError } from '../core/errors.js';
import type { RunSummary } from '../core/run/run-model.js';
import { openInput } from '../io/inputs.js';
import type { EventPasses } from '../run/event-passes.js';
import { type RunDeps, type RunSettings, runNightly } from '../run/nightly.js';
import type { ChannelAnswer } from '../run/test-notify.js';
import type { StateStore } from '../store/state-store.js';
import { diffFiles } from './diff.js';
import type { AppContext } from './ports.js';
import { configState, type RunFlags, resolveRunSettings, roleOf } from './run-settings.js';

export type { RunFlags } from './run-settings.js';

/**
 * The diff step of the job, as a port: the diff pipeline on `c`'s clients, CloudTrail read through
 * the run's shared passes (diffStep below; a test may give another).
 */
export type DiffStepOf = (c: AppContext, passes: EventPasses) => RunDeps['diff'];

/**
 * The job's diff step: the diff use case's pipeline (src/app/diff.ts), its inputs read with `ctx`'s
 * clients, CloudTrail through the run's shared passes.
 */
export const diffStep: DiffStepOf = (ctx, passes) => {
  return async (oldPath, newPath, d) => {
    const inputs = { aws: ctx.aws };
    const oldFile = await openInput(oldPath, inputs);
    try {
      const newFile = await openInput(newPath, inputs);
      try {
        const { out, expiringSoon } = await diffFiles(
          oldFile,
          newFile,
          { ...d, maxFindings: d.maxFindings, shared: passes },
          ctx,
        );
        return { out, ...(expiringSoon === undefined ? {} : { expiringSoon }) };
      } finally {
        await newFile.dispose();
      }
    } finally {
      await oldFile.dispose();
    }
  };
};

export type RunResult =
  | {
      kind: 'summary';
      summary: RunSummary;
      /** where the run's results are: the state directory's or the S3 prefix's `runs/<id>` */
      results: string;
      exitCode: number;
    }
  | { kind: 'test-notify'; runId: string; answers: ChannelAnswer[]; exitCode: number };

/** How long a lock may be held before another run takes it over. */
const STALE_LOCK = 6 * 3600;

/**
 * `pca-audit run`. The environment is `ctx.streams.env` (PCA_AUDIT_STATE, PCA_AUDIT_OCSP_URL,
 * XDG_STATE_HOME, PCA_AUDIT_TEST_CRASH_AFTER), except the settings' PCA_AUDIT_* variables, which
 * yargs' `.env()` reads from process.env itself (src/app/run-settings.ts).
 */
export async function run(
  flags: RunFlags,
  ctx: AppContext,
  diffStepOf: DiffStepOf = diffStep,
): Promise<RunResult> {
  const env = ctx.streams.env as NodeJS.ProcessEnv;
  const settings = await resolveRunSettings(flags, env, ctx);
  if (flags.testNotify) return runTestNotify(settings, ctx);
  const remote = flags.state ?? (env.PCA_AUDIT_STATE || undefined) ?? (await configState(flags.config));
  if (remote !== undefined && flags.stateDir !== undefined) {
    throw new UsageError('give --state-dir or --state, not both');
  }
  if (remote === undefined) return runWith(settings, ctx, env, diffStepOf, undefined, undefined);
  const parsed = parseS3Uri(remote);
  if (!parsed.ok)
    throw new UsageError(`--state: "${remote}" ${parsed.reason}`, 'write it like s3://my-bucket/pca-audit/');
  // the S3 state's local working copy, removed whatever way the run ends
  const work = await mkdtemp(join(tmpdir(), 'pca-audit-state-'));
  try {
    settings.stateDir = work;
    const region = settings.cas.map((c) => parseCaArn(c)?.region).find(Boolean);
    const { S3StateStore } = await import('../store/s3-state-store.js');
    // takes the S3 lock and copies the state down; a dry run takes no lock and writes nothing,
    // but checks the layout and reads the state too
    const store = await S3StateStore.open({
      s3: (await ctx.aws()).s3(region),
      bucket: parsed.location.bucket,
      prefix: parsed.location.key,
      workDir: work,
      now: ctx.now,
      staleAfter: STALE_LOCK,
      note: ctx.note,
      readOnly: settings.dryRun,
    });
    try {
      return await runWith(settings, ctx, env, diffStepOf, remote, store);
    } finally {
      await store.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** `run --test-notify`: each configured channel's answer; exit 3 when one failed. */
async function runTestNotify(settings: RunSettings, ctx: AppContext): Promise<RunResult> {
  const { channelsOf } = await import('../run/notify.js');
  if (channelsOf(settings.notify).length === 0)
    throw new UsageError(
      '--test-notify: no channel is configured',
      'give --notify-command, --webhook, --sns-topic-arn, --emf, --cloudwatch-namespace or --security-hub',
    );
  const { testNotify } = await import('../run/test-notify.js');
  const { runId, answers } = await testNotify(settings.notify, ctx.now(), settings.cas[0]);
  return {
    kind: 'test-notify',
    runId,
    answers,
    exitCode: answers.some((a) => a.error !== undefined) ? 3 : 0,
  };
}

/** The CRL step with the AWS reads it makes (loaded only when it runs), and those reads for OCSP's. */
async function crlStep(ctx: AppContext) {
  const m = await import('../run/crl-step.js');
  const caReads = m.caReadsOnce(ctx.aws);
  const deps = m.awsCrlStepDeps(ctx.aws, caReads);
  return {
    caReads,
    revocation: (ca: CaArn) => m.fetchRevocationSources(ca, deps),
  };
}

async function runWith(
  settings: RunSettings,
  ctx: AppContext,
  env: NodeJS.ProcessEnv,
  diffStepOf: DiffStepOf,
  remote: string | undefined,
  store: StateStore | undefined,
): Promise<RunResult> {
  // issue 16 item 2: the CAs of an account and Region share one LookupEvents pass, and a trail
  // bucket's objects are listed and downloaded once for all CAs (each LookupEvents pass reads with
  // the clients of the first CA of its account and Region: its target's; a trail bucket is read with
  // the run's own credentials, the central account's, as the README's organisation setup says)
  const { EventPasses } = await import('../run/event-passes.js');
  const passes = new EventPasses({
    now: ctx.now,
    sleep: ctx.sleep,
    trailS3: async (region) => (await ctx.aws()).s3(region),
  });
  // the steps that reach AWS, built on a context: the run's, or one target's (issue 16 item 1)
  const steps = async (c: AppContext) => ({
    ctx: c,
    ...(settings.crlCheck ? await crlStep(c) : {}),
    diff: diffStepOf(c, passes),
  });
  const summary = await runNightly(settings, {
    ...(await steps(ctx)),
    passes,
    ...(store ? { store } : {}),
    ...(env.PCA_AUDIT_TEST_CRASH_AFTER ? { crashAfter: env.PCA_AUDIT_TEST_CRASH_AFTER } : {}),
    forTarget: async (t) => {
      const awsFor = ctx.awsFor;
      if (!awsFor) throw new Error('run: this context cannot reach a target');
      return steps({ ...ctx, aws: () => awsFor(t.region, roleOf(t)) });
    },
  }).finally(() => passes.dispose());
  const base = remote === undefined ? settings.stateDir : remote.replace(/\/$/, '');
  const results = remote === undefined ? join(base, 'runs', summary.runId) : `${base}/runs/${summary.runId}`;
  return { kind: 'summary', summary, results, exitCode: summary.exitCode };
}
