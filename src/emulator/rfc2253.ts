/**
 * A DER-encoded X.500 Name written the way Java's `X500Principal.getName(RFC2253)` prints it, which
 * is what AWS Private CA puts in an audit report's `subject`:
 * - RDNs in reverse DER order (most specific first), attributes of one RDN joined by `+` in DER order;
 * - only CN, C, L, ST, O, OU, STREET, DC and UID by keyword, every other type as its dotted OID;
 * - values of an OID type, and values that are not a string type, as `#` + hex of the whole DER TLV;
 * - `,=+<>#;"\` escaped with a backslash anywhere, spaces (and CR) escaped at either end.
 */

const KEYWORDS: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;
const TAG_OID = 0x06;
/** String tags Java prints as text (AVA.isDerString, non-canonical). */
const STRING_DECODERS: Readonly<Record<number, (bytes: Uint8Array) => string>> = {
  12: (b) => new TextDecoder('utf-8').decode(b), // UTF8String
  19: (b) => Buffer.from(b).toString('latin1'), // PrintableString
  20: (b) => Buffer.from(b).toString('latin1'), // T61String
  22: (b) => Buffer.from(b).toString('latin1'), // IA5String
  27: (b) => Buffer.from(b).toString('latin1'), // GeneralString
  30: (b) => Buffer.from(b).swap16().toString('utf16le'), // BMPString
};

interface Tlv {
  tag: number;
  /** offset of the tag byte */
  start: number;
  /** offset of the first content byte */
  content: number;
  /** offset after the last content byte */
  end: number;
}

function readTlv(der: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new Error('truncated DER');
  const tag = der[at]!;
  let length = der[at + 1]!;
  let content = at + 2;
  if (length & 0x80) {
    const size = length & 0x7f;
    if (size === 0 || size > 4 || content + size > limit) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < size; i++) length = length * 256 + der[content + i]!;
    content += size;
  }
  const end = content + length;
  if (end > limit) throw new Error('truncated DER');
  return { tag, start: at, content, end };
}

function children(der: Uint8Array, parent: Tlv, tag: number): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.content; at < parent.end; ) {
    const child = readTlv(der, at, parent.end);
    if (child.tag !== tag) throw new Error(`expected DER tag ${tag}, found ${child.tag}`);
    out.push(child);
    at = child.end;
  }
  return out;
}

function decodeOid(bytes: Uint8Array): string {
  const arcs: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if (b & 0x80) continue;
    if (arcs.length === 0)
      arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
    else arcs.push(value);
    value = 0;
  }
  return arcs.join('.');
}

const ESCAPEES = ',=+<>#;"\\';

function escapeValue(text: string): string {
  const chars = [...text].map((c) => (ESCAPEES.includes(c) ? `\\${c}` : c));
  const blank = (c: string) => c === ' ' || c === '\r';
  let lead = 0;
  while (lead < chars.length && blank(chars[lead]!)) lead++;
  let trail = chars.length - 1;
  while (trail >= 0 && blank(chars[trail]!)) trail--;
  return chars.map((c, i) => (i < lead || i > trail ? `\\${c}` : c)).join('');
}

/** The RFC 2253 string of a DER Name, as Java prints it. Throws on malformed DER. */
export function formatRfc2253(der: Uint8Array): string {
  const name = readTlv(der, 0, der.length);
  if (name.tag !== TAG_SEQUENCE) throw new Error('a Name is a SEQUENCE');
  const rdns = children(der, name, TAG_SET).map((set) =>
    children(der, set, TAG_SEQUENCE)
      .map((ava) => {
        const type = readTlv(der, ava.content, ava.end);
        if (type.tag !== TAG_OID) throw new Error('an attribute type is an OID');
        const value = readTlv(der, type.end, ava.end);
        const oid = decodeOid(der.subarray(type.content, type.end));
        const keyword = KEYWORDS[oid];
        const decode = STRING_DECODERS[value.tag];
        if (keyword === undefined || decode === undefined) {
          return `${keyword ?? oid}=#${Buffer.from(der.subarray(value.start, value.end)).toString('hex')}`;
        }
        return `${keyword}=${escapeValue(decode(der.subarray(value.content, value.end)))}`;
      })
      .join('+'),
  );
  return rdns.reverse().join(',');
}
