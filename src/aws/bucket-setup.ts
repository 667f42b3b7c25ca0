/**
 * `bootstrap`: make a bucket ready for the CAs' audit reports, and change nothing else. Refuses the
 * settings that make delivery fail (Object Lock, another Region, the aws/s3 KMS key) before touching
 * anything, merges the delivery statement into the current policy by Sid, and writes only when the
 * policy is still the one the merge started from.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { CaArn } from '../core/ca-arn.js';
import {
  grantFor,
  kmsKeyStatement,
  type MergeAction,
  mergeDeliveryStatement,
  policyDiff,
} from '../core/policy-merge.js';
import {
  bucketEncryption,
  bucketRegion,
  createReportBucket,
  objectLockEnabled,
  publicAccessBlock,
  readBucketPolicy,
  writeBucketPolicy,
} from './bucket-settings.js';
import { AwsError } from './errors.js';

/** A bucket bootstrap will not set up as asked: exit 2, with the fix as the hint. */
export class BucketSetupError extends Error {
  override readonly name = 'BucketSetupError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

export interface BootstrapOptions {
  bucket: string;
  /** all in one Region (the caller checks) */
  cas: CaArn[];
  create: boolean;
  dryRun: boolean;
}

export interface BootstrapDeps {
  /** an S3 client for the CAs' Region */
  s3: S3Client;
  /**
   * Called after the policy is read and merged, just before it is read again and written. Tests
   * change the policy here to prove a concurrent change is detected and never overwritten.
   */
  beforeWrite?: () => Promise<void>;
}

export interface BootstrapResult {
  bucket: string;
  region: string;
  /** the bucket was made by this run (or, with dryRun, would be) */
  bucketCreated: boolean;
  action: MergeAction;
  /** the policy before, undefined when the bucket had none */
  before: string | undefined;
  after: string;
  /** unified diff of the pretty-printed policies */
  diff: string[];
  written: boolean;
  /** CA ARNs already granted and kept */
  keptCaArns: string[];
  /** a customer managed key encrypts the bucket: this statement must be in its key policy */
  kms?: { keyId: string; statement: Record<string, unknown> };
  /** Block Public Access settings that are off (the CA does not need any of them off) */
  publicAccessOff: string[];
}

export async function bootstrapBucket(deps: BootstrapDeps, o: BootstrapOptions): Promise<BootstrapResult> {
  const { s3 } = deps;
  const ca = o.cas[0];
  if (!ca) throw new BucketSetupError('no CA given', 'name each CA with --ca ARN');
  const region = ca.region;
  const again = `pca-audit bootstrap --bucket ${o.bucket} ${o.cas.map((c) => `--ca ${c.arn}`).join(' ')}`;

  const found = await bucketRegion(s3, o.bucket);
  let bucketCreated = false;
  let kms: BootstrapResult['kms'];
  let publicAccessOff: string[] = [];
  if (found === undefined) {
    if (!o.create) {
      throw new BucketSetupError(
        `bucket ${o.bucket} does not exist`,
        `add --create to make it in ${region} (Block Public Access on, bucket owner enforced): ${again} --create`,
      );
    }
    if (!o.dryRun) await createReportBucket(s3, o.bucket, region);
    bucketCreated = true;
  } else {
    if (found !== region) {
      throw new BucketSetupError(
        `bucket ${o.bucket} is in ${found}, the CA in ${region}; ACM PCA writes reports only to a bucket in its own Region`,
        `use a bucket in ${region}: pca-audit bootstrap --bucket NEW-BUCKET --ca ${ca.arn} --create`,
      );
    }
    if (await objectLockEnabled(s3, o.bucket)) {
      throw new BucketSetupError(
        `bucket ${o.bucket} has Object Lock enabled, which makes report delivery fail`,
        `Object Lock cannot be turned off: use another bucket (pca-audit bootstrap --bucket NEW-BUCKET --ca ${ca.arn} --create)`,
      );
    }
    const encryption = await bucketEncryption(s3, o.bucket);
    if (encryption.kind === 'aws-managed-kms') {
      throw new BucketSetupError(
        `bucket ${o.bucket} encrypts by default with the AWS managed key aws/s3, which ACM PCA cannot use`,
        `use SSE-S3 (aws s3api put-bucket-encryption --bucket ${o.bucket} --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}') or a customer managed KMS key`,
      );
    }
    if (encryption.kind === 'customer-kms') {
      kms = { keyId: encryption.keyId, statement: kmsKeyStatement(ca.partition, o.bucket) };
    }
    const pab = await publicAccessBlock(s3, o.bucket);
    publicAccessOff = Object.entries(pab).flatMap(([k, on]) => (on ? [] : [k]));
  }

  const before = bucketCreated ? undefined : await readBucketPolicy(s3, o.bucket);
  const merged = mergeDeliveryStatement(before, grantFor(o.bucket, o.cas));
  const result: BootstrapResult = {
    bucket: o.bucket,
    region,
    bucketCreated,
    action: merged.action,
    before,
    after: merged.text,
    diff: merged.action === 'unchanged' ? [] : policyDiff(before, merged.text),
    written: false,
    keptCaArns: merged.keptCaArns,
    ...(kms ? { kms } : {}),
    publicAccessOff,
  };
  if (merged.action === 'unchanged' || o.dryRun) return result;

  await deps.beforeWrite?.();
  // PutBucketPolicy replaces the whole policy: a change made since it was read would be lost
  const current = await readBucketPolicy(s3, o.bucket);
  if (current !== before) {
    throw new AwsError(
      'PutBucketPolicy',
      'PolicyChangedConcurrently',
      `the policy of bucket ${o.bucket} changed while pca-audit was merging into it; nothing was written`,
      undefined,
      `run again to merge into the new policy: ${again}`,
    );
  }
  await writeBucketPolicy(s3, o.bucket, merged.text);
  result.written = true;
  return result;
}
