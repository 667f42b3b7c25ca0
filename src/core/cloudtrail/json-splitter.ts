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
export class JsonSplitError extends Error {
  override readonly name = 'JsonSplitError';
  constructor(
    readonly what: string,
    /** 1-based line, 0-based byte offset in the (decompressed) input */
    readonly line: number,
    readonly byte: number,
  ) {
    super(`line ${line}, byte ${byte}: ${what}`);
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
  cut(chunk: Uint8Array, to: number, line: number, byte: number): void {
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
      this.parts.push(Uint8Array.prototype.slice.call(chunk, this.from, to));
    }
    this.from = -1;
  }
  append(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.size += bytes.length;
  }
  text(decoder: { decode(input: Uint8Array): string }): string {
    if (this.parts.length === 1) return decoder.decode(this.parts[0]!);
    const all = new Uint8Array(this.size);
    let k = 0;
    for (const p of this.parts) {
      all.set(p, k);
      k += p.length;
    }
    return decoder.decode(all);
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
    for (; i < chunk.length; i++) {
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
          continue;
        case 'element':
          if (b === QUOTE) this.inString = true;
          else if (b === OPEN_OBJECT || b === OPEN_ARRAY) this.elementDepth++;
          else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
            if (--this.elementDepth === 0) {
              this.element.cut(chunk, i + 1, this.line, at);
              out.push({
                kind: 'element',
                key: this.arrayKey,
                index: this.elements++,
                text: this.decode(this.element, at),
                line: this.element.line,
                byte: this.element.byte,
              });
              this.mode = 'after-element';
            }
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
        this.mode = 'top';
      }
    }
  }

  private decode(piece: PieceBuffer, at: number): string {
    try {
      return piece.text(this.decoder);
    } catch {
      throw new JsonSplitError('not valid UTF-8', piece.line, Math.min(piece.byte, at));
    }
  }
}
