/** ACM PCA: audit reports. */
import {
  type ACMPCAClient,
  CreateCertificateAuthorityAuditReportCommand,
  DescribeCertificateAuthorityAuditReportCommand,
  DescribeCertificateAuthorityCommand,
  paginateListCertificateAuthorities,
} from '@aws-sdk/client-acm-pca';
import { call, pagesOf } from './errors.js';

export interface AuditReportStatus {
  status: 'CREATING' | 'SUCCESS' | 'FAILED' | string;
  bucket?: string;
  key?: string;
  /** epoch seconds */
  createdAt?: number;
}

export async function createAuditReport(
  pca: ACMPCAClient,
  caArn: string,
  bucket: string,
  format: 'JSON' | 'CSV',
): Promise<{ id: string; key: string }> {
  const res = await call('CreateCertificateAuthorityAuditReport', () =>
    pca.send(
      new CreateCertificateAuthorityAuditReportCommand({
        CertificateAuthorityArn: caArn,
        S3BucketName: bucket,
        AuditReportResponseFormat: format,
      }),
    ),
  );
  return { id: res.AuditReportId ?? '', key: res.S3Key ?? '' };
}

export async function describeAuditReport(
  pca: ACMPCAClient,
  caArn: string,
  id: string,
): Promise<AuditReportStatus> {
  const res = await call('DescribeCertificateAuthorityAuditReport', () =>
    pca.send(
      new DescribeCertificateAuthorityAuditReportCommand({
        CertificateAuthorityArn: caArn,
        AuditReportId: id,
      }),
    ),
  );
  return {
    status: res.AuditReportStatus ?? 'UNKNOWN',
    ...(res.S3BucketName ? { bucket: res.S3BucketName } : {}),
    ...(res.S3Key ? { key: res.S3Key } : {}),
    ...(res.CreatedAt ? { createdAt: res.CreatedAt.getTime() / 1000 } : {}),
  };
}

export interface CaDescription {
  arn: string;
  status: string;
  type?: string;
  ownerAccount?: string;
}

export async function describeCa(pca: ACMPCAClient, caArn: string): Promise<CaDescription> {
  const res = await call('DescribeCertificateAuthority', () =>
    pca.send(new DescribeCertificateAuthorityCommand({ CertificateAuthorityArn: caArn })),
  );
  const ca = res.CertificateAuthority;
  return {
    arn: ca?.Arn ?? caArn,
    status: ca?.Status ?? 'UNKNOWN',
    ...(ca?.Type ? { type: ca.Type } : {}),
    ...(ca?.OwnerAccount ? { ownerAccount: ca.OwnerAccount } : {}),
  };
}

/** Every CA the caller can see: its own, and (resourceOwner OTHER_ACCOUNTS) those shared with it. */
export async function listCas(pca: ACMPCAClient, shared: boolean): Promise<CaDescription[]> {
  const out: CaDescription[] = [];
  const paginator = paginateListCertificateAuthorities(
    { client: pca },
    shared ? { ResourceOwner: 'OTHER_ACCOUNTS' } : {},
  );
  for await (const page of pagesOf('ListCertificateAuthorities', paginator)) {
    for (const ca of page.CertificateAuthorities ?? []) {
      if (!ca.Arn) continue;
      out.push({
        arn: ca.Arn,
        status: ca.Status ?? 'UNKNOWN',
        ...(ca.Type ? { type: ca.Type } : {}),
        ...(ca.OwnerAccount ? { ownerAccount: ca.OwnerAccount } : {}),
      });
    }
  }
  return out;
}
