/**
 * CRLs as the emulated CA publishes them: DER, version 2, issuer = the CA's subject, signed by the
 * CA's key (or, by a knob, another key), with the Authority Key Identifier, an increasing CRL number,
 * nextUpdate always (toolchain: a CRL without one reads back as empty) and a reason on every entry;
 * PARTITIONED adds a critical issuingDistributionPoint naming the CRL's URL.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  CRLNumber,
  DistributionPointName,
  GeneralName,
  IssuingDistributionPoint,
  id_ce_cRLNumber,
  id_ce_issuingDistributionPoint,
} from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { type CaKey, signingKey } from './certificates.js';

/** PCA's RevocationReason to the CRL reason code (RFC 5280 5.3.1). */
export const CRL_REASON_CODES: Readonly<Record<string, x509.X509CrlReason>> = {
  UNSPECIFIED: x509.X509CrlReason.unspecified,
  KEY_COMPROMISE: x509.X509CrlReason.keyCompromise,
  CERTIFICATE_AUTHORITY_COMPROMISE: x509.X509CrlReason.cACompromise,
  AFFILIATION_CHANGED: x509.X509CrlReason.affiliationChanged,
  SUPERSEDED: x509.X509CrlReason.superseded,
  CESSATION_OF_OPERATION: x509.X509CrlReason.cessationOfOperation,
  PRIVILEGE_WITHDRAWN: x509.X509CrlReason.privilegeWithdrawn,
  A_A_COMPROMISE: x509.X509CrlReason.aACompromise,
};

export interface CrlEntry {
  /** canonical serial: lowercase hex */
  serial: string;
  /** epoch seconds */
  revokedAt: number;
  /** PCA's reason name */
  reason: string;
}

export interface CrlOptions {
  ca: { key: CaKey; pem: string };
  hash: string;
  number: number;
  /** epoch seconds */
  thisUpdate: number;
  nextUpdate: number;
  entries: readonly CrlEntry[];
  /** PARTITIONED: the URL the issuingDistributionPoint names */
  partitionUrl?: string;
  /** sign with this key instead of the CA's (the wrong-key knob) */
  wrongKey?: CaKey;
}

/**
 * The CRL, DER. @peculiar/x509's X509CrlGenerator makes the frame (issuer, times, Authority Key
 * Identifier, CRL number, issuingDistributionPoint), without entries; the entries are encoded here
 * and spliced in before the extensions, and the result signed again: the generator takes 3.5 s for
 * 10,000 entries and grows faster than linearly (measured), this takes well under a second for 100,000.
 */
export async function makeCrl(o: CrlOptions): Promise<Uint8Array> {
  const caCert = new x509.X509Certificate(o.ca.pem);
  const key = o.wrongKey ?? o.ca.key;
  const extensions: x509.Extension[] = [
    await x509.AuthorityKeyIdentifierExtension.create(o.ca.key.publicKey),
    new x509.Extension(id_ce_cRLNumber, false, AsnConvert.serialize(new CRLNumber(o.number))),
  ];
  if (o.partitionUrl !== undefined) {
    const idp = new IssuingDistributionPoint({
      distributionPoint: new DistributionPointName({
        fullName: [new GeneralName({ uniformResourceIdentifier: o.partitionUrl })],
      }),
    });
    extensions.push(new x509.Extension(id_ce_issuingDistributionPoint, true, AsnConvert.serialize(idp)));
  }
  const algorithm = { name: key.family === 'RSA' ? 'RSASSA-PKCS1-v1_5' : 'ECDSA', hash: o.hash };
  const cryptoKey = await signingKey(key, o.hash);
  const frame = await x509.X509CrlGenerator.create({
    issuer: caCert.subjectName,
    thisUpdate: new Date(o.thisUpdate * 1000),
    nextUpdate: new Date(o.nextUpdate * 1000),
    signingKey: cryptoKey,
    signingAlgorithm: algorithm,
    extensions,
  });
  if (o.entries.length === 0) return new Uint8Array(frame.rawData);
  // CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue }
  const der = new Uint8Array(frame.rawData);
  const outer = element(der, 0);
  const tbs = element(der, outer.contentStart);
  // tbsCertList: version, signature, issuer, thisUpdate, nextUpdate, [revokedCertificates], [0] extensions
  const children: { start: number; end: number }[] = [];
  for (let at = tbs.contentStart; at < tbs.end; ) {
    const e = element(der, at);
    children.push({ start: at, end: e.end });
    at = e.end;
  }
  const head = der.subarray(tbs.contentStart, children[4]!.end);
  const tail = der.subarray(children[4]!.end, tbs.end);
  const entries = tlv(0x30, Buffer.concat(o.entries.map(entryDer)));
  const tbsDer = tlv(0x30, Buffer.concat([head, entries, tail]));
  const signatureAlgorithm = der.subarray(tbs.end, element(der, tbs.end).end);
  let signature: Uint8Array = new Uint8Array(
    await webcrypto.subtle.sign(
      key.family === 'RSA' ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: o.hash },
      cryptoKey,
      tbsDer,
    ),
  );
  if (key.family === 'EC') signature = ecdsaSignatureDer(signature);
  return tlv(
    0x30,
    Buffer.concat([tbsDer, signatureAlgorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature]))]),
  );
}

/** One revokedCertificates entry: serial, revocationDate, and the reason code extension. */
function entryDer(e: CrlEntry): Buffer {
  const code = CRL_REASON_CODES[e.reason] ?? x509.X509CrlReason.unspecified;
  const reason = tlv(
    0x30,
    Buffer.concat([
      REASON_OID,
      tlv(0x04, Buffer.from([0x0a, 0x01, code])), // OCTET STRING { ENUMERATED code }
    ]),
  );
  return tlv(0x30, Buffer.concat([serialDer(e.serial), timeDer(e.revokedAt), tlv(0x30, reason)]));
}

/** id-ce-cRLReasons (2.5.29.21), DER */
const REASON_OID = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x15]);

/** A positive INTEGER from canonical hex (a 00 octet when the high bit is set). */
function serialDer(hex: string): Buffer {
  let bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 5.1.2.4). */
function timeDer(epochSeconds: number): Buffer {
  const iso = new Date(epochSeconds * 1000).toISOString();
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = Number(iso.slice(0, 4));
  return year < 2050
    ? tlv(0x17, Buffer.from(digits.slice(2), 'latin1'))
    : tlv(0x18, Buffer.from(digits, 'latin1'));
}

function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

export function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** The DER element at `at`: where its content starts and where it ends. */
function element(der: Uint8Array, at: number): { contentStart: number; end: number } {
  const first = der[at + 1]!;
  if (first < 0x80) return { contentStart: at + 2, end: at + 2 + first };
  const n = first & 0x7f;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + der[at + 2 + i]!;
  return { contentStart: at + 2 + n, end: at + 2 + n + length };
}

/** r||s (webcrypto's ECDSA signature) to the DER SEQUENCE of two INTEGERs X.509 wants. */
export function ecdsaSignatureDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b[i]! & 0x80 ? Buffer.concat([Buffer.from([0]), b.subarray(i)]) : Buffer.from(b.subarray(i));
    return tlv(0x02, v);
  };
  return tlv(0x30, Buffer.concat([int(raw.subarray(0, half)), int(raw.subarray(half))]));
}
