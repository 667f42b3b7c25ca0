import { describe, expect, it } from 'vitest';
import {
  displaySerial,
  formatSerial,
  hexValue,
  octetsToHex,
  parseSerial,
  serialErrorReason,
  writeSerialOctets,
} from '../../src/core/report/serial.js';

import { rng } from '../builders.js';

const encoder = new TextEncoder();

/** writeSerialOctets over the whole text: the hex of the octets, or the negative code. */
function octets(text: string): string | number {
  const bytes = encoder.encode(text);
  const out = new Uint8Array(bytes.length + 1);
  const n = writeSerialOctets(bytes, 0, bytes.length, out, 0);
  return n < 0 ? n : octetsToHex(out, 0, n);
}

function hexOf(text: string): string {
  const r = parseSerial(text);
  if (!r.ok) throw new Error(`${text}: ${r.reason}`);
  return r.hex;
}

const TOO_SHORT = -1;
const NOT_HEX = -2;
const BAD_GROUP = -3;

describe('parseSerial: every way a serial is written normalises to one value', () => {
  const canonical = 'e8cbd2a1000f';
  it.each([
    ['the report colon form', 'e8:cb:d2:a1:00:0f'],
    ['no colons (the ARN suffix)', 'e8cbd2a1000f'],
    ['uppercase without colons (the CRL)', 'E8CBD2A1000F'],
    ['uppercase with colons (openssl)', 'E8:CB:D2:A1:00:0F'],
    ['openssl sign octet 00 with colons', '00:e8:cb:d2:a1:00:0f'],
    ['openssl sign octet 00 uppercase', '00:E8:CB:D2:A1:00:0F'],
    ['sign octet without colons', '00e8cbd2a1000f'],
    ['several leading zero octets', '00:00:00:e8:cb:d2:a1:00:0f'],
    ['mixed case', 'e8:Cb:D2:a1:00:0F'],
    ['surrounding whitespace', '  e8:cb:d2:a1:00:0f\n'],
  ])('%s', (_name, text) => {
    expect(parseSerial(text)).toEqual({ ok: true, hex: canonical });
  });

  it('keeps zero octets inside the serial (only leading ones are dropped)', () => {
    expect(hexOf('01:00:00:02')).toBe('01000002');
    expect(hexOf('10:00')).toBe('1000');
  });

  it('left-pads odd-length plain hex', () => {
    expect(hexOf('abc')).toBe('0abc');
    expect(hexOf('f')).toBe('0f');
    expect(hexOf('00abc')).toBe('0abc');
    expect(hexOf('1')).toBe('01');
  });

  it('the zero serial keeps one octet, however written', () => {
    for (const zero of ['0', '00', '00:00', '000', '0000000000', '00:00:00:00']) {
      expect(hexOf(zero), zero).toBe('00');
    }
  });

  it('a 20-octet serial (the RFC 5280 maximum) round-trips', () => {
    const colon = '7f:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13';
    expect(formatSerial(hexOf(colon))).toBe(colon);
  });
});

describe('parseSerial errors', () => {
  it.each([
    ['empty', '', TOO_SHORT],
    ['only whitespace', '   ', TOO_SHORT],
    ['non-hex plain', 'e8cbzz', NOT_HEX],
    ['0x prefix', '0xe8cb', NOT_HEX],
    ['non-hex in a group', 'e8:zz:d2', NOT_HEX],
    ['non-ASCII', 'é8cb', NOT_HEX],
    ['a single-digit group', 'e8:c:d2', BAD_GROUP],
    ['a three-digit group', 'e8:cbd:d2', BAD_GROUP],
    ['trailing colon', 'e8:cb:', BAD_GROUP],
    ['leading colon', ':e8:cb', BAD_GROUP],
    ['double colon', 'e8::cb', BAD_GROUP],
    ['a lone colon', ':', BAD_GROUP],
    ['odd tail after colon', 'e8:c', BAD_GROUP],
    ['colon form mixed with plain', 'e8cb:d2', BAD_GROUP],
    ['a dash where a colon belongs', 'e8-cb:d2', NOT_HEX],
  ])('%s', (_name, text, code) => {
    expect(octets(text.trim())).toBe(code);
    const r = parseSerial(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe(serialErrorReason(code));
  });

  it('each error code has its own reason', () => {
    const reasons = new Set([TOO_SHORT, NOT_HEX, BAD_GROUP].map(serialErrorReason));
    expect(reasons.size).toBe(3);
  });
});

describe('writeSerialOctets', () => {
  it('reads only bytes[start, end) and writes at outOffset', () => {
    const bytes = encoder.encode('xx"00:e8:cb"yy');
    const out = new Uint8Array(16).fill(0xaa);
    const n = writeSerialOctets(bytes, 3, 11, out, 5);
    expect(n).toBe(2);
    expect([...out.subarray(4, 8)]).toEqual([0xaa, 0xe8, 0xcb, 0xaa]);
  });

  it('returns TOO_SHORT for an empty span', () => {
    expect(writeSerialOctets(new Uint8Array(4), 2, 2, new Uint8Array(4), 0)).toBe(TOO_SHORT);
  });
});

describe('formatSerial and hex helpers', () => {
  it('joins octets with colons', () => {
    expect(formatSerial('e8cbd2')).toBe('e8:cb:d2');
    expect(formatSerial('00')).toBe('00');
    expect(formatSerial('')).toBe('');
  });

  it('formatSerial(parseSerial(x)) is the report colon form', () => {
    expect(formatSerial(hexOf('00:E8:CB:D2'))).toBe('e8:cb:d2');
    expect(formatSerial(hexOf('8C958E28'))).toBe('8c:95:8e:28');
  });

  it('hexValue and octetsToHex', () => {
    expect(hexValue(0x30)).toBe(0);
    expect(hexValue(0x46)).toBe(15);
    expect(hexValue(0x66)).toBe(15);
    expect(hexValue(0x67)).toBe(-1);
    expect(hexValue(0x3a)).toBe(-1);
    expect(octetsToHex(Uint8Array.of(0, 1, 0xab, 0xff), 1, 4)).toBe('01abff');
  });

  it('every octet value round-trips through colon form and plain form', () => {
    for (let b = 0; b < 256; b++) {
      const hex = `7f${b.toString(16).padStart(2, '0')}`;
      expect(hexOf(formatSerial(hex))).toBe(hex);
      expect(hexOf(hex.toUpperCase())).toBe(hex);
    }
  });
});

describe('displaySerial', () => {
  it('returns the colon form as the slow path (parse, then format) does, for random serials in every form', () => {
    const r = rng(43);
    const digits = '0123456789abcdefABCDEF: g';
    for (let k = 0; k < 20000; k++) {
      const octets = Array.from({ length: 1 + Math.floor(r() * 20) }, () =>
        Math.floor(r() * (r() < 0.2 ? 2 : 256)),
      );
      let text = octets.map((o) => o.toString(16).padStart(2, '0')).join(r() < 0.7 ? ':' : '');
      if (r() < 0.2) text = text.toUpperCase();
      if (r() < 0.2) {
        const at = Math.floor(r() * text.length);
        text = text.slice(0, at) + digits[Math.floor(r() * digits.length)] + text.slice(at + 1);
      }
      const parsed = parseSerial(text);
      expect(displaySerial(text), text).toBe(parsed.ok ? formatSerial(parsed.hex) : undefined);
    }
  });
});
