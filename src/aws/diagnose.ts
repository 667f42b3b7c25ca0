/** Why a report FAILED: the usual causes, each checked (a check we may not run is said so). */
import {
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetObjectLockConfigurationCommand,
  HeadBucketCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { caCanWrite } from '../core/bucket/bucket-policy.js';
import type { CaArn } from '../core/ca-arn.js';
import { call } from './errors.js';

async function attempt<T>(operation: string, fn: () => Promise<T>): Promise<{ ok: T } | { err: string }> {
  try {
    return { ok: await call(operation, fn) };
  } catch (err) {
    const e = err as { errorName?: string; message?: string };
    return { err: e.errorName ?? e.message ?? String(err) };
  }
}

export async function diagnoseReportFailure(s3: S3Client, bucket: string, ca: CaArn): Promise<string[]> {
  const causes: string[] = [];
  const head = await attempt('HeadBucket', () => s3.send(new HeadBucketCommand({ Bucket: bucket })));
  if ('err' in head) {
    causes.push(
      head.err === 'NotFound' || head.err === 'NoSuchBucket'
        ? `bucket ${bucket} does not exist`
        : `could not check bucket ${bucket} (${head.err})`,
    );
    return causes;
  }
  const region = head.ok.BucketRegion;
  if (region && region !== ca.region) causes.push(`bucket ${bucket} is in ${region}, the CA in ${ca.region}`);
  const policy = await attempt('GetBucketPolicy', () =>
    s3.send(new GetBucketPolicyCommand({ Bucket: bucket })),
  );
  if ('err' in policy) {
    causes.push(
      policy.err === 'NoSuchBucketPolicy'
        ? `bucket ${bucket} has no policy, so acm-pca.amazonaws.com may not write to it (run 'pca-audit bootstrap')`
        : `could not read the bucket policy (${policy.err})`,
    );
  } else {
    let doc: unknown;
    try {
      doc = JSON.parse(policy.ok.Policy ?? '');
    } catch {
      causes.push('the bucket policy is not valid JSON');
    }
    if (doc !== undefined) {
      const d = caCanWrite(doc, bucket, ca.arn, ca.account);
      if (!d.allowed) {
        causes.push(
          `the bucket policy does not let this CA write reports: ${d.why}` +
            // bootstrap only adds an Allow: a Deny must be changed by hand
            (d.denied ? ` (change or remove statement ${d.denied.statement} by hand)` : ''),
        );
      }
    }
  }
  const enc = await attempt('GetBucketEncryption', () =>
    s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })),
  );
  if ('ok' in enc) {
    for (const rule of enc.ok.ServerSideEncryptionConfiguration?.Rules ?? []) {
      const d = rule.ApplyServerSideEncryptionByDefault;
      if (d?.SSEAlgorithm?.startsWith('aws:kms')) {
        const key = d.KMSMasterKeyID;
        if (!key || /alias\/aws\/s3$/.test(key)) {
          causes.push('default encryption uses the AWS managed key aws/s3, which ACM PCA cannot use');
        } else {
          causes.push(
            `default encryption uses KMS key ${key}: its key policy must let acm-pca.amazonaws.com use kms:GenerateDataKey and kms:Decrypt`,
          );
        }
      }
    }
  } else if (enc.err !== 'ServerSideEncryptionConfigurationNotFoundError') {
    causes.push(`could not read the bucket encryption (${enc.err})`);
  }
  const lock = await attempt('GetObjectLockConfiguration', () =>
    s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket })),
  );
  if ('ok' in lock && lock.ok.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled') {
    causes.push('Object Lock is enabled on the bucket, which makes report delivery fail');
  }
  return causes;
}
