/**
 * Builders for audit report rows and whole reports, and drivers that run the core the way the CLI
 * does (index from byte chunks, diff with rows read back by offset).
 */
import { type AuditRecordFields, FIELD_NAMES, type FieldName } from '../src/core/audit-record.js';
import { diffIndexes, releaseJoinColumns } from '../src/core/diff.js';
import { completeDiff, rowsForDiff } from '../src/core/diff-report.js';
import { completeInspect, type InspectOptions, rowsForInspect } from '../src/core/inspect-report.js';
import type { ReportIndex } from '../src/core/report-index.js';
import {
  type DiffOutput,
  evidenceOffsets,
  type InspectOutput,
  type RowsByOffset,
} from '../src/core/report-model.js';
import { indexReport, readRowsAt } from '../src/core/report-reader.js';

export const ACCOUNT = '111122223333';
export const CA_ARN =
  'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c35';
export const OTHER_CA_ARN =
  'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/0a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d';
export const END_ENTITY_TEMPLATE = 'arn:aws:acm-pca:::template/EndEntityCertificate/V1';
export const SERVER_TEMPLATE = 'arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1';
export const DEFAULT_SERIAL = '5e:b1:45:1c:ca:b8:0c:22:3a:3b:79:fd:61:ac:79:a7';

/** A row as AWS writes it: field name → text; a field set to undefined in overrides is left out. */
export type ReportRecord = AuditRecordFields;
export type RecordOverrides = { [K in FieldName]?: string | undefined };

/** The ARN of the certificate with this serial: the CA ARN, `/certificate/`, the serial hex without colons. */
export function certificateArnOf(serial: string, caArn = CA_ARN): string {
  return `${caArn}/certificate/${serial.replace(/:/g, '').toLowerCase()}`;
}

/**
 * A distinct, realistic 16-octet serial for n (colon form, first octet 0x01..0x7f like most AWS
 * serials). Deterministic: the same n always gives the same serial.
 */
export function aSerial(n: number): string {
  let x = (Math.imul(n + 1, 0x9e3779b1) ^ 0x5bd1e995) >>> 0;
  const octets: number[] = [];
  for (let k = 0; k < 16; k++) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
    x = (x ^ (x >>> 12) ^ (k * 0x3d)) >>> 0;
    octets.push(x & 0xff);
  }
  // the first octet carries n so that different n never collide
  octets[0] = 0x01 + (n % 0x7f);
  octets[1] = (n >>> 8) & 0xff;
  octets[2] = n & 0xff;
  return octets.map((o) => o.toString(16).padStart(2, '0')).join(':');
}

/**
 * One audit report row with realistic defaults. The certificateArn follows the serial unless it is
 * overridden; `undefined` in overrides removes a field.
 */
export function aRecord(overrides: RecordOverrides = {}): ReportRecord {
  const serial = 'serial' in overrides ? overrides.serial : DEFAULT_SERIAL;
  const base: RecordOverrides = {
    awsAccountId: ACCOUNT,
    certificateArn: serial === undefined ? undefined : certificateArnOf(serial),
    serial,
    subject: 'CN=orders-api.prod.eu-west-1.example.internal,OU=Commerce,O=Example Corp,L=Dublin,C=IE',
    notBefore: '2026-02-26T17:39:57+0000',
    notAfter: '2027-02-26T18:39:57+0000',
    issuedAt: '2026-02-26T18:39:57+0000',
    templateArn: END_ENTITY_TEMPLATE,
  };
  const merged: RecordOverrides = { ...base, ...overrides };
  const out: ReportRecord = {};
  for (const name of FIELD_NAMES) {
    const v = merged[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** `count` records with distinct serials aSerial(first), aSerial(first + 1), ... */
export function someRecords(
  count: number,
  overrides: (i: number) => RecordOverrides = () => ({}),
  first = 0,
): ReportRecord[] {
  return Array.from({ length: count }, (_v, i) => aRecord({ serial: aSerial(first + i), ...overrides(i) }));
}

/** The AWS JSON report: one array, one record a line, keys in the AWS order. */
export function toJsonReport(records: readonly ReportRecord[]): string {
  if (records.length === 0) return '[\n]\n';
  const lines = records.map((r) => {
    const ordered: Record<string, string> = {};
    for (const name of FIELD_NAMES) {
      const v = r[name];
      if (v !== undefined) ordered[name] = v;
    }
    return JSON.stringify(ordered);
  });
  return `[\n${lines.join(',\n')}\n]\n`;
}

export const CSV_COLUMNS_11: readonly FieldName[] = FIELD_NAMES;
export const CSV_COLUMNS_9: readonly FieldName[] = FIELD_NAMES.filter(
  (f) => f !== 'requestedByServicePrincipal' && f !== 'templateArn',
);

export interface CsvOptions {
  /** CRLF line ends (default LF) */
  crlf?: boolean;
  /** a UTF-8 byte order mark first */
  bom?: boolean;
  /** 11 columns (since March 2020, the default) or the older 9 */
  columns?: 9 | 11;
  /** the header cells in this order instead (may name unknown columns) */
  header?: readonly string[];
  /** quote every cell, not just those that need it */
  quoteAll?: boolean;
}

/** RFC 4180 quoting: only cells holding a comma, quote, CR or LF (or every cell with quoteAll). */
export function csvCell(value: string, quoteAll = false): string {
  return quoteAll || /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The AWS CSV report: a header, then one line a record; an absent field is an empty cell. */
export function toCsvReport(records: readonly ReportRecord[], options: CsvOptions = {}): string {
  const eol = options.crlf ? '\r\n' : '\n';
  const header = options.header ?? (options.columns === 9 ? CSV_COLUMNS_9 : CSV_COLUMNS_11);
  const lines = [header.map((h) => csvCell(h, options.quoteAll)).join(',')];
  for (const r of records) {
    lines.push(
      header
        .map((h) => {
          const v = (r as Record<string, string | undefined>)[h];
          return v === undefined ? '' : csvCell(v, options.quoteAll);
        })
        .join(','),
    );
  }
  return `${options.bom ? '\ufeff' : ''}${lines.join(eol)}${eol}`;
}

// ---- running the core over byte chunks ----

/** Chunk sizes cycled by default: small and uneven, so rows and tokens straddle chunk boundaries. */
export const DEFAULT_CHUNK_SIZES: readonly number[] = [5, 1, 13, 64, 2, 251, 7, 33, 3, 1024, 17];

const ENCODER = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return ENCODER.encode(text);
}

/** Splits bytes into chunks; `sizes` is cycled (a single number: equal chunks; Infinity: one chunk). */
export function splitBytes(
  bytes: Uint8Array,
  sizes: number | readonly number[] = DEFAULT_CHUNK_SIZES,
): Uint8Array[] {
  const list = typeof sizes === 'number' ? [sizes] : sizes;
  const out: Uint8Array[] = [];
  let at = 0;
  let k = 0;
  while (at < bytes.length) {
    const size = Math.max(1, Math.min(list[k++ % list.length]!, bytes.length - at));
    // fresh copies: a scanner must not depend on chunks sharing one buffer
    out.push(bytes.slice(at, at + size));
    at += size;
  }
  return out;
}

export async function* chunksOf(
  text: string | Uint8Array,
  sizes: number | readonly number[] = DEFAULT_CHUNK_SIZES,
): AsyncGenerator<Uint8Array> {
  for (const c of splitBytes(typeof text === 'string' ? utf8(text) : text, sizes)) yield c;
}

export interface IndexOfOptions {
  source?: string;
  expectedCa?: string;
  findingLimit?: number;
  chunkSizes?: number | readonly number[];
}

/** indexReport over the UTF-8 bytes of text, fed in chunks (see DEFAULT_CHUNK_SIZES). */
export function indexOf(text: string | Uint8Array, options: IndexOfOptions = {}): Promise<ReportIndex> {
  return indexReport(chunksOf(text, options.chunkSizes), {
    source: options.source ?? 'report',
    ...(options.expectedCa === undefined ? {} : { expectedCa: options.expectedCa }),
    ...(options.findingLimit === undefined ? {} : { findingLimit: options.findingLimit }),
  });
}

export interface DiffOfOptions {
  oldCreatedAt?: number;
  newCreatedAt?: number;
  findingLimit?: number;
  expectedCa?: string;
  chunkSizes?: number | readonly number[];
  oldSource?: string;
  newSource?: string;
}

export interface DiffRun {
  out: DiffOutput;
  oldIndex: ReportIndex;
  newIndex: ReportIndex;
}

const mergeOffsets = (a: readonly number[], b: readonly number[] | undefined): number[] =>
  [...new Set([...a, ...(b ?? [])])].sort((x, y) => x - y);

/** What `pca-audit diff` does (src/cli/commands/diff.ts), with the rows read back by readRowsAt. */
export async function diffRun(
  oldText: string,
  newText: string,
  options: DiffOfOptions = {},
): Promise<DiffRun> {
  const oldSource = options.oldSource ?? 'old';
  const newSource = options.newSource ?? 'new';
  const common = {
    ...(options.findingLimit === undefined ? {} : { findingLimit: options.findingLimit }),
    ...(options.expectedCa === undefined ? {} : { expectedCa: options.expectedCa }),
    ...(options.chunkSizes === undefined ? {} : { chunkSizes: options.chunkSizes }),
  };
  const [oldIndex, newIndex] = await Promise.all([
    indexOf(oldText, { ...common, source: oldSource }),
    indexOf(newText, { ...common, source: newSource }),
  ]);
  const plan = diffIndexes(oldIndex, newIndex, {
    ...(options.findingLimit === undefined ? {} : { findingLimit: options.findingLimit }),
    ...(options.oldCreatedAt === undefined ? {} : { oldCreatedAt: options.oldCreatedAt }),
    ...(options.newCreatedAt === undefined ? {} : { newCreatedAt: options.newCreatedAt }),
  });
  releaseJoinColumns(oldIndex);
  releaseJoinColumns(newIndex);
  const needed = rowsForDiff(plan, oldIndex, newIndex);
  const evidence = evidenceOffsets([...plan.findings.findings, ...oldIndex.findings, ...newIndex.findings]);
  const oldRows: RowsByOffset = await readRowsAt(
    chunksOf(oldText, options.chunkSizes),
    mergeOffsets(needed.old, evidence.get(oldSource)),
  );
  const newRows: RowsByOffset = await readRowsAt(
    chunksOf(newText, options.chunkSizes),
    mergeOffsets(needed.new, evidence.get(newSource)),
  );
  const rows = new Map<string, RowsByOffset>([
    [oldSource, oldRows],
    [newSource, newRows],
  ]);
  return { out: completeDiff(plan, oldIndex, newIndex, rows), oldIndex, newIndex };
}

/** The output of `pca-audit diff` for two report texts. */
export async function diffOf(
  oldText: string,
  newText: string,
  options: DiffOfOptions = {},
): Promise<DiffOutput> {
  return (await diffRun(oldText, newText, options)).out;
}

/** What `pca-audit inspect` does (src/cli/commands/inspect.ts), with rows read back by readRowsAt. */
export async function inspectOf(
  text: string,
  options: InspectOptions & IndexOfOptions,
): Promise<InspectOutput> {
  const source = options.source ?? 'report';
  const index = await indexOf(text, options);
  const inspect = { at: options.at, expiringWithin: options.expiringWithin };
  const offsets = mergeOffsets(rowsForInspect(index, inspect), evidenceOffsets(index.findings).get(source));
  const rows = await readRowsAt(chunksOf(text, options.chunkSizes), offsets);
  return completeInspect(index, inspect, new Map([[source, rows]]));
}

/** Epoch seconds of an ISO instant (test convenience; relies on Date.parse for `Z` forms only). */
export function epoch(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not an instant: ${iso}`);
  return ms / 1000;
}

/** A deterministic pseudo-random generator (mulberry32) for generated test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
