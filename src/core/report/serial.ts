/**
 * Certificate serial numbers, normalised once at the edge.
 *
 * The canonical form is lowercase hex of the unsigned magnitude: no separators, no leading zero
 * octets (a lone `00` for the zero serial). Reports show the same octets colon-separated; the ARN
 * shows them without colons; openssl and CRLs print them uppercase, openssl with a `00` sign octet
 * when the high bit is set. All of these normalise to one value.
 */

export type SerialParseResult = { ok: true; hex: string } | { ok: false; reason: string };

const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[0x41 + i] = 10 + i;
  HEX_VALUE[0x61 + i] = 10 + i;
}
/** hex digit value of a byte, or -1 */
export function hexValue(byte: number): number {
  return HEX_VALUE[byte] ?? -1;
}

const COLON = 0x3a;
const SERIAL_TOO_SHORT = -1;
const SERIAL_NOT_HEX = -2;
const SERIAL_BAD_GROUP = -3;

/**
 * Writes the magnitude octets of the serial in bytes[start, end) to out at outOffset; returns their
 * count, or a negative code (see serialErrorReason). Accepts `e8:cb:...` (groups of two hex digits,
 * either case) or plain hex of any length (odd lengths are left-padded). Allocation-free: this runs
 * once per record.
 */
export function writeSerialOctets(
  bytes: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  outOffset: number,
): number {
  if (end <= start) return SERIAL_TOO_SHORT;
  let colons = false;
  for (let i = start; i < end; i++) {
    if (bytes[i] === COLON) {
      colons = true;
      break;
    }
  }
  let n = 0;
  if (colons) {
    // groups of exactly two digits separated by single colons
    let i = start;
    for (;;) {
      if (i + 2 > end) return SERIAL_BAD_GROUP;
      const hi = HEX_VALUE[bytes[i]!]!;
      const lo = HEX_VALUE[bytes[i + 1]!]!;
      if (hi < 0 || lo < 0) return hi < 0 && bytes[i] !== COLON ? SERIAL_NOT_HEX : SERIAL_BAD_GROUP;
      const octet = (hi << 4) | lo;
      if (octet !== 0 || n !== 0) out[outOffset + n++] = octet;
      i += 2;
      if (i === end) break;
      if (bytes[i] !== COLON) return HEX_VALUE[bytes[i]!]! < 0 ? SERIAL_NOT_HEX : SERIAL_BAD_GROUP;
      i++;
    }
  } else {
    let i = start;
    if ((end - start) & 1) {
      const v = HEX_VALUE[bytes[i]!]!;
      if (v < 0) return SERIAL_NOT_HEX;
      if (v !== 0) out[outOffset + n++] = v;
      i++;
    }
    for (; i < end; i += 2) {
      const hi = HEX_VALUE[bytes[i]!]!;
      const lo = HEX_VALUE[bytes[i + 1]!]!;
      if (hi < 0 || lo < 0) return SERIAL_NOT_HEX;
      const octet = (hi << 4) | lo;
      if (octet !== 0 || n !== 0) out[outOffset + n++] = octet;
    }
  }
  if (n === 0) out[outOffset + n++] = 0; // the zero serial keeps one octet
  return n;
}

export function serialErrorReason(code: number): string {
  switch (code) {
    case SERIAL_TOO_SHORT:
      return 'is empty';
    case SERIAL_NOT_HEX:
      return 'is not hexadecimal';
    default:
      return 'is not colon-separated pairs of hex digits';
  }
}

const TEXT_ENCODER = new TextEncoder();

/** Parses a serial written in any of the usual ways (see the module comment). */
export function parseSerial(text: string): SerialParseResult {
  const trimmed = text.trim();
  const bytes = TEXT_ENCODER.encode(trimmed);
  const out = new Uint8Array(bytes.length);
  const n = writeSerialOctets(bytes, 0, bytes.length, out, 0);
  if (n < 0) return { ok: false, reason: serialErrorReason(n) };
  return { ok: true, hex: octetsToHex(out, 0, n) };
}

const HEX_DIGITS = '0123456789abcdef';

export function octetsToHex(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    s += HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!;
  }
  return s;
}

/** Canonical hex (see parseSerial) → its octets. */
export function hexToOctets(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++)
    out[i] = (hexValue(hex.charCodeAt(2 * i)) << 4) | hexValue(hex.charCodeAt(2 * i + 1));
  return out;
}

/** The colon form of a canonical serial: lowercase pairs, no leading zero octet. */
const COLON_FORM = /^(?!00)[0-9a-f]{2}(?::[0-9a-f]{2})*$/;

/**
 * A serial as outputs show it (the colon form of its canonical hex), or undefined when it does
 * not parse. A serial already in that form, as reports write it, is returned as it is.
 */
export function displaySerial(text: string): string | undefined {
  if (COLON_FORM.test(text)) return text;
  const serial = parseSerial(text);
  return serial.ok ? formatSerial(serial.hex) : undefined;
}

/** `e8cbd2` → `e8:cb:d2`, the form reports use. */
export function formatSerial(hex: string): string {
  let s = '';
  for (let i = 0; i < hex.length; i += 2) s += (i === 0 ? '' : ':') + hex.slice(i, i + 2);
  return s;
}
