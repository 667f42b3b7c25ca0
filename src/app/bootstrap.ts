/**
 * The `bootstrap` use case: the bucket made ready for the CAs' audit reports (the least-privilege
 * statement merged into its policy; with `create`, the bucket made). It returns what was found and
 * done; the CLI renders it.
 */
import { type BootstrapResult, BucketSetupError, bootstrapBucket } from '../aws/bucket-setup.js';
import { PolicyTextError } from '../core/bucket/policy-merge.js';
import type { CaArn } from '../core/ca-arn.js';
import { UsageError } from '../core/errors.js';
import { safeText } from '../core/render/style.js';
import { checkBucketName, parseCaList } from './names.js';
import type { AppContext } from './ports.js';

export interface BootstrapRequest {
  bucket: string;
  /** CA ARNs as given: parsed and checked here (one Region) */
  ca: string[];
  create: boolean;
  dryRun: boolean;
}

export interface BootstrapOutcome {
  result: BootstrapResult;
  /** the CAs, parsed, deduplicated, sorted */
  cas: CaArn[];
  exitCode: number;
}

/** Warnings and Block Public Access findings go to `ctx.note`; the result is returned. */
export async function bootstrap(
  req: BootstrapRequest,
  ctx: Pick<AppContext, 'aws' | 'note'>,
  beforeWrite?: () => Promise<void>,
): Promise<BootstrapOutcome> {
  checkBucketName(req.bucket);
  const cas = parseCaList(req.ca);
  const region = cas[0]!.region;
  let r: BootstrapResult;
  try {
    const clients = await ctx.aws();
    const { describeCa } = await import('../aws/pca.js');
    r = await bootstrapBucket(
      {
        s3: clients.s3(region),
        describeCa: (arn) => describeCa(clients.pca(region), arn),
        ...(beforeWrite ? { beforeWrite } : {}),
      },
      { bucket: req.bucket, cas, create: req.create, dryRun: req.dryRun },
    );
  } catch (err) {
    if (err instanceof BucketSetupError) throw new UsageError(err.message, err.hint);
    if (err instanceof PolicyTextError) {
      throw new UsageError(`bucket ${req.bucket}: ${err.message}; nothing written`, err.hint);
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
  return { result: r, cas, exitCode: 0 };
}
