/**
 * The columns a report's index gathers apart while it is built (the few rows with a revocation, a
 * notAfter or a group of their own, the lines as runs), and the growing of columns.
 */
import { GROUP_ELSEWHERE, type Groups, lineOf, type ReportIndex } from './model.js';

export type NumberColumn = Uint8Array | Uint32Array | Int32Array | Float64Array;

/** A column of n of the same kind, a's values first. */
export function grown<T extends NumberColumn>(a: T, n: number): T {
  const b = new (a.constructor as new (length: number) => T)(n);
  b.set(a);
  return b;
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
