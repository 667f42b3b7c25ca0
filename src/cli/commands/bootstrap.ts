/**
 * `pca-audit bootstrap`, the shell: flags to the bootstrap use case (src/app/bootstrap.ts), its
 * result rendered (the policy diff, or that nothing had to change) on stdout.
 */
import { type BootstrapRequest, bootstrap } from '../../app/bootstrap.js';
import type { BootstrapResult } from '../../aws/bucket-setup.js';
import { DELIVERY_SID } from '../../core/bucket/policy-merge.js';
import type { CaArn } from '../../core/ca-arn.js';
import { safeOutput } from '../../core/render/style.js';
import type { CliContext } from '../context.js';
import { makeOutput } from '../output.js';

export interface BootstrapCommand extends BootstrapRequest {
  format: 'text' | 'json';
}

function colour(on: boolean, code: number, text: string): string {
  return on ? `\u001b[${code}m${text}\u001b[39m` : text;
}

const ACTIONS: Record<BootstrapResult['action'], string> = {
  created: `policy: none yet; a new one with statement ${DELIVERY_SID}`,
  appended: `policy: statement ${DELIVERY_SID} added; every other statement kept as it was`,
  updated: `policy: statement ${DELIVERY_SID} updated; every other statement kept as it was`,
  unchanged: `policy: up to date (statement ${DELIVERY_SID} already grants these CAs); nothing written`,
};

function renderText(r: BootstrapResult, cmd: BootstrapCommand, color: boolean): string {
  const lines: string[] = [];
  const bucketState = r.bucketCreated
    ? cmd.dryRun
      ? 'does not exist; would be created with Block Public Access on and bucket owner enforced'
      : 'created with Block Public Access on and bucket owner enforced'
    : 'exists';
  lines.push(`bucket ${r.bucket} (${r.region}): ${bucketState}`);
  lines.push(ACTIONS[r.action]);
  if (r.keptCaArns.length) {
    lines.push(`kept: ${r.keptCaArns.length} more CA(s) the statement already granted`);
  }
  if (r.action !== 'unchanged') {
    lines.push(
      '--- bucket policy (now)',
      `+++ bucket policy (${cmd.dryRun ? 'after bootstrap' : 'written'})`,
    );
    for (const l of r.diff) {
      lines.push(l.startsWith('+') ? colour(color, 32, l) : l.startsWith('-') ? colour(color, 31, l) : l);
    }
    lines.push(cmd.dryRun ? 'dry run: nothing written' : `written: the policy of bucket ${r.bucket}`);
  }
  if (r.kms) {
    lines.push(
      `bucket ${r.bucket} is encrypted with customer managed KMS key ${r.kms.keyId}: add this statement to the key policy (pca-audit cannot check it):`,
      JSON.stringify(r.kms.statement, null, 2),
    );
  }
  // the policy diff quotes the bucket's policy as stored: untrusted text
  return safeOutput(`${lines.join('\n')}\n`, { color });
}

function renderJson(r: BootstrapResult, cas: CaArn[], cmd: BootstrapCommand): string {
  return `${JSON.stringify(
    {
      schemaVersion: 1,
      bucket: r.bucket,
      region: r.region,
      cas: cas.map((c) => c.arn),
      dryRun: cmd.dryRun,
      bucketCreated: r.bucketCreated,
      action: r.action,
      written: r.written,
      diff: r.diff,
      policy: r.after,
      keptCaArns: r.keptCaArns,
      publicAccessBlockOff: r.publicAccessOff,
      warnings: r.warnings,
      ...(r.kms ? { kmsKeyPolicyStatement: { keyId: r.kms.keyId, statement: r.kms.statement } } : {}),
    },
    null,
    2,
  )}\n`;
}

/** `pca-audit bootstrap`: prints what changed (the policy diff) or that nothing had to. */
export async function runBootstrap(
  cmd: BootstrapCommand,
  ctx: CliContext,
  beforeWrite?: () => Promise<void>,
): Promise<number> {
  const { result, cas, exitCode } = await bootstrap(
    { bucket: cmd.bucket, ca: cmd.ca, create: cmd.create, dryRun: cmd.dryRun },
    ctx,
    beforeWrite,
  );
  const output = makeOutput(ctx.streams, { format: cmd.format });
  await output.emit(
    cmd.format === 'json' ? renderJson(result, cas, cmd) : renderText(result, cmd, output.color),
  );
  return exitCode;
}
