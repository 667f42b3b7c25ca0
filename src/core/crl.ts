/**
 * X.509 CRLs (RFC 5280 §5), DER or PEM, read by a small DER reader: the fields pca-audit compares
 * (issuer, thisUpdate, nextUpdate, and each entry's serial, revocation date and reason). The
 * signature is not verified: the CRL is compared with the report, not trusted.
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

export interface Crl {
  issuer: string;
  thisUpdate: number;
  nextUpdate?: number;
  crlNumber?: string;
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

function extensions(der: Der, t: Tlv, visit: (oid: string, value: Tlv) => void): void {
  for (let p = t.start; p < t.end; ) {
    const ext = der.read(p, t.end, SEQUENCE, 'extension');
    const oid = der.read(ext.start, ext.end, OID, 'extension id');
    let q = oid.end;
    const next = der.read(q, ext.end, undefined, 'extension value');
    if (next.tag === BOOLEAN) q = next.end;
    const value = der.read(q, ext.end, OCTET_STRING, 'extension value');
    visit(oidText(der.b, oid.start, oid.end), value);
    p = ext.end;
  }
}

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
          extensions(der, exts, (oid, value) => {
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
    extensions(der, inner, (oid, value) => {
      if (oid !== OID_CRL_NUMBER) return;
      const n = der.read(value.start, value.end, INTEGER, 'cRLNumber');
      crl.crlNumber = integerHex(b, n);
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
