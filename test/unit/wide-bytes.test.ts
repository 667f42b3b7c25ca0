// The four-bytes-at-a-time comparisons (src/core/report/wide-bytes.ts) and Fingerprint.span agree
// with their byte-at-a-time definitions at every length, offset and differing position.
import { describe, expect, it } from 'vitest';
import { parseInstantAt, parseInstantBytes } from '../../src/core/instant.js';
import { Fingerprint } from '../../src/core/report/fingerprint.js';
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

  it('Fingerprint.span and Fingerprint.bytes equal the byte-at-a-time fingerprint at every length and offset', () => {
    // the fingerprint as first written, words assembled from four bytes: the values the index keeps
    const reference = (tag: number, buf: Uint8Array, start: number, end: number): number[] => {
      let a = Math.imul((0x811c9dc5 | 0) ^ tag, 0x01000193);
      let b = Math.imul((0x9747b28c | 0) ^ (tag + end - start), 0x5bd1e995);
      let i = start;
      for (const stop = end - 3; i < stop; i += 4) {
        const w = buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
        a = Math.imul(a ^ w, 0x01000193);
        a ^= a >>> 15;
        b = Math.imul(b ^ w, 0x5bd1e995);
        b ^= b >>> 13;
      }
      for (; i < end; i++) {
        a = Math.imul(a ^ buf[i]!, 0x01000193);
        b = Math.imul(b ^ buf[i]!, 0x5bd1e995);
        b ^= b >>> 13;
      }
      return [a, b];
    };
    for (let len = 0; len <= 40; len++) {
      for (let at = 0; at < 5; at++) {
        // a view into a larger buffer, so the DataView's offset matters
        const buf = bytesOf(at + len + 8).subarray(3);
        const a = new Fingerprint();
        const b = new Fingerprint();
        a.reset();
        b.reset();
        a.bytes(3, buf, at, at + len);
        b.span(3, new DataView(buf.buffer, buf.byteOffset, buf.byteLength), buf, at, at + len);
        expect([b.a, b.b]).toEqual([a.a, a.b]);
        expect([a.a, a.b]).toEqual(reference(3, buf, at, at + len));
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

  it('parseInstantAt equals parseInstantBytes on the usual form and every one-byte change of it', () => {
    const enc = new TextEncoder();
    const samples = [
      '2024-11-17T18:59:43+0000',
      '2034-02-28T23:59:59-1130',
      '2024-02-29T00:00:00+0000',
      '2023-02-29T00:00:00+0000',
      '1999-12-31T24:00:00+0000',
      '2018-02-26T18:39:57.123Z',
      '0000-01-01T00:00:00+2359',
    ];
    const replacements = [0x00, 0x2b, 0x2d, 0x2f, 0x30, 0x35, 0x39, 0x3a, 0x40, 0x54, 0x5a, 0x7f, 0xfa, 0xff];
    let compared = 0;
    for (const text of samples) {
      const value = enc.encode(text);
      for (let at = 0; at < 4; at++) {
        const buf = new Uint8Array(at + value.length + 2);
        buf.set(value, at);
        const dv = new DataView(buf.buffer);
        const check = () => {
          const want = parseInstantBytes(buf, at, at + value.length);
          expect(parseInstantAt(dv, buf, at, at + value.length)).toStrictEqual(want);
          compared++;
        };
        check();
        for (let k = 0; k < value.length; k++) {
          const was = buf[at + k]!;
          for (const r of replacements) {
            buf[at + k] = r;
            check();
          }
          buf[at + k] = was;
        }
      }
    }
    expect(compared).toBeGreaterThan(9000);
    // and the value itself
    const b = enc.encode('2024-11-17T18:59:43+0130');
    expect(parseInstantAt(new DataView(b.buffer), b, 0, b.length)).toBe(
      Date.parse('2024-11-17T18:59:43+01:30') / 1000,
    );
  });
});
