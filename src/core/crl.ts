/**
 * X.509 CRLs (RFC 5280 §5), DER or PEM, read by a small DER reader: the fields pca-audit compares
 * (issuer, thisUpdate, nextUpdate, and each entry's serial, revocation date and reason) and what the
 * CRL covers (issuingDistributionPoint, deltaCRLIndicator). The signature is not verified: the CRL is
 * compared with the report, not trusted. A critical extension this reader does not know is refused:
 * it may narrow what the CRL covers, and a CRL read as complete when it is not gives false findings.
 */
import { formatInstant } from './instant.js';
import type { RevocationReason } from './revocation-reason.js';
import { octetsToHex } from './serial.js';

export class CrlError extends Error {
  override readonly name = 'CrlError';
  constructor(
    readonly what: string,
    readonly byte: number,
  ) {
    super(`byte ${byte}: ${what}`);
  }
}

export interface CrlEntry {
  /** canonical serial: lowercase hex magnitude */
  serial: string;
  /** epoch seconds */
  revokedAt: number;
  /** the CRLReason as PCA names it; 'UNSPECIFIED' when the entry has no reason code */
  reason: RevocationReason | 'CERTIFICATE_HOLD' | 'REMOVE_FROM_CRL' | `CODE_${number}`;
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

/** RFC 5280 CRLReason codes, in PCA's names. */
const CRL_REASONS: Record<number, CrlEntry['reason']> = {
  0: 'UNSPECIFIED',
  1: 'KEY_COMPROMISE',
  2: 'CERTIFICATE_AUTHORITY_COMPROMISE',
  3: 'AFFILIATION_CHANGED',
  4: 'SUPERSEDED',
  5: 'CESSATION_OF_OPERATION',
  6: 'CERTIFICATE_HOLD',
  8: 'REMOVE_FROM_CRL',
  9: 'PRIVILEGE_WITHDRAWN',
  10: 'A_A_COMPROMISE',
};

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

interface Tlv {
  tag: number;
  /** content start and end */
  start: number;
  end: number;
  /** where the TLV itself starts */
  at: number;
}

class Der {
  constructor(readonly b: Uint8Array) {}

  read(pos: number, limit: number, expected?: number, what = 'a DER value'): Tlv {
    if (pos >= limit) throw new CrlError(`truncated: ${what} expected`, pos);
    const tag = this.b[pos]!;
    if (expected !== undefined && tag !== expected) {
      throw new CrlError(
        `${what}: expected tag 0x${expected.toString(16)}, found 0x${tag.toString(16)}`,
        pos,
      );
    }
    if ((tag & 0x1f) === 0x1f) throw new CrlError('multi-byte DER tags are not used in CRLs', pos);
    let p = pos + 1;
    if (p >= limit) throw new CrlError(`truncated: ${what}`, pos);
    let len = this.b[p++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 6) throw new CrlError(`${what}: unsupported DER length`, pos);
      if (p + n > limit) throw new CrlError(`truncated: ${what}`, pos);
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + this.b[p++]!;
    }
    if (p + len > limit) throw new CrlError(`truncated: ${what} runs past its container (${len} bytes)`, pos);
    return { tag, start: p, end: p + len, at: pos };
  }
}

const SEQUENCE = 0x30;
const SET = 0x31;
const INTEGER = 0x02;
const OID = 0x06;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;
const ENUMERATED = 0x0a;
const OCTET_STRING = 0x04;
const BOOLEAN = 0x01;

function oidText(b: Uint8Array, s: number, e: number): string {
  const parts: number[] = [];
  let v = 0;
  for (let i = s; i < e; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if ((b[i]! & 0x80) === 0) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

function timeOf(b: Uint8Array, t: Tlv): number {
  const text = String.fromCharCode(...b.subarray(t.start, t.end));
  const m =
    t.tag === UTC_TIME
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) throw new CrlError(`bad time "${text}"`, t.at);
  let year = Number(m[1]);
  if (t.tag === UTC_TIME) year += year < 50 ? 2000 : 1900;
  const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > days || hour > 23 || minute > 59 || second > 59) {
    throw new CrlError(`bad time "${text}"`, t.at);
  }
  const ms = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return ms / 1000;
}

function isTime(tag: number): boolean {
  return tag === UTC_TIME || tag === GENERALIZED_TIME;
}

/** A DER INTEGER's magnitude as canonical hex (no leading zero octets; `00` for zero). */
function integerHex(b: Uint8Array, t: Tlv): string {
  let s = t.start;
  while (s < t.end - 1 && b[s] === 0) s++;
  if (t.end === t.start) throw new CrlError('empty INTEGER', t.at);
  return octetsToHex(b, s, t.end);
}

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

/** The issuer Name as RFC 4514-style text (most significant RDN last, as openssl -nameopt RFC2253). */
function nameText(der: Der, t: Tlv): string {
  const b = der.b;
  const rdns: string[] = [];
  for (let p = t.start; p < t.end; ) {
    const set = der.read(p, t.end, SET, 'issuer RDN');
    const atvs: string[] = [];
    for (let q = set.start; q < set.end; ) {
      const atv = der.read(q, set.end, SEQUENCE, 'issuer attribute');
      const oid = der.read(atv.start, atv.end, OID, 'attribute type');
      const value = der.read(oid.end, atv.end, undefined, 'attribute value');
      const type = oidText(b, oid.start, oid.end);
      const raw = new TextDecoder().decode(b.subarray(value.start, value.end));
      atvs.push(`${NAMES[type] ?? type}=${raw.replace(/([,+"\\<>;])/g, '\\$1')}`);
      q = atv.end;
    }
    rdns.push(atvs.join('+'));
    p = set.end;
  }
  return rdns.reverse().join(',');
}

function extensions(
  der: Der,
  t: Tlv,
  visit: (oid: string, value: Tlv, critical: boolean, at: number) => void,
): void {
  for (let p = t.start; p < t.end; ) {
    const ext = der.read(p, t.end, SEQUENCE, 'extension');
    const oid = der.read(ext.start, ext.end, OID, 'extension id');
    let q = oid.end;
    const next = der.read(q, ext.end, undefined, 'extension value');
    let critical = false;
    if (next.tag === BOOLEAN) {
      critical = booleanOf(der.b, next);
      q = next.end;
    }
    const value = der.read(q, ext.end, OCTET_STRING, 'extension value');
    visit(oidText(der.b, oid.start, oid.end), value, critical, ext.at);
    p = ext.end;
  }
}

function booleanOf(b: Uint8Array, t: Tlv): boolean {
  if (t.end - t.start !== 1) throw new CrlError('a BOOLEAN is not one byte', t.at);
  return b[t.start] !== 0;
}

/** A GeneralName as text: a URI, DNS name or directory name as written, anything else by its tag. */
function generalNameText(der: Der, g: Tlv): string {
  const b = der.b;
  switch (g.tag) {
    case 0x86: // uniformResourceIdentifier
    case 0x82: // dNSName
    case 0x81: // rfc822Name
      return new TextDecoder().decode(b.subarray(g.start, g.end));
    case 0xa4: // directoryName: [4] EXPLICIT Name
      return nameText(der, der.read(g.start, g.end, SEQUENCE, 'directoryName'));
    default:
      return `[${g.tag & 0x1f}]`;
  }
}

/** issuingDistributionPoint (RFC 5280 §5.2.5): what the CRL covers. */
function readPartition(der: Der, value: Tlv): CrlPartition {
  const b = der.b;
  const idp = der.read(value.start, value.end, SEQUENCE, 'issuingDistributionPoint');
  const out: CrlPartition = { onlyContainsUserCerts: false, onlyContainsCACerts: false };
  for (let p = idp.start; p < idp.end; ) {
    const f = der.read(p, idp.end, undefined, 'issuingDistributionPoint field');
    switch (f.tag) {
      case 0xa0: {
        // distributionPoint: fullName [0] GeneralNames | nameRelativeToCRLIssuer [1] RDN
        const name = der.read(f.start, f.end, undefined, 'distributionPoint name');
        if (name.tag === 0xa0) {
          const names: string[] = [];
          for (let q = name.start; q < name.end; ) {
            const g = der.read(q, name.end, undefined, 'GeneralName');
            names.push(generalNameText(der, g));
            q = g.end;
          }
          out.distributionPoint = names.join(', ');
        } else if (name.tag === 0xa1) {
          // a SET OF attributes relative to the issuer: read as a one-RDN name
          const one = rdnAsName(b, name);
          const d = new Der(one);
          out.distributionPoint = nameText(d, d.read(0, one.length, SEQUENCE, 'distributionPoint name'));
        } else {
          throw new CrlError('issuingDistributionPoint: unknown distributionPoint name form', name.at);
        }
        break;
      }
      case 0x81:
        out.onlyContainsUserCerts = booleanOf(b, f);
        break;
      case 0x82:
        out.onlyContainsCACerts = booleanOf(b, f);
        break;
      case 0x83: {
        // ReasonFlags, a BIT STRING: the first content byte counts the unused bits
        const reasons: string[] = [];
        for (let i = 1; i < f.end - f.start; i++) {
          for (let bit = 0; bit < 8; bit++) {
            if ((b[f.start + i]! & (0x80 >> bit)) === 0) continue;
            const n = (i - 1) * 8 + bit;
            reasons.push(REASON_FLAGS[n] ?? `BIT_${n}`);
          }
        }
        out.onlySomeReasons = reasons;
        break;
      }
      case 0x84:
        if (booleanOf(b, f)) {
          throw new CrlError(
            'an indirect CRL (issuingDistributionPoint indirectCRL): its entries may be of other CAs, which pca-audit cannot tell apart',
            f.at,
          );
        }
        break;
      case 0x85:
        if (booleanOf(b, f)) {
          throw new CrlError(
            'an attribute-certificate CRL (onlyContainsAttributeCerts): it lists no certificate of an audit report',
            f.at,
          );
        }
        break;
      default:
        throw new CrlError(`issuingDistributionPoint: unknown field [${f.tag & 0x1f}]`, f.at);
    }
    p = f.end;
  }
  return out;
}

/** The content of a [1] RelativeDistinguishedName as the DER of a one-RDN Name (SEQUENCE { SET }). */
function rdnAsName(b: Uint8Array, rdn: Tlv): Uint8Array {
  const set = derOf(SET, b.subarray(rdn.start, rdn.end));
  return derOf(SEQUENCE, set);
}

function derOf(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : undefined;
  if (len === undefined) throw new CrlError('a distribution point name longer than 64 KiB', 0);
  const out = new Uint8Array(1 + len.length + n);
  out[0] = tag;
  out.set(len, 1);
  out.set(content, 1 + len.length);
  return out;
}

const unknownCritical = (what: string, oid: string, at: number) =>
  new CrlError(
    `unknown critical ${what} extension ${oid}: it may change what the CRL covers, so it is not read as a complete CRL`,
    at,
  );

const PEM = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/;

/** DER bytes of a CRL given as DER or PEM; throws a CrlError for anything else. */
export function crlDer(bytes: Uint8Array, decodeBase64: (text: string) => Uint8Array): Uint8Array {
  if (bytes[0] === SEQUENCE) return bytes;
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

/** Parses a DER CertificateList. */
export function parseCrl(b: Uint8Array): Crl {
  const der = new Der(b);
  const list = der.read(0, b.length, SEQUENCE, 'CertificateList');
  if (list.end !== b.length) throw new CrlError(`${b.length - list.end} bytes after the CRL`, list.end);
  const tbs = der.read(list.start, list.end, SEQUENCE, 'TBSCertList');
  let p = tbs.start;
  let t = der.read(p, tbs.end, undefined, 'version or signature');
  if (t.tag === INTEGER) {
    p = t.end;
    t = der.read(p, tbs.end, SEQUENCE, 'signature algorithm');
  } else if (t.tag !== SEQUENCE) throw new CrlError('not a CRL: expected the signature algorithm', t.at);
  p = t.end;
  const issuer = der.read(p, tbs.end, SEQUENCE, 'issuer');
  p = issuer.end;
  const thisUpdate = der.read(p, tbs.end, undefined, 'thisUpdate');
  if (!isTime(thisUpdate.tag)) throw new CrlError('thisUpdate is not a time', thisUpdate.at);
  p = thisUpdate.end;
  const crl: Crl = { issuer: nameText(der, issuer), thisUpdate: timeOf(b, thisUpdate), entries: [] };
  if (p < tbs.end) {
    const next = der.read(p, tbs.end, undefined, 'nextUpdate');
    if (isTime(next.tag)) {
      crl.nextUpdate = timeOf(b, next);
      p = next.end;
    }
  }
  if (p < tbs.end) {
    const maybe = der.read(p, tbs.end, undefined, 'revokedCertificates');
    if (maybe.tag === SEQUENCE) {
      for (let q = maybe.start; q < maybe.end; ) {
        const entry = der.read(q, maybe.end, SEQUENCE, 'revoked certificate');
        const serial = der.read(entry.start, entry.end, INTEGER, 'userCertificate');
        const date = der.read(serial.end, entry.end, undefined, 'revocationDate');
        if (!isTime(date.tag)) throw new CrlError('revocationDate is not a time', date.at);
        const e: CrlEntry = {
          serial: integerHex(b, serial),
          revokedAt: timeOf(b, date),
          reason: 'UNSPECIFIED',
          reasonGiven: false,
        };
        if (date.end < entry.end) {
          const exts = der.read(date.end, entry.end, SEQUENCE, 'crlEntryExtensions');
          extensions(der, exts, (oid, value, critical, at) => {
            if (critical && !KNOWN_ENTRY_EXTENSIONS.has(oid)) throw unknownCritical('CRL entry', oid, at);
            if (oid !== OID_REASON_CODE) return;
            const code = der.read(value.start, value.end, ENUMERATED, 'reasonCode');
            const n = code.end - code.start === 1 ? b[code.start]! : -1;
            e.reason = CRL_REASONS[n] ?? `CODE_${n}`;
            e.reasonGiven = true;
          });
        }
        crl.entries.push(e);
        q = entry.end;
      }
      p = maybe.end;
    }
  }
  if (p < tbs.end) {
    const exts = der.read(p, tbs.end, 0xa0, 'crlExtensions');
    const inner = der.read(exts.start, exts.end, SEQUENCE, 'crlExtensions');
    extensions(der, inner, (oid, value, critical, at) => {
      if (critical && !KNOWN_CRL_EXTENSIONS.has(oid)) throw unknownCritical('CRL', oid, at);
      if (oid === OID_CRL_NUMBER) {
        const n = der.read(value.start, value.end, INTEGER, 'cRLNumber');
        crl.crlNumber = integerHex(b, n);
      } else if (oid === OID_DELTA_CRL_INDICATOR) {
        const n = der.read(value.start, value.end, INTEGER, 'BaseCRLNumber');
        crl.deltaOf = integerHex(b, n);
      } else if (oid === OID_ISSUING_DISTRIBUTION_POINT) {
        const partition = readPartition(der, value);
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
    });
  }
  return crl;
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
