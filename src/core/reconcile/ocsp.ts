/**
 * OCSP (RFC 6960), pure: the request for one certificate, and what a responder's answer says once
 * its signature, signer and CertID are checked. No network here (src/io/ocsp-client.ts posts it).
 *
 * The CertID uses SHA-1, as AWS's responder and most others expect: issuerNameHash is the SHA-1 of
 * the CA's subject (DER), issuerKeyHash the SHA-1 of its subjectPublicKey's bits.
 */
import 'reflect-metadata';
import {
  BasicOCSPResponse,
  CertID,
  id_kp_OCSPSigning,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  Request,
  TBSRequest,
} from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, Extension } from '@peculiar/asn1-x509';
import {
  AlgorithmProvider,
  AsnDefaultSignatureFormatter,
  AsnEcSignatureFormatter,
  ExtendedKeyUsageExtension,
  type PublicKey,
  X509Certificate,
  Name as X509Name,
} from '@peculiar/x509';
import { crlReasonName } from '../report/revocation-reason.js';
import { hexToOctets, octetsToHex } from '../report/serial.js';

const OID_SHA1 = '1.3.14.3.2.26';

/** The CA an OCSP request asks about: its certificate and the two SHA-1 hashes of a CertID. */
export interface OcspIssuer {
  certificate: X509Certificate;
  subjectDer: Uint8Array;
  nameHash: Uint8Array;
  keyHash: Uint8Array;
}

const subtle = () => globalThis.crypto.subtle;

async function sha1(data: Uint8Array | ArrayBuffer): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-1', data));
}

const bytesEqual = (a: ArrayBuffer | Uint8Array, b: ArrayBuffer | Uint8Array): boolean => {
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

/** The CA certificate (DER or PEM) as an OCSP issuer; throws when it is not a certificate. */
export async function ocspIssuer(caCertificate: Uint8Array | string): Promise<OcspIssuer> {
  const certificate = new X509Certificate(
    typeof caCertificate === 'string' ? caCertificate : new Uint8Array(caCertificate),
  );
  const asn = AsnConvert.parse(certificate.rawData, Certificate);
  const subjectDer = new Uint8Array(AsnConvert.serialize(asn.tbsCertificate.subject));
  return {
    certificate,
    subjectDer,
    nameHash: await sha1(subjectDer),
    keyHash: await sha1(asn.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey),
  };
}

/** A serial's canonical hex (unsigned magnitude) as INTEGER content octets: a 00 before a high bit. */
function serialInteger(serialHex: string): Uint8Array {
  const magnitude = hexToOctets(serialHex);
  if (magnitude.length > 0 && magnitude[0]! < 0x80) return magnitude;
  const out = new Uint8Array(magnitude.length + 1);
  out.set(magnitude, 1);
  return out;
}

function certIdOf(issuer: OcspIssuer, serialHex: string): CertID {
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: OID_SHA1, parameters: null }),
    issuerNameHash: new OctetString(issuer.nameHash),
    issuerKeyHash: new OctetString(issuer.keyHash),
    serialNumber: serialInteger(serialHex).slice().buffer,
  });
}

/** The DER OCSPRequest for one certificate of `issuer`; with a nonce, the nonce extension too. */
export function buildOcspRequest(issuer: OcspIssuer, serialHex: string, nonce?: Uint8Array): Uint8Array {
  const tbsRequest = new TBSRequest({ requestList: [new Request({ reqCert: certIdOf(issuer, serialHex) })] });
  if (nonce) {
    tbsRequest.requestExtensions = [
      new Extension({
        extnID: id_pkix_ocsp_nonce,
        critical: false,
        extnValue: new OctetString(AsnConvert.serialize(new OctetString(nonce))),
      }),
    ];
  }
  return new Uint8Array(AsnConvert.serialize(new OCSPRequest({ tbsRequest })));
}

/** What a response says about the certificate asked for, once everything about it was checked. */
export type OcspAnswer =
  | {
      status: 'revoked';
      /** epoch seconds */
      revokedAt: number;
      reason: string;
      /** false: the response carries no revocationReason (read as UNSPECIFIED) */
      reasonGiven: boolean;
      signer: OcspSigner;
      thisUpdate: number;
    }
  | { status: 'good' | 'unknown'; signer: OcspSigner; thisUpdate: number }
  /** not an answer: the responder refused, or the bytes are not a usable response */
  | { status: 'unusable'; cause: 'status' | 'malformed' | 'stale'; detail: string }
  /** an answer nobody should trust: its signature or signer does not hold */
  | { status: 'signature-invalid'; detail: string };

/** Who signed: the CA itself, or a responder certificate the CA issued for OCSP signing. */
export type OcspSigner = { kind: 'ca' } | { kind: 'delegated'; subject: string; serial: string };

export interface OcspVerifyOptions {
  /** epoch seconds: a response past its nextUpdate, or a delegated certificate out of validity, fails */
  now: number;
  /** the nonce sent, if any: a response echoing another is refused */
  nonce?: Uint8Array;
}

const STATUS_NAMES: Record<number, string> = {
  1: 'malformedRequest',
  2: 'internalError',
  3: 'tryLater',
  5: 'sigRequired',
  6: 'unauthorized',
};

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

async function verifySignature(
  key: PublicKey,
  algorithm: AlgorithmIdentifier,
  data: ArrayBuffer,
  signature: ArrayBuffer,
): Promise<boolean> {
  const signatureAlgorithm = new AlgorithmProvider().toWebAlgorithm(algorithm);
  if (!signatureAlgorithm) throw new Error(`unsupported signature algorithm ${algorithm.algorithm}`);
  const keyAlgorithm = { ...key.algorithm, ...signatureAlgorithm };
  const cryptoKey = await key.export(keyAlgorithm, ['verify']);
  const webSignature =
    new AsnEcSignatureFormatter().toWebSignature(keyAlgorithm, signature) ??
    new AsnDefaultSignatureFormatter().toWebSignature(keyAlgorithm, signature);
  if (!webSignature) throw new Error('the signature value cannot be read');
  return subtle().verify(signatureAlgorithm, cryptoKey, webSignature, data);
}

/**
 * Reads and checks a responder's DER answer about `serialHex` of `issuer`: a successful basic
 * response, signed by the CA or by a responder certificate the CA signed with id-kp-OCSPSigning
 * (valid now), naming the responder that signed it, holding a SingleResponse for exactly our CertID.
 */
export async function verifyOcspResponse(
  der: Uint8Array,
  issuer: OcspIssuer,
  serialHex: string,
  options: OcspVerifyOptions,
): Promise<OcspAnswer> {
  let response: OCSPResponse;
  try {
    response = AsnConvert.parse(der, OCSPResponse);
  } catch (err) {
    return {
      status: 'unusable',
      cause: 'malformed',
      detail: `not a DER OCSPResponse (${(err as Error).message})`,
    };
  }
  if (response.responseStatus !== OCSPResponseStatus.successful) {
    const name = STATUS_NAMES[response.responseStatus] ?? `status ${response.responseStatus}`;
    return { status: 'unusable', cause: 'status', detail: `the responder answered ${name}` };
  }
  const bytes = response.responseBytes;
  if (!bytes || bytes.responseType !== id_pkix_ocsp_basic)
    return {
      status: 'unusable',
      cause: 'malformed',
      detail: bytes ? `response type ${bytes.responseType}, not id-pkix-ocsp-basic` : 'no responseBytes',
    };
  let basic: BasicOCSPResponse;
  try {
    basic = AsnConvert.parse(bytes.response.buffer, BasicOCSPResponse);
  } catch (err) {
    return {
      status: 'unusable',
      cause: 'malformed',
      detail: `not a BasicOCSPResponse (${(err as Error).message})`,
    };
  }
  const tbs = basic.tbsResponseDataRaw;
  if (!tbs) return { status: 'unusable', cause: 'malformed', detail: 'tbsResponseData cannot be read' };

  // the signer: named by the responderID, the CA itself or a certificate the response carries
  const data = basic.tbsResponseData;
  const carried: X509Certificate[] = [];
  try {
    for (const c of basic.certs ?? []) carried.push(new X509Certificate(AsnConvert.serialize(c)));
  } catch (err) {
    return {
      status: 'unusable',
      cause: 'malformed',
      detail: `a certificate in the response (${(err as Error).message})`,
    };
  }
  const names = async (cert: X509Certificate): Promise<boolean> => {
    const id = data.responderID;
    if (id.byName) {
      const asn = AsnConvert.parse(cert.rawData, Certificate);
      return bytesEqual(AsnConvert.serialize(id.byName), AsnConvert.serialize(asn.tbsCertificate.subject));
    }
    if (id.byKey) {
      const asn = AsnConvert.parse(cert.rawData, Certificate);
      return bytesEqual(
        id.byKey.buffer,
        await sha1(asn.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey),
      );
    }
    return false;
  };
  let signerCert: X509Certificate | undefined;
  let signer: OcspSigner | undefined;
  if (await names(issuer.certificate)) {
    signerCert = issuer.certificate;
    signer = { kind: 'ca' };
  } else {
    for (const c of carried) {
      if (!(await names(c))) continue;
      const asn = AsnConvert.parse(c.rawData, Certificate);
      const problem = !bytesEqual(AsnConvert.serialize(asn.tbsCertificate.issuer), issuer.subjectDer)
        ? `the responder certificate ${c.subject} was issued by ${c.issuer}, not by the CA`
        : !(await c
              .verify({ publicKey: issuer.certificate.publicKey, signatureOnly: true })
              .catch(() => false))
          ? `the responder certificate ${c.subject} is not signed by the CA's key`
          : !(c.getExtension(ExtendedKeyUsageExtension)?.usages ?? []).includes(id_kp_OCSPSigning)
            ? `the responder certificate ${c.subject} lacks id-kp-OCSPSigning in its extended key usage`
            : options.now < seconds(c.notBefore) || options.now > seconds(c.notAfter)
              ? `the responder certificate ${c.subject} is not valid now (${c.notBefore.toISOString()} to ${c.notAfter.toISOString()})`
              : undefined;
      if (problem) return { status: 'signature-invalid', detail: problem };
      signerCert = c;
      signer = { kind: 'delegated', subject: c.subject, serial: c.serialNumber.toLowerCase() };
      break;
    }
  }
  if (!signerCert || !signer) {
    const id = data.responderID.byName
      ? `by name ${new X509Name(AsnConvert.serialize(data.responderID.byName)).toString()}`
      : `by key ${data.responderID.byKey ? octetsToHex(new Uint8Array(data.responderID.byKey.buffer), 0, data.responderID.byKey.byteLength) : '?'}`;
    return {
      status: 'signature-invalid',
      detail: `the responder (${id}) is neither the CA nor a certificate the response carries`,
    };
  }
  let valid: boolean;
  try {
    valid = await verifySignature(signerCert.publicKey, basic.signatureAlgorithm, tbs, basic.signature);
  } catch (err) {
    return {
      status: 'signature-invalid',
      detail: `the signature cannot be checked: ${(err as Error).message}`,
    };
  }
  if (!valid)
    return {
      status: 'signature-invalid',
      detail: `the signature does not verify with the key of ${signer.kind === 'ca' ? 'the CA' : signerCert.subject}`,
    };

  if (options.nonce) {
    const echoed = data.responseExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
    if (echoed) {
      const value = AsnConvert.parse(echoed.extnValue.buffer, OctetString);
      if (!bytesEqual(value.buffer, options.nonce))
        return {
          status: 'unusable',
          cause: 'malformed',
          detail: 'the response echoes another nonce (a replay?)',
        };
    }
  }

  const wanted = certIdOf(issuer, serialHex);
  const single = data.responses.find(
    (r) =>
      r.certID.hashAlgorithm.algorithm === OID_SHA1 &&
      bytesEqual(r.certID.issuerNameHash.buffer, wanted.issuerNameHash.buffer) &&
      bytesEqual(r.certID.issuerKeyHash.buffer, wanted.issuerKeyHash.buffer) &&
      bytesEqual(r.certID.serialNumber, wanted.serialNumber),
  );
  if (!single)
    return {
      status: 'unusable',
      cause: 'malformed',
      detail: `no answer for the CertID asked about (${data.responses.length} other SingleResponse(s))`,
    };
  if (single.nextUpdate && seconds(single.nextUpdate) < options.now)
    return {
      status: 'unusable',
      cause: 'stale',
      detail: `the answer's nextUpdate ${single.nextUpdate.toISOString()} has passed`,
    };
  const thisUpdate = seconds(single.thisUpdate);
  const status = single.certStatus;
  if (status.revoked) {
    const code = status.revoked.revocationReason?.reason;
    return {
      status: 'revoked',
      revokedAt: seconds(status.revoked.revocationTime),
      // absent: UNSPECIFIED, as RFC 5280 asks
      reason: code === undefined ? 'UNSPECIFIED' : crlReasonName(code),
      reasonGiven: code !== undefined,
      signer,
      thisUpdate,
    };
  }
  return {
    status: status.good === undefined && status.unknown !== undefined ? 'unknown' : 'good',
    signer,
    thisUpdate,
  };
}
