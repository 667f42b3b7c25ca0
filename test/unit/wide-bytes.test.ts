// The four-bytes-at-a-time comparisons (src/core/report/wide-bytes.ts) and Fingerprint.span agree
// with their byte-at-a-time definitions at every length, offset and differing position.
import { describe, expect, it } from 'vitest';
import { Fingerprint } from '../../src/core/fingerprint.js';
import { isLowerHexAt, sameAsWords, ViewCache, wordsOf } from '../../src/core/report/wide-bytes.js';
import { rng } from '../builders.js';

const hex = (octets: Uint8Array) => Array.from(octets, (o) => o.toString(16).padStart(2, '0')).join('');

describe('wide-bytes', () => {
  const random = rng(17);
  const bytesOf = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));

  it('sameAsWords: equal spans at every length and offset, and a change at any position is seen', () => {
    for (let len = 0; len <= 40; len++) {
      const value = bytesOf(len);
      const words = wordsOf(value);
      expect(words.length).toBe(len >> 2);
      for (let at = 0; at < 6; at++) {
        const buf = bytesOf(at + len + 3);
        buf.set(value, at);
        const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
        expect(sameAsWords(dv, at, value, words)).toBe(true);
        for (let k = 0; k < len; k++) {
          buf[at + k]! ^= 0x20;
          expect(sameAsWords(dv, at, value, words)).toBe(false);
          buf[at + k]! ^= 0x20;
        }
      }
    }
  });

  it('isLowerHexAt: the lowercase hex of 0 to 40 octets at any offset; uppercase or a change refused', () => {
    for (let len = 0; len <= 40; len++) {
      const octets = bytesOf(len);
      const text = new TextEncoder().encode(hex(octets));
      for (let at = 0; at < 5; at++) {
        const buf = new Uint8Array(at + text.length + 2);
        buf.set(text, at);
        const dv = new DataView(buf.buffer);
        expect(isLowerHexAt(dv, at, octets, 0, len)).toBe(true);
        for (let k = 0; k < text.length; k++) {
          const was = buf[at + k]!;
          buf[at + k] = was >= 0x61 ? was - 0x20 : was === 0x30 ? 0x31 : 0x30;
          expect(isLowerHexAt(dv, at, octets, 0, len)).toBe(false);
          buf[at + k] = was;
        }
      }
    }
  });

  it('Fingerprint.span equals Fingerprint.bytes at every length and offset', () => {
    for (let len = 0; len <= 40; len++) {
      for (let at = 0; at < 5; at++) {
        const buf = bytesOf(at + len + 4);
        const a = new Fingerprint();
        const b = new Fingerprint();
        a.reset();
        b.reset();
        a.bytes(3, buf, at, at + len);
        b.span(3, new DataView(buf.buffer, buf.byteOffset, buf.byteLength), buf, at, at + len);
        expect([b.a, b.b]).toEqual([a.a, a.b]);
      }
    }
  });

  it('ViewCache: one DataView per buffer, a new one for another buffer or range', () => {
    const cache = new ViewCache();
    const whole = bytesOf(16);
    const part = whole.subarray(4, 12);
    const first = cache.of(whole);
    expect(cache.of(whole)).toBe(first);
    const other = cache.of(part);
    expect(other).not.toBe(first);
    expect(other.byteOffset).toBe(4);
    expect(other.getUint8(0)).toBe(whole[4]);
  });
});
