/** The CA lists and bucket names of a request, checked (bootstrap, iam-policy, doctor). */
import { type CaArn, parseCaArn } from '../core/ca-arn.js';
import { UsageError } from '../core/errors.js';

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
