import { type Finding, type FindingCode, FindingCollector } from '../finding.js';
import { findingMessage } from '../finding-catalogue.js';
import { formatInstant } from '../instant.js';
import {
  entrySerialHex,
  FLAG_DUPLICATE,
  FLAG_NO_SERIAL,
  FLAG_REVOKED,
  findSerial,
  fpExtOf,
  lineOf,
  NOT_AFTER_ELSEWHERE,
  notAfterOf,
  type ReportIndex,
  reasonOf,
  revokedAtOf,
  sameBytes,
} from '../report/report-index.js';
import { reasonName } from '../report/revocation-reason.js';
import { formatSerial } from '../report/serial.js';

/** A row of one side, to be read back for evidence. */
export interface RowRef {
  side: 'old' | 'new';
  entry: number;
}

export interface DiffWindow {
  /** epoch seconds; NaN when nothing tells */
  from: number;
  to: number;
  /** how each end was found: given on the command line, or derived from the report's content */
  basis: { from: WindowBasis; to: WindowBasis };
}

/**
 * given on the command line, from the CreateCertificateAuthorityAuditReport call, from the S3
 * object's LastModified, or from the report's content
 */
export type WindowBasis = 'given' | 'cloudtrail' | 's3' | 'derived';

/**
 * What the indexes alone can tell. Findings that need the rows themselves (which fields changed,
 * when a new certificate was issued) are completed once the rows are read back: see
 * completeDiff.
 */
export interface DiffPlan {
  window: DiffWindow;
  /** NEW entries, in serial order */
  issued: number[];
  revoked: number[];
  expired: number[];
  /** [old entry, new entry] whose immutable fields differ (by fingerprint) */
  changed: Array<[number, number]>;
  compareExtended: boolean;
  findings: FindingCollector;
}

export interface DiffOptions {
  oldCreatedAt?: number;
  newCreatedAt?: number;
  /** how the creation times were found (default 'given' when set) */
  oldCreatedAtBasis?: WindowBasis;
  newCreatedAtBasis?: WindowBasis;
  findingLimit?: number;
}

/** What the join finds, before any of it is worded as a finding. */
export interface JoinScan {
  /** NEW entries, each list in serial order */
  issued: ArrayLike<number>;
  revoked: ArrayLike<number>;
  expired: ArrayLike<number>;
  /** [old entry, new entry] pairs whose immutable fields differ (by fingerprint), flat, in the NEW serial's order */
  changed: ArrayLike<number>;
  /** [kind, old entry, new entry], flat, in NEW order: kind UNREVOKED or REVOCATION_CHANGED */
  events: ArrayLike<number>;
  /** OLD entries whose serial NEW lacks, in OLD order */
  disappeared: ArrayLike<number>;
}

export const SCAN_UNREVOKED = 1;
export const SCAN_REVOCATION_CHANGED = 2;

/**
 * Joins two report indexes on the serial. Revoked certificates never leave a report and nothing
 * in a row but its revocation may ever change, so every difference other than a new certificate
 * or a new revocation is a finding.
 */
export function diffIndexes(
  oldIndex: ReportIndex,
  newIndex: ReportIndex,
  options: DiffOptions = {},
): DiffPlan {
  for (const index of [oldIndex, newIndex]) {
    if (index.serialStart.length === 0)
      throw new Error(`${index.source}: the index's join columns were released`);
  }
  const window: DiffWindow = {
    from: options.oldCreatedAt ?? oldIndex.latestInstant,
    to: options.newCreatedAt ?? newIndex.latestInstant,
    basis: {
      from: options.oldCreatedAt === undefined ? 'derived' : (options.oldCreatedAtBasis ?? 'given'),
      to: options.newCreatedAt === undefined ? 'derived' : (options.newCreatedAtBasis ?? 'given'),
    },
  };
  const findings = new FindingCollector(options.findingLimit ?? 1000);
  const compareExtended = oldIndex.hasExtended && newIndex.hasExtended;
  const scan = scanJoin(oldIndex, newIndex, window.from, window.to, compareExtended);
  const rowOf = (index: ReportIndex, i: number) => ({
    report: index.source,
    line: lineOf(index, i),
    byte: index.offset[i]!,
  });
  const add = (
    code: FindingCode,
    serialHex: string,
    build: () => Omit<Finding, 'code' | 'severity' | 'serial'>,
  ) => findings.offer(code, () => ({ serial: formatSerial(serialHex), ...build() }));
  const { events } = scan;
  for (let k = 0; k < events.length; k += 3) {
    const o = events[k + 1]!;
    const n = events[k + 2]!;
    if (events[k] === SCAN_UNREVOKED) {
      add('CERTIFICATE_UNREVOKED', entrySerialHex(newIndex, n), () => ({
        message: findingMessage('CERTIFICATE_UNREVOKED', { was: describeRevocation(oldIndex, o) }),
        evidence: { old: rowOf(oldIndex, o), new: rowOf(newIndex, n) },
      }));
    } else {
      add('REVOCATION_CHANGED', entrySerialHex(newIndex, n), () => ({
        message: findingMessage('REVOCATION_CHANGED', {
          from: describeRevocation(oldIndex, o),
          to: describeRevocation(newIndex, n),
        }),
        evidence: {
          oldRevocation: revocationOf(oldIndex, o),
          newRevocation: revocationOf(newIndex, n),
          old: rowOf(oldIndex, o),
          new: rowOf(newIndex, n),
        },
      }));
    }
  }
  for (let k = 0; k < scan.disappeared.length; k++) {
    const o = scan.disappeared[k]!;
    add('CERTIFICATE_DISAPPEARED', entrySerialHex(oldIndex, o), () => ({
      message: findingMessage('CERTIFICATE_DISAPPEARED'),
      evidence: { old: rowOf(oldIndex, o) },
    }));
  }
  const changed: Array<[number, number]> = [];
  for (let k = 0; k < scan.changed.length; k += 2) changed.push([scan.changed[k]!, scan.changed[k + 1]!]);
  return {
    window,
    issued: Array.from(scan.issued),
    revoked: Array.from(scan.revoked),
    expired: Array.from(scan.expired),
    changed,
    compareExtended,
    findings,
  };
}

/**
 * The join itself, in one pass over NEW: each NEW entry is looked up in OLD by serial and its
 * fingerprints and revocation compared; what is rare (findings) is only recorded here, so that
 * the loop stays small. `from` and `to` bound the expiry window (NaN: nothing expired).
 */
export function scanJoin(
  oldIndex: ReportIndex,
  newIndex: ReportIndex,
  from: number,
  to: number,
  compareExtended: boolean,
): JoinScan {
  const matched = new Uint8Array(oldIndex.count);
  const issued: number[] = [];
  const revoked: number[] = [];
  const expired: number[] = [];
  const changed: Array<[number, number]> = [];
  const events: number[] = [];
  const disappeared: number[] = [];
  // the columns in locals: an index that crossed from a worker is a slow-properties object
  const nb = newIndex.arena;
  const ob = oldIndex.arena;
  const nStart = newIndex.serialStart;
  const oStart = oldIndex.serialStart;
  const nFlags = newIndex.flags;
  const oFlags = oldIndex.flags;
  const nNotAfter = newIndex.notAfter;
  const nA = newIndex.fpA;
  const oA = oldIndex.fpA;
  const nB = newIndex.fpB;
  const oB = oldIndex.fpB;
  const newCount = newIndex.count;
  const oldCount = oldIndex.count;
  // successive reports mostly list the same certificates in the same order: the OLD entry after
  // the last one matched is tried before the hash table
  let guess = 0;
  for (let n = 0; n < newCount; n++) {
    const nflags = nFlags[n]!;
    // rows without a usable serial, and repeats (DUPLICATE_SERIAL already), cannot be joined
    if ((nflags & (FLAG_NO_SERIAL | FLAG_DUPLICATE)) !== 0) continue;
    const ns = nStart[n]!;
    const ne = nStart[n + 1]!;
    let o = -1;
    // an entry without these flags is the one the hash table holds for its serial
    if (guess < oldCount && (oFlags[guess]! & (FLAG_NO_SERIAL | FLAG_DUPLICATE)) === 0) {
      const gs = oStart[guess]!;
      if (sameBytes(ob, gs, oStart[guess + 1]! - gs, nb, ns, ne - ns)) o = guess;
    }
    if (o < 0) o = findSerial(oldIndex, nb, ns, ne);
    if (o >= 0) guess = o + 1;
    let na = nNotAfter[n]!;
    if (na === NOT_AFTER_ELSEWHERE) na = notAfterOf(newIndex, n);
    const nRevoked = (nflags & FLAG_REVOKED) !== 0;
    if (!nRevoked && na > from && na <= to) expired.push(n);
    if (o < 0) {
      issued.push(n);
      if (nRevoked) revoked.push(n);
      continue;
    }
    matched[o] = 1;
    if (
      oA[o] !== nA[n] ||
      oB[o] !== nB[n] ||
      (compareExtended && fpExtOf(oldIndex, o) !== fpExtOf(newIndex, n))
    ) {
      changed.push([o, n]);
    }
    const oRevoked = (oFlags[o]! & FLAG_REVOKED) !== 0;
    if (!oRevoked && nRevoked) {
      revoked.push(n);
    } else if (oRevoked && !nRevoked) {
      events.push(SCAN_UNREVOKED, o, n);
    } else if (oRevoked && nRevoked) {
      const ot = revokedAtOf(oldIndex, o);
      const nt = revokedAtOf(newIndex, n);
      const sameTime = ot === nt || (Number.isNaN(ot) && Number.isNaN(nt));
      if (!sameTime || reasonOf(oldIndex, o) !== reasonOf(newIndex, n))
        events.push(SCAN_REVOCATION_CHANGED, o, n);
    }
  }
  for (let o = 0; o < oldCount; o++) {
    if (matched[o] === 0 && (oFlags[o]! & (FLAG_NO_SERIAL | FLAG_DUPLICATE)) === 0) disappeared.push(o);
  }
  const bySerial = (a: number, b: number) => compareEntrySerials(newIndex, a, newIndex, b);
  issued.sort(bySerial);
  revoked.sort(bySerial);
  expired.sort(bySerial);
  changed.sort((a, b) => bySerial(a[1], b[1]));
  return { issued, revoked, expired, changed: changed.flat(), events, disappeared };
}

/**
 * Lets go of the columns only the join needs (serials, fingerprints, the hash table, CA ids), once
 * diffIndexes is done with two big indexes: what follows (rowsForDiff, fetchRows, completeDiff)
 * reads positions and revocation states only. The index can no longer be joined or searched by
 * serial afterwards. Returns the buffers let go of (whoever can free them sooner than the GC).
 */
export function releaseJoinColumns(index: ReportIndex): ArrayBuffer[] {
  const buffers = [
    index.arena,
    index.serialStart,
    index.fpA,
    index.fpB,
    index.group,
    index.groupCa,
    index.groupExt,
    index.groupOtherEntry,
    index.groupOtherCa,
    index.groupOtherExt,
    index.table,
  ].map((a) => a.buffer as ArrayBuffer);
  index.arena = new Uint8Array(0);
  index.serialStart = new Uint32Array(0);
  index.fpA = new Int32Array(0);
  index.fpB = new Int32Array(0);
  index.group = new Uint8Array(0);
  index.groupCa = new Uint8Array(0);
  index.groupExt = new Int32Array(0);
  index.groupOtherEntry = new Uint32Array(0);
  index.groupOtherCa = new Uint8Array(0);
  index.groupOtherExt = new Int32Array(0);
  index.table = new Int32Array(0);
  return buffers;
}

function revocationOf(index: ReportIndex, i: number): { revokedAt?: string; reason?: string } {
  const t = revokedAtOf(index, i);
  const r = reasonName(reasonOf(index, i));
  return {
    ...(Number.isNaN(t) ? {} : { revokedAt: formatInstant(t) }),
    ...(r === undefined ? {} : { reason: r }),
  };
}

function describeRevocation(index: ReportIndex, i: number): string {
  const { revokedAt, reason } = revocationOf(index, i);
  return `${reason ?? 'no reason'} at ${revokedAt ?? 'an unknown time'}`;
}

/** Serial order: by magnitude (length, then octets). */
export function compareEntrySerials(a: ReportIndex, i: number, b: ReportIndex, j: number): number {
  const as = a.serialStart[i]!;
  const al = a.serialStart[i + 1]! - as;
  const bs = b.serialStart[j]!;
  const bl = b.serialStart[j + 1]! - bs;
  if (al !== bl) return al - bl;
  for (let k = 0; k < al; k++) {
    const d = a.arena[as + k]! - b.arena[bs + k]!;
    if (d !== 0) return d;
  }
  return 0;
}
