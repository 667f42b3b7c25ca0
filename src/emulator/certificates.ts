/**
 * Real X.509 certificates for the emulated CAs, made with @peculiar/x509 over Node's webcrypto: a
 * self-signed root per CA, and certificates signed by it from a PKCS #10 request.
 */
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { octetsToHex } from '../core/report/serial.js';
import { AwsError } from './aws-error.js';
import { formatRfc2253 } from './rfc2253.js';

x509.cryptoProvider.set(webcrypto);

export type KeyFamily = 'RSA' | 'EC';

const KEY_ALGORITHMS: Readonly<
  Record<string, { family: KeyFamily; params: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams }>
> = {
  RSA_2048: { family: 'RSA', params: rsa(2048) },
  RSA_3072: { family: 'RSA', params: rsa(3072) },
  RSA_4096: { family: 'RSA', params: rsa(4096) },
  EC_prime256v1: { family: 'EC', params: { name: 'ECDSA', namedCurve: 'P-256' } },
  EC_secp384r1: { family: 'EC', params: { name: 'ECDSA', namedCurve: 'P-384' } },
  EC_secp521r1: { family: 'EC', params: { name: 'ECDSA', namedCurve: 'P-521' } },
};

function rsa(modulusLength: number): webcrypto.RsaHashedKeyGenParams {
  return {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  };
}

const SIGNING_ALGORITHMS: Readonly<Record<string, { family: KeyFamily; hash: string }>> = {
  SHA256WITHRSA: { family: 'RSA', hash: 'SHA-256' },
  SHA384WITHRSA: { family: 'RSA', hash: 'SHA-384' },
  SHA512WITHRSA: { family: 'RSA', hash: 'SHA-512' },
  SHA256WITHECDSA: { family: 'EC', hash: 'SHA-256' },
  SHA384WITHECDSA: { family: 'EC', hash: 'SHA-384' },
  SHA512WITHECDSA: { family: 'EC', hash: 'SHA-512' },
};

/** ASN1Subject members in the order AWS writes them into the DER Name (RFC 2253 shows them reversed). */
const SUBJECT_ATTRIBUTES: readonly [member: string, oid: string, printable: boolean][] = [
  ['Country', '2.5.4.6', true],
  ['Organization', '2.5.4.10', false],
  ['OrganizationalUnit', '2.5.4.11', false],
  ['DistinguishedNameQualifier', '2.5.4.46', true],
  ['State', '2.5.4.8', false],
  ['Locality', '2.5.4.7', false],
  ['CommonName', '2.5.4.3', false],
  ['SerialNumber', '2.5.4.5', true],
  ['Title', '2.5.4.12', false],
  ['Surname', '2.5.4.4', false],
  ['GivenName', '2.5.4.42', false],
  ['Initials', '2.5.4.43', false],
  ['Pseudonym', '2.5.4.65', false],
  ['GenerationQualifier', '2.5.4.44', false],
];

/** The CA's key, kept as PKCS #8 so it can be imported for whichever hash a request asks for. */
export interface CaKey {
  keyAlgorithm: string;
  family: KeyFamily;
  pkcs8: ArrayBuffer;
  publicKey: x509.PublicKey;
}

export interface MadeCertificate {
  pem: string;
  /** canonical serial: lowercase hex of the magnitude */
  serial: string;
  /** Java RFC 2253 form */
  subject: string;
  notBefore: number;
  notAfter: number;
}

/** 16 to 20 random octets with a non-zero first octet; about half of them have the high bit set. */
export function randomSerial(): string {
  const octets = randomBytes(16 + Math.floor(Math.random() * 5));
  octets[0] = 1 + Math.floor(Math.random() * 255);
  return octetsToHex(octets, 0, octets.length);
}

export function signingFamily(signingAlgorithm: string): { family: KeyFamily; hash: string } | undefined {
  return SIGNING_ALGORITHMS[signingAlgorithm];
}

function subjectName(subject: Record<string, unknown>): x509.Name {
  const rdns: x509.JsonAttributeAndValue[] = [];
  for (const [member, oid, printable] of SUBJECT_ATTRIBUTES) {
    const value = subject[member];
    if (typeof value === 'string' && value !== '') {
      rdns.push({ [oid]: [printable ? { printableString: value } : { utf8String: value }] });
    }
  }
  for (const custom of (subject.CustomAttributes as
    | { ObjectIdentifier: string; Value: string }[]
    | undefined) ?? []) {
    rdns.push({ [custom.ObjectIdentifier]: [{ utf8String: custom.Value }] });
  }
  if (rdns.length === 0)
    throw new AwsError('InvalidArgsException', 'The subject must contain at least one attribute.');
  return new x509.Name(rdns);
}

export async function signingKey(key: CaKey, hash: string): Promise<webcrypto.CryptoKey> {
  const algorithm =
    key.family === 'RSA' ? { name: 'RSASSA-PKCS1-v1_5', hash } : KEY_ALGORITHMS[key.keyAlgorithm]!.params;
  return webcrypto.subtle.importKey('pkcs8', key.pkcs8, algorithm, false, [
    'sign',
  ]) as Promise<webcrypto.CryptoKey>;
}

function describe(cert: x509.X509Certificate, serial: string): MadeCertificate {
  return {
    pem: cert.toString('pem'),
    serial,
    subject: formatRfc2253(new Uint8Array(cert.subjectName.toArrayBuffer())),
    notBefore: Math.floor(cert.notBefore.getTime() / 1000),
    notAfter: Math.floor(cert.notAfter.getTime() / 1000),
  };
}

/** A new key pair of a CA key algorithm (RSA_2048, EC_prime256v1, ...). */
export async function generateCaKey(keyAlgorithm: string): Promise<CaKey> {
  const algorithm = KEY_ALGORITHMS[keyAlgorithm];
  if (!algorithm) throw new AwsError('InvalidArgsException', `Unknown key algorithm ${keyAlgorithm}.`);
  const pair = (await webcrypto.subtle.generateKey(algorithm.params, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  return {
    keyAlgorithm,
    family: algorithm.family,
    pkcs8: await webcrypto.subtle.exportKey('pkcs8', pair.privateKey),
    publicKey: await x509.PublicKey.create(pair.publicKey),
  };
}

/** A CA key pair and its self-signed root certificate. */
export async function createRootCertificate(options: {
  keyAlgorithm: string;
  signingAlgorithm: string;
  subject: Record<string, unknown>;
  notBefore: number;
  notAfter: number;
}): Promise<{ key: CaKey; certificate: MadeCertificate }> {
  const keyAlgorithm = KEY_ALGORITHMS[options.keyAlgorithm];
  const signing = SIGNING_ALGORITHMS[options.signingAlgorithm];
  if (!keyAlgorithm || !signing) {
    throw new AwsError(
      'InvalidArgsException',
      `The emulator supports RSA and EC keys with SHA-2 signatures only.`,
    );
  }
  if (keyAlgorithm.family !== signing.family) {
    throw new AwsError('InvalidArgsException', 'The signing algorithm does not match the key algorithm.');
  }
  const key = await generateCaKey(options.keyAlgorithm);
  const serial = randomSerial();
  const name = subjectName(options.subject);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: name,
    issuer: name,
    notBefore: new Date(options.notBefore * 1000),
    notAfter: new Date(options.notAfter * 1000),
    publicKey: key.publicKey,
    signingKey: await signingKey(key, signing.hash),
    signingAlgorithm: { name: key.family === 'RSA' ? 'RSASSA-PKCS1-v1_5' : 'ECDSA', hash: signing.hash },
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(key.publicKey),
    ],
  });
  return { key, certificate: describe(cert, serial) };
}

function decodeCsr(csr: string): x509.Pkcs10CertificateRequest {
  const bytes = Buffer.from(csr, 'base64');
  const text = bytes.toString('latin1');
  try {
    return text.includes('-----BEGIN')
      ? new x509.Pkcs10CertificateRequest(text)
      : new x509.Pkcs10CertificateRequest(bytes);
  } catch {
    throw new AwsError('MalformedCSRException', 'The certificate signing request is malformed.');
  }
}

/** Extensions a template gives: CA templates make CA certificates, the rest end-entity ones. */
function templateExtensions(templateArn: string): x509.Extension[] {
  const name = /template\/([^/]+)\//.exec(templateArn)?.[1] ?? 'EndEntityCertificate';
  if (name.includes('CACertificate')) {
    const pathLength = /_PathLen(\d+)/.exec(name)?.[1];
    return [
      new x509.BasicConstraintsExtension(
        true,
        pathLength === undefined ? undefined : Number(pathLength),
        true,
      ),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
    ];
  }
  const usages: Record<string, string[]> = {
    EndEntityServerAuthCertificate: [x509.ExtendedKeyUsage.serverAuth],
    EndEntityClientAuthCertificate: [x509.ExtendedKeyUsage.clientAuth],
    CodeSigningCertificate: [x509.ExtendedKeyUsage.codeSigning],
  };
  return [
    new x509.BasicConstraintsExtension(false),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    new x509.ExtendedKeyUsageExtension(
      usages[name] ?? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
    ),
  ];
}

/** A certificate for the CSR (base64 of its PEM or DER), signed by the CA. */
export async function issueFromCsr(options: {
  ca: { key: CaKey; pem: string };
  csr: string;
  signingAlgorithm: string;
  templateArn: string;
  notBefore: number;
  notAfter: number;
  /** where relying parties find revocations: CRL Distribution Points and OCSP (Authority Information Access) */
  revocation?: { crlUrl?: string; ocspUrl?: string };
}): Promise<MadeCertificate> {
  const signing = SIGNING_ALGORITHMS[options.signingAlgorithm];
  if (!signing || signing.family !== options.ca.key.family) {
    throw new AwsError('InvalidArgsException', 'The signing algorithm does not match the CA key algorithm.');
  }
  const request = decodeCsr(options.csr);
  if (!(await request.verify().catch(() => false))) {
    throw new AwsError('MalformedCSRException', 'The certificate signing request signature does not verify.');
  }
  const caCert = new x509.X509Certificate(options.ca.pem);
  const san = request.extensions.find((e) => e.type === '2.5.29.17');
  const serial = randomSerial();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: request.subjectName,
    issuer: caCert.subjectName,
    notBefore: new Date(options.notBefore * 1000),
    notAfter: new Date(options.notAfter * 1000),
    publicKey: request.publicKey,
    signingKey: await signingKey(options.ca.key, signing.hash),
    signingAlgorithm: {
      name: options.ca.key.family === 'RSA' ? 'RSASSA-PKCS1-v1_5' : 'ECDSA',
      hash: signing.hash,
    },
    extensions: [
      ...templateExtensions(options.templateArn),
      await x509.SubjectKeyIdentifierExtension.create(request.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(options.ca.key.publicKey),
      ...(san ? [san] : []),
      ...(options.revocation?.crlUrl
        ? [new x509.CRLDistributionPointsExtension([options.revocation.crlUrl])]
        : []),
      ...(options.revocation?.ocspUrl
        ? [new x509.AuthorityInfoAccessExtension({ ocsp: [options.revocation.ocspUrl] })]
        : []),
    ],
  });
  return describe(cert, serial);
}

/** The header length and content length of the DER element at `at`. */
function derElement(der: Uint8Array, at: number): { header: number; length: number } {
  const first = der[at + 1]!;
  if (first < 0x80) return { header: 2, length: first };
  const n = first & 0x7f;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + der[at + 2 + i]!;
  return { header: 2 + n, length };
}

const colonHex = (bytes: Uint8Array): string =>
  Buffer.from(bytes).toString('hex').toUpperCase().match(/../g)!.join(':');

/**
 * The issuer-side fields of IssueCertificateDetails' serviceEventDetails: the certificate's
 * tbsCertificate (base64 DER), the CA's key identifier, serial (upper-case colon hex) and name.
 */
export function tbsDetails(certificatePem: string, caPem: string): Record<string, string> {
  const cert = new x509.X509Certificate(certificatePem);
  const der = new Uint8Array(cert.rawData);
  const outer = derElement(der, 0);
  const tbs = derElement(der, outer.header);
  const tbsBytes = der.subarray(outer.header, outer.header + tbs.header + tbs.length);
  const ca = new x509.X509Certificate(caPem);
  const ski = ca.getExtension(x509.SubjectKeyIdentifierExtension);
  return {
    tbsCertificate: Buffer.from(tbsBytes).toString('base64'),
    ...(ski ? { issuerAuthorityKeyIdentifier: colonHex(Buffer.from(ski.keyId, 'hex')) } : {}),
    issuerSerialNumber: colonHex(Buffer.from(ca.serialNumber, 'hex')),
    issuerName: formatRfc2253(new Uint8Array(ca.subjectName.toArrayBuffer())),
  };
}
