/** Reading and changing the S3 bucket settings a CA's report delivery depends on (aws-facts.md). */
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
  type ServerSideEncryptionRule,
} from '@aws-sdk/client-s3';
import { AwsError, call } from './errors.js';

/** The Region a bucket is in, or undefined when there is no such bucket. */
export async function bucketRegion(s3: S3Client, bucket: string): Promise<string | undefined> {
  try {
    const res = await call('HeadBucket', () => s3.send(new HeadBucketCommand({ Bucket: bucket })));
    return res.BucketRegion ?? 'us-east-1';
  } catch (err) {
    if (err instanceof AwsError && (err.errorName === 'NotFound' || err.errorName === 'NoSuchBucket')) {
      return undefined;
    }
    throw err;
  }
}

/**
 * Makes a bucket in `region` with Block Public Access on and object ownership "bucket owner
 * enforced" (ACLs off; ACM PCA's s3:PutObjectAcl calls still succeed).
 */
export async function createReportBucket(s3: S3Client, bucket: string, region: string): Promise<void> {
  await call('CreateBucket', () =>
    s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        // us-east-1 takes no location constraint (it refuses its own name)
        ...(region === 'us-east-1'
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
      }),
    ),
  );
  await call('PutPublicAccessBlock', () =>
    s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    ),
  );
  await call('PutBucketOwnershipControls', () =>
    s3.send(
      new PutBucketOwnershipControlsCommand({
        Bucket: bucket,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      }),
    ),
  );
}

export async function objectLockEnabled(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    const res = await call('GetObjectLockConfiguration', () =>
      s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket })),
    );
    return res.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled';
  } catch (err) {
    if (err instanceof AwsError && err.errorName === 'ObjectLockConfigurationNotFoundError') return false;
    throw err;
  }
}

export type BucketEncryption =
  | { kind: 'none' }
  | { kind: 'sse-s3' }
  /** aws/s3: ACM PCA cannot use it */
  | { kind: 'aws-managed-kms'; keyId?: string }
  | { kind: 'customer-kms'; keyId: string };

/** The default encryption; a key id that is not the aws/s3 alias is taken as customer managed. */
export async function bucketEncryption(s3: S3Client, bucket: string): Promise<BucketEncryption> {
  let rules: ServerSideEncryptionRule[];
  try {
    const res = await call('GetBucketEncryption', () =>
      s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })),
    );
    rules = res.ServerSideEncryptionConfiguration?.Rules ?? [];
  } catch (err) {
    if (err instanceof AwsError && err.errorName === 'ServerSideEncryptionConfigurationNotFoundError') {
      return { kind: 'none' };
    }
    throw err;
  }
  for (const rule of rules) {
    const d = rule.ApplyServerSideEncryptionByDefault;
    if (!d?.SSEAlgorithm) continue;
    if (d.SSEAlgorithm.startsWith('aws:kms')) {
      const key = d.KMSMasterKeyID;
      if (!key || /(^|:)alias\/aws\/s3$/.test(key))
        return { kind: 'aws-managed-kms', ...(key ? { keyId: key } : {}) };
      return { kind: 'customer-kms', keyId: key };
    }
    return { kind: 'sse-s3' };
  }
  return { kind: 'none' };
}

export interface PublicAccessBlock {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

/** The bucket's Block Public Access settings; none configured reads as all off. */
export async function publicAccessBlock(s3: S3Client, bucket: string): Promise<PublicAccessBlock> {
  try {
    const res = await call('GetPublicAccessBlock', () =>
      s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })),
    );
    const c = res.PublicAccessBlockConfiguration ?? {};
    return {
      BlockPublicAcls: c.BlockPublicAcls === true,
      IgnorePublicAcls: c.IgnorePublicAcls === true,
      BlockPublicPolicy: c.BlockPublicPolicy === true,
      RestrictPublicBuckets: c.RestrictPublicBuckets === true,
    };
  } catch (err) {
    if (err instanceof AwsError && err.errorName === 'NoSuchPublicAccessBlockConfiguration') {
      return {
        BlockPublicAcls: false,
        IgnorePublicAcls: false,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: false,
      };
    }
    throw err;
  }
}

/** The bucket policy text exactly as S3 returns it, or undefined when the bucket has none. */
export async function readBucketPolicy(s3: S3Client, bucket: string): Promise<string | undefined> {
  try {
    const res = await call('GetBucketPolicy', () => s3.send(new GetBucketPolicyCommand({ Bucket: bucket })));
    return res.Policy;
  } catch (err) {
    if (err instanceof AwsError && err.errorName === 'NoSuchBucketPolicy') return undefined;
    throw err;
  }
}

export async function writeBucketPolicy(s3: S3Client, bucket: string, policy: string): Promise<void> {
  await call('PutBucketPolicy', () =>
    s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy })),
  );
}

/** Writes and deletes an empty object: can the caller itself write (and clean up) in the bucket? */
export async function probeWrite(s3: S3Client, bucket: string, key: string): Promise<void> {
  await call('PutObject', () => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '' })));
  await call('DeleteObject', () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
}
