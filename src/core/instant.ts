/**
 * Instants, normalised at the edge to epoch seconds (UTC).
 *
 * Reports write `2018-02-26T18:39:57+0000`: an offset without a colon, which Date.parse only accepts
 * by leniency. This parser is strict and allocation-free: `YYYY-MM-DDTHH:MM:SS`, an optional
 * fraction, then `Z`, `±HHMM` or `±HH:MM`. Every field is range-checked (no 24:00, no Feb 30).
 */

const ZERO = 0x30;

function digits(bytes: Uint8Array, at: number, count: number): number {
  let v = 0;
  for (let i = 0; i < count; i++) {
    const d = bytes[at + i]! - ZERO;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Days from 1970-01-01 to the given civil date (proleptic Gregorian). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** digit value of a byte, -1 for any other byte: OR-ing values is negative when one is not a digit */
const DIGIT = new Int8Array(256).fill(-1);
for (let d = 0; d < 10; d++) DIGIT[ZERO + d] = d;

/**
 * The instant of the usual form's fields, once both readers below have checked its shape and digits:
 * epoch seconds, or NaN for a value out of range (month 13, February 30, hour 24, offset +2400).
 * `sign` is the offset's sign byte ('+' or '-').
 */
function usualInstant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  sign: number,
  oh: number,
  om: number,
): number {
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    oh > 23 ||
    om > 59
  ) {
    return Number.NaN;
  }
  const offsetMinutes = (sign === 0x2b ? 1 : -1) * (oh * 60 + om);
  return daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60;
}

/**
 * The form AWS writes, `YYYY-MM-DDTHH:MM:SS+HHMM` (24 bytes, either sign): the digits read at once.
 * NaN for any other form or an invalid value, which parseInstantBytes then reads the long way.
 */
function parseUsualInstant(b: Uint8Array, s: number): number {
  const y0 = DIGIT[b[s]!]!;
  const y1 = DIGIT[b[s + 1]!]!;
  const y2 = DIGIT[b[s + 2]!]!;
  const y3 = DIGIT[b[s + 3]!]!;
  const mo0 = DIGIT[b[s + 5]!]!;
  const mo1 = DIGIT[b[s + 6]!]!;
  const d0 = DIGIT[b[s + 8]!]!;
  const d1 = DIGIT[b[s + 9]!]!;
  const h0 = DIGIT[b[s + 11]!]!;
  const h1 = DIGIT[b[s + 12]!]!;
  const mi0 = DIGIT[b[s + 14]!]!;
  const mi1 = DIGIT[b[s + 15]!]!;
  const s0 = DIGIT[b[s + 17]!]!;
  const s1 = DIGIT[b[s + 18]!]!;
  const oh0 = DIGIT[b[s + 20]!]!;
  const oh1 = DIGIT[b[s + 21]!]!;
  const om0 = DIGIT[b[s + 22]!]!;
  const om1 = DIGIT[b[s + 23]!]!;
  const sign = b[s + 19];
  if (
    (y0 | y1 | y2 | y3 | mo0 | mo1 | d0 | d1 | h0 | h1 | mi0 | mi1 | s0 | s1 | oh0 | oh1 | om0 | om1) < 0 ||
    b[s + 4] !== 0x2d ||
    b[s + 7] !== 0x2d ||
    b[s + 10] !== 0x54 ||
    b[s + 13] !== 0x3a ||
    b[s + 16] !== 0x3a ||
    (sign !== 0x2b && sign !== 0x2d)
  ) {
    return Number.NaN;
  }
  return usualInstant(
    y0 * 1000 + y1 * 100 + y2 * 10 + y3,
    mo0 * 10 + mo1,
    d0 * 10 + d1,
    h0 * 10 + h1,
    mi0 * 10 + mi1,
    s0 * 10 + s1,
    sign,
    oh0 * 10 + oh1,
    om0 * 10 + om1,
  );
}

/** Whether each of the four bytes of w is an ASCII digit (exact: see the proof in parseUsualInstantAt). */
function allDigits(w: number): boolean {
  return ((w & 0xf0f0f0f0) | (((w + 0x06060606) & 0xf0f0f0f0) >>> 4)) === 0x33333333;
}

/**
 * parseUsualInstant with the 24 bytes read as six little-endian words of dv (a DataView of the
 * same bytes): six loads instead of twenty-four, the digits checked four at a time. Same result
 * for every input.
 *
 * allDigits: a byte is a digit when its high nibble is 3 and adding 6 keeps it 3 (low nibble ≤ 9).
 * A byte whose high nibble is not 3 fails the first half already, and only such a byte (≥ 0xfa)
 * can carry into the next one, so no carry can make another byte pass.
 */
function parseUsualInstantAt(dv: DataView, s: number): number {
  const w0 = dv.getUint32(s, true); // YYYY
  const w1 = dv.getUint32(s + 4, true); // -MM-
  const w2 = dv.getUint32(s + 8, true); // DDTH
  const w3 = dv.getUint32(s + 12, true); // H:MM
  const w4 = dv.getUint32(s + 16, true); // :SS±
  const w5 = dv.getUint32(s + 20, true); // HHMM
  const sign = w4 >>> 24;
  if (
    (w1 & 0xff0000ff) !== 0x2d00002d ||
    ((w2 >>> 16) & 0xff) !== 0x54 ||
    ((w3 >>> 8) & 0xff) !== 0x3a ||
    (w4 & 0xff) !== 0x3a ||
    (sign !== 0x2b && sign !== 0x2d) ||
    !allDigits(w0) ||
    !allDigits(w5) ||
    // the separators replaced by '0' to check the digits around them
    !allDigits((w1 & 0x00ffff00) | 0x30000030) ||
    !allDigits((w2 & 0xff00ffff) | 0x00300000) ||
    !allDigits((w3 & 0xffff00ff) | 0x00003000) ||
    !allDigits((w4 & 0x00ffff00) | 0x30000030)
  ) {
    return Number.NaN;
  }
  const d = (w: number, k: number) => ((w >>> (8 * k)) & 0xf) as number;
  return usualInstant(
    d(w0, 0) * 1000 + d(w0, 1) * 100 + d(w0, 2) * 10 + d(w0, 3),
    d(w1, 1) * 10 + d(w1, 2),
    d(w2, 0) * 10 + d(w2, 1),
    d(w2, 3) * 10 + d(w3, 0),
    d(w3, 2) * 10 + d(w3, 3),
    d(w4, 1) * 10 + d(w4, 2),
    sign,
    d(w5, 0) * 10 + d(w5, 1),
    d(w5, 2) * 10 + d(w5, 3),
  );
}

/**
 * parseInstantBytes(bytes, start, end), with dv a DataView of bytes: the usual form read a word at
 * a time (see parseUsualInstantAt).
 */
export function parseInstantAt(dv: DataView, bytes: Uint8Array, start: number, end: number): number {
  if (end - start === 24) {
    const v = parseUsualInstantAt(dv, start);
    if (!Number.isNaN(v)) return v;
  }
  return parseInstantBytes(bytes, start, end);
}

/** Epoch seconds of the instant in bytes[start, end), or NaN when it is not a valid instant. */
export function parseInstantBytes(bytes: Uint8Array, start: number, end: number): number {
  if (end - start === 24) {
    const v = parseUsualInstant(bytes, start);
    if (!Number.isNaN(v)) return v;
  }
  if (end - start < 20) return Number.NaN;
  const year = digits(bytes, start, 4);
  if (year < 0 || bytes[start + 4] !== 0x2d) return Number.NaN;
  const month = digits(bytes, start + 5, 2);
  if (month < 1 || month > 12 || bytes[start + 7] !== 0x2d) return Number.NaN;
  const day = digits(bytes, start + 8, 2);
  if (day < 1 || day > daysInMonth(year, month) || bytes[start + 10] !== 0x54) return Number.NaN;
  const hour = digits(bytes, start + 11, 2);
  if (hour < 0 || hour > 23 || bytes[start + 13] !== 0x3a) return Number.NaN;
  const minute = digits(bytes, start + 14, 2);
  if (minute < 0 || minute > 59 || bytes[start + 16] !== 0x3a) return Number.NaN;
  const second = digits(bytes, start + 17, 2);
  if (second < 0 || second > 59) return Number.NaN;
  let p = start + 19;
  let fraction = 0;
  if (bytes[p] === 0x2e) {
    p++;
    let scale = 0.1;
    const first = p;
    while (p < end) {
      const d = bytes[p]! - ZERO;
      if (d < 0 || d > 9) break;
      fraction += d * scale;
      scale /= 10;
      p++;
    }
    if (p === first) return Number.NaN;
  }
  let offsetMinutes = 0;
  const sign = bytes[p];
  if (sign === 0x5a) {
    p++;
  } else if (sign === 0x2b || sign === 0x2d) {
    const oh = digits(bytes, p + 1, 2);
    let om: number;
    if (bytes[p + 3] === 0x3a) {
      om = digits(bytes, p + 4, 2);
      p += 6;
    } else {
      om = digits(bytes, p + 3, 2);
      p += 5;
    }
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN;
    offsetMinutes = (sign === 0x2b ? 1 : -1) * (oh * 60 + om);
  } else {
    return Number.NaN;
  }
  if (p !== end) return Number.NaN;
  return (
    daysFromCivil(year, month, day) * 86400 +
    hour * 3600 +
    minute * 60 +
    second -
    offsetMinutes * 60 +
    fraction
  );
}

const ENCODER = new TextEncoder();

/** room for the usual form, copied from a string without encoding it */
const USUAL = new Uint8Array(24);

export function parseInstant(text: string): number {
  if (text.length === 24) {
    let i = 0;
    for (; i < 24; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) break;
      USUAL[i] = c;
    }
    const t = i === 24 ? parseUsualInstant(USUAL, 0) : Number.NaN;
    if (!Number.isNaN(t)) return t;
  }
  const bytes = ENCODER.encode(text);
  return parseInstantBytes(bytes, 0, bytes.length);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Epoch seconds → `2018-02-26T18:39:57Z` (fractions kept only when present). */
export function formatInstant(epochSeconds: number): string {
  // milliseconds first, so that .9996 s carries into the seconds
  const totalMs = Math.round(epochSeconds * 1000);
  const whole = Math.floor(totalMs / 1000);
  const ms = totalMs - whole * 1000;
  const days = Math.floor(whole / 86400);
  let rem = whole - days * 86400;
  // civil from days (Howard Hinnant's algorithm)
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(rem / 3600);
  rem -= hour * 3600;
  const minute = Math.floor(rem / 60);
  const second = rem - minute * 60;
  const fracText = ms > 0 ? `.${ms.toString().padStart(3, '0').replace(/0+$/, '')}` : '';
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${fracText}Z`;
}
