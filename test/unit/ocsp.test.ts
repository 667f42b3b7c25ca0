/**
 * OCSP requests and responses, pure: responses are built here with @peculiar/asn1-ocsp and signed
 * with webcrypto keys (an EC P-256 CA, so the DER ECDSA signature path is the one exercised).
 */
import 'reflect-metadata';
import { createHash, type webcrypto } from 'node:crypto';
import {
  BasicOCSPResponse,
  type CertID,
  CertStatus,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
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
import { AlgorithmIdentifier, Certificate, CRLReason, CRLReasons, Extension } from '@peculiar/asn1-x509';
import {
  AsnEcSignatureFormatter,
  ExtendedKeyUsageExtension,
  type X509Certificate,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildOcspRequest,
  type OcspIssuer,
  ocspIssuer,
  verifyOcspResponse,
} from '../../src/core/reconcile/ocsp.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const NOW = Date.parse('2026-11-20T02:00:00Z') / 1000;
const REVOKED_AT = new Date('2026-11-19T13:48:02Z');
const SERIAL = 'e8cbd2017f';

interface Party {
  cert: X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

let ca: Party;
let issuer: OcspIssuer;
let stranger: Party;

const keys = () =>
  crypto.subtle.generateKey(EC, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;

async function selfSigned(name: string): Promise<Party> {
  const k = await keys();
  const cert = await X509CertificateGenerator.createSelfSigned({
    name,
    keys: k,
    signingAlgorithm: SIGN,
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2036-01-01T00:00:00Z'),
  });
  return { cert, keys: k };
}

/** A responder certificate issued by `by` (signed with `signWith`, by default `by`'s key). */
async function responderCert(by: Party, usages: string[], signWith = by.keys.privateKey): Promise<Party> {
  const k = await keys();
  const cert = await X509CertificateGenerator.create({
    subject: 'CN=Example OCSP Responder',
    issuer: by.cert.subject,
    publicKey: k.publicKey,
    signingKey: signWith,
    signingAlgorithm: SIGN,
    serialNumber: '0102',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2027-01-01T00:00:00Z'),
    extensions: [new ExtendedKeyUsageExtension(usages)],
  });
  return { cert, keys: k };
}

beforeAll(async () => {
  ca = await selfSigned('CN=Example Corp Internal Root CA, O=Example Corp, C=IE');
  issuer = await ocspIssuer(ca.cert.toString('pem'));
  stranger = await selfSigned('CN=Example Corp Internal Root CA, O=Example Corp, C=IE');
});

const requestedCertId = (serial = SERIAL): CertID =>
  AsnConvert.parse(buildOcspRequest(issuer, serial), OCSPRequest).tbsRequest.requestList[0]!.reqCert;

const revoked = (reason?: CRLReasons) =>
  new CertStatus({
    revoked: new RevokedInfo({
      revocationTime: REVOKED_AT,
      ...(reason === undefined ? {} : { revocationReason: new CRLReason(reason) }),
    }),
  });

interface Build {
  status?: CertStatus;
  certId?: CertID;
  signer?: Party;
  responderId?: 'name' | 'key';
  certs?: X509Certificate[];
  nextUpdate?: Date;
  tamper?: boolean;
  extensions?: Extension[];
  responseStatus?: OCSPResponseStatus;
}

/** A DER OCSPResponse, as a responder makes it. */
async function respond(b: Build = {}): Promise<Uint8Array> {
  if (b.responseStatus !== undefined && b.responseStatus !== OCSPResponseStatus.successful)
    return new Uint8Array(AsnConvert.serialize(new OCSPResponse({ responseStatus: b.responseStatus })));
  const signer = b.signer ?? ca;
  const signerAsn = AsnConvert.parse(signer.cert.rawData, Certificate);
  const responderID =
    b.responderId === 'key'
      ? new ResponderID({
          byKey: new OctetString(
            createHash('sha1')
              .update(new Uint8Array(signerAsn.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey))
              .digest(),
          ),
        })
      : new ResponderID({ byName: signerAsn.tbsCertificate.subject });
  const data = new ResponseData({
    responderID,
    producedAt: new Date('2026-11-20T01:00:00Z'),
    responses: [
      new SingleResponse({
        certID: b.certId ?? requestedCertId(),
        certStatus: b.status ?? revoked(CRLReasons.keyCompromise),
        thisUpdate: new Date('2026-11-20T01:00:00Z'),
        nextUpdate: b.nextUpdate ?? new Date('2026-11-21T01:00:00Z'),
      }),
    ],
    ...(b.extensions ? { responseExtensions: b.extensions } : {}),
  });
  const tbs = AsnConvert.serialize(data);
  const raw = await crypto.subtle.sign(SIGN, signer.keys.privateKey, tbs);
  const signature = new Uint8Array(new AsnEcSignatureFormatter().toAsnSignature(SIGN, raw)!);
  if (b.tamper) signature[signature.length - 3]! ^= 0x01;
  const basic = new BasicOCSPResponse({
    tbsResponseData: data,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: ECDSA_SHA256 }),
    signature: signature.buffer,
    ...(b.certs ? { certs: b.certs.map((c) => AsnConvert.parse(c.rawData, Certificate)) } : {}),
  });
  return new Uint8Array(
    AsnConvert.serialize(
      new OCSPResponse({
        responseStatus: OCSPResponseStatus.successful,
        responseBytes: new ResponseBytes({
          responseType: id_pkix_ocsp_basic,
          response: new OctetString(AsnConvert.serialize(basic)),
        }),
      }),
    ),
  );
}

const verify = async (b: Build = {}, serial = SERIAL, nonce?: Uint8Array) =>
  verifyOcspResponse(await respond(b), issuer, serial, { now: NOW, ...(nonce ? { nonce } : {}) });

describe('buildOcspRequest', () => {
  it('asks with a SHA-1 CertID: the hashes of the CA subject DER and key bits, the serial as an INTEGER', () => {
    const asn = AsnConvert.parse(ca.cert.rawData, Certificate);
    const id = requestedCertId();
    expect(id.hashAlgorithm.algorithm).toBe('1.3.14.3.2.26');
    const sha1 = (b: ArrayBuffer) => createHash('sha1').update(new Uint8Array(b)).digest('hex');
    expect(Buffer.from(id.issuerNameHash.buffer).toString('hex')).toBe(
      sha1(AsnConvert.serialize(asn.tbsCertificate.subject)),
    );
    expect(Buffer.from(id.issuerKeyHash.buffer).toString('hex')).toBe(
      sha1(asn.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey),
    );
    // a set high bit needs the 00 sign octet, or the serial would read as negative
    expect(Buffer.from(id.serialNumber).toString('hex')).toBe(`00${SERIAL}`);
    expect(Buffer.from(requestedCertId('7f01').serialNumber).toString('hex')).toBe('7f01');
  });

  it('carries the nonce extension only when given one', () => {
    const plain = AsnConvert.parse(buildOcspRequest(issuer, SERIAL), OCSPRequest);
    expect(plain.tbsRequest.requestExtensions).toBeUndefined();
    const withNonce = AsnConvert.parse(
      buildOcspRequest(issuer, SERIAL, new Uint8Array([1, 2, 3])),
      OCSPRequest,
    );
    expect(withNonce.tbsRequest.requestExtensions?.map((e) => e.extnID)).toEqual([id_pkix_ocsp_nonce]);
  });
});

describe('verifyOcspResponse', () => {
  it('revoked, signed by the CA (named by name or by key): the time and reason', async () => {
    for (const responderId of ['name', 'key'] as const) {
      expect(await verify({ responderId })).toEqual({
        status: 'revoked',
        revokedAt: REVOKED_AT.getTime() / 1000,
        reason: 'KEY_COMPROMISE',
        reasonGiven: true,
        signer: { kind: 'ca' },
        thisUpdate: Date.parse('2026-11-20T01:00:00Z') / 1000,
      });
    }
  });

  it('PCA names for RFC 5280 codes; no revocationReason reads as UNSPECIFIED, said so', async () => {
    expect(await verify({ status: revoked(CRLReasons.privilegeWithdrawn) })).toMatchObject({
      reason: 'PRIVILEGE_WITHDRAWN',
    });
    expect(await verify({ status: revoked() })).toMatchObject({ reason: 'UNSPECIFIED', reasonGiven: false });
  });

  it('good and unknown are told apart', async () => {
    expect(await verify({ status: new CertStatus({ good: null }) })).toMatchObject({ status: 'good' });
    expect(await verify({ status: new CertStatus({ unknown: null }) })).toMatchObject({ status: 'unknown' });
  });

  it('a delegated responder: issued by the CA, id-kp-OCSPSigning, valid now', async () => {
    const responder = await responderCert(ca, ['1.3.6.1.5.5.7.3.9']);
    expect(await verify({ signer: responder, certs: [responder.cert] })).toMatchObject({
      status: 'revoked',
      signer: { kind: 'delegated', subject: 'CN=Example OCSP Responder', serial: '0102' },
    });
  });

  it('refuses a signer that is not the CA nor delegated by it', async () => {
    const noEku = await responderCert(ca, ['1.3.6.1.5.5.7.3.1']);
    expect(await verify({ signer: noEku, certs: [noEku.cert] })).toMatchObject({
      status: 'signature-invalid',
      detail: expect.stringMatching(/lacks id-kp-OCSPSigning/),
    });
    // names the CA as its issuer, but a stranger's key signed it
    const forgedChain = await responderCert(ca, ['1.3.6.1.5.5.7.3.9'], stranger.keys.privateKey);
    expect(await verify({ signer: forgedChain, certs: [forgedChain.cert] })).toMatchObject({
      status: 'signature-invalid',
      detail: expect.stringMatching(/not signed by the CA's key/),
    });
    // the responder's certificate left out: nothing to check its signature with
    const delegated = await responderCert(ca, ['1.3.6.1.5.5.7.3.9']);
    expect(await verify({ signer: delegated })).toMatchObject({
      status: 'signature-invalid',
      detail:
        'the responder (by name CN=Example OCSP Responder) is neither the CA nor a certificate the response carries',
    });
    // the CA's very subject, another key
    expect(await verify({ signer: stranger })).toMatchObject({
      status: 'signature-invalid',
      detail: 'the signature does not verify with the key of the CA',
    });
  });

  it('a signature changed after signing is refused', async () => {
    expect(await verify({ tamper: true })).toMatchObject({ status: 'signature-invalid' });
  });

  it('unusable answers: a refusal, bytes that are no response, another CertID, a passed nextUpdate, another nonce', async () => {
    expect(await verify({ responseStatus: OCSPResponseStatus.tryLater })).toEqual({
      status: 'unusable',
      cause: 'status',
      detail: 'the responder answered tryLater',
    });
    expect(
      await verifyOcspResponse(new TextEncoder().encode('<html>'), issuer, SERIAL, { now: NOW }),
    ).toMatchObject({ status: 'unusable', cause: 'malformed' });
    expect(await verify({ certId: requestedCertId('0a0b') })).toMatchObject({
      status: 'unusable',
      cause: 'malformed',
      detail: expect.stringMatching(/no answer for the CertID asked about/),
    });
    expect(await verify({ nextUpdate: new Date('2026-11-20T01:30:00Z') })).toMatchObject({
      status: 'unusable',
      cause: 'stale',
    });
    const echoed = new Extension({
      extnID: id_pkix_ocsp_nonce,
      extnValue: new OctetString(AsnConvert.serialize(new OctetString(new Uint8Array([9, 9])))),
    });
    expect(await verify({ extensions: [echoed] }, SERIAL, new Uint8Array([1, 2]))).toMatchObject({
      status: 'unusable',
      detail: expect.stringMatching(/another nonce/),
    });
    expect(await verify({ extensions: [echoed] }, SERIAL, new Uint8Array([9, 9]))).toMatchObject({
      status: 'revoked',
    });
  });
});
