import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { parseInstant } from '../../src/core/instant.js';
import { isOtherRecord, normalise, unwrap } from '../../src/core/reconcile/cloudtrail/event.js';
import {
  type JsonPiece,
  JsonSplitError,
  JsonSplitter,
  type Skim,
} from '../../src/core/reconcile/cloudtrail/json-splitter.js';
import {
  aRevokeRecord,
  aSerial,
  eventBridgeEvent,
  lookupEventsOutput,
  splitBytes,
  utf8,
} from '../builders.js';

/** Runs the splitter over the bytes in chunks of the given sizes; returns every piece. */
function split(input: string | Uint8Array, sizes: number | readonly number[] = Number.POSITIVE_INFINITY) {
  const bytes = typeof input === 'string' ? utf8(input) : input;
  const splitter = new JsonSplitter();
  const pieces: JsonPiece[] = [];
  for (const chunk of splitBytes(bytes, sizes)) pieces.push(...splitter.push(chunk));
  splitter.end();
  return pieces;
}

/** The error the splitter throws (fails the test when it does not throw one). */
function splitError(
  input: string | Uint8Array,
  sizes: number | readonly number[] = Number.POSITIVE_INFINITY,
) {
  try {
    split(input, sizes);
  } catch (err) {
    expect(err).toBeInstanceOf(JsonSplitError);
    return err as JsonSplitError;
  }
  throw new Error(`no JsonSplitError for ${JSON.stringify(typeof input === 'string' ? input : '<bytes>')}`);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What the pieces of a JSON text must be, from JSON.parse of each top-level value: a top-level
 * array gives its elements; a top-level object gives the elements of its depth-1 `Records` and
 * `Events` arrays (in text order, which for these tests is key order), then itself with those
 * arrays emptied; any other object gives itself.
 */
function expectedPieces(values: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    if (Array.isArray(v)) {
      out.push(...v);
      continue;
    }
    if (!isObject(v)) throw new Error('test inputs are objects or arrays');
    const doc: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if ((k === 'Records' || k === 'Events') && Array.isArray(x)) {
        out.push(...x);
        doc[k] = [];
      } else doc[k] = x;
    }
    out.push(doc);
  }
  return out;
}

const parsedPieces = (pieces: JsonPiece[]) => pieces.map((p) => JSON.parse(p.text) as unknown);

/** byte → 1-based line in the bytes */
function lineAt(bytes: Uint8Array, byte: number): number {
  let line = 1;
  for (let i = 0; i < byte; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

const REVOKES = [0, 1, 2].map((k) =>
  aRevokeRecord(aSerial(k), `2026-11-19T1${k}:03:11Z`, { reason: k === 1 ? 'SUPERSEDED' : 'KEY_COMPROMISE' }),
);

/** Inputs in every envelope, each with the JSON values it is made of. */
const CASES: Array<{ name: string; text: string; values: unknown[] }> = [
  {
    name: 'trail log file (compact, as CloudTrail writes it)',
    text: JSON.stringify({ Records: REVOKES }),
    values: [{ Records: REVOKES }],
  },
  {
    name: 'trail log file (pretty-printed, CRLF line ends)',
    text: JSON.stringify({ Records: REVOKES }, null, 2).replace(/\n/g, '\r\n'),
    values: [{ Records: REVOKES }],
  },
  {
    name: 'lookup-events output (Events, then NextToken after the array)',
    text: lookupEventsOutput(REVOKES).replace(/\n}\n$/, ',\n    "NextToken": "eyJ0b2tlbiI6IDF9"\n}\n'),
    values: [{ ...JSON.parse(lookupEventsOutput(REVOKES)), NextToken: 'eyJ0b2tlbiI6IDF9' }],
  },
  {
    name: 'a key before Records, and Records empty in a second file (concatenated)',
    text: `{"note":"first","Records":${JSON.stringify(REVOKES.slice(0, 1))}}{"Records":[]}`,
    values: [{ note: 'first', Records: REVOKES.slice(0, 1) }, { Records: [] }],
  },
  {
    name: 'a top-level array of records',
    text: `[\n${REVOKES.map((r) => JSON.stringify(r)).join(',\n')}\n]\n`,
    values: [REVOKES],
  },
  {
    name: 'an empty top-level array',
    text: '[ ]',
    values: [[]],
  },
  {
    name: 'a single record (pretty)',
    text: `${JSON.stringify(REVOKES[0], null, 2)}\n`,
    values: [REVOKES[0]],
  },
  {
    name: 'an EventBridge event',
    text: JSON.stringify(eventBridgeEvent(REVOKES[1]!), null, 1),
    values: [eventBridgeEvent(REVOKES[1]!)],
  },
  {
    name: 'JSON lines (LF, blank lines, a final line without newline)',
    text: `${JSON.stringify(REVOKES[0])}\n\n${JSON.stringify(REVOKES[1])}\n${JSON.stringify(REVOKES[2])}`,
    values: REVOKES,
  },
  {
    name: 'concatenated values without any separator, mixed envelopes',
    text: `${JSON.stringify(REVOKES[0])}${JSON.stringify({ Records: [REVOKES[1]] })}[${JSON.stringify(REVOKES[2])}]`,
    values: [REVOKES[0], { Records: [REVOKES[1]] }, [REVOKES[2]]],
  },
  {
    name: 'strings with brackets, braces, escaped quotes, backslashes and "Records" text',
    text:
      '{"note":"\\"Records\\":[{\\"x\\":1}] ] } [ {","kind":"Records","Records":[' +
      '{"msg":"a ] } [ { \\" \\\\\\" Records\\":[","path":"C:\\\\","n":[1,[2,{"Events":[3]}]]},' +
      '{"q":"\\\\","u":"\\u005d\\u007d","e":"\u00e9\u4e2d\ud83d\udd11 ]"}' +
      '],"tail":"}]"}',
    values: [
      {
        note: '"Records":[{"x":1}] ] } [ {',
        kind: 'Records',
        Records: [
          { msg: 'a ] } [ { " \\" Records":[', path: 'C:\\', n: [1, [2, { Events: [3] }]] },
          { q: '\\', u: ']}', e: '\u00e9\u4e2d\ud83d\udd11 ]' },
        ],
        tail: '}]',
      },
    ],
  },
  {
    name: 'Records and Events not at depth 1 are not streamed (they may hold anything)',
    text: '{"meta":{"Records":[1,"two",[3]],"Events":[null]},"Records":[{"a":{"Records":[{"b":1}]}}]}',
    values: [
      { meta: { Records: [1, 'two', [3]], Events: [null] }, Records: [{ a: { Records: [{ b: 1 }] } }] },
    ],
  },
  {
    name: 'an EventBridge event whose detail holds a Records key',
    text: JSON.stringify({ 'detail-type': 'x', detail: { Records: [{ a: 1 }] } }),
    values: [{ 'detail-type': 'x', detail: { Records: [{ a: 1 }] } }],
  },
  {
    name: 'a key longer than Records that starts with it, and one named Record',
    text: '{"RecordsArchive":[1,2],"Record":[3],"Records":[{"k":"v"}]}',
    values: [{ RecordsArchive: [1, 2], Record: [3], Records: [{ k: 'v' }] }],
  },
  {
    name: 'Records whose value is not an array',
    text: '{"Records":{"x":[1]},"Events":"[{"}',
    values: [{ Records: { x: [1] }, Events: '[{' }],
  },
  {
    name: 'both Records and Events in one object',
    text: '{"Records":[{"r":1},{"r":2}],"Events":[{"e":1}]}',
    values: [{ Records: [{ r: 1 }, { r: 2 }], Events: [{ e: 1 }] }],
  },
];

describe('JsonSplitter: the pieces of every envelope', () => {
  for (const c of CASES) {
    it(`${c.name}: pieces re-parse to what JSON.parse gives, at every chunk size`, () => {
      const expected = expectedPieces(c.values);
      const bytes = utf8(c.text);
      const whole = split(bytes);
      expect(parsedPieces(whole)).toEqual(expected);
      for (let size = 1; size <= bytes.length; size++) {
        const pieces = split(bytes, size);
        expect(parsedPieces(pieces), `chunk size ${size}`).toEqual(expected);
        expect(
          pieces.map((p) => [p.kind, p.key, p.index, p.line, p.byte]),
          `chunk size ${size}`,
        ).toEqual(whole.map((p) => [p.kind, p.key, p.index, p.line, p.byte]));
      }
      // uneven chunkings too
      expect(parsedPieces(split(bytes, [3, 1, 250, 2, 17]))).toEqual(expected);
    });
  }

  it('element pieces are the exact bytes of the element, at the line and byte it starts', () => {
    const text = `{\n  "Records": [\n    ${JSON.stringify(REVOKES[0])},\n\n    ${JSON.stringify(REVOKES[1])}\n  ]\n}\n`;
    const bytes = utf8(text);
    const pieces = split(bytes, 5);
    expect(pieces.map((p) => [p.kind, p.key, p.index])).toEqual([
      ['element', 'Records', 0],
      ['element', 'Records', 1],
      ['document', '', 0],
    ]);
    for (const p of pieces.slice(0, 2)) {
      const own = utf8(p.text);
      expect(Buffer.from(bytes.subarray(p.byte, p.byte + own.length)).toString('utf8')).toBe(p.text);
      expect(p.line).toBe(lineAt(bytes, p.byte));
    }
    expect(pieces[0]).toMatchObject({ line: 3, byte: text.indexOf('{"eventVersion"') });
    expect(pieces[1]).toMatchObject({ line: 5, byte: text.lastIndexOf('{"eventVersion"') });
    expect(pieces[2]).toMatchObject({ line: 1, byte: 0, text: '{\n  "Records": []\n}' });
  });

  it('JSON lines: each value at its own line and byte; elements of a top-level array by index', () => {
    const text = `${JSON.stringify(REVOKES[0])}\n${JSON.stringify(REVOKES[1])}\n[${JSON.stringify(REVOKES[2])}, {"x":1}]\n`;
    const bytes = utf8(text);
    const pieces = split(bytes, 1);
    expect(pieces.map((p) => [p.kind, p.key, p.index, p.line])).toEqual([
      ['document', '', 0, 1],
      ['document', '', 0, 2],
      ['element', '', 0, 3],
      ['element', '', 1, 3],
    ]);
    expect(pieces[1]!.byte).toBe(text.indexOf('\n') + 1);
    expect(pieces[3]!.byte).toBe(text.lastIndexOf('{"x":1}'));
  });

  it('multi-byte UTF-8 split across chunks decodes whole; byte offsets count bytes, not characters', () => {
    const text = '{"a":"é"}\n{"b":"中🔑"}\n';
    const bytes = utf8(text);
    for (let size = 1; size <= bytes.length; size++) {
      const pieces = split(bytes, size);
      expect(parsedPieces(pieces)).toEqual([{ a: 'é' }, { b: '中🔑' }]);
      expect(pieces[1]!.byte).toBe(utf8('{"a":"é"}\n').length);
    }
  });

  it('a UTF-8 BOM is skipped (chunks of 3 bytes or more) and counts in byte offsets', () => {
    const text = `\ufeff${JSON.stringify({ Records: REVOKES })}`;
    const bytes = utf8(text);
    for (const size of [3, 4, 5, 64, bytes.length]) {
      const pieces = split(bytes, size);
      expect(parsedPieces(pieces), `chunk size ${size}`).toEqual(expectedPieces([{ Records: REVOKES }]));
      expect(pieces[0]!.byte).toBe(3 + '{"Records":['.length);
      expect(pieces.at(-1)!.byte).toBe(3);
    }
  });

  it('a BOM anywhere but the start is an error', () => {
    const err = splitError(`{"a":1}\n\ufeff{"b":2}`);
    expect(err.message).toBe('line 2, byte 8: expected a JSON object or array, found byte 0xef');
  });

  it('whitespace only, or nothing at all: no pieces', () => {
    expect(split('')).toEqual([]);
    expect(split(' \r\n\t\n')).toEqual([]);
  });
});

describe('JsonSplitter: truncated input never loses a record silently', () => {
  it('a trail log file: every proper prefix throws at end, and what came out before is whole', () => {
    const text = JSON.stringify({ Records: REVOKES }, null, 1);
    const bytes = utf8(text);
    const expected = expectedPieces([{ Records: REVOKES }]);
    for (let cut = 0; cut < bytes.length; cut++) {
      const prefix = bytes.subarray(0, cut);
      if (/^\s*$/.test(Buffer.from(prefix).toString('utf8'))) {
        expect(split(prefix)).toEqual([]);
        continue;
      }
      const splitter = new JsonSplitter();
      const pieces = splitter.push(prefix.slice());
      // what was emitted is a prefix of the whole, each piece complete
      expect(parsedPieces(pieces)).toEqual(expected.slice(0, pieces.length));
      expect(pieces.length).toBeLessThan(expected.length);
      expect(() => splitter.end(), `prefix of ${cut} bytes`).toThrow(JsonSplitError);
    }
  });

  it('JSON lines: a prefix completes only when it ends between values, and then with all of them', () => {
    const lines = REVOKES.map((r) => JSON.stringify(r));
    const text = `${lines.join('\n')}\n`;
    const bytes = utf8(text);
    const ends: number[] = [];
    let at = 0;
    for (const l of lines) {
      at += utf8(l).length;
      ends.push(at);
      at += 1;
    }
    for (let cut = 0; cut <= bytes.length; cut++) {
      const prefix = bytes.subarray(0, cut);
      const complete = ends.filter((e) => e <= cut).length;
      const lastEnd = complete === 0 ? 0 : ends[complete - 1]!;
      const rest = Buffer.from(prefix.subarray(lastEnd)).toString('utf8');
      if (/^\s*$/.test(rest)) {
        expect(parsedPieces(split(prefix, 7)), `prefix of ${cut} bytes`).toEqual(REVOKES.slice(0, complete));
      } else {
        const err = splitError(prefix, 7);
        expect(err.what).toMatch(/unexpected end of input inside the JSON document \(truncated\?\)/);
        expect(err.byte).toBe(cut);
        expect(err.line).toBe(lineAt(bytes, cut));
      }
    }
  });

  it('lookup-events output: every proper prefix throws', () => {
    const bytes = utf8(lookupEventsOutput(REVOKES.slice(0, 2)).trimEnd());
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(() => split(bytes.subarray(0, cut), 11), `prefix of ${cut} bytes`).toThrow(JsonSplitError);
    }
  });

  it('names what was open: the element and its array', () => {
    const text = `{"Records":[${JSON.stringify(REVOKES[0])},{"eventID":"x"`;
    const err = splitError(text);
    expect(err.what).toBe('unexpected end of input inside element 2 of "Records" (truncated?)');
    expect(err.line).toBe(1);
    expect(err.byte).toBe(utf8(text).length);
    expect(err.message).toBe(`line 1, byte ${utf8(text).length}: ${err.what}`);
    expect(splitError('[{"a":1},').what).toBe(
      'unexpected end of input inside the top-level array (truncated?)',
    );
    expect(splitError('{"Records":[{"a":1}]').what).toBe(
      'unexpected end of input inside the JSON document (truncated?)',
    );
    expect(splitError('{"Records":[{"a":"}]}').what).toBe(
      'unexpected end of input inside element 1 of "Records" (truncated?)',
    );
  });
});

describe('JsonSplitter: malformed input, with its line and byte', () => {
  it('a trailing comma before ] in Records', () => {
    const text = '{"Records":[\n{"a":1},\n]}';
    const err = splitError(text);
    expect(err.what).toBe(`trailing ',' before ']' in "Records"`);
    expect([err.line, err.byte]).toEqual([3, text.indexOf(']}')]);
  });

  it('a trailing comma in a top-level array', () => {
    const err = splitError('[{"a":1}, ]');
    expect(err.message).toBe(`line 1, byte 10: trailing ',' before ']' in the top-level array`);
  });

  it('a missing comma between records', () => {
    const text = `{"Records":[\n${JSON.stringify(REVOKES[0])}\n${JSON.stringify(REVOKES[1])}\n]}`;
    const err = splitError(text, 13);
    expect(err.what).toBe(`expected ',' or ']' after element 1 of "Records", found '{'`);
    expect(err.line).toBe(3);
    expect(err.byte).toBe(text.lastIndexOf('{"eventVersion"'));
  });

  it('a missing comma in lookup-events output names the Events array', () => {
    const text = '{"Events":[{"CloudTrailEvent":"{}"} {"CloudTrailEvent":"{}"}]}';
    expect(splitError(text).message).toBe(
      `line 1, byte 36: expected ',' or ']' after element 1 of "Events", found '{'`,
    );
  });

  it('elements that are not objects', () => {
    expect(splitError('[1]').message).toBe(
      "line 1, byte 1: expected an object for element 1 of the top-level array, found '1'",
    );
    expect(splitError('{"Records":[{"a":1}, "x"]}').message).toBe(
      `line 1, byte 21: expected an object for element 2 of "Records", found '"'`,
    );
    expect(splitError('{"Events":[null]}').what).toBe(
      `expected an object for element 1 of "Events", found 'n'`,
    );
    expect(splitError('[[{"a":1}]]').what).toBe(
      "expected an object for element 1 of the top-level array, found '['",
    );
  });

  it('a top-level value that is not an object or array', () => {
    expect(splitError('"Records"').message).toBe(
      `line 1, byte 0: expected a JSON object or array, found '"'`,
    );
    expect(splitError('{"a":1}\n\n  42').message).toBe(
      "line 3, byte 11: expected a JSON object or array, found '4'",
    );
    expect(splitError('{"a":1}\n\u0000').what).toBe('expected a JSON object or array, found byte 0x00');
    expect(splitError('<html>').what).toBe("expected a JSON object or array, found '<'");
  });

  it('an extra closing bracket after a value', () => {
    const err = splitError('{"a":1}}');
    expect([err.line, err.byte]).toEqual([1, 7]);
  });

  it('invalid UTF-8 in a piece', () => {
    const bytes = new Uint8Array([...utf8('{"Records":[{"a":"'), 0xff, 0xfe, ...utf8('"}]}')]);
    const err = splitError(bytes, 2);
    expect(err.what).toBe('not valid UTF-8');
    expect(err.line).toBe(1);
    expect(err.byte).toBe(12);
  });

  it('positions are counted across chunks and lines (CRLF counts one line per LF)', () => {
    const text = '{"a":1}\r\n{"b":\r\n2}\r\n[{"c":3},\r\n\r\n7]';
    const bytes = utf8(text);
    for (const size of [1, 2, 5, bytes.length]) {
      const err = splitError(bytes, size);
      expect([err.line, err.byte], `chunk size ${size}`).toEqual([6, text.indexOf('7]')]);
    }
  });

  it('newlines inside strings count as lines (raw newlines, as in seed 000)', () => {
    const text = '{"x":"line\none\nand two"}\n[5]';
    const err = splitError(text, 3);
    expect([err.line, err.byte]).toEqual([4, text.indexOf('5')]);
  });

  it('pieces that the splitter passes but JSON.parse rejects stay whole (JSON.parse validates)', () => {
    // the splitter tracks strings and brackets only: a raw newline or missing comma inside a record
    // is left for JSON.parse, within the one piece
    const pieces = split('{"Records":[{"a":"b"\n"c":1},{"d":"x\ny"}]}', 4);
    expect(pieces.map((p) => p.text)).toEqual(['{"a":"b"\n"c":1}', '{"d":"x\ny"}', '{"Records":[]}']);
    expect(() => JSON.parse(pieces[0]!.text)).toThrow(SyntaxError);
    expect(pieces.map((p) => p.line)).toEqual([1, 2, 1]);
  });
});

describe('JsonSplitter: chunks whose memory the caller reuses', () => {
  // issue 13 item 8: readChunks reads into three buffers in turn; the document around a streamed
  // array (`{"Events":[` ... `]}`) outlives them all, so the splitter must keep copies, not views
  it('issue 13 item 8: a lookup-events document longer than the reused buffers still parses', () => {
    const records = Array.from({ length: 40 }, (_v, i) =>
      aRevokeRecord(aSerial(i), `2026-11-20T02:${String(i).padStart(2, '0')}:00Z`),
    );
    const text = lookupEventsOutput(records).replace(/\n}\n$/, ',\n    "NextToken": "t"\n}\n');
    const bytes = utf8(text);
    const splitter = new JsonSplitter();
    const pieces: JsonPiece[] = [];
    const size = 1024;
    // Buffers, as fs reads them: Buffer#slice is a view where Uint8Array#slice copies
    const reused = [Buffer.alloc(size), Buffer.alloc(size), Buffer.alloc(size)];
    for (let at = 0, k = 0; at < bytes.length; at += size, k = (k + 1) % 3) {
      const chunk = bytes.subarray(at, at + size);
      reused[k]!.set(chunk);
      pieces.push(...splitter.push(reused[k]!.subarray(0, chunk.length)));
      // the next read lands here: what the splitter kept of this chunk must not change with it
      reused[(k + 1) % 3]!.fill(0x20);
    }
    splitter.end();
    expect(pieces.filter((p) => p.kind === 'element')).toHaveLength(40);
    const doc = pieces.find((p) => p.kind === 'document');
    expect(JSON.parse(doc!.text)).toEqual({ Events: [], NextToken: 't' });
  });
});

describe('issue 16 item 3: the skim (records of no interest handed over unparsed)', () => {
  const skim: Skim = { other: isOtherRecord, isUtf8: (b) => isUtf8(b) };
  function skimmed(input: string | Uint8Array, sizes: number | readonly number[] = Number.POSITIVE_INFINITY) {
    const bytes = typeof input === 'string' ? utf8(input) : input;
    const splitter = new JsonSplitter(skim);
    const pieces: JsonPiece[] = [];
    for (const chunk of splitBytes(bytes, sizes)) pieces.push(...splitter.push(chunk));
    splitter.end();
    return pieces;
  }
  const other = (over: Record<string, unknown> = {}) => ({
    eventVersion: '1.09',
    userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/r/s' },
    eventTime: '2026-11-19T08:00:00Z',
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    requestParameters: { bucketName: 'b', key: 'acm-pca.amazonaws.com "RevokeCertificate" {[' },
    eventID: 'c0ffee00-0000-4000-8000-000000000001',
    ...over,
  });
  const revoke = aRevokeRecord(aSerial(1), '2026-11-19T09:00:00Z');
  /** what the collector would make of a record parsed: skipped as of no interest, or not */
  const isSkip = (text: string) => {
    const u = unwrap(JSON.parse(text));
    return u.kind === 'record' && normalise(u.record, { source: 'x', line: 1, byte: 0 }).kind === 'skip';
  };
  // each record after the first (which is never skimmed), and whether it may be skimmed
  const cases: [string, string, boolean][] = [
    ['another service', JSON.stringify(other()), true],
    ['acm-pca RevokeCertificate', JSON.stringify(revoke), false],
    [
      'acm-pca with the source escaped',
      JSON.stringify(revoke).replace('acm-pca.amazon', 'acm\\u002dpca.amazon'),
      false,
    ],
    ['an escaped key', JSON.stringify(other()).replace('"eventSource"', '"event\\u0053ource"'), false],
    [
      'a source escaped to look like another',
      JSON.stringify(other({ eventSource: 'acm-pca.amazonaws.com', eventName: 'GetCertificate' })),
      true,
    ],
    [
      'a nested eventSource of PCA, the record of S3',
      JSON.stringify(
        other({
          requestParameters: { eventSource: 'acm-pca.amazonaws.com', eventName: 'RevokeCertificate' },
        }),
      ),
      true,
    ],
    [
      'the eventSource given twice (JSON.parse keeps the last)',
      JSON.stringify(other()).replace(
        '"eventSource":"s3.amazonaws.com"',
        '"eventSource":"s3.amazonaws.com","eventSource":"acm-pca.amazonaws.com","eventName":"RevokeCertificate"',
      ),
      false,
    ],
    ['eventName not a string', JSON.stringify(other({ eventName: 7 })), false],
    ['no eventID', JSON.stringify({ ...other(), eventID: undefined }), false],
    ['an empty eventID', JSON.stringify(other({ eventID: '' })), false],
    ['an eventTime that is no instant', JSON.stringify(other({ eventTime: 'yesterday' })), false],
    [
      'an EventBridge event of PCA',
      JSON.stringify({
        ...other(),
        'detail-type': 'ACM Private CA Certificate Revocation',
        source: 'aws.acm-pca',
      }),
      false,
    ],
    [
      'a lookup-events element',
      JSON.stringify({ ...other(), CloudTrailEvent: JSON.stringify(revoke) }),
      false,
    ],
    ['a nested envelope', JSON.stringify({ ...other(), Records: [revoke] }), false],
    [
      'ACM RevokeCertificate',
      JSON.stringify(other({ eventSource: 'acm.amazonaws.com', eventName: 'RevokeCertificate' })),
      false,
    ],
    [
      'acm-acme RevokeCertificate',
      JSON.stringify(other({ eventSource: 'acm-acme.amazonaws.com', eventName: 'RevokeCertificate' })),
      false,
    ],
    [
      'PCA GetCertificate (no interest)',
      JSON.stringify(other({ eventSource: 'acm-pca.amazonaws.com', eventName: 'GetCertificate' })),
      true,
    ],
    [
      'PCA EventBridge source as a record',
      JSON.stringify(other({ eventSource: 'aws.acm-pca', eventName: 'Anything' })),
      false,
    ],
    ['a non-ASCII eventName', JSON.stringify(other({ eventName: 'GetÖbject' })), false],
    ['spaces and newlines around the fields', JSON.stringify(other(), null, 2), true],
  ];
  const bad = (from: string, to: string) => JSON.stringify(other()).replace(from, to);
  // records of no interest that are not valid JSON: never skimmed, JSON.parse names the error
  const malformed: [string, string][] = [
    ['a literal misspelt', bad('"eventVersion":"1.09"', '"readOnly":tru')],
    ['a number with a leading zero', bad('"eventVersion":"1.09"', '"n":01')],
    ['a number ending in a dot', bad('"eventVersion":"1.09"', '"n":1.')],
    ['a trailing comma', bad('"key":', '"k":1,"key":').replace('{["}', '{[",}')],
    ['a missing colon', bad('"eventName":"GetObject"', '"eventName" 1:"GetObject"')],
    ['a missing comma', bad('"eventVersion":"1.09",', '"eventVersion":"1.09" ')],
    ['a raw tab in a string', bad('"bucketName":"b"', '"bucketName":"b\tc"').replace('\\t', '\t')],
    ['an invalid escape', bad('"bucketName":"b"', '"bucketName":"b\\x"')],
    ['a short unicode escape', bad('"bucketName":"b"', '"bucketName":"\\u12"')],
    ['a key without a value', bad('"eventVersion":"1.09",', '"eventVersion":,')],
    ['a value where a key goes', bad('"eventVersion":"1.09",', '"eventVersion":"1.09",7,')],
    ['a bracket mismatch', bad('{"bucketName"', '["bucketName"').replace('{[","eventID"', '{[""],"eventID"')],
    // nested strings one after another (the scan's shortcut for '":"' and '","')
    ['a colon between strings in an array', bad('"bucketName":"b"', '"bucketName":["a","b":"c"]')],
    ['a nested key without a value', bad('"bucketName":"b"', '"bucketName":{"a":"b","c"}')],
    ['a nested key and value without a colon', bad('"bucketName":"b"', '"bucketName":{"a""b"}')],
    ['two nested values without a comma', bad('"bucketName":"b"', '"bucketName":["a""b"]')],
  ];
  const log = `{"Records":[${JSON.stringify(other())},${cases.map((c) => c[1]).join(',')}]}`;
  it('a record is skimmed only when JSON.parse would have skipped it, at every chunk size', () => {
    const bytes = utf8(log);
    for (const size of [1, 2, 3, 7, 64, 1000, bytes.length]) {
      const pieces = skimmed(bytes, size).filter((p) => p.kind === 'element');
      expect(pieces).toHaveLength(cases.length + 1);
      expect(pieces[0]!.other, 'the first piece is never skimmed').toBeUndefined();
      for (const [k, [name, text, skims]] of cases.entries()) {
        const p = pieces[k + 1]!;
        // in whole chunks exactly as expected; cut by chunks, a number or literal cut in two is
        // left to JSON.parse
        if (size === bytes.length) expect(p.other !== undefined, name).toBe(skims);
        else if (!skims) expect(p.other, `${name} (chunks of ${size})`).toBeUndefined();
        if (p.other) {
          expect(isSkip(text), name).toBe(true);
          const r = JSON.parse(text);
          expect(p.other).toEqual({
            eventID: r.eventID,
            eventSource: r.eventSource,
            eventName: r.eventName,
            time: parseInstant(r.eventTime),
          });
          expect(p.text).toBe('');
        } else expect(p.text, name).toBe(text);
      }
    }
  });
  it('a record of no interest that is not valid JSON is never skimmed: JSON.parse judges it', () => {
    for (const [name, text] of malformed) {
      expect(() => JSON.parse(text), name).toThrow(SyntaxError);
      for (const size of [1, 2, 3, 5, 7, 64, Number.POSITIVE_INFINITY]) {
        const pieces = skimmed(`{"Records":[${JSON.stringify(other())},${text}]}`, size);
        expect(pieces[1]!.other, `${name} (chunks of ${size})`).toBeUndefined();
        expect(pieces[1]!.text, name).toBe(text);
      }
    }
  });
  it('nested strings one after another, in objects and arrays, are skimmed', () => {
    const nested = JSON.stringify(
      other({ requestParameters: { a: ['x', 'y', { b: 'c', d: ['e'] }], f: { g: 'h', i: 'j' } } }),
    );
    for (const size of [1, 2, 3, 5, 7, 64, Number.POSITIVE_INFINITY]) {
      const pieces = skimmed(`{"Records":[${JSON.stringify(other())},${nested}]}`, size);
      expect(pieces[1]!.other?.eventSource, `chunks of ${size}`).toBe('s3.amazonaws.com');
    }
  });
  it('a record cut in two anywhere is still skimmed: a key or field cut by a chunk is carried over', () => {
    // no number, literal or escape that a cut would leave to JSON.parse
    const plain = JSON.stringify(
      other({
        requestParameters: { bucketName: 'b', key: 'k' },
        eventID: 'c0ffee00-0000-4000-8000-0000000000ff',
      }),
    );
    const head = utf8(`{"Records":[${JSON.stringify(other())},`);
    const bytes = utf8(`{"Records":[${JSON.stringify(other())},${plain}]}`);
    for (let cut = head.length + 1; cut < head.length + plain.length; cut++) {
      const splitter = new JsonSplitter(skim);
      const pieces = [...splitter.push(bytes.subarray(0, cut)), ...splitter.push(bytes.subarray(cut))];
      splitter.end();
      expect(pieces[1]!.other, `cut at ${cut - head.length}`).toEqual({
        eventID: 'c0ffee00-0000-4000-8000-0000000000ff',
        eventSource: 's3.amazonaws.com',
        eventName: 'GetObject',
        time: parseInstant('2026-11-19T08:00:00Z'),
      });
    }
  });
  it('positions and lines are kept across skimmed records', () => {
    const log = `{"Records":[\n${JSON.stringify(other())},\n${JSON.stringify(other())},\n${JSON.stringify(revoke)}]}`;
    const plain = split(log, 5);
    const fast = skimmed(log, 5);
    expect(fast.map((p) => [p.line, p.byte, p.index])).toEqual(plain.map((p) => [p.line, p.byte, p.index]));
    expect(fast.map((p) => p.other === undefined)).toEqual([true, false, true, true]);
  });
  it('a record of no interest with invalid UTF-8 is still an error', () => {
    const head = utf8(`{"Records":[${JSON.stringify(other())},${JSON.stringify(other()).slice(0, -1)},"x":"`);
    const bytes = new Uint8Array([...head, 0xff, ...utf8('"}]}')]);
    expect(() => skimmed(bytes)).toThrow(/not valid UTF-8/);
  });
});
