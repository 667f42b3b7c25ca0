/**
 * `run --test-notify`: one test notification through every configured channel, whatever
 * --notify-on says, and nothing else (no report, no state). Each channel's answer is returned, so
 * a new setup is checked end to end before the first night needs it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatInstant } from '../core/instant.js';
import { type RunSummary, renderRunMarkdown } from '../core/run/run-model.js';
import { type Channel, channelNotifier, type NotifySettings } from './notify.js';

export interface ChannelAnswer {
  channel: Channel;
  /** undefined: delivered */
  error?: string;
}

export async function testNotify(
  s: NotifySettings,
  now: number,
  caArn: string | undefined,
): Promise<{ runId: string; answers: ChannelAnswer[] }> {
  const runId = `test-${formatInstant(Math.floor(now)).replace(/[-:]/g, '')}-${randomBytes(3).toString('hex')}`;
  const summary: RunSummary = {
    schemaVersion: 1,
    runId,
    startedAt: formatInstant(Math.floor(now)),
    dryRun: false,
    failOn: 'warning',
    repeatAlerts: false,
    exitCode: 0,
    cas: [],
    expiredAcknowledgements: [],
    test: true,
  };
  // the command channel gets the summary's paths, as on a night
  const dir = await mkdtemp(join(tmpdir(), 'pca-audit-test-notify-'));
  try {
    const summaryJson = join(dir, 'summary.json');
    const summaryMarkdown = join(dir, 'summary.md');
    await writeFile(summaryJson, `${JSON.stringify(summary, null, 2)}\n`);
    await writeFile(summaryMarkdown, renderRunMarkdown(summary));
    const n = { runId, summaryJson, summaryMarkdown, summary, test: caArn === undefined ? {} : { caArn } };
    const answers: ChannelAnswer[] = [];
    const notifier = channelNotifier(s);
    for (const channel of notifier.configured()) {
      const error = await notifier.deliver(channel, n);
      answers.push(error === undefined ? { channel } : { channel, error });
    }
    return { runId, answers };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
