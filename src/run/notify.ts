/**
 * Notifications of a run: a command (given the summary's paths and a few variables) and/or a
 * webhook (the summary JSON POSTed, retried). Both get the run id, for receivers to deduplicate.
 */
import { spawn } from 'node:child_process';
import type { RunSummary } from '../core/run-model.js';

export interface NotifySettings {
  command?: string;
  webhook?: string;
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

async function postWebhook(url: string, n: Notification, s: NotifySettings): Promise<string | undefined> {
  let last = '';
  for (let attempt = 1; attempt <= s.webhookAttempts; attempt++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': n.runId,
          'user-agent': 'pca-audit',
        },
        body: JSON.stringify(n.summary),
        signal: AbortSignal.timeout(30_000),
      });
      if (res.ok) return undefined;
      last = `HTTP ${res.status}`;
      // a client error will not get better by retrying (except 408/429)
      if (res.status < 500 && res.status !== 408 && res.status !== 429) break;
    } catch (err) {
      last = (err as Error).message;
    }
    if (attempt < s.webhookAttempts) await s.sleep(2 ** (attempt - 1));
  }
  return `the webhook failed: ${last}`;
}

/** Delivers to every configured channel; ok only when all of them took it. */
export async function deliver(
  s: NotifySettings,
  n: Notification,
): Promise<{ ok: true } | { ok: false; error: string }> {
  const errors: string[] = [];
  if (s.command) {
    const e = await runCommand(s.command, n, s.commandTimeout);
    if (e) errors.push(e);
  }
  if (s.webhook) {
    const e = await postWebhook(s.webhook, n, s);
    if (e) errors.push(e);
  }
  return errors.length === 0 ? { ok: true } : { ok: false, error: errors.join('; ') };
}
