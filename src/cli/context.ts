/** What commands get from the shell: AWS clients, the clock, the streams, and stderr for humans. */
import type { AppContext, Streams } from '../app/ports.js';
import type { AwsClients, AwsOptions } from '../aws/clients.js';
import { UsageError } from '../core/errors.js';
import { parseInstant } from '../core/instant.js';
import { safeText } from '../core/render/style.js';

/** The use cases' context (src/app/ports.ts), as the CLI builds it from the process. */
export type CliContext = AppContext;

/**
 * `PCA_AUDIT_NOW` (an instant) is the clock at the process's start, and it runs on from there:
 * scripted runs and tests against the local stand-in use it to act "30 minutes later" without
 * waiting. Anchored at the process's start (not when the modules are loaded), a CLI started with the
 * stand-in's time does not run behind it by its own start-up time (seconds on a busy machine).
 */
function clock(env: Streams['env']): () => number {
  const text = env.PCA_AUDIT_NOW;
  if (!text) return () => Date.now() / 1000;
  const base = /^\d+(\.\d+)?$/.test(text) ? Number(text) : parseInstant(text);
  if (Number.isNaN(base)) throw new UsageError(`PCA_AUDIT_NOW: "${text}" is not an instant`);
  const started = performance.timeOrigin / 1000;
  return () => base + (Date.now() / 1000 - started);
}

export function makeContext(options: AwsOptions, streams: Streams): CliContext {
  const env = streams.env as NodeJS.ProcessEnv;
  const stderr = streams.stderr;
  let clients: Promise<AwsClients> | undefined;
  const targets = new Map<string, Promise<AwsClients>>();
  const tty = stderr.isTTY;
  let shown = false;
  return {
    streams,
    aws: () => {
      clients ??= import('../aws/clients.js').then((m) => m.makeClients(options, env));
      return clients;
    },
    awsFor: (region, role) => {
      const key = `${role?.roleArn ?? ''}|${role?.externalId ?? ''}|${region}`;
      let got = targets.get(key);
      if (!got) {
        got = import('../aws/clients.js').then((m) => m.makeClients({ ...options, region }, env, role));
        targets.set(key, got);
      }
      return got;
    },
    now: clock(env),
    sleep: (s) => new Promise((resolve) => setTimeout(resolve, Math.max(0, s * 1000))),
    note: (m) => {
      // stderr's writes never fail (see processStreams); the order of lines is the order of calls
      if (shown) void stderr.write('\r\x1b[K');
      shown = false;
      void stderr.write(`pca-audit: ${safeText(m)}\n`);
    },
    progress: (m) => {
      if (!tty) return;
      void stderr.write(`\r\x1b[K${safeText(m)}`);
      shown = m !== '';
    },
  };
}
