/**
 * An RFC 6960 OCSP responder for the emulated CAs: a DER OCSPRequest in, a DER OCSPResponse out,
 * its BasicOCSPResponse signed by the CA's own key (responderID by key hash), one SingleResponse per
 * request (good, revoked with time and reason, or unknown), the request's nonce echoed.
 */
import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import {
  BasicOCSPResponse,
  type CertID,
  CertStatus,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
  KeyHash,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
} from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, CRLReason, type CRLReasons, Extension } from '@peculiar/asn1-x509';
import { octetsToHex, parseSerial } from '../core/report/serial.js';
import { type CaKey, signingKey } from './certificates.js';
import { CRL_REASON_CODES, ecdsaSignatureDer } from './crl.js';

export type OcspStatus =
  | { status: 'good' }
  | { status: 'revoked'; revokedAt: number; reason: string }
  | { status: 'unknown' };

/** A CA as the responder sees it. */
export interface OcspIssuer {
  key: CaKey;
  pem: string;
  /** the signature's hash (SHA-256, ...) */
  hash: string;
  /** false: the CA's OCSP is disabled, the request is `unauthorized` */
  enabled: boolean;
  /** the status of a serial (canonical lowercase hex) */
  statusOf(serial: string): OcspStatus;
}

const HASHES: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const SIGNATURE_OIDS: Readonly<Record<string, string>> = {
  'RSA SHA-256': '1.2.840.113549.1.1.11',
  'RSA SHA-384': '1.2.840.113549.1.1.12',
  'RSA SHA-512': '1.2.840.113549.1.1.13',
  'EC SHA-256': '1.2.840.10045.4.3.2',
  'EC SHA-384': '1.2.840.10045.4.3.3',
  'EC SHA-512': '1.2.840.10045.4.3.4',
};

/** How long a response may be cached: nextUpdate is thisUpdate plus this. */
export const OCSP_VALIDITY_SECONDS = 86400;

/** The hashes a CertID names a CA by: of its subject's DER and of its public key's bits. */
export function issuerHashes(pem: string, algorithm: string): { name: Buffer; key: Buffer } {
  const cert = AsnConvert.parse(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'), Certificate);
  const name = Buffer.from(AsnConvert.serialize(cert.tbsCertificate.subject));
  const key = Buffer.from(cert.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
  return {
    name: createHash(algorithm).update(name).digest(),
    key: createHash(algorithm).update(key).digest(),
  };
}

function status(code: OCSPResponseStatus): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(new OCSPResponse({ responseStatus: code })));
}

/**
 * Answers one OCSP request. `find` names the CA a CertID's hashes belong to; the first request's CA
 * signs, and requests of other CAs in the same message are `unknown`. A request that does not parse
 * is `malformedRequest`; one for no known CA, or a CA whose OCSP is disabled, `unauthorized`.
 */
export async function answerOcsp(
  der: Uint8Array,
  now: number,
  find: (hashAlgorithm: string, nameHash: Buffer, keyHash: Buffer) => OcspIssuer | undefined,
): Promise<Uint8Array> {
  let request: OCSPRequest;
  try {
    request = AsnConvert.parse(der, OCSPRequest);
  } catch {
    return status(OCSPResponseStatus.malformedRequest);
  }
  const list = request.tbsRequest.requestList;
  if (list.length === 0) return status(OCSPResponseStatus.malformedRequest);
  const issuerOf = (id: CertID): OcspIssuer | undefined => {
    const algorithm = HASHES[id.hashAlgorithm.algorithm];
    if (algorithm === undefined) return undefined;
    return find(algorithm, Buffer.from(id.issuerNameHash.buffer), Buffer.from(id.issuerKeyHash.buffer));
  };
  const signer = issuerOf(list[0]!.reqCert);
  if (!signer?.enabled) return status(OCSPResponseStatus.unauthorized);
  const responses = list.map((r) => {
    const id = r.reqCert;
    const serialBytes = new Uint8Array(id.serialNumber);
    // canonical: no sign octet
    const parsed = parseSerial(octetsToHex(serialBytes, 0, serialBytes.length));
    const sameCa = issuerOf(id)?.pem === signer.pem;
    const s: OcspStatus = sameCa && parsed.ok ? signer.statusOf(parsed.hex) : { status: 'unknown' };
    const certStatus =
      s.status === 'good'
        ? new CertStatus({ good: null })
        : s.status === 'revoked'
          ? new CertStatus({
              revoked: new RevokedInfo({
                revocationTime: new Date(s.revokedAt * 1000),
                revocationReason: new CRLReason((CRL_REASON_CODES[s.reason] ?? 0) as number as CRLReasons),
              }),
            })
          : new CertStatus({ unknown: null });
    return new SingleResponse({
      certID: id,
      certStatus,
      thisUpdate: new Date(now * 1000),
      nextUpdate: new Date((now + OCSP_VALIDITY_SECONDS) * 1000),
    });
  });
  const nonce = request.tbsRequest.requestExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
  const publicKeyBits = AsnConvert.parse(
    Buffer.from(signer.pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'),
    Certificate,
  ).tbsCertificate.subjectPublicKeyInfo.subjectPublicKey;
  const data = new ResponseData({
    responderID: new ResponderID({
      byKey: new KeyHash(createHash('sha1').update(Buffer.from(publicKeyBits)).digest()),
    }),
    producedAt: new Date(now * 1000),
    responses,
    ...(nonce
      ? {
          responseExtensions: [
            new Extension({ extnID: id_pkix_ocsp_nonce, critical: false, extnValue: nonce.extnValue }),
          ],
        }
      : {}),
  });
  const tbs = AsnConvert.serialize(data);
  const key = signer.key;
  const algorithm =
    key.family === 'RSA' ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: signer.hash };
  const raw = new Uint8Array(await webcrypto.subtle.sign(algorithm, await signingKey(key, signer.hash), tbs));
  const oid = SIGNATURE_OIDS[`${key.family} ${signer.hash}`]!;
  const basic = new BasicOCSPResponse({
    tbsResponseData: data,
    signatureAlgorithm: new AlgorithmIdentifier(
      key.family === 'RSA' ? { algorithm: oid, parameters: null } : { algorithm: oid },
    ),
    // a copy: a Buffer may be a view into a shared pool, and .buffer would be all of it
    signature: new Uint8Array(key.family === 'RSA' ? raw : ecdsaSignatureDer(raw)).buffer,
  });
  const response = new OCSPResponse({
    responseStatus: OCSPResponseStatus.successful,
    responseBytes: new ResponseBytes({
      responseType: id_pkix_ocsp_basic,
      response: new OctetString(AsnConvert.serialize(basic)),
    }),
  });
  return new Uint8Array(AsnConvert.serialize(response));
}
