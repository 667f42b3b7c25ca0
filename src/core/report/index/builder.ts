/**
 * The builder of a report's index: add() takes each row as the scanners hand it over, checks its
 * fields, fingerprints it, puts it in the columns and its serial in the hash table, and offers the
 * findings of the row; finish() hands the parts to finish.ts.
 */

import { type FindingCode, FindingCollector } from '../../finding.js';
import { parseInstantAt } from '../../instant.js';
import {
  F_ACCOUNT,
  F_ARN,
  F_ISSUED_AT,
  F_NOT_AFTER,
  F_NOT_BEFORE,
  F_REASON,
  F_REQUESTED_BY,
  F_REVOKED_AT,
  F_SERIAL,
  F_SUBJECT,
  F_TEMPLATE,
  KIND_ABSENT,
  KIND_NOT_STRING,
  type RecordView,
} from '../audit-record.js';
import { Fingerprint, hashBytes, hashOf } from '../fingerprint.js';
import { INVALID_REASON, NO_REASON, reasonCodeOf } from '../revocation-reason.js';
import { octetsToHex, serialErrorReason, writeSerialOctets } from '../serial.js';
import { checkSubjectBytes } from '../subject.js';
import { isLowerHexAt, sameAsWords, ViewCache, wordsOf } from '../wide-bytes.js';
import { grown, LineRuns, RevocationColumns, RowGroups, SparseNumbers } from './columns.js';
import { finishIndex } from './finish.js';
import { homeSlot, sameBytes, slotTag, tableBits, tableSizeFor } from './hash-table.js';
import {
  CA_OVERFLOW,
  CA_UNKNOWN,
  entrySerialText,
  FLAG_DUPLICATE,
  FLAG_INVALID,
  FLAG_NO_SERIAL,
  FLAG_REVOKED,
  type IndexOptions,
  NOT_AFTER_ELSEWHERE,
  type ReportIndex,
} from './model.js';
import {
  duplicateFinding,
  type FindingBody,
  incompleteFinding,
  invalidFinding,
  invertedFinding,
  mismatchFinding,
  subjectWhat,
  WHAT_ACCOUNT,
  WHAT_ARN_NO_CA,
  WHAT_ARN_NO_SERIAL,
  WHAT_ARN_NOT_ARN,
  WHAT_INSTANT,
  WHAT_MISSING,
  WHAT_NOT_STRING,
  WHAT_REASON,
  WHAT_SERIAL_LONG,
  WHAT_TEMPLATE,
} from './row-findings.js';

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();
const CERTIFICATE_SEGMENT = ENCODER.encode('/certificate/');
const ARN_PREFIX = ENCODER.encode('arn:');
const CA_ARN_PATTERN =
  /^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** longest hex serial an ARN may end in */
const MAX_ARN_SERIAL = 200;
/** fingerprint tag of an ARN that is its CA's ARN + '/certificate/' + the serial in lowercase hex */
const TAG_CANONICAL_ARN = 0x102;
const LOWER_HEX = ENCODER.encode('0123456789abcdef');

/** Whether b[at, at + 2 * len) is the lowercase hex of octets[from, from + len). */
function isLowerHexOf(b: Uint8Array, at: number, octets: Uint8Array, from: number, len: number): boolean {
  for (let k = 0; k < len; k++) {
    const o = octets[from + k]!;
    if (b[at + 2 * k] !== LOWER_HEX[o >> 4] || b[at + 2 * k + 1] !== LOWER_HEX[o & 15]) return false;
  }
  return true;
}

/** serials inserted into the hash table together (see insertPending) */
const PENDING = 16;

export class ReportIndexBuilder {
  private cap: number;
  count = 0;
  arena: Uint8Array;
  private arenaUsed = 0;
  serialStart: Uint32Array;
  fpA: Int32Array;
  fpB: Int32Array;
  group: Uint8Array;
  private readonly groups = new RowGroups();
  notAfter: Uint32Array;
  private readonly notAfterOther = new SparseNumbers();
  readonly revocations = new RevocationColumns();
  flags: Uint8Array;
  offset: Uint32Array | Float64Array;
  readonly lines = new LineRuns();
  private table: Int32Array;
  private tableBits: number;
  /** rows whose serials are still to be inserted into the table (see insertPending) */
  private pending = 0;
  private readonly pendingEntry = new Int32Array(PENDING);
  private readonly pendingAt = new Int32Array(PENDING);
  private readonly pendingLen = new Int32Array(PENDING);
  private readonly pendingHash = new Int32Array(PENDING);
  /** what the loads of insertPending's first loop read (kept, so that they are not left out) */
  touched = 0;

  private readonly fp = new Fingerprint();
  private readonly collector: FindingCollector;
  private readonly caPrefixes: Uint8Array[] = [new Uint8Array(0)];
  /** per CA id: its ARN + '/certificate/', and the fingerprint words of its ARN */
  private readonly caLeads: Uint8Array[] = [new Uint8Array(0)];
  private readonly caLeadWords: Int32Array[] = [new Int32Array(0)];
  private readonly caHashA: number[] = [0];
  private readonly caHashB: number[] = [0];
  private readonly caCounts: number[] = [0];
  private lastCa = 0;
  private readonly templateNames: string[] = [];
  private readonly templateBytes: Uint8Array[] = [];
  private readonly templateWords: Int32Array[] = [];
  private readonly templateCounts: number[] = [];
  private readonly templateValid: boolean[] = [];
  private readonly templateHashA: number[] = [];
  private readonly templateHashB: number[] = [];
  private lastTemplate = -1;
  private noTemplate = 0;
  private revoked = 0;
  private readonly reasonCounts = new Array<number>(INVALID_REASON + 1).fill(0);
  private latest = Number.NaN;
  private readonly scratchSerial = new Uint8Array(256);
  /** DataViews of the buffers rows come in (see wide-bytes.ts) */
  private readonly views = new ViewCache();
  private seenExtended = false;

  constructor(private readonly options: IndexOptions) {
    this.cap = Math.max(1024, Math.ceil(options.expectedRows ?? 0));
    const cap = this.cap;
    this.arena = new Uint8Array(cap * 17);
    this.serialStart = new Uint32Array(cap + 1);
    this.fpA = new Int32Array(cap);
    this.fpB = new Int32Array(cap);
    this.group = new Uint8Array(cap);
    this.notAfter = new Uint32Array(cap);
    this.flags = new Uint8Array(cap);
    this.offset = new Uint32Array(cap);
    // sized for the estimate at three quarters full: rehashing copes with more rows
    this.table = new Int32Array(tableSizeFor(options.expectedRows ?? 0));
    this.tableBits = tableBits(this.table.length);
    this.collector = new FindingCollector(options.findingLimit ?? 1000);
  }

  /** Marks whether the report's layout carries the extended fields (CSV header, or any JSON row). */
  setHasExtended(value: boolean): void {
    this.seenExtended = value;
  }

  add(view: RecordView): void {
    if (this.count === this.cap) this.grow();
    const i = this.count++;
    const buf = view.buf;
    const start = view.start;
    const end = view.end;
    const kind = view.kind;
    let flags = 0;
    if (view.offset > 0xffffffff && this.offset instanceof Uint32Array) {
      this.offset = Float64Array.from(this.offset);
    }
    this.offset[i] = view.offset;
    this.lines.add(i, view.line);

    this.notString = 0;
    for (let f = 0; f < kind.length; f++) {
      if (kind[f] === KIND_NOT_STRING) {
        this.notString |= 1 << f;
        this.invalid(view, f, WHAT_NOT_STRING);
        flags |= FLAG_INVALID;
        kind[f] = KIND_ABSENT; // judged once; the checks below see it as absent
      }
    }

    // serial: the key of everything
    const serialAt = this.arenaUsed;
    if (serialAt + 256 > this.arena.length) this.arena = grown(this.arena, this.arena.length * 2);
    let serialLen = 0;
    if (kind[F_SERIAL] === KIND_ABSENT) {
      this.missing(view, F_SERIAL);
      flags |= FLAG_NO_SERIAL | FLAG_INVALID;
    } else if (end[F_SERIAL]! - start[F_SERIAL]! > 512) {
      this.invalid(view, F_SERIAL, WHAT_SERIAL_LONG);
      flags |= FLAG_NO_SERIAL | FLAG_INVALID;
    } else {
      serialLen = writeSerialOctets(buf[F_SERIAL]!, start[F_SERIAL]!, end[F_SERIAL]!, this.arena, serialAt);
      if (serialLen < 0) {
        this.invalid(view, F_SERIAL, serialErrorReason(serialLen));
        flags |= FLAG_NO_SERIAL | FLAG_INVALID;
        serialLen = 0;
      }
    }
    this.arenaUsed = serialAt + serialLen;
    this.serialStart[i + 1] = this.arenaUsed;

    const fp = this.fp;
    fp.reset();
    // awsAccountId: twelve digits
    if (kind[F_ACCOUNT] !== KIND_ABSENT) {
      const b = buf[F_ACCOUNT]!;
      const s = start[F_ACCOUNT]!;
      const e = end[F_ACCOUNT]!;
      let ok = e - s === 12;
      for (let k = s; ok && k < e; k++) ok = b[k]! >= 0x30 && b[k]! <= 0x39;
      if (!ok) {
        this.invalid(view, F_ACCOUNT, WHAT_ACCOUNT);
        flags |= FLAG_INVALID;
      }
      fp.span(1, this.views.of(b), b, s, e);
    } else {
      this.missing(view, F_ACCOUNT);
      flags |= FLAG_INVALID;
    }

    // certificateArn: <CA ARN>/certificate/<serial hex>
    let ca = CA_UNKNOWN;
    if (kind[F_ARN] !== KIND_ABSENT) {
      const b = buf[F_ARN]!;
      const s = start[F_ARN]!;
      const e = end[F_ARN]!;
      // the usual row: the previous row's CA, then the serial's octets in lowercase hex
      const lead = this.caLeads[this.lastCa]!;
      if (
        this.lastCa !== CA_UNKNOWN &&
        (flags & FLAG_NO_SERIAL) === 0 &&
        e - s === lead.length + 2 * serialLen &&
        2 * serialLen <= MAX_ARN_SERIAL &&
        sameAsWords(this.views.of(b), s, lead, this.caLeadWords[this.lastCa]!) &&
        isLowerHexAt(this.views.of(b), s + lead.length, this.arena, serialAt, serialLen)
      ) {
        ca = this.lastCa;
        fp.words(TAG_CANONICAL_ARN, this.caHashA[ca]!, this.caHashB[ca]!);
      } else {
        const r = this.checkArn(view, i, b, s, e, serialAt, (flags & FLAG_NO_SERIAL) === 0 ? serialLen : -1);
        ca = r & 0xff;
        if (r > 0xff) flags |= FLAG_INVALID;
      }
    } else {
      this.missing(view, F_ARN);
      flags |= FLAG_INVALID;
    }
    if (ca !== CA_UNKNOWN) this.caCounts[ca]!++;

    // subject: RFC 2253; absent means an empty subject
    if (kind[F_SUBJECT] !== KIND_ABSENT) {
      const b = buf[F_SUBJECT]!;
      const s = start[F_SUBJECT]!;
      const e = end[F_SUBJECT]!;
      const problem = checkSubjectBytes(b, s, e);
      if (problem !== null) {
        this.invalid(view, F_SUBJECT, subjectWhat(problem));
        flags |= FLAG_INVALID;
      }
      fp.span(3, this.views.of(b), b, s, e);
    }

    // validity and issuance
    const notBefore = this.instant(view, F_NOT_BEFORE, true);
    const notAfter = this.instant(view, F_NOT_AFTER, true);
    const issuedAt = this.instant(view, F_ISSUED_AT, true);
    if (Number.isNaN(notBefore) || Number.isNaN(notAfter) || Number.isNaN(issuedAt)) flags |= FLAG_INVALID;
    fp.number(5, notBefore);
    fp.number(6, notAfter);
    fp.number(7, issuedAt);
    this.fpA[i] = fp.a;
    this.fpB[i] = fp.b;
    if (notAfter >= 0 && notAfter < NOT_AFTER_ELSEWHERE && Number.isInteger(notAfter)) {
      this.notAfter[i] = notAfter;
    } else {
      this.notAfter[i] = NOT_AFTER_ELSEWHERE;
      this.notAfterOther.push(i, notAfter);
    }
    if (notBefore > notAfter) this.validityInverted(view, i);
    if (issuedAt > this.latest || Number.isNaN(this.latest)) this.latest = issuedAt;

    // revocation: a time and a reason, or neither
    const hasTime = kind[F_REVOKED_AT] !== KIND_ABSENT;
    const hasReason = kind[F_REASON] !== KIND_ABSENT;
    let reason = NO_REASON;
    let revokedAt = Number.NaN;
    if (hasTime) {
      revokedAt = this.instant(view, F_REVOKED_AT, false);
      if (Number.isNaN(revokedAt)) flags |= FLAG_INVALID;
      else if (revokedAt > this.latest || Number.isNaN(this.latest)) this.latest = revokedAt;
    }
    if (hasReason) {
      reason = reasonCodeOf(buf[F_REASON]!, start[F_REASON]!, end[F_REASON]!);
      if (reason === INVALID_REASON) {
        this.invalid(view, F_REASON, WHAT_REASON);
        flags |= FLAG_INVALID;
      }
    }
    if (hasTime || hasReason) {
      flags |= FLAG_REVOKED;
      this.revoked++;
      this.reasonCounts[reason]!++;
      if (hasTime !== hasReason) this.incomplete(view, i, hasTime);
      this.revocations.push(i, revokedAt, reason);
    }

    // the extended fields, fingerprinted apart: a 9-column CSV cannot speak for them
    fp.reset();
    if (kind[F_REQUESTED_BY] !== KIND_ABSENT) {
      fp.bytes(8, buf[F_REQUESTED_BY]!, start[F_REQUESTED_BY]!, end[F_REQUESTED_BY]!);
    }
    if (kind[F_TEMPLATE] !== KIND_ABSENT) {
      const b = buf[F_TEMPLATE]!;
      const s = start[F_TEMPLATE]!;
      const e = end[F_TEMPLATE]!;
      this.countTemplate(view, b, s, e);
    } else {
      this.noTemplate++;
    }
    this.group[i] = this.groups.of(i, ca, fp.a ^ Math.imul(fp.b, 0x27d4eb2d));
    this.flags[i]! |= flags;

    if ((flags & FLAG_NO_SERIAL) === 0) {
      const k = this.pending++;
      this.pendingEntry[k] = i;
      this.pendingAt[k] = serialAt;
      this.pendingLen[k] = serialLen;
      this.pendingHash[k] = hashBytes(this.arena, serialAt, serialAt + serialLen);
      if (k + 1 === PENDING) this.insertPending();
    }
  }

  /**
   * Inserts the pending serials into the hash table, in row order. A table slot is most likely not
   * in any CPU cache: the first loop loads all their home slots at once (independent loads, which
   * the CPU overlaps), so that the inserts then find them cached instead of waiting for each in
   * turn. The table ends the same as if each row's serial had been inserted as it was added.
   */
  private insertPending(): void {
    const n = this.pending;
    if (n === 0) return;
    this.pending = 0;
    let table = this.table;
    let touched = 0;
    for (let k = 0; k < n; k++) touched ^= table[homeSlot(this.pendingHash[k]!, table.length)]!;
    this.touched = touched;
    for (let k = 0; k < n; k++) {
      const i = this.pendingEntry[k]!;
      // the table grows as it would have, had this row's serial been inserted with the row
      if ((i + 1) * 4 > table.length * 3) {
        this.rehash();
        table = this.table;
      }
      this.insert(i, this.pendingAt[k]!, this.pendingLen[k]!, this.pendingHash[k]!);
    }
  }

  private instant(view: RecordView, field: number, required: boolean): number {
    if (view.kind[field] === KIND_ABSENT) {
      if (required) this.missing(view, field);
      return Number.NaN;
    }
    const b = view.buf[field]!;
    const v = parseInstantAt(this.views.of(b), b, view.start[field]!, view.end[field]!);
    if (Number.isNaN(v)) this.invalid(view, field, WHAT_INSTANT);
    return v;
  }

  /**
   * The certificateArn of a row the fast path in add() did not settle: checks it, reports what is
   * wrong, and fingerprints it. Returns the CA id, plus 0x100 when the row is invalid. serialLen is
   * -1 when the row has no usable serial.
   *
   * An ARN that is a CA ARN, '/certificate/' and the lowercase hex of the row's serial octets is
   * fingerprinted by its CA alone (the serial is the join key): equal to the fast path's words, so
   * a row fingerprints the same whichever path it took.
   */
  private checkArn(
    view: RecordView,
    i: number,
    b: Uint8Array,
    s: number,
    e: number,
    serialAt: number,
    serialLen: number,
  ): number {
    let invalid = 0;
    let ca = CA_UNKNOWN;
    let canonical = false;
    const cut = lastIndexOf(b, s, e, CERTIFICATE_SEGMENT);
    if (cut < 0 || !startsWith(b, s, e, ARN_PREFIX)) {
      this.invalid(view, F_ARN, WHAT_ARN_NOT_ARN);
      invalid = 0x100;
    } else {
      ca = this.caOf(b, s, cut);
      if (ca === CA_UNKNOWN) {
        this.invalid(view, F_ARN, WHAT_ARN_NO_CA);
        invalid = 0x100;
      }
      const sufStart = cut + CERTIFICATE_SEGMENT.length;
      const n = e - sufStart > MAX_ARN_SERIAL ? -1 : writeSerialOctets(b, sufStart, e, this.scratchSerial, 0);
      if (n < 0) {
        this.invalid(view, F_ARN, WHAT_ARN_NO_SERIAL);
        invalid = 0x100;
      } else if (serialLen >= 0 && !sameBytes(this.scratchSerial, 0, n, this.arena, serialAt, serialLen)) {
        this.mismatch(view, i, n);
      } else if (
        serialLen >= 0 &&
        ca !== CA_UNKNOWN &&
        e - sufStart === 2 * serialLen &&
        isLowerHexOf(b, sufStart, this.arena, serialAt, serialLen)
      ) {
        canonical = true;
      }
    }
    if (!canonical) this.fp.bytes(2, b, s, e);
    else if (ca !== CA_OVERFLOW) this.fp.words(TAG_CANONICAL_ARN, this.caHashA[ca]!, this.caHashB[ca]!);
    else {
      const [x, y] = hashOf(b, s, cut);
      this.fp.words(TAG_CANONICAL_ARN, x, y);
    }
    return ca | invalid;
  }

  private caOf(b: Uint8Array, s: number, e: number): number {
    const last = this.caPrefixes[this.lastCa]!;
    if (this.lastCa !== CA_UNKNOWN && sameBytes(last, 0, last.length, b, s, e - s)) return this.lastCa;
    for (let id = 1; id < this.caPrefixes.length; id++) {
      const p = this.caPrefixes[id]!;
      if (sameBytes(p, 0, p.length, b, s, e - s)) {
        this.lastCa = id;
        return id;
      }
    }
    const text = DECODER.decode(b.subarray(s, e));
    if (!CA_ARN_PATTERN.test(text)) return CA_UNKNOWN;
    if (this.caPrefixes.length >= CA_OVERFLOW) return CA_OVERFLOW;
    const prefix = Uint8Array.prototype.slice.call(b, s, e);
    this.caPrefixes.push(prefix);
    const lead = new Uint8Array(prefix.length + CERTIFICATE_SEGMENT.length);
    lead.set(prefix);
    lead.set(CERTIFICATE_SEGMENT, prefix.length);
    this.caLeads.push(lead);
    this.caLeadWords.push(wordsOf(lead));
    const [x, y] = hashOf(prefix, 0, prefix.length);
    this.caHashA.push(x);
    this.caHashB.push(y);
    this.caCounts.push(0);
    this.lastCa = this.caPrefixes.length - 1;
    return this.lastCa;
  }

  /** Counts the row's template and fingerprints it (by words cached per distinct template). */
  private countTemplate(view: RecordView, b: Uint8Array, s: number, e: number): void {
    let id = -1;
    const last = this.lastTemplate >= 0 ? this.templateBytes[this.lastTemplate]! : undefined;
    if (
      last &&
      last.length === e - s &&
      sameAsWords(this.views.of(b), s, last, this.templateWords[this.lastTemplate]!)
    )
      id = this.lastTemplate;
    else {
      for (let t = 0; t < this.templateBytes.length; t++) {
        const tb = this.templateBytes[t]!;
        if (sameBytes(tb, 0, tb.length, b, s, e - s)) {
          id = t;
          break;
        }
      }
      if (id < 0) {
        const text = DECODER.decode(b.subarray(s, e));
        const valid = /^arn:aws[a-z-]*:acm-pca:::template\/[A-Za-z0-9_]+\/V\d+$/.test(text);
        const [x, y] = hashOf(b, s, e);
        if (this.templateBytes.length >= 1000) {
          // counting by template stops being useful; checking each row goes on
          this.fp.words(9, x, y);
          if (!valid) this.badTemplate(view);
          return;
        }
        id = this.templateBytes.length;
        const bytes = Uint8Array.prototype.slice.call(b, s, e);
        this.templateBytes.push(bytes);
        this.templateWords.push(wordsOf(bytes));
        this.templateNames.push(text);
        this.templateCounts.push(0);
        this.templateValid.push(valid);
        this.templateHashA.push(x);
        this.templateHashB.push(y);
      }
      this.lastTemplate = id;
    }
    this.fp.words(9, this.templateHashA[id]!, this.templateHashB[id]!);
    if (!this.templateValid[id]) this.badTemplate(view);
    this.templateCounts[id]!++;
  }

  private badTemplate(view: RecordView): void {
    this.invalid(view, F_TEMPLATE, WHAT_TEMPLATE);
    this.flags[this.count - 1]! |= FLAG_INVALID;
  }

  private insert(i: number, at: number, len: number, h: number): void {
    const arena = this.arena;
    const table = this.table;
    const size = table.length;
    const bits = this.tableBits;
    const mask = 2 ** bits - 1;
    const tag = slotTag(h, bits);
    let slot = homeSlot(h, size);
    for (;;) {
      const v = table[slot]!;
      if (v === 0) {
        table[slot] = tag | (i + 1);
        return;
      }
      // another serial's slot, unless the tags agree: then the octets tell
      if ((v & ~mask) === tag) {
        const j = (v & mask) - 1;
        const js = this.serialStart[j]!;
        if (sameBytes(arena, js, this.serialStart[j + 1]! - js, arena, at, len)) {
          this.flags[i]! |= FLAG_DUPLICATE;
          this.duplicate(j, i);
          return;
        }
      }
      slot = slot + 1 === size ? 0 : slot + 1;
    }
  }

  private rehash(): void {
    const old = this.table;
    const oldMask = 2 ** this.tableBits - 1;
    const size = old.length * 2;
    const table = new Int32Array(size);
    const bits = tableBits(size);
    for (let k = 0; k < old.length; k++) {
      const v = old[k]!;
      if (v === 0) continue;
      const e = v & oldMask;
      const j = e - 1;
      const h = hashBytes(this.arena, this.serialStart[j]!, this.serialStart[j + 1]!);
      let slot = homeSlot(h, size);
      while (table[slot] !== 0) slot = slot + 1 === size ? 0 : slot + 1;
      table[slot] = slotTag(h, bits) | e;
    }
    this.table = table;
    this.tableBits = bits;
  }

  private grow(): void {
    const cap = Math.ceil(this.cap * 1.5);
    this.serialStart = grown(this.serialStart, cap + 1);
    this.fpA = grown(this.fpA, cap);
    this.fpB = grown(this.fpB, cap);
    this.notAfter = grown(this.notAfter, cap);
    this.offset = grown(this.offset, cap);
    this.flags = grown(this.flags, cap);
    this.group = grown(this.group, cap);
    this.cap = cap;
  }

  // ---- findings of a report against itself ----

  serialText(i: number): string | undefined {
    return entrySerialText(this, i);
  }

  /**
   * Offers a finding of the current row to the collector (built only if kept). The builders are
   * closures made only when the row has a finding, never for a clean row.
   */
  private offer(code: FindingCode, build: () => FindingBody): void {
    // an earlier row's DUPLICATE_SERIAL comes first
    this.insertPending();
    this.collector.offer(code, build);
  }

  /** fields of the current row already reported as not being strings */
  private notString = 0;

  private missing(view: RecordView, field: number): void {
    if ((this.notString & (1 << field)) === 0) this.invalid(view, field, WHAT_MISSING);
  }

  private invalid(view: RecordView, field: number, what: string): void {
    this.offer('INVALID_RECORD', () => invalidFinding(this.options.source, view, field, what));
  }

  private mismatch(view: RecordView, i: number, n: number): void {
    this.offer('SERIAL_ARN_MISMATCH', () =>
      mismatchFinding(this.options.source, view, this.serialText(i)!, octetsToHex(this.scratchSerial, 0, n)),
    );
  }

  private incomplete(view: RecordView, i: number, hasTime: boolean): void {
    this.offer('REVOCATION_INCOMPLETE', () =>
      incompleteFinding(this.options.source, view, this.serialText(i), hasTime),
    );
  }

  private validityInverted(view: RecordView, i: number): void {
    this.offer('VALIDITY_INVERTED', () => invertedFinding(this.options.source, view, this.serialText(i)));
  }

  private duplicate(first: number, dup: number): void {
    this.offer('DUPLICATE_SERIAL', () =>
      duplicateFinding(
        this.options.source,
        this.serialText(dup)!,
        { line: this.lines.at(first), byte: this.offset[first]! },
        { line: this.lines.at(dup), byte: this.offset[dup]! },
      ),
    );
  }

  finish(): ReportIndex {
    this.insertPending();
    return finishIndex({
      source: this.options.source,
      format: this.options.format,
      expectedCa: this.options.expectedCa,
      count: this.count,
      arena: this.arena,
      serialStart: this.serialStart,
      fpA: this.fpA,
      fpB: this.fpB,
      group: this.group,
      ...this.groups.columns(),
      notAfter: this.notAfter,
      ...this.notAfterOther.columns(),
      ...this.revocations.columns(),
      flags: this.flags,
      offset: this.offset,
      ...this.lines.columns(),
      table: this.table,
      hasExtended: this.seenExtended,
      caArns: this.caPrefixes.map((p) => DECODER.decode(p)),
      caCounts: this.caCounts,
      revoked: this.revoked,
      reasonCounts: this.reasonCounts,
      templateNames: this.templateNames,
      templateCounts: this.templateCounts,
      noTemplate: this.noTemplate,
      latestInstant: this.latest,
      collector: this.collector,
    });
  }
}

function startsWith(b: Uint8Array, s: number, e: number, prefix: Uint8Array): boolean {
  return e - s >= prefix.length && sameBytes(b, s, prefix.length, prefix, 0, prefix.length);
}

function lastIndexOf(b: Uint8Array, s: number, e: number, needle: Uint8Array): number {
  for (let k = e - needle.length; k >= s; k--) {
    if (b[k] === needle[0] && sameBytes(b, k, needle.length, needle, 0, needle.length)) return k;
  }
  return -1;
}
