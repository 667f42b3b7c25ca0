/**
 * `bootstrap`: make a bucket ready for the CAs' audit reports, and change nothing else. Refuses the
 * settings that make delivery fail (Object Lock, another Region, the aws/s3 KMS key) before touching
 * anything, merges the delivery statement into the current policy by Sid, and writes only when the
 * policy is still the one the merge started from.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { caCanWrite, PCA_PRINCIPAL, unconditionedServiceGrants } from '../core/bucket/bucket-policy.js';
import {
  DELIVERY_SID,
  grantFor,
  kmsKeyStatement,
  type MergeAction,
  mergeDeliveryStatement,
  policyDiff,
} from '../core/bucket/policy-merge.js';
import type { CaArn } from '../core/ca-arn.js';
import { PcaAuditError } from '../core/errors.js';
import {
  bucketEncryption,
  bucketRegion,
  createReportBucket,
  objectLockEnabled,
  publicAccessBlock,
  readBucketPolicy,
  writeBucketPolicy,
} from './bucket-settings.js';
import { AwsError, FATAL_AWS_ERRORS } from './errors.js';

/** A bucket bootstrap will not set up as asked: exit 2, with the fix as the hint. */
export class BucketSetupError extends PcaAuditError {
  override readonly name = 'BucketSetupError';
  readonly errorKind = 'usage';
  constructor(
    message: string,
    override readonly hint: string,
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
   * DescribeCertificateAuthority of a CA: its status. Throws an AwsError (ResourceNotFoundException
   * for a CA that does not exist). Without it, the CAs are granted unchecked (tests of the merge).
   */
  describeCa?: (arn: string) => Promise<{ status: string }>;
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
  /** what was done but should be looked at: CAs that could not be checked, grants without conditions */
  warnings: string[];
}

/**
 * Each CA, described: one that does not exist is refused (granting it would let nothing write, and
 * hide a typo); one that cannot be described (another account's CA, a role without
 * acm-pca:DescribeCertificateAuthority) is granted as given, with a warning.
 */
async function checkCas(deps: BootstrapDeps, cas: CaArn[], warnings: string[]): Promise<void> {
  const describe = deps.describeCa;
  if (!describe) return;
  for (const ca of cas) {
    try {
      const { status } = await describe(ca.arn);
      if (status === 'DELETED' || status === 'FAILED') {
        warnings.push(`CA ${ca.arn} is ${status}: it makes no reports (granted anyway)`);
      }
    } catch (err) {
      if (!(err instanceof AwsError) || FATAL_AWS_ERRORS.has(err.errorName)) throw err;
      if (err.errorName === 'ResourceNotFoundException') {
        throw new BucketSetupError(
          `CA ${ca.arn} does not exist (DescribeCertificateAuthority: ResourceNotFoundException); nothing written`,
          `check the ARN (aws acm-pca list-certificate-authorities --region ${ca.region})`,
        );
      }
      warnings.push(
        `could not check that CA ${ca.arn} exists (DescribeCertificateAuthority failed: ${err.errorName}); granted as given`,
      );
    }
  }
}

export async function bootstrapBucket(deps: BootstrapDeps, o: BootstrapOptions): Promise<BootstrapResult> {
  const { s3 } = deps;
  const ca = o.cas[0];
  if (!ca) throw new BucketSetupError('no CA given', 'name each CA with --ca ARN');
  const region = ca.region;
  const again = `pca-audit bootstrap --bucket ${o.bucket} ${o.cas.map((c) => `--ca ${c.arn}`).join(' ')}`;

  const warnings: string[] = [];
  await checkCas(deps, o.cas, warnings);

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
  // the merged policy, evaluated as S3 would: a Deny elsewhere blocks what our statement allows
  const doc: unknown = JSON.parse(merged.text);
  for (const ca of o.cas) {
    const d = caCanWrite(doc, o.bucket, ca.arn, ca.account);
    if (!d.allowed && d.denied) {
      throw new BucketSetupError(
        `bucket ${o.bucket}: statement ${d.denied.statement} of the policy denies ${PCA_PRINCIPAL} ${d.denied.action}, so CA ${ca.arn} could not write reports even with statement ${DELIVERY_SID}; nothing written`,
        `change or remove statement ${d.denied.statement} by hand (bootstrap changes no statement but its own), then run again: ${again}`,
      );
    }
  }
  const loose = unconditionedServiceGrants(doc, o.bucket);
  if (loose.length) {
    warnings.push(
      `statement ${loose.join(', ')} of the policy of bucket ${o.bucket} lets ${PCA_PRINCIPAL} write without an aws:SourceAccount or aws:SourceArn condition, so any account's CA could write into the bucket (confused deputy); add those conditions to it by hand, or remove it (statement ${DELIVERY_SID} has them)`,
    );
  }
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
    warnings,
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
