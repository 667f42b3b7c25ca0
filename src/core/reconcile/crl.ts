/**
 * X.509 CRLs (RFC 5280 §5), DER or PEM: the fields pca-audit compares (issuer, thisUpdate, nextUpdate,
 * and each entry's serial, revocation date and reason) and what the CRL covers
 * (issuingDistributionPoint, deltaCRLIndicator). The signature is checked apart (crl-verify.ts),
 * against a CA certificate when there is one. A critical extension this reader does not know is
 * refused: it may narrow what the CRL covers, and a CRL read as complete when it is not gives false
 * findings.
 *
 * @peculiar/x509 (its ASN.1 model, @peculiar/asn1-x509) reads the CRL without its entries: issuer,
 * times, extensions, signature. Read here, by hand: the TBSCertList's layout and the outer framing
 * (x509 accepts bytes after the CRL, names no byte offsets, and drops the extensions of a CRL without
 * nextUpdate), and the entries (asn1js takes about 10 s and 1 GiB for 100,000 of them; this reader
 * 0.3 s), each problem with its byte offset.
 */
import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  type Name as AsnName,
  CertificateList,
  type DistributionPointName,
  type Extension,
  Extensions,
  type GeneralName,
  IssuingDistributionPoint,
  type TBSCertList,
} from '@peculiar/asn1-x509';
import { X509Crl } from '@peculiar/x509';
import { type DescribeOptions, PcaAuditError } from '../errors.js';
import { formatInstant } from '../instant.js';
import { type CrlReasonName, crlReasonName } from '../report/revocation-reason.js';

export class CrlError extends PcaAuditError {
  override readonly name = 'CrlError';
  readonly errorKind = 'input';
  constructor(
    readonly what: string,
    /** where in the DER, when known */
    readonly byte?: number,
  ) {
    super(byte === undefined ? what : `byte ${byte}: ${what}`);
  }

  override describe(o: DescribeOptions): string {
    return `reading CRL: ${o.clean(this.message)}`;
  }
}

export interface CrlEntry {
  /** canonical serial: lowercase hex magnitude */
  serial: string;
  /** epoch seconds */
  revokedAt: number;
  /** the CRLReason as PCA names it; 'UNSPECIFIED' when the entry has no reason code */
  reason: CrlReasonName;
  /** whether the entry carried a reasonCode extension */
  reasonGiven: boolean;
}

/**
 * What an issuingDistributionPoint says the CRL covers (RFC 5280 §5.2.5). Absent: every certificate
 * of the issuer, every reason. AWS PCA's PARTITIONED CRLs name a distribution point (the partition);
 * nothing in an audit report row says which partition a certificate is in.
 */
export interface CrlPartition {
  /** the distribution point name as text (a URI, or the name as written), when the IDP has one */
  distributionPoint?: string;
  onlyContainsUserCerts: boolean;
  onlyContainsCACerts: boolean;
  /** the reasons the CRL covers (PCA's names), when it covers only some */
  onlySomeReasons?: string[];
}

export interface Crl {
  issuer: string;
  thisUpdate: number;
  nextUpdate?: number;
  crlNumber?: string;
  /** present when an issuingDistributionPoint narrows what the CRL covers */
  partition?: CrlPartition;
  /** a delta CRL (deltaCRLIndicator): the cRLNumber of its base CRL, canonical hex */
  deltaOf?: string;
  entries: CrlEntry[];
}

/** A CRL as read, and as x509 holds it (its signature, its issuer's DER), for crl-verify.ts. */
export interface CrlDocument {
  crl: Crl;
  signed: X509Crl;
}

const OID_REASON_CODE = '2.5.29.21';
const OID_CRL_NUMBER = '2.5.29.20';
const OID_DELTA_CRL_INDICATOR = '2.5.29.27';
const OID_ISSUING_DISTRIBUTION_POINT = '2.5.29.28';

/**
 * CRL extensions whose meaning is known and does not change what the CRL covers (or is read here):
 * authorityKeyIdentifier, issuerAltName, cRLNumber, deltaCRLIndicator, issuingDistributionPoint,
 * freshestCRL, authorityInfoAccess. Any other critical one is refused.
 */
const KNOWN_CRL_EXTENSIONS = new Set([
  '2.5.29.35',
  '2.5.29.18',
  OID_CRL_NUMBER,
  OID_DELTA_CRL_INDICATOR,
  OID_ISSUING_DISTRIBUTION_POINT,
  '2.5.29.46',
  '1.3.6.1.5.5.7.1.1',
]);
/**
 * Entry extensions known: reasonCode, invalidityDate, holdInstructionCode. certificateIssuer
 * (2.5.29.29, critical, indirect CRLs only) is not: it says the entries that follow belong to
 * another CA, so it is refused with the rest.
 */
const KNOWN_ENTRY_EXTENSIONS = new Set([OID_REASON_CODE, '2.5.29.24', '2.5.29.23']);

/** ReasonFlags bits (RFC 5280 §4.2.1.13), in PCA's names; bit 0 is unused. */
const REASON_FLAGS = [
  'unused',
  'KEY_COMPROMISE',
  'CERTIFICATE_AUTHORITY_COMPROMISE',
  'AFFILIATION_CHANGED',
  'SUPERSEDED',
  'CESSATION_OF_OPERATION',
  'CERTIFICATE_HOLD',
  'PRIVILEGE_WITHDRAWN',
  'A_A_COMPROMISE',
];

const NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'SERIALNUMBER',
  '0.9.2342.19200300.100.1.25': 'DC',
};

/** A Name as RFC 4514-style text (most significant RDN last, as openssl -nameopt RFC2253). */
export function nameText(name: AsnName): string {
  return name
    .map((rdn) =>
      rdn
        .map((atv) => {
          const value = atv.value.toString().replace(/([,+"\\<>;])/g, '\\$1');
          return `${NAMES[atv.type] ?? atv.type}=${value}`;
        })
        .join('+'),
    )
    .reverse()
    .join(',');
}

/** A GeneralName as text: a URI, DNS name, e-mail or directory name as written, anything else by its kind. */
function generalNameText(g: GeneralName): string {
  if (g.uniformResourceIdentifier !== undefined) return g.uniformResourceIdentifier;
  if (g.dNSName !== undefined) return g.dNSName;
  if (g.rfc822Name !== undefined) return g.rfc822Name;
  if (g.directoryName !== undefined) return nameText(g.directoryName);
  if (g.iPAddress !== undefined) return g.iPAddress;
  return `[${Object.keys(g).find((k) => (g as unknown as Record<string, unknown>)[k] !== undefined) ?? '?'}]`;
}

function distributionPointText(d: DistributionPointName): string {
  if (d.fullName !== undefined) return d.fullName.map(generalNameText).join(', ');
  if (d.nameRelativeToCRLIssuer !== undefined) {
    return d.nameRelativeToCRLIssuer.map((atv) => `${NAMES[atv.type] ?? atv.type}=${atv.value}`).join('+');
  }
  throw new CrlError('issuingDistributionPoint: unknown distributionPoint name form');
}

/** issuingDistributionPoint (RFC 5280 §5.2.5): what the CRL covers. */
function readPartition(value: ArrayBuffer): CrlPartition {
  const idp = AsnConvert.parse(value, IssuingDistributionPoint);
  if (idp.indirectCRL) {
    throw new CrlError(
      'an indirect CRL (issuingDistributionPoint indirectCRL): its entries may be of other CAs, which pca-audit cannot tell apart',
    );
  }
  if (idp.onlyContainsAttributeCerts) {
    throw new CrlError(
      'an attribute-certificate CRL (onlyContainsAttributeCerts): it lists no certificate of an audit report',
    );
  }
  const out: CrlPartition = {
    onlyContainsUserCerts: idp.onlyContainsUserCerts,
    onlyContainsCACerts: idp.onlyContainsCACerts,
  };
  if (idp.distributionPoint !== undefined)
    out.distributionPoint = distributionPointText(idp.distributionPoint);
  if (idp.onlySomeReasons !== undefined) {
    const bytes = new Uint8Array(idp.onlySomeReasons.value);
    const reasons: string[] = [];
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        if ((bytes[i]! & (0x80 >> bit)) === 0) continue;
        const n = i * 8 + bit;
        reasons.push(REASON_FLAGS[n] ?? `BIT_${n}`);
      }
    }
    out.onlySomeReasons = reasons;
  }
  return out;
}

const unknownCritical = (what: string, oid: string) =>
  new CrlError(
    `unknown critical ${what} extension ${oid}: it may change what the CRL covers, so it is not read as a complete CRL`,
  );

const PEM = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/;

/** DER bytes of a CRL given as DER or PEM; throws a CrlError for anything else. */
export function crlDer(bytes: Uint8Array, decodeBase64: (text: string) => Uint8Array): Uint8Array {
  if (bytes[0] === 0x30) return bytes;
  const head = new TextDecoder('utf-8', { fatal: false }).decode(
    bytes.subarray(0, Math.min(bytes.length, 1 << 26)),
  );
  const m = PEM.exec(head);
  if (!m) {
    if (head.includes('-----BEGIN'))
      throw new CrlError('PEM, but not an "X509 CRL" block', head.indexOf('-----BEGIN'));
    throw new CrlError('neither a DER CRL nor a PEM "X509 CRL" block', 0);
  }
  const body = m[1]!.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new CrlError('the PEM block is not base64', m.index);
  return decodeBase64(body);
}

/**
 * The outer SEQUENCE's header against the bytes: what x509 does not check (trailing bytes) or says
 * without a position (truncation, a length that is not DER).
 */
function checkFraming(b: Uint8Array): void {
  if (b.length === 0) throw new CrlError('truncated: empty', 0);
  if (b[0] !== 0x30) {
    throw new CrlError(`not a CRL: expected a SEQUENCE (tag 0x30), found 0x${b[0]!.toString(16)}`, 0);
  }
  if (b.length < 2) throw new CrlError('truncated: the CertificateList has no length', 1);
  let len = b[1]!;
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new CrlError('CertificateList: unsupported DER length (indefinite: BER, not DER)', 1);
    if (n > 4) throw new CrlError(`CertificateList: unsupported DER length (${n} length bytes)`, 1);
    if (b.length < 2 + n) throw new CrlError('truncated: the CertificateList length', 1);
    len = 0;
    for (let k = 0; k < n; k++) len = len * 256 + b[2 + k]!;
    header += n;
  }
  const end = header + len;
  if (end > b.length) {
    throw new CrlError(
      `truncated: the CertificateList says ${end} bytes, the input holds ${b.length}`,
      b.length,
    );
  }
  if (end < b.length) throw new CrlError(`${b.length - end} bytes after the CRL`, end);
}

interface Tlv {
  tag: number;
  /** where the TLV starts, and its content */
  at: number;
  start: number;
  end: number;
}

/** One DER TLV's header at pos (definite lengths only), bounded by limit. */
function tlvAt(b: Uint8Array, pos: number, limit: number, what: string): Tlv {
  if (pos + 2 > limit) throw new CrlError(`truncated: ${what}`, pos);
  const tag = b[pos]!;
  let len = b[pos + 1]!;
  let p = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new CrlError(`${what}: unsupported DER length`, pos);
    if (p + n > limit) throw new CrlError(`truncated: ${what}`, pos);
    len = 0;
    for (let k = 0; k < n; k++) len = len * 256 + b[p++]!;
  }
  if (p + len > limit) throw new CrlError(`truncated: ${what} runs past its container (${len} bytes)`, pos);
  return { tag, at: pos, start: p, end: p + len };
}

/**
 * The TBSCertList's top-level fields, located by hand: the entries are read here (readEntries), and
 * x509 (asn1-schema 2.x) misreads a CRL without nextUpdate, dropping its extensions without an
 * error; those are then read on their own.
 */
interface TbsParts {
  thisUpdate: Tlv;
  nextUpdate?: Tlv;
  revoked?: Tlv;
  extensions?: Tlv;
}

function tbsParts(b: Uint8Array): TbsParts {
  const list = tlvAt(b, 0, b.length, 'CertificateList');
  const tbs = tlvAt(b, list.start, list.end, 'TBSCertList');
  if (tbs.tag !== 0x30) throw new CrlError('not a CRL: the TBSCertList is not a SEQUENCE', tbs.at);
  const parts: Tlv[] = [];
  for (let p = tbs.start; p < tbs.end; ) {
    const t = tlvAt(b, p, tbs.end, 'a TBSCertList field');
    parts.push(t);
    p = t.end;
  }
  let i = parts[0]?.tag === 0x02 ? 1 : 0; // version
  const isTime = (t: Tlv | undefined) => t !== undefined && (t.tag === 0x17 || t.tag === 0x18);
  const expect = (t: Tlv | undefined, ok: boolean, what: string) => {
    if (t === undefined) throw new CrlError(`truncated: the TBSCertList has no ${what}`, tbs.end);
    if (!ok) throw new CrlError(`not a CRL: expected ${what}, found tag 0x${t.tag.toString(16)}`, t.at);
  };
  expect(parts[i], parts[i]?.tag === 0x30, 'the signature algorithm (a SEQUENCE)');
  expect(parts[i + 1], parts[i + 1]?.tag === 0x30, 'the issuer (a SEQUENCE)');
  expect(parts[i + 2], isTime(parts[i + 2]), 'thisUpdate (a time)');
  const out: TbsParts = { thisUpdate: parts[i + 2]! };
  i += 3;
  if (isTime(parts[i])) out.nextUpdate = parts[i++]!;
  if (parts[i]?.tag === 0x30) out.revoked = parts[i++]!;
  if (parts[i]?.tag === 0xa0) out.extensions = parts[i++]!;
  if (i < parts.length) throw new CrlError('an unexpected field in the TBSCertList', parts[i]!.at);
  return out;
}

/** What x509 drops from a CRL without nextUpdate (its extensions), read on its own. */
function repairExtensions(b: Uint8Array, parts: TbsParts, tbs: TBSCertList): void {
  if (parts.extensions === undefined) return;
  const inner = tlvAt(b, parts.extensions.start, parts.extensions.end, 'crlExtensions');
  tbs.crlExtensions = AsnConvert.parse(b.subarray(inner.at, inner.end), Extensions);
}

/** A DER INTEGER's magnitude as canonical hex (no leading zero octets; `00` for zero). */
function integerHex(bytes: Uint8Array | ArrayBuffer): string {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = 0;
  while (s < b.length - 1 && b[s] === 0) s++;
  if (b.length === 0) throw new CrlError('empty INTEGER');
  let out = '';
  for (let i = s; i < b.length; i++) out += b[i]!.toString(16).padStart(2, '0');
  return out;
}

/** A DER length's header bytes. */
function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return [0x80 | out.length, ...out];
}

function derOf(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const head = [tag, ...derLength(n)];
  const out = new Uint8Array(head.length + n);
  out.set(head, 0);
  let at = head.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The CRL without its revokedCertificates, for x509: asn1js builds a heavy object per ASN.1 node,
 * about 5 s and 1 GiB for a CRL of 100,000 entries; the entries are read by readEntries instead.
 */
function withoutEntries(b: Uint8Array, revoked: Tlv): Uint8Array {
  const list = tlvAt(b, 0, b.length, 'CertificateList');
  const tbs = tlvAt(b, list.start, list.end, 'TBSCertList');
  const shellTbs = derOf(0x30, b.subarray(tbs.start, revoked.at), b.subarray(revoked.end, tbs.end));
  return derOf(0x30, shellTbs, b.subarray(tbs.end, list.end));
}

/** Reads a DER CertificateList; the document keeps x509's view for the signature check. */
export function decodeCrl(b: Uint8Array): CrlDocument {
  checkFraming(b);
  const parts = tbsParts(b);
  // the times read here: asn1js rolls month 13 or hour 92 into a later date without a word
  const thisUpdate = timeAt(b, parts.thisUpdate, 'thisUpdate');
  const nextUpdate = parts.nextUpdate ? timeAt(b, parts.nextUpdate, 'nextUpdate') : undefined;
  let asn: CertificateList;
  let signed: X509Crl;
  try {
    asn = AsnConvert.parse(parts.revoked ? withoutEntries(b, parts.revoked) : b, CertificateList);
    // the signature is over the TBSCertList as it came, entries included
    const list = tlvAt(b, 0, b.length, 'CertificateList');
    const tbs = tlvAt(b, list.start, list.end, 'TBSCertList');
    // a copy of its own: a Node Buffer's slice is a view into a shared pool
    asn.tbsCertListRaw = Uint8Array.prototype.slice.call(b, tbs.at, tbs.end).buffer;
    signed = new X509Crl(asn);
  } catch (err) {
    throw new CrlError(`not a DER CertificateList: ${(err as Error).message}`);
  }
  try {
    if (!parts.nextUpdate) repairExtensions(b, parts, asn.tbsCertList);
    const crl = readFields(asn.tbsCertList, { thisUpdate, nextUpdate }, (k) => offsetOf(b, k));
    if (parts.revoked) crl.entries = readEntries(b, parts.revoked);
    return { crl, signed };
  } catch (err) {
    if (err instanceof CrlError) throw err;
    throw new CrlError(`not a DER CertificateList: ${(err as Error).message}`);
  }
}

/** Parses a DER CertificateList. */
export function parseCrl(b: Uint8Array): Crl {
  return decodeCrl(b).crl;
}

/** Where the k-th (0-based) CRL extension starts in the DER: found only for an error. */
function offsetOf(b: Uint8Array, k: number): number | undefined {
  try {
    const container = tbsParts(b).extensions;
    if (container === undefined) return undefined;
    const inner = tlvAt(b, container.start, container.end, 'crlExtensions');
    let p = inner.start;
    for (let i = 0; i < k; i++) p = tlvAt(b, p, inner.end, 'item').end;
    return p < inner.end ? p : undefined;
  } catch {
    return undefined;
  }
}

/** The issuer and extensions as x509 read them, the times as read here. */
function readFields(
  tbs: TBSCertList,
  times: { thisUpdate: number; nextUpdate?: number | undefined },
  offset: (k: number) => number | undefined,
): Crl {
  const crl: Crl = { issuer: nameText(tbs.issuer), thisUpdate: times.thisUpdate, entries: [] };
  if (times.nextUpdate !== undefined) crl.nextUpdate = times.nextUpdate;
  const extensions = tbs.crlExtensions ?? [];
  for (let k = 0; k < extensions.length; k++) {
    try {
      readExtension(crl, extensions[k]!);
    } catch (err) {
      if (!(err instanceof CrlError) || err.byte !== undefined) throw err;
      throw new CrlError(err.what, offset(k));
    }
  }
  return crl;
}

// ---- the entries, read by hand (see withoutEntries) ----

const OID_DER_REASON_CODE = [0x55, 0x1d, 0x15];

function oidText(b: Uint8Array, t: Tlv): string {
  const parts: number[] = [];
  let v = 0;
  for (let i = t.start; i < t.end; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if ((b[i]! & 0x80) === 0) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** UTCTime or GeneralizedTime (RFC 5280: Z, whole seconds) as epoch seconds. */
function timeAt(b: Uint8Array, t: Tlv, what: string): number {
  if (t.tag !== 0x17 && t.tag !== 0x18) throw new CrlError(`${what} is not a time`, t.at);
  const text = String.fromCharCode(...b.subarray(t.start, t.end));
  const m =
    t.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) throw new CrlError(`${what}: bad time "${text}"`, t.at);
  let year = Number(m[1]);
  if (t.tag === 0x17) year += year < 50 ? 2000 : 1900;
  const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > days || hour > 23 || minute > 59 || second > 59) {
    throw new CrlError(`${what}: bad time "${text}"`, t.at);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second) / 1000;
}

/** revokedCertificates: SEQUENCE OF SEQUENCE { userCertificate, revocationDate, crlEntryExtensions OPTIONAL } */
function readEntries(b: Uint8Array, list: Tlv): CrlEntry[] {
  const out: CrlEntry[] = [];
  for (let p = list.start; p < list.end; ) {
    const entry = tlvAt(b, p, list.end, 'revoked certificate');
    if (entry.tag !== 0x30) throw new CrlError('a revoked certificate is not a SEQUENCE', entry.at);
    const serialTlv = tlvAt(b, entry.start, entry.end, 'userCertificate');
    if (serialTlv.tag !== 0x02 || serialTlv.end === serialTlv.start) {
      throw new CrlError('userCertificate is not an INTEGER', serialTlv.at);
    }
    const serial = integerHex(b.subarray(serialTlv.start, serialTlv.end));
    const where = `entry ${out.length + 1} (serial ${serial})`;
    const date = tlvAt(b, serialTlv.end, entry.end, `${where}: revocationDate`);
    const e: CrlEntry = {
      serial,
      revokedAt: timeAt(b, date, `${where}: revocationDate`),
      reason: 'UNSPECIFIED',
      reasonGiven: false,
    };
    if (date.end < entry.end) {
      const exts = tlvAt(b, date.end, entry.end, `${where}: crlEntryExtensions`);
      if (exts.tag !== 0x30 || exts.end !== entry.end) {
        throw new CrlError(`${where}: crlEntryExtensions is not a SEQUENCE ending the entry`, exts.at);
      }
      for (let q = exts.start; q < exts.end; ) {
        const ext = tlvAt(b, q, exts.end, `${where}: extension`);
        const oid = tlvAt(b, ext.start, ext.end, `${where}: extension id`);
        if (ext.tag !== 0x30 || oid.tag !== 0x06)
          throw new CrlError(`${where}: a malformed extension`, ext.at);
        let v = tlvAt(b, oid.end, ext.end, `${where}: extension value`);
        let critical = false;
        if (v.tag === 0x01) {
          if (v.end - v.start !== 1) throw new CrlError(`${where}: a BOOLEAN is not one byte`, v.at);
          critical = b[v.start] !== 0;
          v = tlvAt(b, v.end, ext.end, `${where}: extension value`);
        }
        if (v.tag !== 0x04 || v.end !== ext.end)
          throw new CrlError(`${where}: a malformed extension`, ext.at);
        const isReason =
          oid.end - oid.start === 3 && OID_DER_REASON_CODE.every((x, i) => b[oid.start + i] === x);
        if (isReason) {
          // ENUMERATED: tag 0x0a, length 1, the code
          if (v.end - v.start !== 3 || b[v.start] !== 0x0a || b[v.start + 1] !== 1) {
            throw new CrlError(`${where}: reasonCode is not a one-byte ENUMERATED`, v.at);
          }
          const code = b[v.start + 2]!;
          e.reason = crlReasonName(code);
          e.reasonGiven = true;
        } else if (critical) {
          const id = oidText(b, oid);
          if (!KNOWN_ENTRY_EXTENSIONS.has(id)) {
            throw new CrlError(`${where}: ${unknownCritical('CRL entry', id).what}`, ext.at);
          }
        }
        q = ext.end;
      }
    }
    out.push(e);
    p = entry.end;
  }
  return out;
}

function readExtension(crl: Crl, ext: Extension): void {
  const oid = ext.extnID;
  if (ext.critical && !KNOWN_CRL_EXTENSIONS.has(oid)) throw unknownCritical('CRL', oid);
  const value = ext.extnValue.buffer;
  if (oid === OID_CRL_NUMBER) crl.crlNumber = integerOf(value, 'cRLNumber');
  else if (oid === OID_DELTA_CRL_INDICATOR) crl.deltaOf = integerOf(value, 'BaseCRLNumber');
  else if (oid === OID_ISSUING_DISTRIBUTION_POINT) {
    const partition = readPartition(value);
    // an IDP that narrows nothing (all fields absent or false) leaves the CRL complete
    if (
      partition.distributionPoint !== undefined ||
      partition.onlyContainsUserCerts ||
      partition.onlyContainsCACerts ||
      partition.onlySomeReasons !== undefined
    ) {
      crl.partition = partition;
    }
  }
}

/** An extension value holding one DER INTEGER (cRLNumber, BaseCRLNumber). */
function integerOf(value: ArrayBuffer, what: string): string {
  const v = new Uint8Array(value);
  if (v[0] !== 0x02 || v.length < 3 || (v[1]! & 0x80) !== 0 || v[1] !== v.length - 2) {
    throw new CrlError(`${what} is not a short DER INTEGER`);
  }
  return integerHex(v.subarray(2));
}

export function describeCrl(crl: Crl): {
  issuer: string;
  thisUpdate: string;
  nextUpdate?: string;
  crlNumber?: string;
  entries: number;
} {
  return {
    issuer: crl.issuer,
    thisUpdate: formatInstant(crl.thisUpdate),
    ...(crl.nextUpdate === undefined ? {} : { nextUpdate: formatInstant(crl.nextUpdate) }),
    ...(crl.crlNumber === undefined ? {} : { crlNumber: crl.crlNumber }),
    entries: crl.entries.length,
  };
}
