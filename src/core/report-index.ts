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
} from './audit-record.js';
import { type Finding, type FindingCode, FindingCollector } from './finding.js';
import { findingMessage } from './finding-catalogue.js';
import { Fingerprint, hashBytes, hashOf } from './fingerprint.js';
import { parseInstantBytes } from './instant.js';
import { REPORT_FIELDS } from './report-fields.js';
import { INVALID_REASON, NO_REASON, reasonCodeOf, reasonName } from './revocation-reason.js';
import { formatSerial, hexToOctets, octetsToHex, serialErrorReason, writeSerialOctets } from './serial.js';
import { checkSubjectBytes } from './subject.js';

export type ReportFormat = 'json' | 'csv';

export const FLAG_NO_SERIAL = 1;
/** the row carries a revocation (a time, a reason, or both) */
export const FLAG_REVOKED = 2;
/** a later row for a serial already indexed: kept as an entry, not in the hash table */
export const FLAG_DUPLICATE = 4;
export const FLAG_INVALID = 8;

/** CA id 0: the ARN could not be read; 255: one of too many distinct CAs to tell apart */
const CA_UNKNOWN = 0;
const CA_OVERFLOW = 255;

/**
 * The compact per-serial index of one report: a row of typed-array columns per certificate
 * (serial octets, a fingerprint of the immutable fields, revocation state, position) and an
 * open-addressing hash table on the serial. Whole rows are never kept: evidence is read back from
 * the report by position. Plain data, so it can cross a worker boundary.
 */
export interface ReportIndex {
  source: string;
  format: ReportFormat;
  count: number;
  /** serial octets of entry i are arena[serialStart[i], serialStart[i + 1]) */
  arena: Uint8Array;
  serialStart: Uint32Array;
  /** fingerprint of the fields every report carries, and of the two extended ones */
  fpA: Int32Array;
  fpB: Int32Array;
  /**
   * Each row's group: the pair it shares with many others of (CA id, fingerprint of the extended
   * fields requestedByServicePrincipal and templateArn), a report having few. The first 255 pairs
   * met get ids (groupCa, groupExt by id); a row of any later pair is in group GROUP_ELSEWHERE, its
   * pair at its entry's place in groupOtherEntry (ascending). See caIdOf and fpExtOf.
   */
  group: Uint8Array;
  groupCa: Uint8Array;
  groupExt: Int32Array;
  groupOtherEntry: Uint32Array;
  groupOtherCa: Uint8Array;
  groupOtherExt: Int32Array;
  /**
   * notAfter in epoch seconds, while it is a whole number under NOT_AFTER_ELSEWHERE (until 2106);
   * that value sends to notAfterOtherValue, at the entry's place in notAfterOtherEntry (ascending):
   * NaN when absent or invalid, fractions, years before 1970 or after 2106. See notAfterOf.
   */
  notAfter: Uint32Array;
  notAfterOtherEntry: Uint32Array;
  notAfterOtherValue: Float64Array;
  /**
   * The revocations, kept apart (few rows carry one): the entries flagged FLAG_REVOKED in
   * ascending order, each with its revokedAt (epoch seconds, NaN when absent or invalid) and
   * reason code (revocation-reason.ts). See revocationSlot.
   */
  revokedEntry: Uint32Array;
  revokedTime: Float64Array;
  revokedReason: Uint8Array;
  flags: Uint8Array;
  /** byte offset of the row: 32 bits while every offset fits, else 64-bit floats */
  offset: Uint32Array | Float64Array;
  /**
   * The rows' lines as runs (a report's rows mostly take the same number of lines each): run k
   * covers the entries from lineRunEntry[k] (ascending, the first is 0) to the next run's, entry
   * i of it on line lineRunFirst[k] + (i - lineRunEntry[k]) * lineRunStep[k]. See lineOf.
   */
  lineRunEntry: Uint32Array;
  lineRunFirst: Uint32Array;
  lineRunStep: Uint32Array;
  /**
   * open addressing on the serial (linear probing from homeSlot), 0 = empty, at most three
   * quarters full; a value is entry index + 1 in the low tableBits(length) bits, the hash's low
   * bits above them (see slotTag)
   */
  table: Int32Array;
  /** extended fields (requestedByServicePrincipal, templateArn) this report carries at all */
  hasExtended: boolean;
  /** CA ARNs by id (index 0 unused), and how many rows name each */
  caArns: string[];
  caCounts: number[];
  /** the CA this report is of: the expected one, else the one most rows name */
  caArn: string | undefined;
  revoked: number;
  revokedByReason: Record<string, number>;
  byTemplate: Record<string, number>;
  /** the latest issuedAt or revokedAt in the report: it was made no earlier (NaN if none) */
  latestInstant: number;
  findings: Finding[];
  findingCounts: Record<string, number>;
}

export interface IndexOptions {
  source: string;
  format: ReportFormat;
  /** rows to make room for up front (an estimate; columns grow as needed) */
  expectedRows?: number;
  /** the CA the report must be of; defaults to the CA most rows name */
  expectedCa?: string;
  /** findings kept in full per code */
  findingLimit?: number;
}

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

type NumberColumn = Uint8Array | Uint32Array | Int32Array | Float64Array;

/** A column of n of the same kind, a's values first. */
function grown<T extends NumberColumn>(a: T, n: number): T {
  const b = new (a.constructor as new (length: number) => T)(n);
  b.set(a);
  return b;
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
  private readonly caHashA: number[] = [0];
  private readonly caHashB: number[] = [0];
  private readonly caCounts: number[] = [0];
  private lastCa = 0;
  private readonly templateNames: string[] = [];
  private readonly templateBytes: Uint8Array[] = [];
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
      fp.bytes(1, b, s, e);
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
        sameBytes(lead, 0, lead.length, b, s, lead.length) &&
        isLowerHexOf(b, s + lead.length, this.arena, serialAt, serialLen)
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
      fp.bytes(3, b, s, e);
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
    const v = parseInstantBytes(view.buf[field]!, view.start[field]!, view.end[field]!);
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
    if (last && sameBytes(last, 0, last.length, b, s, e - s)) id = this.lastTemplate;
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
        this.templateBytes.push(Uint8Array.prototype.slice.call(b, s, e));
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

  private add1(code: FindingCode, build: () => FindingBody): void {
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
    this.add1('INVALID_RECORD', () => invalidFinding(this.options.source, view, field, what));
  }

  private mismatch(view: RecordView, i: number, n: number): void {
    this.add1('SERIAL_ARN_MISMATCH', () =>
      mismatchFinding(this.options.source, view, this.serialText(i)!, octetsToHex(this.scratchSerial, 0, n)),
    );
  }

  private incomplete(view: RecordView, i: number, hasTime: boolean): void {
    this.add1('REVOCATION_INCOMPLETE', () =>
      incompleteFinding(this.options.source, view, this.serialText(i), hasTime),
    );
  }

  private validityInverted(view: RecordView, i: number): void {
    this.add1('VALIDITY_INVERTED', () => invertedFinding(this.options.source, view, this.serialText(i)));
  }

  private duplicate(first: number, dup: number): void {
    this.add1('DUPLICATE_SERIAL', () =>
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

/** What the builder gathered, before the report-wide findings. */
export interface IndexParts
  extends Omit<ReportIndex, 'caArn' | 'revokedByReason' | 'byTemplate' | 'findings' | 'findingCounts'> {
  expectedCa: string | undefined;
  /** rows per reason code (revocation-reason.ts), INVALID_REASON included */
  reasonCounts: ArrayLike<number>;
  templateNames: string[];
  templateCounts: ArrayLike<number>;
  /** rows without a templateArn */
  noTemplate: number;
  collector: FindingCollector;
}

/** The index of a report from its builder's parts: the report's CA, FOREIGN_CA, and the counts. */
export function finishIndex(parts: IndexParts): ReportIndex {
  const { collector, caArns, caCounts, expectedCa } = parts;
  // the CA the report is of: the expected one, else the one most rows name
  let main = 0;
  for (let id = 1; id < caCounts.length; id++) if (caCounts[id]! > (caCounts[main] ?? 0)) main = id;
  if (expectedCa !== undefined) main = caArns.indexOf(expectedCa);
  const caArn = expectedCa ?? (main > 0 ? caArns[main] : undefined);
  // the groups of rows naming another CA (rows kept apart may): most reports have none
  const foreign = new Uint8Array(GROUP_ELSEWHERE + 1);
  let anyForeign = parts.groupOtherEntry.length > 0;
  foreign[GROUP_ELSEWHERE] = 1;
  parts.groupCa.forEach((ca, g) => {
    if (ca !== CA_UNKNOWN && ca !== main) anyForeign = true;
    foreign[g] = +(ca !== CA_UNKNOWN && ca !== main);
  });
  if (caArn !== undefined && anyForeign) {
    const group = parts.group;
    // one builder for every row: it reads the row from `row` and `rowCa`
    let row = 0;
    let rowCa = 0;
    const build = (): FindingBody => foreignFinding(parts, row, rowCa, caArn);
    for (let i = 0; i < parts.count; i++) {
      if (foreign[group[i]!] === 0) continue;
      const ca = caIdOf(parts, i);
      if (ca === CA_UNKNOWN || ca === main) continue;
      row = i;
      rowCa = ca;
      collector.offer('FOREIGN_CA', build);
    }
  }
  const revokedByReason: Record<string, number> = {};
  for (let r = 0; r <= INVALID_REASON; r++) {
    const n = parts.reasonCounts[r] ?? 0;
    if (n === 0) continue;
    revokedByReason[r === NO_REASON ? '(none)' : r === INVALID_REASON ? '(invalid)' : reasonName(r)!] = n;
  }
  const byTemplate: Record<string, number> = {};
  parts.templateNames.forEach((name, t) => {
    byTemplate[name] = parts.templateCounts[t]!;
  });
  if (parts.noTemplate > 0 && parts.hasExtended) byTemplate['(none)'] = parts.noTemplate;
  const counts: Record<string, number> = {};
  for (const [code, n] of collector.counts) counts[code] = n;
  const {
    expectedCa: _e,
    reasonCounts: _r,
    templateNames: _n,
    templateCounts: _c,
    noTemplate: _t,
    collector: _k,
    ...index
  } = parts;
  return {
    ...index,
    caArn,
    revokedByReason,
    byTemplate,
    findings: collector.findings,
    findingCounts: counts,
  };
}

type FindingBody = Omit<Finding, 'code' | 'severity'>;

/** FOREIGN_CA of entry i, whose CA id is ca, in a report of caArn. */
function foreignFinding(parts: IndexParts, i: number, ca: number, caArn: string): FindingBody {
  const other = ca === CA_OVERFLOW ? 'another CA' : parts.caArns[ca]!;
  const serial = entrySerialText(parts, i);
  return {
    ...(serial === undefined ? {} : { serial }),
    message: findingMessage('FOREIGN_CA', { other, expected: caArn }),
    evidence: {
      ca: other,
      expected: caArn,
      row: { report: parts.source, line: lineOf(parts, i), byte: parts.offset[i]! },
    },
  };
}

export const WHAT_NOT_STRING = 'is not a string';
export const WHAT_MISSING = 'is missing';
export const WHAT_SERIAL_LONG = 'is longer than any certificate serial';
export const WHAT_ACCOUNT = 'is not a 12-digit AWS account id';
export const WHAT_ARN_NOT_ARN = 'is not a certificate ARN (…/certificate/<serial>)';
export const WHAT_ARN_NO_CA = 'does not name a certificate authority';
export const WHAT_ARN_NO_SERIAL = 'does not end in a hexadecimal serial';
export const WHAT_INSTANT = 'is not a timestamp like 2018-02-26T18:39:57+0000';
export const WHAT_REASON = 'is not a revocation reason';
export const WHAT_TEMPLATE = 'is not a template ARN (arn:aws:acm-pca:::template/<name>/V<n>)';
export function subjectWhat(problem: string): string {
  return `is not an RFC 2253 name (${problem})`;
}

function rowOf(source: string, view: RecordView): { report: string; line: number; byte: number } {
  return { report: source, line: view.line, byte: view.offset };
}

// The wording of the single-report findings.

export function invalidFinding(source: string, view: RecordView, field: number, what: string): FindingBody {
  const name = REPORT_FIELDS[field]!.name;
  const value = view.kind[field] === KIND_ABSENT ? undefined : view.text(field);
  const serial = field === F_SERIAL ? undefined : serialOfView(view);
  return {
    ...(serial === undefined ? {} : { serial }),
    message: findingMessage('INVALID_RECORD', { line: view.line, field: name, value, what }),
    evidence: { field: name, ...(value === undefined ? {} : { value }), row: rowOf(source, view) },
  };
}

export function mismatchFinding(
  source: string,
  view: RecordView,
  serial: string,
  arnSerialHex: string,
): FindingBody {
  return {
    serial,
    message: findingMessage('SERIAL_ARN_MISMATCH', { arnSerial: arnSerialHex, serial }),
    evidence: { certificateArn: view.text(F_ARN), row: rowOf(source, view) },
  };
}

export function incompleteFinding(
  source: string,
  view: RecordView,
  serial: string | undefined,
  hasTime: boolean,
): FindingBody {
  return {
    ...(serial === undefined ? {} : { serial }),
    message: hasTime
      ? findingMessage('REVOCATION_INCOMPLETE', { revokedAt: view.text(F_REVOKED_AT)! })
      : findingMessage('REVOCATION_INCOMPLETE', { reason: view.text(F_REASON)! }),
    evidence: { row: rowOf(source, view) },
  };
}

export function invertedFinding(source: string, view: RecordView, serial: string | undefined): FindingBody {
  const notBefore = view.text(F_NOT_BEFORE)!;
  const notAfter = view.text(F_NOT_AFTER)!;
  return {
    ...(serial === undefined ? {} : { serial }),
    message: findingMessage('VALIDITY_INVERTED', { notBefore, notAfter }),
    evidence: {
      notBefore,
      notAfter,
      row: rowOf(source, view),
    },
  };
}

export function duplicateFinding(
  source: string,
  serial: string,
  first: { line: number; byte: number },
  again: { line: number; byte: number },
): FindingBody {
  return {
    serial,
    message: findingMessage('DUPLICATE_SERIAL', { serial, line: again.line, firstLine: first.line }),
    evidence: { first: { report: source, ...first }, again: { report: source, ...again } },
  };
}

function serialOfView(view: RecordView): string | undefined {
  if (view.kind[F_SERIAL] === KIND_ABSENT) return undefined;
  const b = view.buf[F_SERIAL]!;
  const s = view.start[F_SERIAL]!;
  const e = view.end[F_SERIAL]!;
  if (e - s > 512) return undefined;
  const out = new Uint8Array(e - s);
  const n = writeSerialOctets(b, s, e, out, 0);
  return n < 0 ? undefined : formatSerial(octetsToHex(out, 0, n));
}

export function sameBytes(
  a: Uint8Array,
  as: number,
  alen: number,
  b: Uint8Array,
  bs: number,
  blen: number,
): boolean {
  if (alen !== blen) return false;
  // from the end: values that share a long prefix (ARNs, template names) differ near the end
  for (let k = alen - 1; k >= 0; k--) if (a[as + k] !== b[bs + k]) return false;
  return true;
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

/** Slots of a hash table for this many rows: at most three quarters full. */
export function tableSizeFor(rows: number): number {
  return Math.max(1024, Math.ceil((Math.max(0, rows || 0) * 4) / 3));
}

/** The bits that hold entry + 1 in a table of this many slots: the least b with 2^b >= size. */
export function tableBits(size: number): number {
  return 32 - Math.clz32(size - 1);
}

/**
 * The slot a serial's hash starts probing at: the hash's high bits scaled to the table's size
 * (floor(hash * size / 2^32), exactly, in two 16-bit halves), so that any size serves.
 */
export function homeSlot(hash: number, size: number): number {
  const h = hash >>> 0;
  return Math.floor(((h >>> 16) * size + Math.floor(((h & 0xffff) * size) / 65536)) / 65536);
}

/**
 * The bits of a hash table value above entry + 1: the serial's low hash bits (the slot comes from
 * its high ones). A table holds fewer entries than 2^bits, so entry + 1 fits under them and the
 * value (tag | entry + 1) stays a positive Int32; a probe compares octets only when the tags agree.
 */
function slotTag(hash: number, bits: number): number {
  return (hash << bits) & 0x7fffffff;
}

/** Entry index of the serial whose octets are bytes[start, end) in the index, or -1. */
export function findSerial(index: ReportIndex, bytes: Uint8Array, start: number, end: number): number {
  const table = index.table;
  const size = table.length;
  if (size === 0) throw new Error('findSerial: the index no longer has its hash table');
  const bits = tableBits(size);
  const mask = 2 ** bits - 1;
  const h = hashBytes(bytes, start, end);
  const tag = slotTag(h, bits);
  let slot = homeSlot(h, size);
  for (;;) {
    const v = table[slot]!;
    if (v === 0) return -1;
    if ((v & ~mask) === tag) {
      const j = (v & mask) - 1;
      const js = index.serialStart[j]!;
      if (sameBytes(index.arena, js, index.serialStart[j + 1]! - js, bytes, start, end - start)) return j;
    }
    slot = slot + 1 === size ? 0 : slot + 1;
  }
}

/** Entry index of a serial given in canonical hex (see parseSerial), or -1. */
export function findSerialHex(index: ReportIndex, hex: string): number {
  const b = hexToOctets(hex);
  return findSerial(index, b, 0, b.length);
}

/** The serial of entry i in the report's colon form, undefined for a row without a usable serial. */
export function entrySerialText(
  index: Pick<ReportIndex, 'arena' | 'serialStart'>,
  i: number,
): string | undefined {
  const s = index.serialStart[i]!;
  const e = index.serialStart[i + 1]!;
  return e > s ? formatSerial(octetsToHex(index.arena, s, e)) : undefined;
}

export function entrySerialHex(index: ReportIndex, i: number): string {
  return octetsToHex(index.arena, index.serialStart[i]!, index.serialStart[i + 1]!);
}

/** The last k with a[k] <= i, a ascending; -1 when there is none. */
function lastAtOrBefore(a: Uint32Array, i: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= i) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Where entry i is in a column of the entries kept apart (ascending), or -1. */
function slotOf(entries: Uint32Array, i: number): number {
  const k = lastAtOrBefore(entries, i);
  return k >= 0 && entries[k] === i ? k : -1;
}

/** Where entry i's revocation is kept (revokedTime, revokedReason), or -1 when its row carries none. */
export function revocationSlot(index: Pick<ReportIndex, 'revokedEntry'>, i: number): number {
  return slotOf(index.revokedEntry, i);
}

/** Entry i's revokedAt in epoch seconds; NaN when absent or invalid. */
export function revokedAtOf(index: Pick<ReportIndex, 'revokedEntry' | 'revokedTime'>, i: number): number {
  const k = revocationSlot(index, i);
  return k < 0 ? Number.NaN : index.revokedTime[k]!;
}

/** Entry i's revocation reason code (NO_REASON when it has none). */
export function reasonOf(index: Pick<ReportIndex, 'revokedEntry' | 'revokedReason'>, i: number): number {
  const k = revocationSlot(index, i);
  return k < 0 ? NO_REASON : index.revokedReason[k]!;
}

/** The line entry i's row starts on. */
export function lineOf(
  index: Pick<ReportIndex, 'lineRunEntry' | 'lineRunFirst' | 'lineRunStep'>,
  i: number,
): number {
  const k = lastAtOrBefore(index.lineRunEntry, i);
  return index.lineRunFirst[k]! + (i - index.lineRunEntry[k]!) * index.lineRunStep[k]!;
}

/** The group of a row whose (CA, extended fields) pair is kept apart: see ReportIndex.group. */
export const GROUP_ELSEWHERE = 255;

type Groups = Pick<
  ReportIndex,
  'group' | 'groupCa' | 'groupExt' | 'groupOtherEntry' | 'groupOtherCa' | 'groupOtherExt'
>;

/** Entry i's CA id (see ReportIndex.caArns). */
export function caIdOf(index: Groups, i: number): number {
  const g = index.group[i]!;
  if (g !== GROUP_ELSEWHERE) return index.groupCa[g]!;
  const k = slotOf(index.groupOtherEntry, i);
  return k < 0 ? CA_UNKNOWN : index.groupOtherCa[k]!;
}

/** Entry i's fingerprint of the extended fields. */
export function fpExtOf(index: Groups, i: number): number {
  const g = index.group[i]!;
  if (g !== GROUP_ELSEWHERE) return index.groupExt[g]!;
  const k = slotOf(index.groupOtherEntry, i);
  return k < 0 ? 0 : index.groupOtherExt[k]!;
}

/** The groups of a report being indexed (see ReportIndex.group). */
export class RowGroups {
  private readonly ids = new Map<number, number>();
  private readonly ca: number[] = [];
  private readonly ext: number[] = [];
  private lastCa = -1;
  private lastExt = 0;
  private lastId = 0;
  private otherEntry = new Uint32Array(16);
  private otherCa = new Uint8Array(16);
  private otherExt = new Int32Array(16);
  private others = 0;

  /** The group of entry i, of CA id ca and extended fingerprint ext. */
  of(i: number, ca: number, ext: number): number {
    if (ca === this.lastCa && ext === this.lastExt) return this.lastId;
    const key = ca * 2 ** 32 + (ext >>> 0);
    let id = this.ids.get(key);
    if (id === undefined) {
      if (this.ca.length === GROUP_ELSEWHERE) {
        this.keepApart(i, ca, ext);
        return GROUP_ELSEWHERE;
      }
      id = this.ca.length;
      this.ids.set(key, id);
      this.ca.push(ca);
      this.ext.push(ext);
    }
    this.lastCa = ca;
    this.lastExt = ext;
    this.lastId = id;
    return id;
  }

  private keepApart(i: number, ca: number, ext: number): void {
    const n = this.others;
    if (n === this.otherEntry.length) {
      this.otherEntry = grown(this.otherEntry, n * 2);
      this.otherCa = grown(this.otherCa, n * 2);
      this.otherExt = grown(this.otherExt, n * 2);
    }
    this.otherEntry[n] = i;
    this.otherCa[n] = ca;
    this.otherExt[n] = ext;
    this.others = n + 1;
  }

  columns(): Omit<Groups, 'group'> {
    const n = this.others;
    return {
      groupCa: Uint8Array.from(this.ca),
      groupExt: Int32Array.from(this.ext),
      groupOtherEntry: this.otherEntry.slice(0, n),
      groupOtherCa: this.otherCa.slice(0, n),
      groupOtherExt: this.otherExt.slice(0, n),
    };
  }
}

/** The notAfter column's value for "not here": see ReportIndex.notAfter. */
export const NOT_AFTER_ELSEWHERE = 0xffffffff;

/** Entry i's notAfter in epoch seconds; NaN when absent or invalid. */
export function notAfterOf(
  index: Pick<ReportIndex, 'notAfter' | 'notAfterOtherEntry' | 'notAfterOtherValue'>,
  i: number,
): number {
  const v = index.notAfter[i]!;
  if (v !== NOT_AFTER_ELSEWHERE) return v;
  const k = slotOf(index.notAfterOtherEntry, i);
  return k < 0 ? Number.NaN : index.notAfterOtherValue[k]!;
}

/** The values of a column kept apart for the few entries that have one (notAfterOther*). */
export class SparseNumbers {
  entry = new Uint32Array(64);
  value = new Float64Array(64);
  count = 0;

  push(i: number, value: number): void {
    const n = this.count;
    if (n === this.entry.length) {
      this.entry = grown(this.entry, n * 2);
      this.value = grown(this.value, n * 2);
    }
    this.entry[n] = i;
    this.value[n] = value;
    this.count = n + 1;
  }

  columns(): Pick<ReportIndex, 'notAfterOtherEntry' | 'notAfterOtherValue'> {
    return {
      notAfterOtherEntry: this.entry.slice(0, this.count),
      notAfterOtherValue: this.value.slice(0, this.count),
    };
  }
}

/** The revocations of a report being indexed, entry by entry. */
export class RevocationColumns {
  entry = new Uint32Array(256);
  time = new Float64Array(256);
  reason = new Uint8Array(256);
  count = 0;

  push(i: number, time: number, reason: number): void {
    const n = this.count;
    if (n === this.entry.length) {
      this.entry = grown(this.entry, n * 2);
      this.time = grown(this.time, n * 2);
      this.reason = grown(this.reason, n * 2);
    }
    this.entry[n] = i;
    this.time[n] = time;
    this.reason[n] = reason;
    this.count = n + 1;
  }

  columns(): Pick<ReportIndex, 'revokedEntry' | 'revokedTime' | 'revokedReason'> {
    const n = this.count;
    return {
      revokedEntry: this.entry.slice(0, n),
      revokedTime: this.time.slice(0, n),
      revokedReason: this.reason.slice(0, n),
    };
  }
}

/**
 * The lines of a report's rows as they are indexed, in runs (see ReportIndex.lineRunEntry): a row
 * extends the last run when it lies where the run's step puts it; a run's second row sets its step.
 */
export class LineRuns {
  entry = new Uint32Array(16);
  first = new Uint32Array(16);
  step = new Uint32Array(16);
  count = 0;
  /** the last run has one row so far: its step is not set */
  private single = false;

  add(i: number, line: number): void {
    const k = this.count - 1;
    if (k >= 0) {
      const first = this.first[k]!;
      if (this.single) {
        if (line >= first) {
          this.step[k] = line - first;
          this.single = false;
          return;
        }
      } else if (first + (i - this.entry[k]!) * this.step[k]! === line) {
        return;
      }
    }
    if (this.count === this.entry.length) {
      this.entry = grown(this.entry, this.count * 2);
      this.first = grown(this.first, this.count * 2);
      this.step = grown(this.step, this.count * 2);
    }
    this.entry[this.count] = i;
    this.first[this.count] = line;
    this.step[this.count] = 0;
    this.count++;
    this.single = true;
  }

  /** The line of entry i, one already added. */
  at(i: number): number {
    return lineOf(
      { lineRunEntry: this.entry.subarray(0, this.count), lineRunFirst: this.first, lineRunStep: this.step },
      i,
    );
  }

  columns(): Pick<ReportIndex, 'lineRunEntry' | 'lineRunFirst' | 'lineRunStep'> {
    const n = this.count;
    return {
      lineRunEntry: this.entry.slice(0, n),
      lineRunFirst: this.first.slice(0, n),
      lineRunStep: this.step.slice(0, n),
    };
  }
}
