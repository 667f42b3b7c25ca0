import { type DescribeOptions, PcaAuditError } from '../../errors.js';
import { parseInstantBytes } from '../../instant.js';

/**
 * Splits a stream of JSON text into pieces small enough to parse one at a time: each top-level
 * value (one document, or one per line in JSON lines), except that the elements of a top-level
 * array, and of a `Records` or `Events` array directly under a top-level object, come out one by
 * one. A trail log file `{"Records":[...]}` or `aws cloudtrail lookup-events` output of any size
 * is thus read record by record, never held whole. Each piece is then parsed by JSON.parse, which
 * does the strict validation; this scanner only tracks strings and brackets, and checks the
 * separators between the pieces it cuts.
 */

/** A JSON text that cannot be split: truncated, unbalanced, or not JSON at all. */
export class JsonSplitError extends PcaAuditError {
  override readonly name = 'JsonSplitError';
  readonly errorKind = 'input';
  constructor(
    readonly what: string,
    /** 1-based line, 0-based byte offset in the (decompressed) input */
    readonly line: number,
    readonly byte: number,
  ) {
    super(`line ${line}, byte ${byte}: ${what}`);
  }

  override describe(o: DescribeOptions): string {
    return `reading CloudTrail source: ${o.clean(this.message)}`;
  }
}

export interface JsonPiece {
  /** 'document': a whole top-level value (its streamed array written as `[]`); 'element': one element */
  kind: 'document' | 'element';
  /** for an element: the key of the array it came from ('Records', 'Events'), or '' for a top-level array */
  key: string;
  /** for an element: its 0-based position in its array */
  index: number;
  text: string;
  /** where the piece starts: 1-based line, 0-based byte offset */
  line: number;
  byte: number;
  /**
   * Set (and `text` left empty, never decoded) when a Skim was given and the piece is a record of
   * no interest: see Skim.
   */
  other?: RecordFields;
}

/** The four top-level string fields that tell what a CloudTrail record is (eventTime parsed: NaN if not an instant). */
export interface RecordFields {
  eventID: string;
  eventSource: string;
  eventName: string;
  time: number;
}

/**
 * Lets the splitter hand over records of no interest without decoding or parsing them. While an
 * element of a streamed array is scanned, its top-level keys are watched: when the element is an
 * object whose top-level `eventID`, `eventSource`, `eventName` and `eventTime` are each present once,
 * as strings of printable ASCII without escapes, and that has none of the keys that make a value
 * something else than a record (`detail-type`, `CloudTrailEvent`, `digestStartTime`, `logFiles`,
 * `Records`, `Events`, or any key written with an escape), those four fields are exactly what
 * JSON.parse would give; when `other` says so from them, and the bytes are valid UTF-8, the piece
 * comes out with `other` set and no text. The element is validated as it is scanned, as JSON.parse
 * would (the grammar, escapes, no raw control bytes in strings, UTF-8 by `isUtf8`): at the first
 * doubt (an error, or a number, literal or escape cut by the chunk's end) the skim is off for that
 * element, which is decoded and left to JSON.parse (so a malformed record is still reported as
 * before). The first piece of the input is never skimmed (it tells what the input is).
 */
export interface Skim {
  other(fields: RecordFields): boolean;
  isUtf8(bytes: Uint8Array): boolean;
}

/** Top-level keys watched in an element: the four fields (0..3), and the ones that rule a skim out. */
const FIELD_KEYS = ['eventID', 'eventSource', 'eventName', 'eventTime'] as const;
const RULED_OUT = -2;
const WATCHED_KEYS = new Map<string, number>([
  ...FIELD_KEYS.map((k, i): [string, number] => [k, i]),
  ...['detail-type', 'CloudTrailEvent', 'digestStartTime', 'logFiles', 'Records', 'Events'].map(
    (k): [string, number] => [k, RULED_OUT],
  ),
]);
const TIME = 3;

/** what may come next, for the skim's validation */
const VALUE = 0;
const VALUE_OR_CLOSE = 1;
const KEY = 2;
const KEY_OR_CLOSE = 3;
const COLON_NEXT = 4;
const COMMA_OR_CLOSE = 5;
/** bytes that may follow a backslash (u apart) */
const ESCAPES = new Uint8Array(128);
for (const c of '"\\/bfnrt') ESCAPES[c.charCodeAt(0)] = 1;

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/** The index after a JSON number starting at i (-1: not one); a number reaching the chunk's end gives n. */
function numberEnd(b: Uint8Array, start: number): number {
  const n = b.length;
  let i = start;
  if (b[i] === 0x2d) i++;
  if (i >= n) return n;
  if (b[i] === 0x30) i++;
  else if (isDigit(b[i])) while (isDigit(b[i])) i++;
  else return -1;
  if (b[i] === 0x2e) {
    i++;
    if (i >= n) return n;
    if (!isDigit(b[i])) return -1;
    while (isDigit(b[i])) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    if (i >= n) return n;
    if (!isDigit(b[i])) return -1;
    while (isDigit(b[i])) i++;
  }
  return i;
}

const LITERALS = ['true', 'false', 'null'].map((w) => [...w].map((c) => c.charCodeAt(0)));

/** The index after true, false or null at i (-1: none; n: cut by the chunk's end). */
function literalEnd(b: Uint8Array, i: number): number {
  for (const w of LITERALS) {
    if (b[i] !== w[0]) continue;
    if (i + w.length > b.length) return b.length;
    for (let k = 1; k < w.length; k++) if (b[i + k] !== w[k]) return -1;
    return i + w.length;
  }
  return -1;
}
/** the longest watched key or field value collected (longer: the skim is off for that element) */
const FIELD_MAX = 64;
/** the watched keys by length, as bytes: keys are told apart without making strings */
const WATCHED_BY_LENGTH: { bytes: number[]; index: number }[][] = [];
for (const [k, index] of WATCHED_KEYS) {
  WATCHED_BY_LENGTH[k.length] ??= [];
  WATCHED_BY_LENGTH[k.length]!.push({ bytes: [...k].map((c) => c.charCodeAt(0)), index });
}

/** The watched key's index (or RULED_OUT) that the bytes f[start, end) spell, else -1. */
function watchedKey(f: Uint8Array, start: number, end: number): number {
  const list = WATCHED_BY_LENGTH[end - start];
  if (list === undefined) return -1;
  next: for (const { bytes, index } of list) {
    for (let i = 0; i < bytes.length; i++) if (f[start + i] !== bytes[i]) continue next;
    return index;
  }
  return -1;
}

const STREAMED_KEYS = new Set(['Records', 'Events']);
/** No single piece may be larger: a CloudTrail record is at most a few hundred KiB. */
export const MAX_PIECE_BYTES = 64 * 1024 * 1024;

const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const NEWLINE = 0x0a;

/** what ends a run of plain bytes inside a string, for the skim: '"', '\\' and raw control bytes */
const STRING_STOP = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_STOP[c] = 1;
STRING_STOP[QUOTE] = 1;
STRING_STOP[BACKSLASH] = 1;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function describe(b: number): string {
  if (b >= 0x21 && b <= 0x7e) return `'${String.fromCharCode(b)}'`;
  return `byte 0x${b.toString(16).padStart(2, '0')}`;
}

/** Accumulates bytes of one piece across chunks. */
class PieceBuffer {
  private parts: Uint8Array[] = [];
  private size = 0;
  private from = -1;
  line = 0;
  byte = 0;

  begin(line: number, byte: number): void {
    this.parts = [];
    this.size = 0;
    this.line = line;
    this.byte = byte;
  }
  /** Marks where, in the current chunk, the piece's next bytes start. */
  mark(at: number): void {
    this.from = at;
  }
  /** Keeps chunk[from, to) and stops collecting until the next mark. */
  /** `view`: the piece is used up before push() returns, so a view of the chunk does (no copy). */
  cut(chunk: Uint8Array, to: number, line: number, byte: number, view = false): void {
    if (this.from < 0) return;
    if (to > this.from) {
      this.size += to - this.from;
      if (this.size > MAX_PIECE_BYTES) {
        throw new JsonSplitError(
          `a single JSON value over ${MAX_PIECE_BYTES >> 20} MiB: not CloudTrail input`,
          line,
          byte,
        );
      }
      // a copy: the caller may reuse the chunk's memory for its next read (readChunks does), and
      // a piece can outlive several chunks (the document around a streamed array outlives them all).
      // Buffer#slice would be a view, so Uint8Array's own slice is called.
      const part = new Uint8Array(chunk.buffer, chunk.byteOffset + this.from, to - this.from);
      this.parts.push(view ? part : part.slice());
    }
    this.from = -1;
  }
  append(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.size += bytes.length;
  }
  bytes(): Uint8Array {
    if (this.parts.length === 1) return this.parts[0]!;
    const all = new Uint8Array(this.size);
    let k = 0;
    for (const p of this.parts) {
      all.set(p, k);
      k += p.length;
    }
    return all;
  }
}

type Mode =
  /** between top-level values */
  | 'top'
  /** inside a top-level value, outside any streamed array */
  | 'document'
  /** inside a streamed array, before an element or ']' */
  | 'before-element'
  /** inside a streamed array, right after a ',' */
  | 'after-comma'
  /** inside an element of a streamed array */
  | 'element'
  /** after an element: ',' or ']' */
  | 'after-element';

const CLOSE = new Uint8Array([CLOSE_ARRAY]);
const BOM = [0xef, 0xbb, 0xbf];

export class JsonSplitter {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  private mode: Mode = 'top';
  private depth = 0;
  private inString = false;
  private escape = false;
  /** inside the top-level value: the last string closed at depth 1, and whether ':' followed it */
  private topIsObject = false;
  private keyBytes: number[] = [];
  private collectingKey = false;
  private lastKey = '';
  private afterColon = false;
  /** the streamed array: its key, its depth, and how many elements so far */
  private arrayKey = '';
  private arrayDepth = 0;
  private elements = 0;
  private elementDepth = 0;
  private readonly doc = new PieceBuffer();
  private readonly element = new PieceBuffer();
  private line = 1;
  private base = 0;
  /** how many bytes of a leading BOM have been skipped (3: done looking) */
  private bomSeen = 0;
  /** pieces emitted so far (the first is never skimmed) */
  private emitted = 0;
  /** whether the current element is scanned by skimScan, and whether it may still be skimmed */
  private skimming = false;
  private skimOff = true;
  /** while skimming: the containers open, by depth */
  private readonly stack = new Uint8Array(256);
  /** what may come next (KEY_OR_CLOSE...) */
  private expect = KEY_OR_CLOSE;
  /** the watched field whose value comes next (-1: none) */
  private valueFor = -1;
  private fields: (string | undefined)[] = [];
  /** the eventTime field, parsed (NaN: not an instant) */
  private time = Number.NaN;
  /** a top-level string being read (see topString): its bytes so far, how many (-1: none) */
  private readonly field = new Uint8Array(FIELD_MAX + 1);
  private partial = -1;
  /** eventSource and eventName values seen, by their bytes (few distinct ones in a trail) */
  private readonly names: { bytes: Uint8Array; text: string }[] = [];

  constructor(private readonly skim?: Skim) {}

  /** Feeds the next chunk; returns the pieces it completed, in order. */
  push(chunk: Uint8Array): JsonPiece[] {
    const out: JsonPiece[] = [];
    let i = 0;
    // a UTF-8 BOM at the very start, however the chunks split it
    while (
      this.bomSeen < 3 &&
      i < chunk.length &&
      this.base + i === this.bomSeen &&
      chunk[i] === BOM[this.bomSeen]
    ) {
      this.bomSeen++;
      i++;
    }
    if (this.base + i > this.bomSeen) this.bomSeen = 3;
    if (this.mode === 'document') this.doc.mark(i);
    if (this.mode === 'element') this.element.mark(i);
    const n = chunk.length;
    for (; i < n; i++) {
      if (this.mode === 'element') {
        // most bytes are inside elements: scanned by a tighter loop
        i = this.scanElement(chunk, i);
        if (i === n) break;
        const at = this.base + i;
        this.element.cut(chunk, i + 1, this.line, at, true);
        out.push(this.elementPiece(at));
        this.emitted++;
        this.mode = 'after-element';
        continue;
      }
      if (this.inString && !this.escape && !this.collectingKey) {
        // the bulk of the bytes: inside a string, up to its end, an escape or a newline
        while (i < n) {
          const c = chunk[i]!;
          if (c === QUOTE || c === BACKSLASH || c === NEWLINE) break;
          i++;
        }
        if (i === n) break;
      }
      const b = chunk[i]!;
      const at = this.base + i;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (b === BACKSLASH) this.escape = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (this.collectingKey) {
            this.collectingKey = false;
            this.lastKey = String.fromCharCode(...this.keyBytes);
            this.afterColon = false;
          }
        } else if (this.collectingKey && this.keyBytes.length < 16) this.keyBytes.push(b);
        if (b === NEWLINE) this.line++;
        continue;
      }
      if (b === NEWLINE) this.line++;
      switch (this.mode) {
        case 'top':
          if (isSpace(b)) continue;
          if (b !== OPEN_OBJECT && b !== OPEN_ARRAY) {
            throw new JsonSplitError(`expected a JSON object or array, found ${describe(b)}`, this.line, at);
          }
          this.doc.begin(this.line, at);
          this.doc.mark(i);
          this.depth = 1;
          this.topIsObject = b === OPEN_OBJECT;
          this.lastKey = '';
          this.afterColon = false;
          if (b === OPEN_ARRAY) {
            // a top-level array: its elements are the pieces
            this.doc.cut(chunk, i + 1, this.line, at);
            this.startArray('', 1);
            this.mode = 'before-element';
          } else this.mode = 'document';
          continue;
        case 'document':
          this.inDocument(b, chunk, i, at, out);
          continue;
        case 'before-element':
        case 'after-comma':
          if (isSpace(b)) continue;
          if (b === CLOSE_ARRAY) {
            if (this.mode === 'after-comma') {
              throw new JsonSplitError(`trailing ',' before ']' in ${this.arrayName()}`, this.line, at);
            }
            this.endArray(i);
            continue;
          }
          if (b !== OPEN_OBJECT) {
            throw new JsonSplitError(
              `expected an object for element ${this.elements + 1} of ${this.arrayName()}, found ${describe(b)}`,
              this.line,
              at,
            );
          }
          this.element.begin(this.line, at);
          this.element.mark(i);
          this.elementDepth = 1;
          this.mode = 'element';
          if (this.skim !== undefined && this.emitted > 0) {
            this.skimming = true;
            this.skimOff = false;
            this.stack[1] = OPEN_OBJECT;
            this.expect = KEY_OR_CLOSE;
            this.valueFor = -1;
            this.partial = -1;
            this.fields = [undefined, undefined, undefined, undefined];
          } else {
            this.skimming = false;
            this.skimOff = true;
          }
          continue;
        case 'after-element':
          if (isSpace(b)) continue;
          if (b === COMMA) this.mode = 'after-comma';
          else if (b === CLOSE_ARRAY) this.endArray(i);
          else {
            throw new JsonSplitError(
              `expected ',' or ']' after element ${this.elements} of ${this.arrayName()}, found ${describe(b)}`,
              this.line,
              at,
            );
          }
          continue;
      }
    }
    if (this.mode === 'document') this.doc.cut(chunk, chunk.length, this.line, this.base + chunk.length);
    if (this.mode === 'element') this.element.cut(chunk, chunk.length, this.line, this.base + chunk.length);
    this.base += chunk.length;
    return out;
  }

  /** Ends the input: throws when a value is still open. */
  end(): void {
    if (this.mode === 'top') return;
    const what =
      this.mode === 'document'
        ? 'the JSON document'
        : this.mode === 'element'
          ? `element ${this.elements + 1} of ${this.arrayName()}`
          : this.arrayName();
    throw new JsonSplitError(`unexpected end of input inside ${what} (truncated?)`, this.line, this.base);
  }

  private arrayName(): string {
    return this.arrayKey === '' ? 'the top-level array' : `"${this.arrayKey}"`;
  }

  private startArray(key: string, depth: number): void {
    this.arrayKey = key;
    this.arrayDepth = depth;
    this.elements = 0;
  }

  private endArray(i: number): void {
    if (this.arrayDepth === 1) {
      // the top-level array itself is done
      this.depth = 0;
      this.mode = 'top';
      return;
    }
    // back in the document: it reads `"Records":[]` in place of the streamed elements
    this.doc.append(CLOSE);
    this.depth = 1;
    this.afterColon = false;
    this.mode = 'document';
    this.doc.mark(i + 1);
  }

  private inDocument(b: number, chunk: Uint8Array, i: number, at: number, out: JsonPiece[]): void {
    if (b === QUOTE) {
      this.inString = true;
      if (this.depth === 1 && this.topIsObject && !this.afterColon) {
        this.collectingKey = true;
        this.keyBytes = [];
      }
      return;
    }
    if (b === COLON && this.depth === 1) {
      this.afterColon = true;
      return;
    }
    if (b === COMMA && this.depth === 1) {
      this.afterColon = false;
      return;
    }
    if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      if (
        b === OPEN_ARRAY &&
        this.depth === 1 &&
        this.topIsObject &&
        this.afterColon &&
        STREAMED_KEYS.has(this.lastKey)
      ) {
        this.doc.cut(chunk, i + 1, this.line, at);
        this.startArray(this.lastKey, 2);
        this.depth = 2;
        this.mode = 'before-element';
        return;
      }
      this.depth++;
      return;
    }
    if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
      if (--this.depth === 0) {
        this.doc.cut(chunk, i + 1, this.line, at);
        out.push({
          kind: 'document',
          key: '',
          index: 0,
          text: this.decode(this.doc, at),
          line: this.doc.line,
          byte: this.doc.byte,
        });
        this.emitted++;
        this.mode = 'top';
      }
    }
  }

  private decode(piece: PieceBuffer, at: number, bytes = piece.bytes()): string {
    try {
      return this.decoder.decode(bytes);
    } catch {
      throw new JsonSplitError('not valid UTF-8', piece.line, Math.min(piece.byte, at));
    }
  }

  /**
   * Scans an element from `start`: returns the index of its closing bracket, or the chunk's length
   * when the element goes on in the next chunk. While the element may still be skimmed, it is
   * validated as JSON.parse would (skimScan()); from the first doubt on, only strings and brackets
   * are tracked, as in push(), and JSON.parse will judge the element.
   */
  private scanElement(chunk: Uint8Array, start: number): number {
    let i = start;
    const n = chunk.length;
    if (this.skimming) {
      i = this.skimScan(chunk, i);
      if (i < 0) return -i - 1;
      if (i === n) return n;
    }
    let depth = this.elementDepth;
    let line = this.line;
    let inString = this.inString;
    let escaped = this.escape;
    let closed = false;
    while (i < n) {
      if (inString) {
        if (escaped) {
          escaped = false;
          if (chunk[i] === NEWLINE) line++;
          i++;
          continue;
        }
        while (i < n) {
          const c = chunk[i]!;
          i++;
          if (c === QUOTE) {
            inString = false;
            break;
          }
          if (c === BACKSLASH) {
            if (i === n) {
              escaped = true;
              break;
            }
            if (chunk[i] === NEWLINE) line++;
            i++;
          } else if (c === NEWLINE) line++;
        }
        continue;
      }
      const c = chunk[i]!;
      if (c === QUOTE) inString = true;
      else if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        if (--depth === 0) {
          closed = true;
          break;
        }
      } else if (c === NEWLINE) line++;
      i++;
    }
    this.elementDepth = depth;
    this.line = line;
    this.inString = inString;
    this.escape = escaped;
    return closed ? i : n;
  }

  /**
   * The skim's scan of an element (see Skim): JSON's grammar checked as JSON.parse would
   * (containers on a stack, what may come next, strings without raw control bytes and with valid
   * escapes, numbers and literals), the top-level keys and the watched fields read. Returns
   * -(index + 1) of the element's closing bracket; else the index where it stopped: the chunk's end,
   * or the first byte it doubts (a syntax error, or a number, literal or escape cut by the chunk's
   * end, or too deep), where the skim is off and scanElement's plain loop takes over at that very byte.
   */
  private skimScan(chunk: Uint8Array, start: number): number {
    const n = chunk.length;
    const stack = this.stack;
    let i = start;
    let depth = this.elementDepth;
    let line = this.line;
    let inString = this.inString;
    let expect = this.expect;
    let result = -1;
    let doubt = false;
    if (this.partial >= 0) {
      // a top-level key or value cut by the previous chunk's end
      const k = this.topString(chunk, i, this.partial, expect === COLON_NEXT);
      if (k < 0) return n;
      if (k > 0) {
        inString = false;
        i = k;
      } else doubt = this.skimOff;
    }
    scan: while (i < n && !doubt) {
      let c = chunk[i]!;
      if (inString) {
        while (STRING_STOP[c] === 0) {
          if (++i === n) break scan;
          c = chunk[i]!;
        }
        if (c === QUOTE) {
          inString = false;
          i++;
          // the usual next bytes below the top level, '":"' and '","', without a trip through the switch
          if (depth > 1 && i + 1 < n && chunk[i + 1] === QUOTE) {
            const d = chunk[i]!;
            if (d === COLON && expect === COLON_NEXT) expect = COMMA_OR_CLOSE;
            else if (d === COMMA && expect === COMMA_OR_CLOSE) {
              if (stack[depth] !== OPEN_OBJECT) continue;
              expect = COLON_NEXT;
            } else continue;
            inString = true;
            i += 2;
          }
          continue;
        }
        if (c !== BACKSLASH) break; // a raw control byte
        const e = i + 1 < n ? chunk[i + 1]! : 0;
        if (e === 0x75) {
          // \uXXXX
          if (i + 5 >= n) break;
          for (let k = i + 2; k < i + 6; k++) if (!isHex(chunk[k]!)) break scan;
          i += 6;
        } else if (e < 0x80 && ESCAPES[e] === 1) i += 2;
        else break;
        continue;
      }
      if (c <= 0x20) {
        if (c === NEWLINE) line++;
        else if (c !== 0x20 && c !== 0x09 && c !== 0x0d) break;
        i++;
        continue;
      }
      switch (expect) {
        case KEY_OR_CLOSE:
        case KEY:
          if (c === QUOTE) {
            i++;
            inString = true;
            expect = COLON_NEXT;
            if (depth === 1) {
              const k = this.topString(chunk, i, 0, true);
              if (k < 0) {
                i = n;
                break scan;
              }
              if (k > 0) {
                inString = false;
                i = k;
              } else if (this.skimOff) break scan;
            }
            continue;
          }
          if (c === CLOSE_OBJECT && expect === KEY_OR_CLOSE) break;
          break scan;
        case COLON_NEXT:
          if (c !== COLON) break scan;
          expect = VALUE;
          i++;
          continue;
        case COMMA_OR_CLOSE:
          if (c === COMMA) {
            expect = stack[depth] === OPEN_OBJECT ? KEY : VALUE;
            i++;
            continue;
          }
          if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) break;
          break scan;
        default: {
          // VALUE or VALUE_OR_CLOSE
          if (c === CLOSE_ARRAY && expect === VALUE_OR_CLOSE) break;
          if (c === QUOTE) {
            i++;
            inString = true;
            expect = COMMA_OR_CLOSE;
            if (depth === 1 && this.valueFor >= 0) {
              const k = this.topString(chunk, i, 0, false);
              if (k < 0) {
                i = n;
                break scan;
              }
              if (k > 0) {
                inString = false;
                i = k;
              } else break scan;
            }
            continue;
          }
          // a watched field whose value is not a string: JSON.parse decides what it is
          if (depth === 1 && this.valueFor >= 0) break scan;
          if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
            if (depth + 1 >= stack.length) break scan;
            stack[++depth] = c;
            expect = c === OPEN_OBJECT ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
            i++;
            continue;
          }
          const end = c === 0x2d || (c >= 0x30 && c <= 0x39) ? numberEnd(chunk, i) : literalEnd(chunk, i);
          if (end < 0 || end >= n) break scan;
          i = end;
          expect = COMMA_OR_CLOSE;
          continue;
        }
      }
      // a closing bracket, where one may be
      if ((c === CLOSE_OBJECT) !== (stack[depth] === OPEN_OBJECT)) break;
      depth--;
      expect = COMMA_OR_CLOSE;
      if (depth === 0) {
        result = i;
        break;
      }
      i++;
    }
    this.elementDepth = depth;
    this.line = line;
    this.expect = expect;
    this.inString = inString;
    if (result >= 0) return -result - 1;
    if (i < n) {
      // a doubt: the plain loop goes on from this byte, inside a string or not as it stands
      this.skimOff = true;
      this.skimming = false;
    }
    return i;
  }

  /**
   * Reads a top-level key, or a watched field's value, from `start` (just after its quote, or `carried`
   * bytes of it already in `field`): returns the index after its closing quote when it is printable ASCII and short; 0 when
   * it is not (the plain string scan goes on from `start`); -1 when it goes on in the next chunk (its bytes kept in `field`, `partial` set).
   */
  private topString(chunk: Uint8Array, start: number, carried: number, key: boolean): number {
    const n = chunk.length;
    let k = start;
    let b = 0;
    const stop = start + FIELD_MAX + 1 - carried;
    while (k < n && k < stop) {
      b = chunk[k]!;
      if (b === QUOTE || b === BACKSLASH || b < 0x20 || b >= 0x7f) break;
      k++;
    }
    let bytes = chunk;
    let from = start;
    let to = k;
    if (carried > 0 || (k === n && k < stop)) {
      // cut by a chunk's end: the bytes are gathered in `field`
      this.field.set(chunk.subarray(start, k), carried);
      bytes = this.field;
      from = 0;
      to = carried + k - start;
      if (k === n && k < stop) {
        this.partial = to;
        return -1;
      }
    }
    this.partial = -1;
    const whole = b === QUOTE && k < stop;
    if (key) {
      if (whole) {
        this.valueFor = watchedKey(bytes, from, to);
        if (this.valueFor === RULED_OUT) this.skimOff = true;
      } else {
        // a key with an escape might be a watched one; longer or not ASCII, it is none
        if (b === BACKSLASH) this.skimOff = true;
        this.valueFor = -1;
      }
    } else if (this.valueFor >= 0) {
      if (whole) this.setField(bytes, from, to);
      else this.skimOff = true;
      this.valueFor = -1;
    }
    return whole ? k + 1 : 0;
  }

  /** A watched field's value, chunk[start, end) (printable ASCII). */
  private setField(chunk: Uint8Array, start: number, end: number): void {
    const f = this.valueFor;
    // a field seen twice: JSON.parse keeps the last, the skim gives up
    if (this.fields[f] !== undefined) this.skimOff = true;
    else if (f === TIME) {
      this.time = parseInstantBytes(chunk, start, end);
      this.fields[TIME] = '';
    } else if (f === 0)
      this.fields[0] = String.fromCharCode.apply(null, chunk.subarray(start, end) as unknown as number[]);
    else this.fields[f] = this.name(chunk, start, end);
  }

  /** eventSource and eventName, made into strings once each. */
  private name(chunk: Uint8Array, start: number, end: number): string {
    const n = end - start;
    next: for (const e of this.names) {
      if (e.bytes.length !== n) continue;
      for (let k = 0; k < n; k++) if (e.bytes[k] !== chunk[start + k]) continue next;
      return e.text;
    }
    const bytes = chunk.slice(start, end);
    const text = String.fromCharCode.apply(null, bytes as unknown as number[]);
    if (this.names.length < 256) this.names.push({ bytes, text });
    return text;
  }

  private elementPiece(at: number): JsonPiece {
    const piece = this.element;
    const bytes = piece.bytes();
    const [eventID, eventSource, eventName, eventTime] = this.fields;
    if (
      !this.skimOff &&
      eventID !== undefined &&
      eventSource !== undefined &&
      eventName !== undefined &&
      eventTime !== undefined
    ) {
      const fields = { eventID, eventSource, eventName, time: this.time };
      if (this.skim!.other(fields) && this.skim!.isUtf8(bytes)) {
        return {
          kind: 'element',
          key: this.arrayKey,
          index: this.elements++,
          text: '',
          line: piece.line,
          byte: piece.byte,
          other: fields,
        };
      }
    }
    return {
      kind: 'element',
      key: this.arrayKey,
      index: this.elements++,
      text: this.decode(piece, at, bytes),
      line: piece.line,
      byte: piece.byte,
    };
  }
}
