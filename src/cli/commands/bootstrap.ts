import { type BootstrapResult, BucketSetupError, bootstrapBucket } from '../../aws/bucket-setup.js';
import { DELIVERY_SID, PolicyTextError } from '../../core/bucket/policy-merge.js';
import { type CaArn, parseCaArn } from '../../core/ca-arn.js';
import { safeOutput, safeText } from '../../core/render/style.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { makeOutput } from '../output.js';

export interface BootstrapCommand {
  bucket: string;
  ca: string[];
  create: boolean;
  dryRun: boolean;
  format: 'text' | 'json';
}

/** A bucket name S3 accepts (the common rules; S3 has the last word). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The CA ARNs from --ca, parsed, deduplicated, sorted; with oneRegion, all in one Region. */
export function parseCaList(values: readonly string[], oneRegion = true): CaArn[] {
  const cas = new Map<string, CaArn>();
  for (const v of values) {
    const ca = parseCaArn(v);
    if (!ca) {
      throw new UsageError(
        `--ca: "${v}" is not a CA ARN`,
        'write it like arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/<uuid>',
      );
    }
    cas.set(ca.arn, ca);
  }
  if (cas.size === 0) throw new UsageError('name each CA with --ca ARN');
  const regions = [...new Set([...cas.values()].map((c) => `${c.partition}/${c.region}`))].sort();
  if (oneRegion && regions.length > 1) {
    throw new UsageError(
      `the CAs are in ${regions.length} Regions (${regions.map((r) => r.split('/')[1]).join(', ')}); ACM PCA writes reports only to a bucket in the CA's own Region`,
      'bootstrap one bucket per Region, each with the CAs of that Region',
    );
  }
  return [...cas.values()].sort((a, b) => (a.arn < b.arn ? -1 : 1));
}

export function checkBucketName(bucket: string): void {
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) {
    throw new UsageError(
      `--bucket: "${bucket}" is not an S3 bucket name`,
      '3 to 63 characters: lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit',
    );
  }
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
  checkBucketName(cmd.bucket);
  const cas = parseCaList(cmd.ca);
  const region = cas[0]!.region;
  let r: BootstrapResult;
  try {
    const clients = await ctx.aws();
    const { describeCa } = await import('../../aws/pca.js');
    r = await bootstrapBucket(
      {
        s3: clients.s3(region),
        describeCa: (arn) => describeCa(clients.pca(region), arn),
        ...(beforeWrite ? { beforeWrite } : {}),
      },
      { bucket: cmd.bucket, cas, create: cmd.create, dryRun: cmd.dryRun },
    );
  } catch (err) {
    if (err instanceof BucketSetupError) throw new UsageError(err.message, err.hint);
    if (err instanceof PolicyTextError) {
      throw new UsageError(`bucket ${cmd.bucket}: ${err.message}; nothing written`, err.hint);
    }
    throw err;
  }
  // warnings quote statement Sids: bucket policy text, escaped before it reaches a terminal
  for (const w of r.warnings) ctx.note(safeText(w));
  if (r.publicAccessOff.length) {
    ctx.note(
      `Block Public Access is off on bucket ${r.bucket} (${r.publicAccessOff.join(', ')}); the CA needs none of it off ('pca-audit doctor' gives the fix)`,
    );
  }
  const output = makeOutput(ctx.streams, { format: cmd.format });
  await output.emit(cmd.format === 'json' ? renderJson(r, cas, cmd) : renderText(r, cmd, output.color));
  return 0;
}
