/** CAs and CRLs made with @peculiar/x509 for the CRL tests (issue 15): a CA key made here signs them. */
import 'reflect-metadata';
import {
  type X509Certificate,
  X509CertificateGenerator,
  X509CrlGenerator,
  X509CrlReason,
} from '@peculiar/x509';

export const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** most significant first, as in the DER; pca-audit writes it back most significant last */
export const CA_NAME = 'C=IE, O=Example Corp, CN=Example Issuing CA';

export type SigningKey = Parameters<typeof X509CrlGenerator.create>[0]['signingKey'];
export type KeyPair = { privateKey: SigningKey; publicKey: SigningKey };

export interface TestCa {
  cert: X509Certificate;
  keys: KeyPair;
}

export async function makeTestCa(name = CA_NAME): Promise<TestCa> {
  const keys = (await crypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as KeyPair;
  const cert = await X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name,
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2036-01-01T00:00:00Z'),
    keys,
    signingAlgorithm: ALG,
  });
  return { cert, keys };
}

/** A CRL of `issuer`, signed with `key`; every entry has a reason (x509 writes reasonless entries badly). */
export async function makeTestCrl(
  key: SigningKey,
  options: {
    issuer?: string;
    /** epoch seconds */
    thisUpdate: number;
    nextUpdate?: number;
    entries?: Array<{ serial: string; at: number }>;
  },
): Promise<Uint8Array> {
  const crl = await X509CrlGenerator.create({
    issuer: options.issuer ?? CA_NAME,
    thisUpdate: new Date(options.thisUpdate * 1000),
    nextUpdate: new Date((options.nextUpdate ?? options.thisUpdate + 7 * 86400) * 1000),
    entries: (options.entries ?? []).map((e) => ({
      serialNumber: e.serial,
      revocationDate: new Date(e.at * 1000),
      reason: X509CrlReason.keyCompromise,
    })),
    signingKey: key,
    signingAlgorithm: ALG,
  });
  return new Uint8Array(crl.rawData);
}
