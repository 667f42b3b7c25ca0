import { describe, expect, it } from 'vitest';
import { checkSubjectBytes, displaySubject, parseSubject, type Rdn } from '../../src/core/report/subject.js';

const AWS_SUBJECT =
  '1.2.840.113549.1.9.1=#161173616c6573406578616d706c652e636f6d,,OU=Sales,O=Example Company,L=Seattle,ST=Washington,C=US';

const encoder = new TextEncoder();

function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

function check(text: string): string | null {
  const bytes = utf8(text);
  return checkSubjectBytes(bytes, 0, bytes.length);
}

function bytesOf(...parts: (string | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) out.push(...(typeof part === 'string' ? utf8(part) : part));
  return Uint8Array.from(out);
}

function checkAll(bytes: Uint8Array): string | null {
  return checkSubjectBytes(bytes, 0, bytes.length);
}

/** The byte offset in a checkSubjectBytes reason ('at 12: ...'). */
function reasonOffset(reason: string | null): number {
  const match = /^at (\d+): \S/.exec(reason ?? '');
  if (match === null) throw new Error(`not a failure reason: ${String(reason)}`);
  return Number(match[1]);
}

function rdnsOf(text: string): Rdn[] {
  const result = parseSubject(text);
  if (!result.ok) throw new Error(`${text}: at ${result.offset}: ${result.reason}`);
  return result.rdns;
}

function failureOffset(text: string): number {
  const result = parseSubject(text);
  if (result.ok) throw new Error(`${text}: parsed, expected a failure`);
  expect(result.reason).not.toBe('');
  return result.offset;
}

function firstValue(text: string): string {
  const attribute = rdnsOf(text)[0]?.[0];
  if (attribute === undefined) throw new Error(`${text}: no attribute`);
  return attribute.value;
}

function hex(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** '#' followed by the DER TLV for a primitive value with this tag and content. */
function derValue(tag: number, content: ArrayLike<number>): string {
  const n = content.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return `#${hex([tag, ...length])}${hex(content)}`;
}

function latin1(text: string): number[] {
  return Array.from(text, (ch) => ch.charCodeAt(0));
}

describe('parseSubject', () => {
  it('parses the AWS example, keeping the empty RDN and decoding the IA5String emailAddress', () => {
    expect(rdnsOf(AWS_SUBJECT)).toEqual([
      [{ type: '1.2.840.113549.1.9.1', value: 'sales@example.com', der: { tag: 0x16, decoded: true } }],
      [],
      [{ type: 'OU', value: 'Sales' }],
      [{ type: 'O', value: 'Example Company' }],
      [{ type: 'L', value: 'Seattle' }],
      [{ type: 'ST', value: 'Washington' }],
      [{ type: 'C', value: 'US' }],
    ]);
  });

  it('unescapes an escaped comma', () => {
    expect(rdnsOf('CN=Smith\\, John,O=Acme')).toEqual([
      [{ type: 'CN', value: 'Smith, John' }],
      [{ type: 'O', value: 'Acme' }],
    ]);
  });

  it('splits multi-valued RDNs on +', () => {
    expect(rdnsOf('CN=a+UID=b+OU=c\\+d,O=e')).toEqual([
      [
        { type: 'CN', value: 'a' },
        { type: 'UID', value: 'b' },
        { type: 'OU', value: 'c+d' },
      ],
      [{ type: 'O', value: 'e' }],
    ]);
  });

  it('unescapes every special character', () => {
    expect(firstValue('CN=\\,\\+\\"\\\\\\<\\>\\;\\=\\#\\ ')).toBe(',+"\\<>;=# ');
    expect(firstValue('CN=\\#leading')).toBe('#leading');
    expect(firstValue('CN=\\ padded\\ ')).toBe(' padded ');
  });

  it('decodes hex-pair escapes as UTF-8 bytes, mixed with raw characters', () => {
    expect(firstValue('CN=\\C3\\A9')).toBe('é');
    expect(firstValue('OU=R\\c3\\a9seau')).toBe('Réseau');
    expect(firstValue('CN=\\F0\\9F\\98\\80')).toBe('😀');
    expect(firstValue('CN=\\41\\00z')).toBe('A\u0000z');
    expect(firstValue('CN=é\\C3\\A9é')).toBe('ééé');
    expect(firstValue('L=Zürich 😀')).toBe('Zürich 😀');
  });

  it('accepts unescaped = and non-leading #, empty values, and keeps spaces (no trimming)', () => {
    expect(rdnsOf('CN=a=b#c,O=,OU=')).toEqual([
      [{ type: 'CN', value: 'a=b#c' }],
      [{ type: 'O', value: '' }],
      [{ type: 'OU', value: '' }],
    ]);
    expect(firstValue('CN= a ')).toBe(' a ');
  });

  it('keeps keyword case as written and strips the OID. prefix', () => {
    expect(rdnsOf('cn=a,OID.2.5.4.3=b,oid.0.9.2342.19200300.100.1.25=c,x-Custom1=d')).toEqual([
      [{ type: 'cn', value: 'a' }],
      [{ type: '2.5.4.3', value: 'b' }],
      [{ type: '0.9.2342.19200300.100.1.25', value: 'c' }],
      [{ type: 'x-Custom1', value: 'd' }],
    ]);
  });

  it('parses the empty subject as zero RDNs', () => {
    expect(rdnsOf('')).toEqual([]);
  });

  it('tolerates empty RDNs at the start, middle and end', () => {
    expect(rdnsOf(',')).toEqual([[], []]);
    expect(rdnsOf(',CN=a')).toEqual([[], [{ type: 'CN', value: 'a' }]]);
    expect(rdnsOf('CN=a,,O=b')).toEqual([[{ type: 'CN', value: 'a' }], [], [{ type: 'O', value: 'b' }]]);
    expect(rdnsOf('CN=a,')).toEqual([[{ type: 'CN', value: 'a' }], []]);
    expect(rdnsOf(',,')).toEqual([[], [], []]);
  });

  describe('#hex values', () => {
    const decoded = (tag: number, content: ArrayLike<number>) => {
      const attribute = rdnsOf(`1.2.3.4=${derValue(tag, content)}`)[0]?.[0];
      expect(attribute?.der).toEqual({ tag, decoded: true });
      return attribute?.value;
    };

    it('decodes UTF8String', () => {
      expect(decoded(0x0c, utf8('été 😀'))).toBe('été 😀');
      expect(decoded(0x0c, [])).toBe('');
    });

    it('decodes PrintableString', () => {
      expect(decoded(0x13, latin1("Az09 '()+,-./:=?"))).toBe("Az09 '()+,-./:=?");
    });

    it('decodes IA5String', () => {
      expect(decoded(0x16, latin1('a*b@c\u0001'))).toBe('a*b@c\u0001');
    });

    it('decodes TeletexString as latin1', () => {
      expect(decoded(0x14, [0x63, 0x61, 0x66, 0xe9])).toBe('café');
    });

    it('decodes VisibleString', () => {
      expect(decoded(0x1a, latin1('~Visible 1!'))).toBe('~Visible 1!');
    });

    it('decodes BMPString as UTF-16BE, including a surrogate pair', () => {
      expect(decoded(0x1e, [0x00, 0xe9, 0xd8, 0x3d, 0xde, 0x00, 0x00, 0x41])).toBe('é😀A');
    });

    it('decodes UniversalString as UTF-32BE', () => {
      expect(decoded(0x1c, [0, 0, 0, 0xe9, 0, 0x01, 0xf6, 0x00])).toBe('é😀');
    });

    it('accepts long-form lengths and upper-case hex', () => {
      expect(decoded(0x0c, latin1('a'.repeat(128)))).toBe('a'.repeat(128));
      expect(decoded(0x0c, latin1('b'.repeat(300)))).toBe('b'.repeat(300));
      expect(rdnsOf('1.2.3.4=#0C0141')[0]).toEqual([
        { type: '1.2.3.4', value: 'A', der: { tag: 0x0c, decoded: true } },
      ]);
    });

    it('keeps values with other tags as written', () => {
      expect(
        rdnsOf('1.2.3.4=#04020102+1.2.3.5=#3003020101,1.2.3.6=#0500,1.2.3.7=#1F200141,1.2.3.8=#2c030c0141'),
      ).toEqual([
        [
          { type: '1.2.3.4', value: '#04020102', der: { tag: 0x04, decoded: false } },
          { type: '1.2.3.5', value: '#3003020101', der: { tag: 0x30, decoded: false } },
        ],
        [{ type: '1.2.3.6', value: '#0500', der: { tag: 0x05, decoded: false } }],
        [{ type: '1.2.3.7', value: '#1F200141', der: { tag: 0x1f, decoded: false } }],
        [{ type: '1.2.3.8', value: '#2c030c0141', der: { tag: 0x2c, decoded: false } }],
      ]);
    });
  });

  it('rejects an unpaired surrogate, which has no UTF-8 form', () => {
    expect(failureOffset('CN=a\ud800')).toBe(4);
    expect(failureOffset('CN=\udc00b')).toBe(3);
  });

  it('reports offsets in UTF-16 code units after non-ASCII characters', () => {
    expect(failureOffset('O=é😀,CN=a"')).toBe(10);
    expect(check('O=é😀,CN=a"')).toMatch(/^at 13: /);
  });
});

/** [description, subject, offset of the failure in the subject] */
const FAILURES: [string, string, number][] = [
  ['type without =', 'CN', 2],
  ['later type without =', 'CN=a,O', 6],
  ['separator instead of =', 'CN,O=a', 2],
  ['+ instead of =', 'CN+O=a', 2],
  ['empty type', '=a', 0],
  ['empty type after +', 'CN=a+=b', 5],
  ['+ at the start', '+CN=a', 0],
  ['+ at the end', 'CN=a+', 5],
  ['++', 'CN=a++O=b', 5],
  ['+ then ,', 'CN=a+,O=b', 5],
  ['space inside type', 'C N=a', 1],
  ['hyphen first', '-CN=a', 0],
  ['space before =', 'CN =a', 2],
  ['space after ,', 'CN=a, O=b', 5],
  ['non-ASCII type', 'é=a', 0],
  ['empty OID arc', '2.5..4=a', 4],
  ['trailing OID dot', '2.5.4.=a', 6],
  ['leading OID dot', '.2.5=a', 0],
  ['OID. with nothing after', 'OID.=a', 4],
  ['OID. with a letter', 'OID.x=a', 4],
  ['undotted numeric type', '5=a', 0],
  ['letter after OID', '2.5.4.3x=a', 7],
  ['trailing backslash', 'CN=a\\', 4],
  ['one hex digit at the end', 'CN=\\4', 3],
  ['one hex digit then non-hex', 'CN=\\4g', 3],
  ['invalid escaped character', 'CN=\\q', 3],
  ['unescaped quote', 'CN=a"b', 4],
  ['leading quote', 'CN="a"', 3],
  ['unescaped <', 'CN=<a', 3],
  ['unescaped >', 'CN=a>', 4],
  ['unescaped ;', 'CN=a;O=b', 4],
  ['escaped lead byte at the end', 'CN=\\C3', 6],
  ['escaped lead byte then ASCII', 'CN=\\C3x', 6],
  ['escaped lead byte then escaped special', 'CN=\\C3\\,', 6],
  ['escaped lead byte then raw character', 'CN=\\C3é', 6],
  ['escaped invalid lead', 'CN=\\FF', 3],
  ['escaped overlong', 'CN=\\C0\\80', 3],
  ['escaped overlong 3-byte', 'CN=\\E0\\80\\80', 6],
  ['escaped surrogate', 'CN=\\ED\\A0\\80', 6],
  ['escaped lone continuation', 'CN=\\A9', 3],
  ['empty #', 'CN=#', 4],
  ['empty # before ,', 'CN=#,O=a', 4],
  ['odd hex at the end', 'CN=#0', 5],
  ['odd hex before ,', 'CN=#0c0,O=a', 7],
  ['bad second hex digit', 'CN=#0g', 5],
  ['bad first hex digit', 'CN=#g0', 4],
  ['escape in hex', 'CN=#0c\\,', 6],
  ['tag only', 'CN=#0c', 6],
  ['truncated content', 'CN=#0c0261', 10],
  ['trailing data after TLV', 'CN=#0c016162', 10],
  ['indefinite length', 'CN=#0c80', 6],
  ['length of length too large', 'CN=#0c85', 6],
  ['long form for a short length', `CN=#0c8105${'61'.repeat(5)}`, 8],
  ['long form with a leading zero', `CN=#0c820080${'61'.repeat(128)}`, 8],
  ['truncated long-form length', 'CN=#0c82', 8],
  ['UTF8String invalid byte', 'CN=#0c01ff', 8],
  ['UTF8String truncated sequence', 'CN=#0c01c3', 8],
  ['UTF8String surrogate', 'CN=#0c03eda080', 10],
  ['PrintableString with *', 'CN=#13012a', 8],
  ['IA5String with a high byte', 'CN=#160180', 8],
  ['VisibleString with a control character', 'CN=#1a0107', 8],
  ['BMPString of odd length', 'CN=#1e0141', 6],
  ['BMPString lone high surrogate', 'CN=#1e02d800', 10],
  ['BMPString lone low surrogate', 'CN=#1e02dc00', 10],
  ['BMPString high surrogate then a letter', 'CN=#1e04d8000041', 14],
  ['UniversalString length not a multiple of 4', 'CN=#1c020000', 6],
  ['UniversalString above U+10FFFF', 'CN=#1c0400110000', 14],
  ['UniversalString surrogate', 'CN=#1c040000d800', 14],
  ['error in a later RDN', `${AWS_SUBJECT},CN=x\\`, AWS_SUBJECT.length + 5],
];

describe('failures', () => {
  it.each(FAILURES)('%s: %s fails at %i in both parsers', (_, subject, offset) => {
    expect(failureOffset(subject)).toBe(offset);
    const prefixBytes = utf8(subject.slice(0, offset)).length;
    expect(reasonOffset(check(subject))).toBe(prefixBytes);
  });
});

// issue 13 item 2: a raw CR in a subject let a CSV row break into a spreadsheet formula on a new line
describe('control characters (issue 13 item 2)', () => {
  const RAW = [
    ['CR then a formula', "CN=x\r=cmd|' /C calc'!A0", 4],
    ['LF', 'O=a,CN=x\ny', 8],
    ['CRLF', 'CN=\r\n@SUM(1)', 3],
    ['tab', 'CN=tab\there', 6],
    ['NUL', 'CN=\u0000', 3],
    ['ESC', 'CN=red\u001b[31m', 6],
    ['BEL', 'CN=\u0007', 3],
    ['DEL', 'CN=a\u007f', 4],
    ['C1 NEL', 'CN=a\u0085b', 4],
    ['C1 CSI', 'CN=\u009b31m', 3],
    ['after non-ASCII', 'CN=é\rx', 4],
    ['after an escape', 'CN=\\2C\r', 6],
    ['far into a long plain run', `CN=${'a'.repeat(40)}\r${'b'.repeat(40)}`, 43],
  ] as const;

  it.each(RAW)('%s: rejected at the control character by both parsers', (_, subject, offset) => {
    expect(failureOffset(subject)).toBe(offset);
    const reason = check(subject);
    expect(reasonOffset(reason)).toBe(utf8(subject.slice(0, offset)).length);
  });

  it('accepts control characters written as \\XX escapes, and U+00A0 (not a control)', () => {
    expect(check('CN=a\\0Db\\0A\\1B')).toBeNull();
    expect(check('CN=\\C2\\85')).toBeNull();
    expect(check('CN=a\u00a0b')).toBeNull();
    expect(firstValue('CN=a\\0Db')).toBe('a\rb');
  });
});

describe('checkSubjectBytes', () => {
  it('accepts well-formed subjects', () => {
    expect(check(AWS_SUBJECT)).toBeNull();
    expect(check('')).toBeNull();
    expect(check('CN=Smith\\, John+UID=js,O=Zürich \\C3\\A9')).toBeNull();
  });

  it('formats failures as "at <byte offset>: <reason>"', () => {
    expect(check('CN=a\\')).toMatch(/^at 4: .+/);
  });

  it('rejects malformed raw UTF-8', () => {
    const cases: [Uint8Array, number][] = [
      [bytesOf('CN=', [0xc3]), 4],
      [bytesOf('CN=', [0xc3], ',O=a'), 4],
      [bytesOf('CN=', [0xc0, 0x80]), 3],
      [bytesOf('CN=', [0xed, 0xa0, 0x80]), 4],
      [bytesOf('CN=', [0xf4, 0x90, 0x80, 0x80]), 4],
      [bytesOf('CN=', [0xf5, 0x80, 0x80, 0x80]), 3],
      [bytesOf('CN=', [0xff]), 3],
      [bytesOf('CN=', [0x80]), 3],
      [bytesOf('CN=', [0xe2, 0x82], ',O=a'), 5],
      [bytesOf('CN=\\C3', [0xa9]), 6],
      [bytesOf('CN=', [0xc3], '\\A9'), 4],
      [bytesOf('C', [0xc3, 0xa9], '=a'), 1],
    ];
    for (const [bytes, offset] of cases) expect(reasonOffset(checkAll(bytes))).toBe(offset);
    expect(checkAll(bytesOf('CN=', [0xf4, 0x8f, 0xbf, 0xbf], [0xef, 0xbf, 0xbf]))).toBeNull();
  });

  it('validates a slice and reports offsets relative to its start', () => {
    const valid = bytesOf('"\\+', 'CN=a\\,b,O=c', '\\"x');
    expect(checkSubjectBytes(valid, 3, valid.length - 3)).toBeNull();
    const invalid = bytesOf('xyzw', 'CN=a,O', '=b');
    expect(reasonOffset(checkSubjectBytes(invalid, 4, invalid.length - 2))).toBe(6);
    const empty = bytesOf('CN=a');
    expect(checkSubjectBytes(empty, 2, 2)).toBeNull();
  });

  it('does not read past the end of the slice', () => {
    const withEscape = bytesOf('CN=a\\,');
    expect(reasonOffset(checkSubjectBytes(withEscape, 0, withEscape.length - 1))).toBe(4);
    const der = bytesOf('CN=#0c0141');
    expect(reasonOffset(checkSubjectBytes(der, 0, der.length - 2))).toBe(8);
    const utf = bytesOf('CN=é');
    expect(reasonOffset(checkSubjectBytes(utf, 0, utf.length - 1))).toBe(4);
  });

  it('throws on a range outside the buffer', () => {
    const bytes = bytesOf('CN=a');
    expect(() => checkSubjectBytes(bytes, 0, 5)).toThrow(RangeError);
    expect(() => checkSubjectBytes(bytes, 3, 2)).toThrow(RangeError);
    expect(() => checkSubjectBytes(bytes, -1, 2)).toThrow(RangeError);
  });
});

const VALID_SUBJECTS = [
  '',
  ',',
  ',,',
  'CN=a,',
  ',CN=a',
  'CN=a,,O=b',
  'CN=',
  'CN=,O=',
  AWS_SUBJECT,
  'CN=Smith\\, John,O=Acme',
  'CN=a+UID=b,O=c',
  'CN=\\C3\\A9',
  'CN=\\F0\\9F\\98\\80',
  'CN=é\\C3\\A9é',
  'L=Zürich 😀',
  'CN=\\,\\+\\"\\\\\\<\\>\\;\\=\\#\\ ',
  'CN=\\#a,O=\\ b\\ ',
  'CN=a=b#c',
  'CN= a ',
  'OID.2.5.4.3=a',
  'oid.2.5.4.3=a',
  'x-Custom1=d',
  '1.2.3.4=#0C0141',
  '1.2.3.4=#04020102+1.2.3.5=#3003020101',
  '1.2.3.4=#1F200141',
  '1.2.3.4=#0500',
  '2.5.4.5=#130431323334',
  '2.5.4.12=#1e0400e90041',
  '2.5.4.12=#1e0600e9d83dde00',
  '2.5.4.12=#1c08000000e90001f600',
  '2.5.4.12=#1401e9',
  '2.5.4.12=#1a03414243',
  `2.5.4.12=#0c8180${'61'.repeat(128)}`,
  'CN=device-0042.prod.example.com,OU=Platform Engineering,O=Example Company,L=Seattle,ST=Washington,C=US',
];

describe('parseSubject and checkSubjectBytes agree', () => {
  const assertAgreement = (subject: string) => {
    const parsed = parseSubject(subject);
    const reason = check(subject);
    expect(parsed.ok, `${JSON.stringify(subject)}: ${String(reason)}`).toBe(reason === null);
    if (!parsed.ok) expect(reasonOffset(reason)).toBe(utf8(subject.slice(0, parsed.offset)).length);
  };

  it('on the listed valid and invalid subjects', () => {
    const cases = [...VALID_SUBJECTS, ...FAILURES.map(([, subject]) => subject)];
    expect(cases.length).toBeGreaterThanOrEqual(60);
    for (const subject of VALID_SUBJECTS) expect(check(subject), subject).toBeNull();
    for (const subject of cases) assertAgreement(subject);
  });

  it('on deterministic pseudo-random mutations of valid subjects', () => {
    let seed = 0x2253;
    const random = (n: number) => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    // Whole code points only, so every mutated string is well-formed UTF-16 and has a UTF-8 form.
    const pool = Array.from(',+=\\#"<>; .-0123456789abcdefACFXé😀\u0000\u007f');
    const seeds = VALID_SUBJECTS.filter((s) => s.length > 0).map((s) => Array.from(s));
    let valid = 0;
    let invalid = 0;
    for (let n = 0; n < 4000; n++) {
      const chars = [...seeds[random(seeds.length)]!];
      const mutations = 1 + random(3);
      for (let m = 0; m < mutations; m++) {
        const at = random(chars.length + 1);
        const ch = pool[random(pool.length)]!;
        const op = random(3);
        if (op === 0 && at < chars.length) chars[at] = ch;
        else if (op === 1) chars.splice(at, 0, ch);
        else chars.splice(at, 1);
      }
      const subject = chars.join('');
      assertAgreement(subject);
      if (parseSubject(subject).ok) valid++;
      else invalid++;
    }
    expect(valid).toBeGreaterThan(200);
    expect(invalid).toBeGreaterThan(200);
  });
});

describe('displaySubject', () => {
  it('names emailAddress and drops the empty RDN in the AWS example', () => {
    expect(displaySubject(AWS_SUBJECT)).toBe(
      'emailAddress=sales@example.com,OU=Sales,O=Example Company,L=Seattle,ST=Washington,C=US',
    );
  });

  it('keeps escaping and multi-valued RDNs', () => {
    expect(displaySubject('CN=Smith\\, John+UID=js,O=Acme')).toBe('CN=Smith\\, John+UID=js,O=Acme');
    expect(displaySubject('CN=\\C3\\A9\\3B')).toBe('CN=é\\;');
    expect(displaySubject('cn=a,,')).toBe('cn=a');
  });

  it('names known OIDs and decodes their values', () => {
    const email = derValue(0x16, latin1('x@y'));
    expect(displaySubject(`CN=a+1.2.840.113549.1.9.1=${email}`)).toBe('CN=a+emailAddress=x@y');
    expect(displaySubject('OID.2.5.4.3=x')).toBe('CN=x');
    expect(displaySubject(`2.5.4.5=${derValue(0x13, latin1('1234'))}`)).toBe('serialNumber=1234');
    expect(displaySubject(`2.5.4.12=${derValue(0x0c, utf8('Chef'))}`)).toBe('title=Chef');
    expect(displaySubject(`2.5.4.42=${derValue(0x1e, [0, 0x4a, 0, 0xe9])}`)).toBe('givenName=Jé');
    expect(displaySubject(`2.5.4.4=${derValue(0x0c, utf8('Doe'))}`)).toBe('surname=Doe');
    expect(displaySubject(`1.2.840.113549.1.9.2=${derValue(0x16, latin1('host'))}`)).toBe(
      'unstructuredName=host',
    );
  });

  it('escapes decoded text where RFC 2253 requires it', () => {
    const title = (text: string) => displaySubject(`2.5.4.12=${derValue(0x0c, utf8(text))}`);
    expect(title('a,b+c"d\\e<f>g;h')).toBe('title=a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h');
    expect(title('#a#')).toBe('title=\\#a#');
    expect(title(' a b ')).toBe('title=\\ a b\\ ');
    expect(title('a\nb')).toBe('title=a\\0Ab');
    expect(displaySubject('CN= a ')).toBe('CN=\\ a\\ ');
  });

  it('shows unknown OIDs numerically and undecoded values as written', () => {
    expect(displaySubject('1.2.3.4=#0c0141,1.2.3.5=#04020102')).toBe('1.2.3.4=A,1.2.3.5=#04020102');
  });

  it('returns unparseable input unchanged, and the empty subject as empty', () => {
    expect(displaySubject('CN=a"b')).toBe('CN=a"b');
    expect(displaySubject('CN')).toBe('CN');
    expect(displaySubject('')).toBe('');
  });

  it('produces output that parses back to the same values', () => {
    for (const subject of VALID_SUBJECTS) {
      const shown = displaySubject(subject);
      const values = (text: string) => rdnsOf(text).flatMap((rdn) => rdn.map((a) => a.value));
      expect(values(shown), subject).toEqual(values(subject));
    }
  });
});
