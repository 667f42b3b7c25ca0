/**
 * Whether a CRL is the CA's: its signature against the CA certificate's key, its issuer against the
 * CA certificate's subject. Relying parties reject a CRL that fails either, so for them such a CRL
 * revokes nothing.
 */
import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import { X509Certificate } from '@peculiar/x509';
import { type DescribeOptions, PcaAuditError } from '../errors.js';
import { type CrlDocument, nameText } from './crl.js';

export class CaCertificateError extends PcaAuditError {
  override readonly name = 'CaCertificateError';
  readonly errorKind = 'input';

  override describe(o: DescribeOptions): string {
    return `reading CA certificate: ${o.clean(this.message)}`;
  }
}

export interface CrlVerification {
  /** 'not verified': no CA certificate was given */
  signature: 'verified' | 'invalid' | 'not verified';
  /** why the signature is invalid, when more than "it does not verify" is known */
  problem?: string;
  /** the CA certificate's subject, when one was given */
  caSubject?: string;
  /** whether the CRL's issuer is the CA certificate's subject, when one was given */
  issuerMatches?: boolean;
}

const PEM = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/;

/** The CA certificate, DER or PEM (the first CERTIFICATE block of a chain: PCA's GetCertificateAuthorityCertificate gives it first). */
export function parseCaCertificate(
  bytes: Uint8Array,
  decodeBase64: (text: string) => Uint8Array,
): X509Certificate {
  let der = bytes;
  if (bytes[0] !== 0x30) {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 1 << 20));
    const m = PEM.exec(text);
    if (!m) {
      throw new CaCertificateError(
        text.includes('-----BEGIN')
          ? 'PEM, but not a "CERTIFICATE" block'
          : 'neither a DER certificate nor a PEM "CERTIFICATE" block',
      );
    }
    const body = m[1]!.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new CaCertificateError('the PEM block is not base64');
    der = decodeBase64(body);
  }
  try {
    return new X509Certificate(der);
  } catch (err) {
    throw new CaCertificateError(`not a DER certificate: ${(err as Error).message}`);
  }
}

/** The certificate's subject as crl.ts writes names. */
export function subjectText(cert: X509Certificate): string {
  return nameText(AsnConvert.parse(cert.subjectName.toArrayBuffer(), Name));
}

/** Names compared as RFC 5280 §7.1 allows simply: the same DER, or the same text ignoring case and runs of spaces. */
function sameName(a: ArrayBuffer, b: ArrayBuffer, aText: string, bText: string): boolean {
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  if (x.length === y.length && x.every((v, i) => v === y[i])) return true;
  const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();
  return norm(aText) === norm(bText);
}

export async function verifyCrl(doc: CrlDocument, ca: X509Certificate | undefined): Promise<CrlVerification> {
  if (ca === undefined) return { signature: 'not verified' };
  const caSubject = subjectText(ca);
  const issuerMatches = sameName(
    doc.signed.issuerName.toArrayBuffer(),
    ca.subjectName.toArrayBuffer(),
    doc.crl.issuer,
    caSubject,
  );
  const out: CrlVerification = { signature: 'invalid', caSubject, issuerMatches };
  try {
    // the CRL's own algorithm with the certificate's key (x509 would take the certificate's
    // signature algorithm, which is its issuer's, not necessarily the CRL's)
    const key = await ca.publicKey.export({ ...ca.publicKey.algorithm, ...doc.signed.signatureAlgorithm }, [
      'verify',
    ]);
    if (await doc.signed.verify({ publicKey: key })) out.signature = 'verified';
  } catch (err) {
    out.problem = (err as Error).message;
  }
  return out;
}
