/**
 * The commit log of `run`: crash safety is a write-ahead record per run (`runs/<id>/commit.json`).
 * Results are written first, then the commit record (new checkpoints, the alerts it raises, the
 * pending notification), then the checkpoints, then the notification. A re-run first finishes
 * every commit record it finds (applies its checkpoints, delivers its notification), so a crash at
 * any step repeats nothing. The one window left (delivered, not yet marked) is covered by the run
 * id the receivers get as an idempotency key.
 */
import type { ChannelState, CommitRecord } from '../core/run/checkpoint.js';
import type { RunSummary } from '../core/run/run-model.js';
import type { StateStore } from '../store/state-store.js';
import type { RunDeps, RunSettings } from './nightly.js';
import { CHANNELS, type Channel, channelNotifier } from './notify.js';

/** A commit record with nothing in it yet. */
export const emptyCommit = (runId: string): CommitRecord => ({
  runId,
  checkpoints: {},
  alerted: {},
  applied: false,
  notification: { wanted: false, delivered: false, attempts: 0 },
});

/** Every channel pending. */
export const pending = (channels: readonly Channel[]): Partial<Record<Channel, ChannelState>> =>
  Object.fromEntries(channels.map((c) => [c, { delivered: false, attempts: 0 }]));

/** The step hook for crash tests: nothing unless PCA_AUDIT_TEST_CRASH_AFTER names this step. */
export function step(deps: Pick<RunDeps, 'crashAfter'>, name: string): void {
  if (deps.crashAfter === name) {
    process.stderr.write(`pca-audit: test hook: crashing after ${name}\n`);
    process.exit(137);
  }
}

/** Finishes commit records left by earlier runs: applies checkpoints, delivers notifications. */
export async function finishCommits(store: StateStore, s: RunSettings, deps: RunDeps): Promise<void> {
  for (const run of await store.runIds()) {
    const record = await store.readCommit(run);
    if (!record) continue;
    if (!record.applied) {
      deps.ctx.note(`finishing run ${run}, which stopped before it was complete`);
      await applyCommit(store, record);
      record.applied = true;
      await store.writeCommit(record);
    }
    if (record.notification.wanted && !record.notification.delivered) {
      await notify(store, record, s, deps, true);
    }
  }
}

/** Applies a commit record: each CA's checkpoint (history kept), then its alerted set. Idempotent. */
export async function applyCommit(store: StateStore, record: CommitRecord): Promise<void> {
  for (const [key, cp] of Object.entries(record.checkpoints)) await store.ca(key).writeCheckpoint(cp);
  for (const [key, keys] of Object.entries(record.alerted))
    await store.ca(key).addAlerted(keys, record.runId);
}

/**
 * Delivers a run's notification to each channel still pending; each delivery is recorded before
 * the next channel is tried, so a crash does not run a channel that took it again.
 */
export async function notify(
  store: StateStore,
  record: CommitRecord,
  s: RunSettings,
  deps: RunDeps,
  retry: boolean,
): Promise<void> {
  const summary = (await store.readSummary(record.runId)) as RunSummary | undefined;
  if (!summary) return;
  const n = record.notification;
  const notifier = deps.notifier ?? channelNotifier(s.notify);
  const configured = notifier.configured();
  n.channels ??= pending(configured);
  n.attempts++;
  const notification = {
    runId: record.runId,
    summaryJson: store.runFilePath(record.runId, 'summary.json'),
    summaryMarkdown: store.runFilePath(record.runId, 'summary.md'),
    summary,
    // Security Hub remembers per CA what it imported (cas/<id>/security-hub.json), to archive it later
    state: store.files(),
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
    const error = await notifier.deliver(channel, notification);
    if (error === undefined) {
      step(deps, 'notify');
      ch.delivered = true;
      delete ch.lastError;
    } else {
      ch.lastError = error;
      errors.push(error);
    }
    // recorded before the next channel: a crash there does not run this one again
    await store.writeCommit(record);
  }
  if (errors.length === 0) {
    n.delivered = true;
    delete n.lastError;
    if (retry) deps.ctx.note(`delivered the notification of run ${record.runId} (attempt ${n.attempts})`);
  } else {
    n.lastError = errors.join('; ');
    deps.ctx.note(`notification of run ${record.runId} failed (${n.lastError}); it will be retried next run`);
  }
  await store.writeCommit(record);
}

/** The CA keys named by applied commit records in `runs/` (read once a run, when first needed). */
export function committedCas(store: StateStore): () => Promise<Set<string>> {
  let found: Promise<Set<string>> | undefined;
  const scan = async () => {
    const ids = new Set<string>();
    for (const run of await store.runIds()) {
      const record = await store.readCommit(run);
      if (record?.applied) for (const id of Object.keys(record.checkpoints)) ids.add(id);
    }
    return ids;
  };
  return () => {
    found ??= scan();
    return found;
  };
}
