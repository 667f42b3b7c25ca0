/** What `run` reads of a CA's revocation publishing: its RevocationConfiguration, certificate, and CRL objects. */
import {
  type ACMPCAClient,
  DescribeCertificateAuthorityCommand,
  GetCertificateAuthorityCertificateCommand,
} from '@aws-sdk/client-acm-pca';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { RevocationConfig } from '../core/reconcile/crl-location.js';
import { AwsError, call } from './errors.js';
import { listObjects } from './s3.js';

export async function describeRevocation(pca: ACMPCAClient, caArn: string): Promise<RevocationConfig> {
  const res = await call('DescribeCertificateAuthority', () =>
    pca.send(new DescribeCertificateAuthorityCommand({ CertificateAuthorityArn: caArn })),
  );
  const rc = res.CertificateAuthority?.RevocationConfiguration;
  // CustomPath and CrlType are newer than the acm-pca client pinned here (3.523): its JSON
  // deserialiser passes them through, its types do not name them
  const c = rc?.CrlConfiguration as
    | (NonNullable<typeof rc>['CrlConfiguration'] & { CustomPath?: string; CrlType?: string })
    | undefined;
  return {
    ...(c
      ? {
          crl: {
            enabled: c.Enabled === true,
            ...(c.S3BucketName ? { bucket: c.S3BucketName } : {}),
            ...(c.CustomPath ? { customPath: c.CustomPath } : {}),
            ...(c.CrlType ? { type: c.CrlType } : {}),
          },
        }
      : {}),
    ocspEnabled: rc?.OcspConfiguration?.Enabled === true,
    ...(rc?.OcspConfiguration?.OcspCustomCname
      ? { ocspCustomCname: rc.OcspConfiguration.OcspCustomCname }
      : {}),
  };
}

/** The CA's own certificate (PEM), as GetCertificateAuthorityCertificate gives it. */
export async function caCertificatePem(pca: ACMPCAClient, caArn: string): Promise<string> {
  const res = await call('GetCertificateAuthorityCertificate', () =>
    pca.send(new GetCertificateAuthorityCertificateCommand({ CertificateAuthorityArn: caArn })),
  );
  if (!res.Certificate) {
    throw new AwsError(
      'GetCertificateAuthorityCertificate',
      'NoCertificate',
      `the CA ${caArn} has no certificate yet (PENDING_CERTIFICATE?)`,
    );
  }
  return res.Certificate;
}

/** A CRL object's bytes; undefined when there is no such object (NoSuchKey). */
export async function getCrlObject(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<Uint8Array | undefined> {
  try {
    const res = await call('GetObject', () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
    if (!res.Body) return new Uint8Array();
    return await res.Body.transformToByteArray();
  } catch (err) {
    if (err instanceof AwsError && (err.errorName === 'NoSuchKey' || err.errorName === 'NotFound'))
      return undefined;
    throw err;
  }
}

/** Every `.crl` key under a prefix (a partitioned CA's CRLs). */
export async function listCrlKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  return (await listObjects(s3, bucket, prefix))
    .map((o) => o.key)
    .filter((k) => k.endsWith('.crl'))
    .sort();
}
