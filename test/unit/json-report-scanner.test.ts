import { describe, expect, it } from 'vitest';
import {
  FIELD_NAMES,
  KIND_NOT_STRING,
  KIND_STRING,
  type RecordView,
} from '../../src/core/report/audit-record.js';
import { JsonReportScanner } from '../../src/core/report/json-report-scanner.js';
import { ReportSyntaxError } from '../../src/core/report/report-syntax-error.js';
import { aRecord, aSerial, rng, splitBytes, toJsonReport, utf8 } from '../builders.js';

interface Row {
  /** known fields whose JSON value is a string */
  fields: Record<string, string>;
  /** known fields whose JSON value is neither a string nor null */
  notString: string[];
  offset: number;
  line: number;
}

const CHUNKINGS: ReadonlyArray<number | readonly number[]> = [
  1,
  7,
  64,
  4096,
  Number.POSITIVE_INFINITY,
  [3, 1, 250, 2],
];

function scan(text: string | Uint8Array, sizes: number | readonly number[]): { rows: Row[]; seen: number[] } {
  const rows: Row[] = [];
  const scanner = new JsonReportScanner((view: RecordView) => {
    const fields: Record<string, string> = {};
    const notString: string[] = [];
    FIELD_NAMES.forEach((name, f) => {
      if (view.kind[f] === KIND_STRING) fields[name] = view.text(f)!;
      else if (view.kind[f] === KIND_NOT_STRING) notString.push(name);
    });
    rows.push({ fields, notString, offset: view.offset, line: view.line });
  });
  const bytes = typeof text === 'string' ? utf8(text) : text;
  for (const chunk of splitBytes(bytes, sizes)) scanner.push(chunk);
  scanner.end();
  return { rows, seen: [...scanner.seenFields].sort((a, b) => a - b) };
}

/** What JSON.parse says the rows are: known fields with string values; null and other values left out. */
function reference(text: string): Array<Pick<Row, 'fields' | 'notString'>> {
  const parsed = JSON.parse(text) as Array<Record<string, unknown>>;
  return parsed.map((obj) => {
    const fields: Record<string, string> = {};
    const notString: string[] = [];
    for (const name of FIELD_NAMES) {
      if (!Object.hasOwn(obj, name)) continue;
      const v = obj[name];
      if (typeof v === 'string') fields[name] = v;
      else if (v !== null) notString.push(name);
    }
    return { fields, notString };
  });
}

function syntaxError(text: string | Uint8Array, sizes: number | readonly number[]): ReportSyntaxError {
  try {
    scan(text, sizes);
  } catch (err) {
    if (err instanceof ReportSyntaxError) return err;
    throw err;
  }
  throw new Error(`scanned without error: ${String(text).slice(0, 80)}`);
}

/** The error of text, which must be the same (line and byte) however the input is chunked. */
function errorOf(text: string | Uint8Array): { line: number; byte: number } {
  const first = syntaxError(text, Number.POSITIVE_INFINITY);
  for (const sizes of CHUNKINGS) {
    const e = syntaxError(text, sizes);
    expect({ line: e.line, byte: e.byte }, `chunking ${String(sizes)}`).toEqual({
      line: first.line,
      byte: first.byte,
    });
  }
  return { line: first.line, byte: first.byte };
}

// ---- a JSON writer with random (valid) choices ----

const SUBJECTS = [
  'CN=orders-api.prod.eu-west-1.example.internal,OU=Commerce,O=Example Corp,L=Dublin,C=IE',
  'CN=sftp.partner.example.net,OU=B2B Integrations,O=Example\\, Ltd.,L=London,C=GB',
  '1.2.840.113549.1.9.1=#16167372652d6f6e63616c6c406578616d706c652e636f6d,,OU=Site Reliability,O=Example Corp,C=IE',
  '1.2.840.113549.1.9.1=#16166b692d61646d696e73406578616d706c652e636f6d,CN=PKI Administrators,O=Example Corp',
  'CN=café-münchen,O=Société Générale,C=FR',
  'CN=日本語のサービス,O=例,C=JP',
  'CN=emoji 😀 service,O=Example Corp',
  'CN=say \\"hi\\",O=Quotes\\; Inc.',
  'CN=back\\\\slash/forward,O=Example',
  'CN=tab\there,O=Control',
  '',
];

const UNKNOWN_VALUES: unknown[] = [
  { nested: { deeper: [1, 2, { x: 'y' }], flag: true }, n: null },
  [1, 'two', [3, [4]], { five: 5 }, null, false],
  -12.5e3,
  0,
  true,
  false,
  null,
  'a string with \\ and " and \n',
  { '': '' },
  [],
  {},
  1e-7,
];

type Gen = () => number;

const pick = <T>(r: Gen, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;

function ws(r: Gen, style: 'compact' | 'spaced'): string {
  if (style === 'compact') return r() < 0.1 ? ' ' : '';
  return pick(r, ['', ' ', '\n', '\t', '\r\n', '  \n    ', ' \t ']);
}

function hex4(n: number, upper: boolean): string {
  const h = n.toString(16).padStart(4, '0');
  return upper ? h.toUpperCase() : h;
}

/** A JSON string literal for s, escaping at random where JSON allows it. */
function jsonString(r: Gen, s: string, escapeRate: number): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (cp < 0x20) {
      const short: Record<string, string> = {
        '\n': '\\n',
        '\t': '\\t',
        '\r': '\\r',
        '\b': '\\b',
        '\f': '\\f',
      };
      out += short[ch] !== undefined && r() < 0.7 ? short[ch] : `\\u${hex4(cp, r() < 0.5)}`;
    } else if (r() < escapeRate) {
      if (ch === '/' && r() < 0.5) out += '\\/';
      else if (cp > 0xffff) {
        const hi = 0xd800 + ((cp - 0x10000) >> 10);
        const lo = 0xdc00 + ((cp - 0x10000) & 0x3ff);
        out += `\\u${hex4(hi, r() < 0.5)}\\u${hex4(lo, r() < 0.5)}`;
      } else out += `\\u${hex4(cp, r() < 0.5)}`;
    } else out += ch;
  }
  return `${out}"`;
}

function jsonValue(r: Gen, v: unknown, style: 'compact' | 'spaced', escapeRate: number): string {
  if (typeof v === 'string') return jsonString(r, v, escapeRate);
  if (Array.isArray(v)) {
    const inner = v.map((x) => ws(r, style) + jsonValue(r, x, style, escapeRate) + ws(r, style));
    return `[${inner.join(',') || ws(r, style)}]`;
  }
  if (v !== null && typeof v === 'object') {
    const inner = Object.entries(v).map(
      ([k, x]) =>
        `${ws(r, style)}${jsonString(r, k, escapeRate)}${ws(r, style)}:${ws(r, style)}${jsonValue(r, x, style, escapeRate)}${ws(r, style)}`,
    );
    return `{${inner.join(',') || ws(r, style)}}`;
  }
  return JSON.stringify(v);
}

function generatedRecord(r: Gen, n: number): Array<[string, unknown]> {
  const serial = aSerial(n);
  const base = aRecord({
    serial,
    subject: pick(r, SUBJECTS),
    ...(r() < 0.3 ? { requestedByServicePrincipal: 'acm.amazonaws.com' } : {}),
    ...(r() < 0.2
      ? { revokedAt: '2026-05-01T10:00:00+0000', revocationReason: pick(r, ['KEY_COMPROMISE', 'SUPERSEDED']) }
      : {}),
    ...(r() < 0.1 ? { templateArn: undefined } : {}),
  });
  const entries: Array<[string, unknown]> = Object.entries(base);
  // null for a known field: absent
  if (r() < 0.15)
    entries.push([pick(r, ['revokedAt', 'revocationReason', 'requestedByServicePrincipal']), null]);
  // a known field holding something other than a string
  if (r() < 0.05)
    entries.push([
      pick(r, ['requestedByServicePrincipal', 'revocationReason']),
      pick(r, [7, true, { a: 1 }, [1]]),
    ]);
  // unknown keys with every kind of value
  const unknown = Math.floor(r() * 4);
  for (let k = 0; k < unknown; k++)
    entries.push([pick(r, ['extra', 'tags', 'meta', 'x-amz-note', 'Serial']), pick(r, UNKNOWN_VALUES)]);
  // keys in random order (a repeated key keeps its last value, as JSON.parse does)
  for (let k = entries.length - 1; k > 0; k--) {
    const j = Math.floor(r() * (k + 1));
    [entries[k], entries[j]] = [entries[j]!, entries[k]!];
  }
  return entries;
}

function generatedReport(
  seed: number,
  count: number,
  style: 'compact' | 'spaced',
  escapeRate: number,
): string {
  const r = rng(seed);
  const rows = Array.from({ length: count }, (_v, i) => {
    const entries = generatedRecord(r, seed * 1000 + i);
    const inner = entries.map(
      ([k, v]) =>
        `${ws(r, style)}${jsonString(r, k, escapeRate / 4)}${ws(r, style)}:${ws(r, style)}${jsonValue(r, v, style, escapeRate)}${ws(r, style)}`,
    );
    return `${ws(r, style)}{${inner.join(',')}}${ws(r, style)}`;
  });
  return `${ws(r, style)}[${rows.join(',')}]${ws(r, style)}`;
}

function expectSameAsJsonParse(text: string): void {
  const expected = reference(text);
  const bytes = utf8(text);
  for (const sizes of CHUNKINGS) {
    const { rows } = scan(bytes, sizes);
    expect(
      rows.map(({ fields, notString }) => ({ fields, notString })),
      `chunking ${String(sizes)}`,
    ).toEqual(expected);
    // each row's offset is its '{', its line the line of that byte
    let previous = -1;
    for (const row of rows) {
      expect(bytes[row.offset]).toBe(0x7b);
      expect(row.offset).toBeGreaterThan(previous);
      previous = row.offset;
      let lines = 1;
      for (let k = 0; k < row.offset; k++) if (bytes[k] === 0x0a) lines++;
      expect(row.line).toBe(lines);
    }
  }
}

describe('JsonReportScanner agrees with JSON.parse', () => {
  it.each([
    ['compact, no escapes', 1, 60, 'compact', 0],
    ['compact, some escapes', 2, 60, 'compact', 0.1],
    ['spaced with newlines, some escapes', 3, 60, 'spaced', 0.1],
    ['spaced, escapes everywhere', 4, 40, 'spaced', 1],
    ['compact, escapes everywhere', 5, 40, 'compact', 1],
    ['spaced, no escapes', 6, 60, 'spaced', 0],
  ] as const)('%s (seed %i, %i records)', (_name, seed, count, style, rate) => {
    expectSameAsJsonParse(generatedReport(seed, count, style, rate));
  });

  it('the AWS layout (toJsonReport) and the same records pretty-printed', () => {
    const records = Array.from({ length: 50 }, (_v, i) =>
      aRecord({ serial: aSerial(i), subject: SUBJECTS[i % SUBJECTS.length]! }),
    );
    expectSameAsJsonParse(toJsonReport(records));
    expectSameAsJsonParse(JSON.stringify(records, null, 2));
    expectSameAsJsonParse(JSON.stringify(records));
  });

  it('every subset of the keys in the AWS order, reversed, and with keys the tool does not know', () => {
    const full = aRecord({
      serial: aSerial(1),
      requestedByServicePrincipal: 'acm.amazonaws.com',
      revokedAt: '2026-10-01T00:00:00+0000',
      revocationReason: 'KEY_COMPROMISE',
    });
    const names = FIELD_NAMES.filter((n) => full[n] !== undefined);
    const random = rng(7);
    const rows: Array<Record<string, string>> = [];
    for (let k = 0; k < 300; k++) {
      const kept = names.filter(() => random() < 0.7);
      const row: Record<string, string> = {};
      const order = k % 3 === 1 ? [...kept].reverse() : kept;
      for (const n of order) {
        if (k % 3 === 2 && random() < 0.3) row[`${n}X`] = 'unknown';
        row[n] = full[n]!;
      }
      rows.push(row);
    }
    expectSameAsJsonParse(JSON.stringify(rows));
  });

  it('decodes escapes: \\u00e9 and é are the same text, \\\\, is a backslash-comma', () => {
    const text = '[{"subject":"CN=caf\\u00e9,O=A\\\\, B","serial":"0\\u0031"}]';
    expect(scan(text, 1).rows[0]!.fields).toEqual({ subject: 'CN=café,O=A\\, B', serial: '01' });
  });

  it('decodes a surrogate pair to one 4-byte character', () => {
    expect(scan('[{"subject":"CN=\\ud83d\\ude00"}]', 3).rows[0]!.fields.subject).toBe('CN=😀');
  });

  it('recognises escaped keys', () => {
    expect(scan('[{"ser\\u0069al":"01"}]', 1).rows[0]!.fields).toEqual({ serial: '01' });
  });

  it('an empty array, and an empty object', () => {
    expect(scan('[]', 1).rows).toEqual([]);
    expect(scan(' [ \n ] \n', 1).rows).toEqual([]);
    expect(scan('[{}]', 1).rows).toEqual([{ fields: {}, notString: [], offset: 1, line: 1 }]);
  });

  it('skips a BOM at the start', () => {
    const bytes = utf8('\ufeff[{"serial":"01"}]');
    for (const sizes of [3, 4, Number.POSITIVE_INFINITY]) {
      const rows = scan(bytes, sizes).rows;
      expect(rows.map((r) => r.fields)).toEqual([{ serial: '01' }]);
      expect(rows[0]!.offset).toBe(4);
    }
  });

  it('seenFields lists the known fields any row carries', () => {
    const { seen } = scan('[{"serial":"01"},{"templateArn":"t","revokedAt":null,"x":1}]', 5);
    expect(seen).toEqual([FIELD_NAMES.indexOf('serial'), FIELD_NAMES.indexOf('templateArn')]);
  });
});

describe('JsonReportScanner: truncation is always an error', () => {
  const text = `${generatedReport(11, 3, 'spaced', 0.2)}\n`;
  const bytes = utf8(text);
  const close = bytes.lastIndexOf(0x5d);
  const all = reference(text).length;

  it('every prefix either reads every row or throws ReportSyntaxError', () => {
    expect(all).toBe(3);
    for (let cut = 0; cut < bytes.length; cut++) {
      const prefix = bytes.slice(0, cut);
      // small chunks for some cuts only: such a scan is quadratic in the row length
      const chunkings = [
        Number.POSITIVE_INFINITY,
        ...(cut % 5 === 0 ? [5] : []),
        ...(cut % 31 === 0 ? [1] : []),
      ];
      for (const sizes of chunkings) {
        if (cut > close) {
          expect(scan(prefix, sizes).rows.length).toBe(all);
          continue;
        }
        let rows = -1;
        try {
          rows = scan(prefix, sizes).rows.length;
        } catch (err) {
          expect(err).toBeInstanceOf(ReportSyntaxError);
          continue;
        }
        throw new Error(`a prefix of ${cut} bytes (chunks ${sizes}) read ${rows} rows without an error`);
      }
    }
  });

  it('names the end of the input as the place of a truncated report', () => {
    const cut = '[{"serial":"01"},{"serial":"0';
    expect(errorOf(cut)).toEqual({ line: 1, byte: cut.length });
    expect(errorOf('[{"serial":"01"}')).toEqual({ line: 1, byte: 16 });
    expect(errorOf('[\n{"serial":"01"},\n')).toEqual({ line: 3, byte: 19 });
  });
});

describe('JsonReportScanner syntax errors (ReportSyntaxError with line and byte)', () => {
  it('empty input', () => {
    expect(errorOf('')).toEqual({ line: 1, byte: 0 });
  });

  it('whitespace only', () => {
    expect(errorOf(' \n ')).toEqual({ line: 2, byte: 3 });
  });

  it('a top-level object instead of an array', () => {
    expect(errorOf('{"serial":"01"}')).toEqual({ line: 1, byte: 0 });
    expect(errorOf('\n\n  {"serial":"01"}')).toEqual({ line: 3, byte: 4 });
  });

  it('trailing comma after the last record', () => {
    expect(errorOf('[{"serial":"a"},]')).toEqual({ line: 1, byte: 16 });
  });

  it('trailing comma after the last field', () => {
    expect(errorOf('[{"serial":"a",}]')).toEqual({ line: 1, byte: 15 });
  });

  it('missing comma between records', () => {
    expect(errorOf('[{"a":"b"}{"c":"d"}]')).toEqual({ line: 1, byte: 10 });
  });

  it('missing comma between fields', () => {
    expect(errorOf('[{"a":"b" "c":"d"}]')).toEqual({ line: 1, byte: 10 });
  });

  it('missing colon', () => {
    expect(errorOf('[{"serial" "01"}]')).toEqual({ line: 1, byte: 11 });
  });

  it('unquoted value', () => {
    expect(errorOf('[{"serial":abc}]')).toEqual({ line: 1, byte: 11 });
  });

  it('unquoted key', () => {
    expect(errorOf('[{serial:"01"}]')).toEqual({ line: 1, byte: 2 });
  });

  it('single-quoted string', () => {
    expect(errorOf("[{'serial':'01'}]")).toEqual({ line: 1, byte: 2 });
  });

  it('a raw newline inside a string', () => {
    expect(errorOf('[{"subject":"CN=a\nb"}]')).toEqual({ line: 1, byte: 17 });
    expect(errorOf('[\n{"subject":"CN=a\tb"}]')).toEqual({ line: 2, byte: 18 });
  });

  it('a bad escape (in a known field, an unknown field, and a key)', () => {
    expect(errorOf('[{"subject":"CN=\\x"}]')).toEqual({ line: 1, byte: 16 });
    expect(errorOf('[{"other":"\\q"}]')).toEqual({ line: 1, byte: 11 });
    expect(errorOf('[{"o\\q":"v"}]')).toEqual({ line: 1, byte: 4 });
    expect(errorOf('[{"other":{"k":["\\a"]}}]').line).toBe(1);
  });

  it('a bad \\u escape', () => {
    expect(errorOf('[{"subject":"\\u00g9"}]').line).toBe(1);
    expect(errorOf('[{"subject":"\\u12"}]').line).toBe(1);
  });

  it('garbage after the closing bracket', () => {
    expect(errorOf('[]x')).toEqual({ line: 1, byte: 2 });
    expect(errorOf('[{"serial":"01"}]\n\n]')).toEqual({ line: 3, byte: 19 });
    expect(errorOf('[][]')).toEqual({ line: 1, byte: 2 });
  });

  it('a record that is not an object', () => {
    expect(errorOf('["01"]')).toEqual({ line: 1, byte: 1 });
    expect(errorOf('[{"serial":"01"},[]]')).toEqual({ line: 1, byte: 17 });
  });

  it('bad literals', () => {
    expect(errorOf('[{"x":nul}]').line).toBe(1);
    expect(errorOf('[{"x":tru}]').line).toBe(1);
    expect(errorOf('[{"revokedAt":nope}]').line).toBe(1);
  });

  it('JSON lines instead of one array', () => {
    expect(errorOf('{"serial":"01"}\n{"serial":"02"}\n')).toEqual({ line: 1, byte: 0 });
  });

  it('the byte offset counts UTF-8 bytes, not characters', () => {
    // 'é' is two bytes: the raw tab after it is at byte 18, not 17
    expect(errorOf('[{"subject":"CN=é\t"}]')).toEqual({ line: 1, byte: 18 });
  });

  // BUG: src/core/report/json-report-scanner.ts skipValue (the skipper for values of keys the tool does
  // not use) only counts brackets: it accepts `[1 2]`, `{,}`, `1.2.3`, `-`, `{"a" "b"}` and even
  // `{"a":1]`, which JSON.parse rejects. The class promises "Strict JSON (anything else is a
  // ReportSyntaxError)"; a report this broken should not be trusted.
  it('a structurally invalid value of an unknown key is an error', () => {
    for (const value of ['[1 2]', '{,}', '1.2.3', '-', '{"a" "b"}', '{"a":1]']) {
      const text = `[{"extra":${value},"serial":"01"}]`;
      expect(() => JSON.parse(text), value).toThrow();
      expect(() => scan(text, Number.POSITIVE_INFINITY), value).toThrow(ReportSyntaxError);
    }
  });
});
