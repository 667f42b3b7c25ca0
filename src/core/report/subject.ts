/*
 * The `subject` field of an AWS Private CA audit report is Java X500Principal.getName() output (RFC 2253).
 *
 * One grammar, one implementation: `scan` validates UTF-8 bytes in a single pass with integer state, and
 * reports attribute boundaries to an optional listener. `checkSubjectBytes` runs it without a listener (no
 * allocation); `parseSubject` runs it over the UTF-8 encoding of its input with a listener that builds the
 * result. The two therefore agree on validity by construction.
 */

export interface SubjectAttribute {
  /** 'CN', 'O', ... as written, or the dotted OID (e.g. '1.2.840.113549.1.9.1') */
  type: string;
  /** the value as text: unescaped; for #hex values, the DER string decoded when its tag is a string type */
  value: string;
  /** for #hex values: the DER tag byte, and whether value holds decoded text (false: value is the '#hex' as written) */
  der?: { tag: number; decoded: boolean };
}

/** An empty RDN (Java emits `,,` in some subjects) is `[]`. */
export type Rdn = SubjectAttribute[];

export type SubjectParseResult = { ok: true; rdns: Rdn[] } | { ok: false; offset: number; reason: string };

const REASONS: string[] = [];

function defineReason(reason: string): number {
  REASONS.push(reason);
  return REASONS.length - 1;
}

const E_EXPECTED_TYPE = defineReason('expected an attribute type');
const E_EMPTY_TYPE = defineReason('empty attribute type');
const E_TYPE_CHAR = defineReason('invalid character in attribute type');
const E_MISSING_EQUALS = defineReason("missing '=' after attribute type");
const E_OID_EMPTY_ARC = defineReason('empty arc in OID');
const E_OID_NOT_DOTTED = defineReason('numeric attribute type is not a dotted OID');
const E_UNTERMINATED_ESCAPE = defineReason('unterminated escape');
const E_INVALID_ESCAPE = defineReason('invalid escape');
const E_INVALID_HEX_ESCAPE = defineReason('invalid hex escape');
const E_UNESCAPED_SPECIAL = defineReason("unescaped '\"', '<', '>' or ';' in value");
const E_INVALID_UTF8 = defineReason('invalid UTF-8');
const E_ESCAPED_UTF8 = defineReason('escaped bytes are not valid UTF-8');
const E_ESCAPED_UTF8_INCOMPLETE = defineReason('incomplete UTF-8 sequence in escaped bytes');
const E_EMPTY_HEX = defineReason('empty #hex value');
const E_HEX_DIGIT = defineReason('invalid hex digit');
const E_ODD_HEX = defineReason('odd number of hex digits');
const E_DER_TRUNCATED = defineReason('truncated DER value');
const E_DER_TRAILING = defineReason('data after the DER value');
const E_DER_INDEFINITE = defineReason('indefinite length is not DER');
const E_DER_LENGTH_SIZE = defineReason('DER length too large');
const E_DER_NON_MINIMAL = defineReason('non-minimal DER length');
const E_UTF8_STRING = defineReason('UTF8String is not valid UTF-8');
const E_PRINTABLE = defineReason('character not allowed in PrintableString');
const E_IA5 = defineReason('IA5String byte above 0x7f');
const E_VISIBLE = defineReason('VisibleString byte outside 0x20-0x7e');
const E_BMP_LENGTH = defineReason('BMPString length is odd');
const E_BMP_SURROGATE = defineReason('BMPString has an unpaired surrogate');
const E_UNIVERSAL_LENGTH = defineReason('UniversalString length is not a multiple of 4');
const E_UNIVERSAL_CHAR = defineReason('UniversalString has an invalid code point');
const E_LONE_SURROGATE = defineReason('unpaired UTF-16 surrogate');
const E_CONTROL = defineReason('unescaped control character in value (write it as \\XX)');

// Errors travel as one negative integer so the validator never allocates: -1 - (position * 64 + code).
const CODE_RADIX = 64;

function fail(position: number, code: number): number {
  return -1 - (position * CODE_RADIX + code);
}

function failurePosition(failure: number): number {
  return Math.floor((-1 - failure) / CODE_RADIX);
}

function failureReason(failure: number): string {
  return REASONS[(-1 - failure) % CODE_RADIX] ?? 'invalid subject';
}

const COMMA = 0x2c;
const PLUS = 0x2b;
const EQUALS = 0x3d;
const HASH = 0x23;
const BACKSLASH = 0x5c;
const DOT = 0x2e;

function table(chars: string, value = 1): Uint8Array {
  const t = new Uint8Array(256);
  for (let k = 0; k < chars.length; k++) t[chars.charCodeAt(k)] = value;
  return t;
}

const DIGITS = '0123456789';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const KEYWORD_CHAR = table(`${LETTERS}${DIGITS}-`);
const LETTER = table(LETTERS);
const DIGIT = table(DIGITS);
const ESCAPABLE = table(',+"\\<>;=# ');
const PRINTABLE = table(`${LETTERS}${DIGITS} '()+,-./:=?`);

const HEX = new Int8Array(256).fill(-1);
for (let k = 0; k < 16; k++) {
  HEX['0123456789abcdef'.charCodeAt(k)] = k;
  HEX['0123456789ABCDEF'.charCodeAt(k)] = k;
}

const C_PLAIN = 0;
const C_TERMINATOR = 1;
const C_FORBIDDEN = 2;
const C_BACKSLASH = 3;
const C_NON_ASCII = 4;
const C_CONTROL = 5;
const VALUE_CLASS = new Uint8Array(256);
VALUE_CLASS.fill(C_NON_ASCII, 0x80);
// A raw control character (C0, DEL; C1 is checked at its UTF-8 lead 0xc2) could start a new line or a
// terminal sequence wherever the subject is shown; a value carries one only as a \XX escape.
VALUE_CLASS.fill(C_CONTROL, 0, 0x20);
VALUE_CLASS[0x7f] = C_CONTROL;
VALUE_CLASS[COMMA] = C_TERMINATOR;
VALUE_CLASS[PLUS] = C_TERMINATOR;
VALUE_CLASS[BACKSLASH] = C_BACKSLASH;
for (const c of '"<>;') VALUE_CLASS[c.charCodeAt(0)] = C_FORBIDDEN;

// Per lead byte: continuation bytes still needed (0: not a valid lead), and the range allowed for the first
// continuation, which is how overlongs, surrogates and code points above U+10FFFF are excluded.
const UTF8_NEED = new Uint8Array(256);
const UTF8_LO = new Uint8Array(256);
const UTF8_HI = new Uint8Array(256);
/** U+0080-U+009F (C1 controls) are 0xc2 0x80-0x9f in UTF-8. */
const C1_LEAD = 0xc2;
const C1_LAST = 0x9f;
function defineLeads(from: number, to: number, need: number, lo: number, hi: number): void {
  UTF8_NEED.fill(need, from, to + 1);
  UTF8_LO.fill(lo, from, to + 1);
  UTF8_HI.fill(hi, from, to + 1);
}
defineLeads(0xc2, 0xdf, 1, 0x80, 0xbf);
defineLeads(0xe0, 0xe0, 2, 0xa0, 0xbf);
defineLeads(0xe1, 0xec, 2, 0x80, 0xbf);
defineLeads(0xed, 0xed, 2, 0x80, 0x9f);
defineLeads(0xee, 0xef, 2, 0x80, 0xbf);
defineLeads(0xf0, 0xf0, 3, 0x90, 0xbf);
defineLeads(0xf1, 0xf3, 3, 0x80, 0xbf);
defineLeads(0xf4, 0xf4, 3, 0x80, 0x8f);

const TAG_UTF8_STRING = 0x0c;
const TAG_PRINTABLE_STRING = 0x13;
const TAG_TELETEX_STRING = 0x14;
const TAG_IA5_STRING = 0x16;
const TAG_VISIBLE_STRING = 0x1a;
const TAG_UNIVERSAL_STRING = 0x1c;
const TAG_BMP_STRING = 0x1e;

function isTextTag(tag: number): boolean {
  return (
    tag === TAG_UTF8_STRING ||
    tag === TAG_PRINTABLE_STRING ||
    tag === TAG_TELETEX_STRING ||
    tag === TAG_IA5_STRING ||
    tag === TAG_VISIBLE_STRING ||
    tag === TAG_UNIVERSAL_STRING ||
    tag === TAG_BMP_STRING
  );
}

interface ScanListener {
  /** derTag is -1 for a string value; derHeader is the byte length of the DER tag and length octets. */
  addAttribute(
    typeStart: number,
    typeEnd: number,
    valueStart: number,
    valueEnd: number,
    derTag: number,
    derHeader: number,
  ): void;
  endRdn(): void;
}

/** Returns `end` when bytes [start, end) are a well-formed subject, else a negative failure (see `fail`). */
function scan(bytes: Uint8Array, start: number, end: number, listener: ScanListener | null): number {
  let i = start;
  // Zero RDNs; any non-empty input has one more RDN than it has unescaped commas.
  if (i === end) return end;
  let atRdnStart = true;
  for (;;) {
    if (atRdnStart) {
      if (i === end) {
        listener?.endRdn();
        return end;
      }
      if (bytes[i] === COMMA) {
        listener?.endRdn();
        i++;
        continue;
      }
    }
    if (i === end) return fail(i, E_EXPECTED_TYPE);
    let typeStart = i;
    const first = bytes[i]!;
    if (LETTER[first] === 1) {
      i++;
      while (i < end && KEYWORD_CHAR[bytes[i]!] === 1) i++;
      if (i < end && bytes[i] === DOT && i - typeStart === 3 && isOidPrefix(bytes, typeStart)) {
        typeStart = i + 1;
        i = scanOid(bytes, typeStart, end);
        if (i < 0) return i;
      }
    } else if (DIGIT[first] === 1) {
      i = scanOid(bytes, i, end);
      if (i < 0) return i;
    } else {
      return fail(
        i,
        first === EQUALS ? E_EMPTY_TYPE : first === COMMA || first === PLUS ? E_EXPECTED_TYPE : E_TYPE_CHAR,
      );
    }
    const typeEnd = i;
    if (i === end) return fail(i, E_MISSING_EQUALS);
    const next = bytes[i]!;
    if (next !== EQUALS) return fail(i, next === COMMA || next === PLUS ? E_MISSING_EQUALS : E_TYPE_CHAR);
    i++;
    const valueStart = i;
    let derTag = -1;
    let derHeader = 0;
    if (i < end && bytes[i] === HASH) {
      i = scanHex(bytes, i + 1, end);
      if (i < 0) return i;
      derTag = derResult[0]!;
      derHeader = derResult[1]!;
    } else {
      // Plain ASCII runs are scanned inline; scanString resumes at anything else (no UTF-8 state is pending).
      while (i < end && VALUE_CLASS[bytes[i]!] === C_PLAIN) i++;
      if (i < end && VALUE_CLASS[bytes[i]!] !== C_TERMINATOR) {
        i = scanString(bytes, i, end);
        if (i < 0) return i;
      }
    }
    listener?.addAttribute(typeStart, typeEnd, valueStart, i, derTag, derHeader);
    if (i === end) {
      listener?.endRdn();
      return end;
    }
    atRdnStart = bytes[i] === COMMA;
    if (atRdnStart) listener?.endRdn();
    i++;
  }
}

/** RFC 2253 allows 'OID.' / 'oid.' before a dotted OID. */
function isOidPrefix(bytes: Uint8Array, at: number): boolean {
  return (bytes[at]! | 0x20) === 0x6f && (bytes[at + 1]! | 0x20) === 0x69 && (bytes[at + 2]! | 0x20) === 0x64;
}

function scanOid(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  let arcLength = 0;
  let dots = 0;
  while (i < end) {
    const b = bytes[i]!;
    if (DIGIT[b] === 1) {
      arcLength++;
    } else if (b === DOT) {
      if (arcLength === 0) return fail(i, E_OID_EMPTY_ARC);
      arcLength = 0;
      dots++;
    } else {
      break;
    }
    i++;
  }
  if (arcLength === 0) {
    const b = i < end ? bytes[i]! : EQUALS;
    return fail(i, b === EQUALS || b === COMMA || b === PLUS ? E_OID_EMPTY_ARC : E_TYPE_CHAR);
  }
  if (dots === 0) return fail(start, E_OID_NOT_DOTTED);
  return i;
}

/**
 * A string value up to its terminating unescaped ',' or '+' (or the end); returns that position.
 * The unescaped byte stream must be UTF-8: a multi-byte sequence is either all raw bytes or all \XX escapes,
 * since a raw sequence interrupted by an escape (or the reverse) is not well-formed text on either side.
 */
function scanString(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  let need = 0;
  let lo = 0;
  let hi = 0;
  let fromEscape = false;
  while (i < end) {
    let b = bytes[i]!;
    if (need === 0) {
      // Fast path for the common run of plain ASCII characters.
      while (VALUE_CLASS[b] === C_PLAIN) {
        if (++i === end) return end;
        b = bytes[i]!;
      }
    } else if (b !== BACKSLASH) {
      if (fromEscape) return fail(i, E_ESCAPED_UTF8_INCOMPLETE);
      if (b < lo || b > hi) return fail(i, E_INVALID_UTF8);
      need--;
      lo = 0x80;
      hi = 0xbf;
      i++;
      continue;
    }
    switch (VALUE_CLASS[b]) {
      case C_PLAIN:
        i++;
        break;
      case C_TERMINATOR:
        return i;
      case C_FORBIDDEN:
        return fail(i, E_UNESCAPED_SPECIAL);
      case C_CONTROL:
        return fail(i, E_CONTROL);
      case C_NON_ASCII:
        if (b === C1_LEAD && i + 1 < end && bytes[i + 1]! <= C1_LAST && bytes[i + 1]! >= 0x80) {
          return fail(i, E_CONTROL);
        }
        need = UTF8_NEED[b]!;
        if (need === 0) return fail(i, E_INVALID_UTF8);
        lo = UTF8_LO[b]!;
        hi = UTF8_HI[b]!;
        fromEscape = false;
        i++;
        break;
      default: {
        if (need !== 0 && !fromEscape) return fail(i, E_INVALID_UTF8);
        if (i + 1 === end) return fail(i, E_UNTERMINATED_ESCAPE);
        const c = bytes[i + 1]!;
        const h1 = HEX[c]!;
        if (h1 < 0) {
          if (ESCAPABLE[c] !== 1) return fail(i, E_INVALID_ESCAPE);
          if (need !== 0) return fail(i, E_ESCAPED_UTF8_INCOMPLETE);
          i += 2;
          break;
        }
        if (i + 2 === end) return fail(i, E_UNTERMINATED_ESCAPE);
        const h2 = HEX[bytes[i + 2]!]!;
        if (h2 < 0) return fail(i, E_INVALID_HEX_ESCAPE);
        const v = (h1 << 4) | h2;
        if (need !== 0) {
          if (v < lo || v > hi) return fail(i, E_ESCAPED_UTF8);
          need--;
          lo = 0x80;
          hi = 0xbf;
        } else if (v >= 0x80) {
          need = UTF8_NEED[v]!;
          if (need === 0) return fail(i, E_ESCAPED_UTF8);
          lo = UTF8_LO[v]!;
          hi = UTF8_HI[v]!;
          fromEscape = true;
        }
        i += 3;
      }
    }
  }
  if (need !== 0) return fail(end, fromEscape ? E_ESCAPED_UTF8_INCOMPLETE : E_INVALID_UTF8);
  return end;
}

// Side channel for scanHex's tag and header length; a returned object would allocate on the hot path.
const derResult = new Int32Array(2);

const P_TAG = 0;
const P_TAG_NUMBER = 1;
const P_LENGTH = 2;
const P_LENGTH_OCTETS = 3;
const P_CONTENT = 4;
const P_DONE = 5;

const M_ANY = 0;
const M_UTF8 = 1;
const M_PRINTABLE = 2;
const M_IA5 = 3;
const M_VISIBLE = 4;
const M_BMP = 5;
const M_UNIVERSAL = 6;

/**
 * The hex digits after '#' up to the terminating ',' or '+' (or the end) must be exactly one DER TLV; string
 * types are checked against their character set. Returns the terminator position.
 */
function scanHex(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  let phase = P_TAG;
  let tag = 0;
  let header = 0;
  let lengthOctets = 0;
  let remaining = 0;
  let mode = M_ANY;
  let need = 0;
  let lo = 0;
  let hi = 0;
  let unit = 0;
  let unitBytes = 0;
  let highSurrogate = false;
  while (i < end) {
    const c = bytes[i]!;
    if (c === COMMA || c === PLUS) break;
    const h1 = HEX[c]!;
    if (h1 < 0) return fail(i, E_HEX_DIGIT);
    if (i + 1 === end) return fail(end, E_ODD_HEX);
    const c2 = bytes[i + 1]!;
    const h2 = HEX[c2]!;
    if (h2 < 0) return fail(i + 1, c2 === COMMA || c2 === PLUS ? E_ODD_HEX : E_HEX_DIGIT);
    const v = (h1 << 4) | h2;
    const at = i;
    i += 2;
    if (phase === P_CONTENT) {
      switch (mode) {
        case M_UTF8:
          if (need !== 0) {
            if (v < lo || v > hi) return fail(at, E_UTF8_STRING);
            need--;
            lo = 0x80;
            hi = 0xbf;
          } else if (v >= 0x80) {
            need = UTF8_NEED[v]!;
            if (need === 0) return fail(at, E_UTF8_STRING);
            lo = UTF8_LO[v]!;
            hi = UTF8_HI[v]!;
          }
          break;
        case M_PRINTABLE:
          if (PRINTABLE[v] !== 1) return fail(at, E_PRINTABLE);
          break;
        case M_IA5:
          if (v >= 0x80) return fail(at, E_IA5);
          break;
        case M_VISIBLE:
          if (v < 0x20 || v > 0x7e) return fail(at, E_VISIBLE);
          break;
        case M_BMP:
          if (unitBytes === 0) {
            unit = v;
            unitBytes = 1;
            break;
          }
          unit = unit * 256 + v;
          unitBytes = 0;
          if (unit >= 0xd800 && unit <= 0xdbff) {
            if (highSurrogate) return fail(at, E_BMP_SURROGATE);
            highSurrogate = true;
          } else if (unit >= 0xdc00 && unit <= 0xdfff) {
            if (!highSurrogate) return fail(at, E_BMP_SURROGATE);
            highSurrogate = false;
          } else if (highSurrogate) {
            return fail(at, E_BMP_SURROGATE);
          }
          break;
        case M_UNIVERSAL:
          unit = unit * 256 + v;
          if (++unitBytes === 4) {
            if (unit > 0x10ffff || (unit >= 0xd800 && unit <= 0xdfff)) return fail(at, E_UNIVERSAL_CHAR);
            unit = 0;
            unitBytes = 0;
          }
          break;
      }
      if (--remaining === 0) {
        if (need !== 0) return fail(at, E_UTF8_STRING);
        if (highSurrogate) return fail(at, E_BMP_SURROGATE);
        phase = P_DONE;
      }
      continue;
    }
    header++;
    switch (phase) {
      case P_TAG:
        tag = v;
        phase = (v & 0x1f) === 0x1f ? P_TAG_NUMBER : P_LENGTH;
        continue;
      case P_TAG_NUMBER:
        if ((v & 0x80) === 0) phase = P_LENGTH;
        continue;
      case P_LENGTH:
        if (v === 0x80) return fail(at, E_DER_INDEFINITE);
        if (v > 0x80) {
          lengthOctets = v & 0x7f;
          if (lengthOctets > 4) return fail(at, E_DER_LENGTH_SIZE);
          phase = P_LENGTH_OCTETS;
          continue;
        }
        remaining = v;
        break;
      case P_LENGTH_OCTETS:
        if (remaining === 0 && v === 0) return fail(at, E_DER_NON_MINIMAL);
        remaining = remaining * 256 + v;
        if (--lengthOctets !== 0) continue;
        if (remaining < 0x80) return fail(at, E_DER_NON_MINIMAL);
        break;
      default:
        return fail(at, E_DER_TRAILING);
    }
    // The length is complete.
    mode = contentMode(tag);
    if (mode === M_BMP && remaining % 2 !== 0) return fail(at, E_BMP_LENGTH);
    if (mode === M_UNIVERSAL && remaining % 4 !== 0) return fail(at, E_UNIVERSAL_LENGTH);
    phase = remaining === 0 ? P_DONE : P_CONTENT;
  }
  if (phase === P_TAG) return fail(i, E_EMPTY_HEX);
  if (phase !== P_DONE) return fail(i, E_DER_TRUNCATED);
  derResult[0] = tag;
  derResult[1] = header;
  return i;
}

function contentMode(tag: number): number {
  switch (tag) {
    case TAG_UTF8_STRING:
      return M_UTF8;
    case TAG_PRINTABLE_STRING:
      return M_PRINTABLE;
    case TAG_IA5_STRING:
      return M_IA5;
    case TAG_VISIBLE_STRING:
      return M_VISIBLE;
    case TAG_BMP_STRING:
      return M_BMP;
    case TAG_UNIVERSAL_STRING:
      return M_UNIVERSAL;
    default:
      // TeletexString is taken as latin1, so every byte is acceptable.
      return M_ANY;
  }
}

/**
 * Hot-path validator on UTF-8 bytes [start, end): null when the subject is well-formed (same rules as
 * parseSubject), else a reason like 'at 12: unterminated escape' with the byte offset relative to `start`.
 * Allocates nothing on the success path.
 */
export function checkSubjectBytes(bytes: Uint8Array, start: number, end: number): string | null {
  if (!(start >= 0 && start <= end && end <= bytes.length)) {
    throw new RangeError(`invalid range [${start}, ${end}) for ${bytes.length} bytes`);
  }
  const result = scan(bytes, start, end, null);
  if (result >= 0) return null;
  return `at ${failurePosition(result) - start}: ${failureReason(result)}`;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function asciiText(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let k = start; k < end; k++) text += String.fromCharCode(bytes[k]!);
  return text;
}

function unescapeValue(bytes: Uint8Array, start: number, end: number): string {
  const out = new Uint8Array(end - start);
  let n = 0;
  let k = start;
  while (k < end) {
    const b = bytes[k]!;
    if (b !== BACKSLASH) {
      out[n++] = b;
      k++;
    } else if (HEX[bytes[k + 1]!]! >= 0) {
      out[n++] = (HEX[bytes[k + 1]!]! << 4) | HEX[bytes[k + 2]!]!;
      k += 3;
    } else {
      out[n++] = bytes[k + 1]!;
      k += 2;
    }
  }
  return utf8Decoder.decode(out.subarray(0, n));
}

function decodeDerText(tag: number, content: Uint8Array): string {
  switch (tag) {
    case TAG_UTF8_STRING:
      return utf8Decoder.decode(content);
    case TAG_BMP_STRING: {
      let text = '';
      for (let k = 0; k + 1 < content.length; k += 2) {
        text += String.fromCharCode(content[k]! * 256 + content[k + 1]!);
      }
      return text;
    }
    case TAG_UNIVERSAL_STRING: {
      let text = '';
      for (let k = 0; k + 3 < content.length; k += 4) {
        text += String.fromCodePoint(
          content[k]! * 0x1000000 + content[k + 1]! * 0x10000 + content[k + 2]! * 0x100 + content[k + 3]!,
        );
      }
      return text;
    }
    default:
      return asciiText(content, 0, content.length);
  }
}

class RdnCollector implements ScanListener {
  readonly rdns: Rdn[] = [];
  private current: Rdn = [];

  constructor(private readonly bytes: Uint8Array) {}

  addAttribute(
    typeStart: number,
    typeEnd: number,
    valueStart: number,
    valueEnd: number,
    derTag: number,
    derHeader: number,
  ): void {
    const bytes = this.bytes;
    const type = asciiText(bytes, typeStart, typeEnd);
    if (derTag < 0) {
      this.current.push({ type, value: unescapeValue(bytes, valueStart, valueEnd) });
      return;
    }
    const written = asciiText(bytes, valueStart, valueEnd);
    if (!isTextTag(derTag)) {
      this.current.push({ type, value: written, der: { tag: derTag, decoded: false } });
      return;
    }
    const der = new Uint8Array((valueEnd - valueStart - 1) / 2);
    for (let k = 0; k < der.length; k++) {
      der[k] = (HEX[bytes[valueStart + 1 + 2 * k]!]! << 4) | HEX[bytes[valueStart + 2 + 2 * k]!]!;
    }
    const value = decodeDerText(derTag, der.subarray(derHeader));
    this.current.push({ type, value, der: { tag: derTag, decoded: true } });
  }

  endRdn(): void {
    this.rdns.push(this.current);
    this.current = [];
  }
}

/** Index of the first unpaired surrogate, or -1; such a string has no UTF-8 encoding. */
function findLoneSurrogate(text: string): number {
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const d = text.charCodeAt(k + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        k++;
        continue;
      }
    }
    return k;
  }
  return -1;
}

/** Maps a byte offset in the UTF-8 encoding of a well-formed string to its UTF-16 index. */
function charOffset(text: string, byteOffset: number): number {
  let bytes = 0;
  let k = 0;
  while (k < text.length && bytes < byteOffset) {
    const c = text.charCodeAt(k);
    if (c < 0x80) {
      bytes += 1;
      k += 1;
    } else if (c < 0x800) {
      bytes += 2;
      k += 1;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      k += 2;
    } else {
      bytes += 3;
      k += 1;
    }
  }
  return k;
}

/**
 * Parses an RFC 2253 subject. A string with an unpaired surrogate is rejected: it has no UTF-8 form, so
 * there are no bytes on which checkSubjectBytes could agree with it.
 */
export function parseSubject(text: string): SubjectParseResult {
  const lone = findLoneSurrogate(text);
  if (lone >= 0) return { ok: false, offset: lone, reason: REASONS[E_LONE_SURROGATE]! };
  const bytes = utf8Encoder.encode(text);
  const collector = new RdnCollector(bytes);
  const result = scan(bytes, 0, bytes.length, collector);
  if (result < 0) {
    return { ok: false, offset: charOffset(text, failurePosition(result)), reason: failureReason(result) };
  }
  return { ok: true, rdns: collector.rdns };
}

const ATTRIBUTE_NAMES: ReadonlyMap<string, string> = new Map([
  ['2.5.4.3', 'CN'],
  ['2.5.4.4', 'surname'],
  ['2.5.4.5', 'serialNumber'],
  ['2.5.4.6', 'C'],
  ['2.5.4.7', 'L'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.9', 'STREET'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['2.5.4.12', 'title'],
  ['2.5.4.13', 'description'],
  ['2.5.4.15', 'businessCategory'],
  ['2.5.4.16', 'postalAddress'],
  ['2.5.4.17', 'postalCode'],
  ['2.5.4.18', 'postOfficeBox'],
  ['2.5.4.41', 'name'],
  ['2.5.4.42', 'givenName'],
  ['2.5.4.43', 'initials'],
  ['2.5.4.44', 'generationQualifier'],
  ['2.5.4.45', 'x500UniqueIdentifier'],
  ['2.5.4.46', 'dnQualifier'],
  ['2.5.4.65', 'pseudonym'],
  ['2.5.4.97', 'organizationIdentifier'],
  ['0.9.2342.19200300.100.1.1', 'UID'],
  ['0.9.2342.19200300.100.1.25', 'DC'],
  ['1.2.840.113549.1.9.1', 'emailAddress'],
  ['1.2.840.113549.1.9.2', 'unstructuredName'],
  ['1.2.840.113549.1.9.8', 'unstructuredAddress'],
  ['1.3.6.1.4.1.311.60.2.1.1', 'jurisdictionLocalityName'],
  ['1.3.6.1.4.1.311.60.2.1.2', 'jurisdictionStateOrProvinceName'],
  ['1.3.6.1.4.1.311.60.2.1.3', 'jurisdictionCountryName'],
]);

/** RFC 2253 escaping, plus \XX for control characters so that the result stays on one readable line. */
function escapeValue(value: string): string {
  let out = '';
  const last = value.length - 1;
  for (let k = 0; k <= last; k++) {
    const ch = value[k]!;
    const c = value.charCodeAt(k);
    if (',+"\\<>;'.includes(ch)) out += `\\${ch}`;
    else if (c < 0x20 || c === 0x7f) out += `\\${c.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (ch === ' ' && (k === 0 || k === last)) out += '\\ ';
    else if (ch === '#' && k === 0) out += '\\#';
    else out += ch;
  }
  return out;
}

function displayAttribute(attribute: SubjectAttribute): string {
  const type = ATTRIBUTE_NAMES.get(attribute.type) ?? attribute.type;
  const value = attribute.der?.decoded === false ? attribute.value : escapeValue(attribute.value);
  return `${type}=${value}`;
}

/**
 * A readable form: known OIDs by name, #hex strings decoded, RFC 2253 escaping where needed, empty RDNs
 * dropped. Returns the input unchanged if it does not parse.
 */
export function displaySubject(text: string): string {
  const parsed = parseSubject(text);
  if (!parsed.ok) return text;
  return parsed.rdns
    .filter((rdn) => rdn.length > 0)
    .map((rdn) => rdn.map(displayAttribute).join('+'))
    .join(',');
}
