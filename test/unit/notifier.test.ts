import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyCommit, notify } from '../../src/run/commit-log.js';
import type { RunDeps, RunSettings } from '../../src/run/nightly.js';
import type { Channel, Notification, Notifier } from '../../src/run/notify.js';
import { FsStateStore } from '../../src/store/fs-state-store.js';

/**
 * The job's notifier port (issue 17 item 3): the commit log delivers through the Notifier it is
 * given, channel by channel, records each delivery before the next, and never runs again a channel
 * that took the notification.
 */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pca-audit-notifier-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function fakeNotifier(channels: Channel[], failing: Set<Channel>) {
  const calls: Array<{ channel: Channel; runId: string }> = [];
  const notifier: Notifier = {
    configured: () => channels,
    deliver: async (channel: Channel, n: Notification) => {
      calls.push({ channel, runId: n.runId });
      return failing.has(channel) ? `${channel} is down` : undefined;
    },
  };
  return { notifier, calls };
}

describe('commit log delivery through the Notifier port', () => {
  it('delivers to each configured channel; a failed one stays pending and is the only one tried again', async () => {
    const store = new FsStateStore(dir);
    await store.open();
    const runId = '20261203T010000Z-abcd';
    await store.writeRunFile(runId, 'summary.json', JSON.stringify({ runId, cas: [], exitCode: 1 }));
    const record = emptyCommit(runId);
    record.notification.wanted = true;
    const failing = new Set<Channel>(['webhook']);
    const { notifier, calls } = fakeNotifier(['command', 'webhook', 'sns'], failing);
    const notes: string[] = [];
    const deps = {
      notifier,
      ctx: { note: (m: string) => notes.push(m) },
    } as unknown as RunDeps;
    // the settings' own channels are not consulted: the port says what is configured
    const settings = { notify: {} } as unknown as RunSettings;

    await notify(store, record, settings, deps, false);
    expect(calls.map((c) => c.channel)).toEqual(['command', 'webhook', 'sns']);
    const first = await store.readCommit(runId);
    expect(first?.notification.delivered).toBe(false);
    expect(first?.notification.channels?.command?.delivered).toBe(true);
    expect(first?.notification.channels?.webhook).toMatchObject({
      delivered: false,
      lastError: 'webhook is down',
    });
    expect(notes.join('\n')).toMatch(
      /notification of run .* failed \(webhook is down\); it will be retried next run/,
    );

    failing.clear();
    calls.length = 0;
    await notify(store, first!, settings, deps, true);
    expect(calls.map((c) => c.channel)).toEqual(['webhook']);
    const second = await store.readCommit(runId);
    expect(second?.notification).toMatchObject({ delivered: true, attempts: 2 });
    expect(notes.at(-1)).toMatch(/delivered the notification of run .* \(attempt 2\)/);
  });
});
