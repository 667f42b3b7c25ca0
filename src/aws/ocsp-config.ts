/** ACM PCA: what the OCSP checks need to know of a CA (its revocation configuration and certificate). */
import {
  type ACMPCAClient,
  DescribeCertificateAuthorityCommand,
  GetCertificateAuthorityCertificateCommand,
} from '@aws-sdk/client-acm-pca';
import { call } from './errors.js';

export interface OcspConfiguration {
  enabled: boolean;
  customCname?: string;
}

/** DescribeCertificateAuthority → RevocationConfiguration.OcspConfiguration (absent: disabled). */
export async function describeOcsp(pca: ACMPCAClient, caArn: string): Promise<OcspConfiguration> {
  const res = await call('DescribeCertificateAuthority', () =>
    pca.send(new DescribeCertificateAuthorityCommand({ CertificateAuthorityArn: caArn })),
  );
  const ocsp = res.CertificateAuthority?.RevocationConfiguration?.OcspConfiguration;
  return {
    enabled: ocsp?.Enabled === true,
    ...(ocsp?.OcspCustomCname ? { customCname: ocsp.OcspCustomCname } : {}),
  };
}

/** GetCertificateAuthorityCertificate: the CA's own certificate, PEM. */
export async function getCaCertificate(pca: ACMPCAClient, caArn: string): Promise<string> {
  const res = await call('GetCertificateAuthorityCertificate', () =>
    pca.send(new GetCertificateAuthorityCertificateCommand({ CertificateAuthorityArn: caArn })),
  );
  return res.Certificate ?? '';
}
