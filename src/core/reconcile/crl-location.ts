/**
 * Where a CA publishes its CRL, from DescribeCertificateAuthority's RevocationConfiguration, and
 * what `run` concludes when it publishes none. PCA writes `crl/<CA_ID>.crl` (COMPLETE) into
 * CrlConfiguration.S3BucketName; CustomPath replaces `crl`; a PARTITIONED CA writes one CRL per
 * partition, named with a GUID (aws-facts.md: the exact key form is unconfirmed), so every `.crl`
 * under the prefix is read.
 */

import { FINDING_SEVERITY, type Finding } from '../finding.js';
import { findingMessage } from '../finding-catalogue.js';
import type { Crl } from './crl.js';
import type { CrlVerification } from './crl-verify.js';

/** DescribeCertificateAuthority's RevocationConfiguration, as far as `run` reads it. */
export interface RevocationConfig {
  crl?: {
    enabled: boolean;
    bucket?: string;
    customPath?: string;
    type?: string;
  };
  ocspEnabled: boolean;
  /** OcspConfiguration.OcspCustomCname: where relying parties ask instead of AWS's responder */
  ocspCustomCname?: string;
}

/** What to read: one key (COMPLETE), or every `.crl` under a prefix (PARTITIONED). */
export type CrlLocation =
  | { kind: 'complete'; bucket: string; key: string }
  | { kind: 'partitioned'; bucket: string; prefix: string };

function folder(customPath: string | undefined): string {
  const p = (customPath ?? '').replace(/^\/+|\/+$/g, '');
  return p === '' ? 'crl' : p;
}

export function crlLocation(caId: string, config: RevocationConfig): CrlLocation | undefined {
  const c = config.crl;
  if (!c?.enabled || !c.bucket) return undefined;
  const dir = folder(c.customPath);
  if (c.type === 'PARTITIONED') {
    // the default folder is shared by every CA writing to the bucket: only this CA's names; a custom
    // path names partitions by GUID alone (botocore: `<CustomPath>/<CrlPartition_GUID>.crl`)
    return { kind: 'partitioned', bucket: c.bucket, prefix: c.customPath ? `${dir}/` : `${dir}/${caId}` };
  }
  return { kind: 'complete', bucket: c.bucket, key: `${dir}/${caId}.crl` };
}

export function locationText(l: CrlLocation): string {
  return l.kind === 'complete' ? `s3://${l.bucket}/${l.key}` : `s3://${l.bucket}/${l.prefix}*.crl`;
}

export function noRevocationPublished(caArn: string): Finding {
  return {
    code: 'NO_REVOCATION_PUBLISHED',
    severity: FINDING_SEVERITY.NO_REVOCATION_PUBLISHED,
    message: findingMessage('NO_REVOCATION_PUBLISHED'),
    evidence: { ca: caArn },
  };
}

export function crlMissing(location: CrlLocation, why: string): Finding {
  return {
    code: 'CRL_MISSING',
    severity: FINDING_SEVERITY.CRL_MISSING,
    message: findingMessage('CRL_MISSING', { why }),
    evidence: { crl: { source: locationText(location) } },
  };
}

/** One CRL as read and verified; a partitioned CA's are merged by `unionOfPartitions`. */
export interface CheckedCrl {
  source: string;
  crl: Crl;
  verification: CrlVerification;
}

/**
 * Every partition of one CA together: their entries, the earliest thisUpdate and nextUpdate (the
 * stalest partition is what is judged), and the worst verification. With all partitions read, the
 * union covers every certificate of the CA, so it is compared as a complete CRL.
 */
export function unionOfPartitions(parts: CheckedCrl[], source: string): CheckedCrl {
  const first = parts[0];
  if (first === undefined) throw new Error('unionOfPartitions: no partition');
  if (parts.length === 1) {
    const { partition: _, ...crl } = first.crl;
    return { source, crl, verification: first.verification };
  }
  const min = (xs: Array<number | undefined>) => {
    const known = xs.filter((x): x is number => x !== undefined);
    return known.length === 0 ? undefined : Math.min(...known);
  };
  const nextUpdate = min(parts.map((p) => p.crl.nextUpdate));
  const crl: Crl = {
    issuer: first.crl.issuer,
    thisUpdate: min(parts.map((p) => p.crl.thisUpdate)) ?? first.crl.thisUpdate,
    ...(nextUpdate === undefined ? {} : { nextUpdate }),
    entries: parts.flatMap((p) => p.crl.entries),
  };
  const vs = parts.map((p) => p.verification);
  const invalid = vs.find((v) => v.signature === 'invalid');
  const mismatch = vs.find((v) => v.issuerMatches === false);
  const verification: CrlVerification = {
    ...(invalid ?? mismatch ?? first.verification),
    ...(mismatch ? { issuerMatches: false } : {}),
  };
  return { source, crl, verification };
}
