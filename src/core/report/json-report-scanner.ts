import { FIELD_NAMES, KIND_ABSENT, KIND_NOT_STRING, KIND_STRING, RecordView } from './audit-record.js';
import {
  ChunkedScanner,
  describeByte,
  findStop2,
  findStop2Below,
  MAX_ROW_BYTES,
  NEED_MORE,
  type RecordSink,
  ROW_TOO_LONG,
} from './chunked-scanner.js';
import { REPORT_FIELDS } from './report-fields.js';
import { sameAsWords, wordsOf } from './wide-bytes.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LF = 0x0a;

const S_BEFORE_ARRAY = 0;
const S_FIRST_ELEMENT = 1;
const S_AFTER_ELEMENT = 2;
const S_ELEMENT = 3;
const S_DONE = 4;

/** bytes that end the run of plain bytes in a string */
const STRING_STOP = new Uint8Array(256);
STRING_STOP.fill(1, 0, 0x20);
STRING_STOP[QUOTE] = 1;
STRING_STOP[BACKSLASH] = 1;
const QUOTE_OR_BACKSLASH = new Uint8Array(256);
QUOTE_OR_BACKSLASH[QUOTE] = 1;
QUOTE_OR_BACKSLASH[BACKSLASH] = 1;

/** each field's JSON key (the field table's jsonKey), by field index */
const KEY_BYTES = REPORT_FIELDS.map((f) => new TextEncoder().encode(f.jsonKey));
/** each field's key as AWS writes it, quoted and followed by a colon, and its words (see wide-bytes.ts) */
const KEY_TOKENS = REPORT_FIELDS.map((f) => new TextEncoder().encode(`"${f.jsonKey}":`));
const KEY_TOKEN_WORDS = KEY_TOKENS.map(wordsOf);

/**
 * Fields whose validators (report/index/builder.ts) reject every byte that is not part of their grammar
 * (hex, digits, ARN, enum): the field table's strict ones. Their strings may skip the check for
 * control characters and look for the closing quote only. Subjects and free text keep the full check.
 */
const STRICTLY_VALIDATED = Uint8Array.from(REPORT_FIELDS, (f) => +f.strict);

/** Field index of the key in bytes[start, end), or -1 for a key the tool does not use. */
function fieldOfKey(bytes: Uint8Array, start: number, end: number): number {
  const len = end - start;
  outer: for (let f = 0; f < KEY_BYTES.length; f++) {
    const key = KEY_BYTES[f]!;
    if (key.length !== len) continue;
    for (let i = 0; i < len; i++) if (key[i] !== bytes[start + i]) continue outer;
    return f;
  }
  return -1;
}

function sameKey(buf: Uint8Array, at: number, key: Uint8Array): boolean {
  for (let i = 0; i < key.length; i++) if (buf[at + i] !== key[i]) return false;
  return true;
}

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === LF || b === 0x0d || b === 0x09;
}

/**
 * Streams the rows of a JSON audit report: one top-level array of flat objects. Strict JSON
 * (anything else is a ReportSyntaxError with line and byte); keys the tool does not know are
 * skipped whatever their value; null counts as absent. Strings without escapes are handed over as
 * spans of the input, without copying or decoding.
 */
export class JsonReportScanner extends ChunkedScanner {
  private state = S_BEFORE_ARRAY;
  private readonly view = new RecordView();
  private rowCount = 0;
  /** fields seen in at least one row: an old report may lack the extended keys entirely */
  readonly seenFields = new Set<number>();
  /** bit f set: field f is in seenFields */
  private seenBits = 0;
  // set by scanString
  private strEnd = 0;
  private strEscaped = false;

  constructor(onRecord: RecordSink) {
    super(onRecord);
  }

  protected scan(pos: number, final: boolean): number {
    const buf = this.buf;
    const end = buf.length;
    let p = pos;
    for (;;) {
      while (p < end && isWhitespace(buf[p]!)) {
        if (buf[p] === LF) this.line++;
        p++;
      }
      if (p >= end) return p;
      const b = buf[p]!;
      switch (this.state) {
        case S_BEFORE_ARRAY:
          if (b !== LBRACKET)
            this.fail(`expected '[' to open the report's array, found ${describeByte(b)}`, p);
          this.state = S_FIRST_ELEMENT;
          p++;
          break;
        case S_FIRST_ELEMENT:
        case S_ELEMENT: {
          if (b === RBRACKET && this.state === S_FIRST_ELEMENT) {
            this.state = S_DONE;
            p++;
            break;
          }
          if (b !== LBRACE) this.fail(`expected '{' to open a record, found ${describeByte(b)}`, p);
          const next = this.scanObject(p, final);
          if (next === NEED_MORE) {
            if (end - p > MAX_ROW_BYTES) this.fail(ROW_TOO_LONG, p);
            return p;
          }
          p = next;
          this.state = S_AFTER_ELEMENT;
          break;
        }
        case S_AFTER_ELEMENT:
          if (b === COMMA) this.state = S_ELEMENT;
          else if (b === RBRACKET) this.state = S_DONE;
          else this.fail(`expected ',' or ']' after record ${this.rowCount}, found ${describeByte(b)}`, p);
          p++;
          break;
        default:
          this.fail(`unexpected ${describeByte(b)} after the end of the report's array`, p);
      }
    }
  }

  protected finish(): void {
    if (this.state !== S_DONE) {
      const where =
        this.state === S_BEFORE_ARRAY
          ? 'the report is empty'
          : `the report ends inside its array after ${this.rowCount} records (truncated?)`;
      if (this.pos < this.buf.length) {
        this.fail(`unexpected end of input inside record ${this.rowCount + 1} (truncated?)`, this.pos);
      }
      this.fail(where, this.buf.length);
    }
  }

  /**
   * scanString for a field that is validated byte by byte later (whose validator refuses control
   * characters): looks for the closing quote only, falling back to the full scan at a backslash.
   */
  private scanValidatedString(p: number): boolean {
    const buf = this.buf;
    const end = buf.length;
    const q = findStop2(buf, this.words, p + 1, end, QUOTE_OR_BACKSLASH, QUOTE, BACKSLASH);
    if (q >= end) return false;
    if (buf[q] === BACKSLASH) return this.scanString(p);
    this.strEnd = q;
    this.strEscaped = false;
    return true;
  }

  /**
   * Scans the string whose opening quote is at p. Sets strEnd (index of the closing quote) and
   * strEscaped; returns false when the input ends first.
   */
  private scanString(p: number): boolean {
    const buf = this.buf;
    const end = buf.length;
    let q = p + 1;
    let escaped = false;
    for (;;) {
      // to a quote, a backslash or a control character
      q = findStop2Below(buf, this.words, q, end, STRING_STOP, QUOTE, BACKSLASH, 0x20);
      if (q >= end) return false;
      const c = buf[q];
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        q += 2;
        continue;
      }
      this.fail(`control character 0x${c!.toString(16).padStart(2, '0')} inside a string`, q);
    }
    this.strEnd = q;
    this.strEscaped = escaped;
    return true;
  }

  /** Decodes JSON escapes of the string body [start, end) into scratch; returns its span start. */
  private unescape(start: number, end: number): number {
    const buf = this.buf;
    // decoded text is never longer than the escaped form
    const at = this.reserveScratch(end - start);
    const out = this.scratch;
    let o = at;
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c !== BACKSLASH) {
        out[o++] = c;
        continue;
      }
      const e = buf[++i];
      switch (e) {
        case QUOTE:
        case BACKSLASH:
        case 0x2f:
          out[o++] = e;
          break;
        case 0x62:
          out[o++] = 0x08;
          break;
        case 0x66:
          out[o++] = 0x0c;
          break;
        case 0x6e:
          out[o++] = 0x0a;
          break;
        case 0x72:
          out[o++] = 0x0d;
          break;
        case 0x74:
          out[o++] = 0x09;
          break;
        case 0x75: {
          let cp = this.hex4(i + 1);
          i += 4;
          if (cp >= 0xd800 && cp <= 0xdbff && buf[i + 1] === BACKSLASH && buf[i + 2] === 0x75) {
            const lo = this.hex4(i + 3);
            if (lo >= 0xdc00 && lo <= 0xdfff) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
              i += 6;
            }
          }
          if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // a lone surrogate cannot be UTF-8
          o = writeUtf8(out, o, cp);
          break;
        }
        default:
          this.fail(`invalid escape '\\${e === undefined ? '' : String.fromCharCode(e)}' in a string`, i - 1);
      }
    }
    this.scratchUsed = o;
    this.scratchEnd = o;
    return at;
  }
  private scratchEnd = 0;

  private hex4(at: number): number {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.buf[at + k];
      const d =
        c === undefined
          ? -1
          : c >= 0x30 && c <= 0x39
            ? c - 0x30
            : c >= 0x61 && c <= 0x66
              ? c - 87
              : c >= 0x41 && c <= 0x46
                ? c - 55
                : -1;
      if (d < 0) this.fail('invalid \\u escape in a string', at - 2);
      v = (v << 4) | d;
    }
    return v;
  }

  /** Field index of the key string just scanned at q (its escapes decoded), or -1. */
  private keyField(q: number): number {
    if (!this.strEscaped) return fieldOfKey(this.buf, q + 1, this.strEnd);
    const mark = this.scratchUsed;
    const s = this.unescape(q + 1, this.strEnd);
    const field = fieldOfKey(this.scratch, s, this.scratchEnd);
    this.scratchUsed = mark;
    return field;
  }

  private needMore(final: boolean, startLine: number): number {
    if (final)
      this.fail(`unexpected end of input inside record ${this.rowCount + 1} (truncated?)`, this.buf.length);
    this.line = startLine;
    return NEED_MORE;
  }

  /**
   * Skips one JSON value that is not a string (number, literal, object, array) at p, checking its
   * grammar as strictly as JSON.parse would; returns the index after it, or NEED_MORE.
   */
  private skipValue(p: number, final: boolean, depth = 0): number {
    const buf = this.buf;
    const end = buf.length;
    const more = (at: number) =>
      final ? this.fail('unexpected end of input inside a value (truncated?)', at) : NEED_MORE;
    if (depth > 64) this.fail('values nested too deeply', p);
    if (p >= end) return more(p);
    const c = buf[p]!;
    if (c === QUOTE) {
      if (!this.scanString(p)) return more(p);
      if (this.strEscaped) {
        const mark = this.scratchUsed;
        this.unescape(p + 1, this.strEnd); // validates the escapes
        this.scratchUsed = mark;
      }
      return this.strEnd + 1;
    }
    if (c === 0x74 || c === 0x66 || c === 0x6e) {
      const word = c === 0x74 ? 'true' : c === 0x66 ? 'false' : 'null';
      for (let k = 0; k < word.length; k++) {
        if (p + k >= end) return more(p);
        if (buf[p + k] !== word.charCodeAt(k)) this.fail(`invalid literal, expected '${word}'`, p);
      }
      return p + word.length;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.skipNumber(p, final);
    if (c !== LBRACE && c !== LBRACKET) this.fail(`unexpected ${describeByte(c)} in a value`, p);
    const close = c === LBRACE ? RBRACE : RBRACKET;
    let q = this.skipSpace(p + 1);
    if (q >= end) return more(q);
    if (buf[q] === close) return q + 1;
    for (;;) {
      if (close === RBRACE) {
        if (buf[q] !== QUOTE) this.fail(`expected a key, found ${describeByte(buf[q])}`, q);
        if (!this.scanString(q)) return more(q);
        q = this.skipSpace(this.strEnd + 1);
        if (q >= end) return more(q);
        if (buf[q] !== COLON) this.fail(`expected ':' after a key, found ${describeByte(buf[q])}`, q);
        q = this.skipSpace(q + 1);
      }
      const v = this.skipValue(q, final, depth + 1);
      if (v === NEED_MORE) return NEED_MORE;
      q = this.skipSpace(v);
      if (q >= end) return more(q);
      if (buf[q] === close) return q + 1;
      if (buf[q] !== COMMA)
        this.fail(`expected ',' or '${String.fromCharCode(close)}', found ${describeByte(buf[q])}`, q);
      q = this.skipSpace(q + 1);
      if (q >= end) return more(q);
    }
  }

  /** Whitespace inside a skipped value; lines are counted once the whole row is known. */
  private skipSpace(p: number): number {
    const buf = this.buf;
    while (p < buf.length && isWhitespace(buf[p]!)) {
      if (buf[p] === LF) this.line++;
      p++;
    }
    return p;
  }

  /** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  private skipNumber(p: number, final: boolean): number {
    const buf = this.buf;
    const end = buf.length;
    let q = p;
    const digit = (at: number) => at < end && buf[at]! >= 0x30 && buf[at]! <= 0x39;
    const digits = (at: number) => {
      let k = at;
      while (digit(k)) k++;
      return k;
    };
    if (buf[q] === 0x2d) q++;
    if (q >= end) return final ? this.fail('truncated number', p) : NEED_MORE;
    if (buf[q] === 0x30) q++;
    else if (digit(q)) q = digits(q);
    else this.fail('invalid number', p);
    if (buf[q] === 0x2e) {
      if (!digit(q + 1)) return q + 1 >= end && !final ? NEED_MORE : this.fail('invalid number', p);
      q = digits(q + 1);
    }
    if (buf[q] === 0x65 || buf[q] === 0x45) {
      q++;
      if (buf[q] === 0x2b || buf[q] === 0x2d) q++;
      if (!digit(q)) return q >= end && !final ? NEED_MORE : this.fail('invalid number', p);
      q = digits(q);
    }
    if (q >= end && !final) return NEED_MORE; // more digits may follow in the next chunk
    return q;
  }

  /** Scans the object whose '{' is at p and hands the row over; returns the index after '}'. */
  private scanObject(p: number, final: boolean): number {
    const buf = this.buf;
    const end = buf.length;
    const view = this.view;
    const startLine = this.line;
    view.reset();
    view.offset = this.base + p;
    view.line = startLine;
    this.scratchUsed = 0;
    let q = p + 1;
    // 0: after '{' (a key or '}'), 1: after ',' (a key), 2: after a value (',' or '}')
    let at = 0;
    let nextField = 0;
    /** bit f set: field f has a value */
    let present = 0;
    for (;;) {
      while (q < end && isWhitespace(buf[q]!)) {
        if (buf[q] === LF) this.line++;
        q++;
      }
      if (q >= end) return this.needMore(final, startLine);
      let c = buf[q]!;
      if (at === 2) {
        if (c === RBRACE) {
          q++;
          break;
        }
        if (c !== COMMA)
          this.fail(`expected ',' or '}' in record ${this.rowCount + 1}, found ${describeByte(c)}`, q);
        q++;
        at = 1;
        continue;
      }
      if (c === RBRACE && at === 0) {
        q++;
        break;
      }
      if (c !== QUOTE)
        this.fail(`expected a key in record ${this.rowCount + 1}, found ${describeByte(c)}`, q);
      // AWS writes the keys in one order, leaving out those without a value, each followed by its
      // colon: try the key that follows the previous one, then the two after it, with the colon
      let field = -1;
      for (let f = nextField, stop = Math.min(nextField + 3, KEY_BYTES.length); f < stop; f++) {
        const token = KEY_TOKENS[f]!;
        if (q + token.length <= end && sameAsWords(this.dv, q, token, KEY_TOKEN_WORDS[f]!)) {
          field = f;
          q += token.length;
          break;
        }
      }
      if (field < 0) {
        for (let f = nextField, stop = Math.min(nextField + 3, KEY_BYTES.length); f < stop; f++) {
          const key = KEY_BYTES[f]!;
          const keyEnd = q + 1 + key.length;
          if (keyEnd < end && buf[keyEnd] === QUOTE && sameKey(buf, q + 1, key)) {
            field = f;
            q = keyEnd + 1;
            break;
          }
        }
        if (field < 0) {
          if (!this.scanString(q)) return this.needMore(final, startLine);
          field = this.keyField(q);
          q = this.strEnd + 1;
        }
        while (q < end && isWhitespace(buf[q]!)) {
          if (buf[q] === LF) this.line++;
          q++;
        }
        if (q >= end) return this.needMore(final, startLine);
        if (buf[q] !== COLON) this.fail(`expected ':' after a key, found ${describeByte(buf[q])}`, q);
        q++;
      }
      if (field >= 0) nextField = field + 1;
      while (q < end && isWhitespace(buf[q]!)) {
        if (buf[q] === LF) this.line++;
        q++;
      }
      if (q >= end) return this.needMore(final, startLine);
      c = buf[q]!;
      if (c === QUOTE) {
        const found =
          field >= 0 && STRICTLY_VALIDATED[field] === 1 ? this.scanValidatedString(q) : this.scanString(q);
        if (!found) return this.needMore(final, startLine);
        if (field >= 0) {
          if (this.strEscaped) {
            const s = this.unescape(q + 1, this.strEnd);
            view.buf[field] = this.scratch;
            view.start[field] = s;
            view.end[field] = this.scratchEnd;
          } else {
            view.buf[field] = buf;
            view.start[field] = q + 1;
            view.end[field] = this.strEnd;
          }
          view.kind[field] = KIND_STRING;
          present |= 1 << field;
        } else if (this.strEscaped) {
          const mark = this.scratchUsed;
          this.unescape(q + 1, this.strEnd);
          this.scratchUsed = mark;
        }
        q = this.strEnd + 1;
      } else {
        const valueEnd = this.skipValue(q, final);
        if (valueEnd === NEED_MORE) {
          this.line = startLine;
          return NEED_MORE;
        }
        if (valueEnd === q) this.fail(`expected a value, found ${describeByte(c)}`, q);
        if (field >= 0) {
          const isNull = valueEnd - q === 4 && c === 0x6e;
          if (isNull) {
            view.kind[field] = KIND_ABSENT;
            present &= ~(1 << field);
          } else {
            view.buf[field] = buf;
            view.start[field] = q;
            view.end[field] = valueEnd;
            view.kind[field] = KIND_NOT_STRING;
            present |= 1 << field;
          }
        }
        q = valueEnd;
      }
      at = 2;
    }
    if (q - p > MAX_ROW_BYTES) this.fail(ROW_TOO_LONG, p, startLine);
    this.rowCount++;
    if ((present & ~this.seenBits) !== 0) {
      for (let f = 0; f < FIELD_NAMES.length; f++) {
        if ((present & (1 << f)) === 0 || (this.seenBits & (1 << f)) !== 0) continue;
        this.seenBits |= 1 << f;
        this.seenFields.add(f);
      }
    }
    this.onRecord(view);
    return q;
  }
}

function writeUtf8(out: Uint8Array, o: number, cp: number): number {
  if (cp < 0x80) out[o++] = cp;
  else if (cp < 0x800) {
    out[o++] = 0xc0 | (cp >> 6);
    out[o++] = 0x80 | (cp & 63);
  } else if (cp < 0x10000) {
    out[o++] = 0xe0 | (cp >> 12);
    out[o++] = 0x80 | ((cp >> 6) & 63);
    out[o++] = 0x80 | (cp & 63);
  } else {
    out[o++] = 0xf0 | (cp >> 18);
    out[o++] = 0x80 | ((cp >> 12) & 63);
    out[o++] = 0x80 | ((cp >> 6) & 63);
    out[o++] = 0x80 | (cp & 63);
  }
  return o;
}
