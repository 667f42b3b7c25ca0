// Randomised reports with bad fields of every kind, the samples and the fixtures (issue 17: these
// were the native twin's tests, now about the TypeScript alone): the index (every column, the hash
// table, the counts, every finding) does not depend on how the input is cut into chunks, a damaged
// file is refused with the same message however it arrives, rows read back at their offsets equal
// the rows a full scan sees, and the join keeps pairs past the 255 group ids apart.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffIndexes } from '../../src/core/diff/diff.js';
import { FIELD_NAMES } from '../../src/core/report/audit-record.js';
import type { ReportIndex } from '../../src/core/report/report-index.js';
import { ESTIMATE_HEAD, estimateRows, indexReport, readRowsAt } from '../../src/core/report/report-reader.js';
import { fetchRows } from '../../src/io/load-report.js';
import {
  aRecord,
  aSerial,
  CA_ARN,
  certificateArnOf,
  chunksOf,
  END_ENTITY_TEMPLATE,
  OTHER_CA_ARN,
  type ReportRecord,
  rng,
  SERVER_TEMPLATE,
  toCsvReport,
  toJsonReport,
  utf8,
} from '../builders.js';

const dir = mkdtempSync(join(tmpdir(), 'pca-audit-random-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

const FINDING_LIMIT = 5;

async function index(bytes: Uint8Array, sizes: number | readonly number[]): Promise<ReportIndex | Error> {
  try {
    return await indexReport(chunksOf(bytes, sizes), {
      source: 'report',
      findingLimit: FINDING_LIMIT,
      expectedRows: estimateRows(
        bytes.subarray(0, ESTIMATE_HEAD),
        bytes.length < ESTIMATE_HEAD,
        bytes.length,
      ),
    });
  } catch (err) {
    return err as Error;
  }
}

function prefix(a: ArrayLike<number>, n: number): number[] {
  return Array.from({ length: n }, (_v, i) => a[i]!);
}

/** Every part of an index, in a form toEqual compares exactly (NaN included). */
function comparable(index: ReportIndex): Record<string, unknown> {
  const n = index.count;
  return {
    count: n,
    format: index.format,
    arena: prefix(index.arena, index.serialStart[n]!),
    serialStart: prefix(index.serialStart, n + 1),
    fpA: prefix(index.fpA, n),
    fpB: prefix(index.fpB, n),
    group: prefix(index.group, n),
    groupCa: Array.from(index.groupCa),
    groupExt: Array.from(index.groupExt),
    groupOtherEntry: Array.from(index.groupOtherEntry),
    groupOtherCa: Array.from(index.groupOtherCa),
    groupOtherExt: Array.from(index.groupOtherExt),
    notAfter: prefix(index.notAfter, n),
    notAfterOtherEntry: Array.from(index.notAfterOtherEntry),
    notAfterOtherValue: Array.from(index.notAfterOtherValue, String),
    revokedEntry: Array.from(index.revokedEntry),
    revokedTime: Array.from(index.revokedTime, String),
    revokedReason: Array.from(index.revokedReason),
    flags: prefix(index.flags, n),
    offset: prefix(index.offset, n),
    offsetKind: index.offset.constructor.name,
    lineRunEntry: Array.from(index.lineRunEntry),
    lineRunFirst: Array.from(index.lineRunFirst),
    lineRunStep: Array.from(index.lineRunStep),
    table: Array.from(index.table),
    hasExtended: index.hasExtended,
    caArns: index.caArns,
    caCounts: index.caCounts,
    caArn: index.caArn,
    revoked: index.revoked,
    revokedByReason: index.revokedByReason,
    byTemplate: index.byTemplate,
    latestInstant: String(index.latestInstant),
    findings: index.findings,
    findingCounts: index.findingCounts,
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const SUBJECTS = [
  'CN=orders-api.prod.eu-west-1.example.internal,OU=Commerce,O=Example Corp,L=Dublin,C=IE',
  'CN=Jos\\C3\\A9 M\\C3\\BCller,O=Example',
  'CN=caf\u00e9.example,O=Ex\u00e4mple',
  '2.5.4.3=#0c03616263,O=x',
  'CN=a\\,b\\+c,O="quoted"',
  'CN=bad\\zz',
  'CN=#13016',
  '',
  ',,CN=empty rdns',
  'CN=x+OU=y,O=z',
  'CN=\u0001control',
  'CN=tab\there',
  // issue 13 item 2: raw control characters (C0, DEL, C1), also inside the SIMD plain-run skip
  `CN=${'a'.repeat(40)}\r=cmd|x`,
  `CN=${'a'.repeat(17)}\u007f${'b'.repeat(20)}`,
  `CN=${'a'.repeat(33)}\u001b[31m`,
  'CN=a\u0085b',
  'CN=\u009b',
  'CN=a\u00a0b',
  `CN=${'a'.repeat(20)}\\0D\\0A`,
  'O=Example;CN=semi',
  'CN=\ud83d\ude00 emoji',
  '1.2.840.113549.1.9.1=#160f6a6f6540657861 6d706c652e636f6d',
];
const TIMES = [
  '2026-02-26T18:39:57+0000',
  '2026-02-26T18:39:57Z',
  '2026-02-26T18:39:57.123+01:00',
  '2026-02-26T18:39:57-0530',
  '2024-02-29T00:00:00+0000',
  '2025-02-29T00:00:00+0000',
  '2026-13-01T00:00:00+0000',
  '2026-02-26 18:39:57+0000',
  '2026-02-26T24:00:00+0000',
  '9999-12-31T23:59:59+0000',
  '0000-01-01T00:00:00+0000',
  '2026-02-26T18:39:57+2400',
  '2026-02-26T18:39:57.+0000',
  'yesterday',
  '',
];
const REASONS = ['KEY_COMPROMISE', 'SUPERSEDED', 'UNSPECIFIED', 'A_A_COMPROMISE', 'key_compromise', 'NOPE'];

function randomSerial(r: Rand, n: number): string {
  const s = aSerial(n);
  switch (Math.floor(r() * 12)) {
    case 0:
      return s.replace(/:/g, '');
    case 1:
      return s.toUpperCase();
    case 2:
      return `00:${s}`;
    case 3:
      return s.replace(/:/g, '').slice(1);
    case 4:
      return `${s}:zz`;
    case 5:
      return `${s}:`;
    case 6:
      return 'a'.repeat(600);
    case 7:
      return '0';
    default:
      return s;
  }
}

function randomRecord(r: Rand, n: number, serials: string[]): ReportRecord {
  const serial = serials.length > 0 && r() < 0.05 ? pick(r, serials) : randomSerial(r, n);
  serials.push(serial);
  const rec: Record<string, string> = {
    awsAccountId: r() < 0.95 ? '111122223333' : pick(r, ['11112222333', '11112222333x', '']),
    serial,
    certificateArn: certificateArnOf(serial.replace(/[^0-9a-fA-F:]/g, '') || '00'),
    subject: r() < 0.7 ? SUBJECTS[0]! : pick(r, SUBJECTS),
    notBefore: r() < 0.8 ? TIMES[0]! : pick(r, TIMES),
    notAfter: r() < 0.8 ? '2027-02-26T18:39:57+0000' : pick(r, TIMES),
    issuedAt: r() < 0.8 ? TIMES[0]! : pick(r, TIMES),
    templateArn:
      r() < 0.8
        ? END_ENTITY_TEMPLATE
        : pick(r, [SERVER_TEMPLATE, 'arn:aws:acm-pca:::template/Bad Name/V1', '']),
  };
  const arn = Math.floor(r() * 14);
  if (arn === 0) rec.certificateArn = certificateArnOf(aSerial(n + 1));
  else if (arn === 1)
    rec.certificateArn = certificateArnOf(serial.replace(/[^0-9a-fA-F:]/g, '') || '00', OTHER_CA_ARN);
  else if (arn === 2) rec.certificateArn = `${CA_ARN}/certificate/${serial.replace(/:/g, '').toUpperCase()}`;
  else if (arn === 3) rec.certificateArn = 'not-an-arn';
  else if (arn === 4)
    rec.certificateArn = `arn:aws:acm-pca:eu-west-1:1:certificate-authority/x/certificate/01`;
  else if (arn === 5) rec.certificateArn = `${CA_ARN}/certificate/`;
  if (r() < 0.1) rec.revokedAt = pick(r, TIMES);
  if (r() < 0.1) rec.revocationReason = pick(r, REASONS);
  if (r() < 0.1) rec.requestedByServicePrincipal = 'acm.amazonaws.com';
  for (const name of FIELD_NAMES) if (r() < 0.02) delete rec[name];
  return rec;
}

const ESCAPE_CHOICES = ['\\u00e9', '\\/', '\\"', '\\\\', '\\n', '\\ud83d\\ude00', '\\ud800', '\\u0041'];

/** A JSON report with the liberties JSON allows (and some AWS never takes). */
function randomJson(r: Rand, records: ReportRecord[]): string {
  const ws = () => pick(r, ['', '', '', ' ', '\n', '\r\n  ', '\t']);
  const str = (s: string) => {
    let out = JSON.stringify(s);
    if (r() < 0.05) out = `"${out.slice(1, -1)}${pick(r, ESCAPE_CHOICES)}"`;
    return out;
  };
  const rows = records.map((rec) => {
    const entries: string[] = [];
    for (const [k, v] of Object.entries(rec)) {
      if (v === undefined) continue;
      const value =
        r() < 0.02 ? pick(r, ['null', '12', '-1.5e3', 'true', '{"a":[1,{"b":"\\u00e9"}]}', '[]']) : str(v);
      entries.push(`${ws()}${r() < 0.02 ? '"\\u0073erial"' : JSON.stringify(k)}${ws()}:${ws()}${value}`);
    }
    if (r() < 0.05)
      entries.splice(Math.floor(r() * entries.length), 0, `"extra":${pick(r, ['"x"', '[1,2]', 'null'])}`);
    if (r() < 0.05) entries.reverse();
    return `{${entries.join(',')}${ws()}}`;
  });
  return `${r() < 0.1 ? '\ufeff' : ''}[${ws()}${rows.join(`,${ws()}`)}${ws()}]${ws()}`;
}

function randomCsv(r: Rand, records: ReportRecord[]): string {
  const columns = r() < 0.3 ? 9 : 11;
  let text = toCsvReport(records, { columns, crlf: r() < 0.3, quoteAll: r() < 0.2, bom: r() < 0.1 });
  if (r() < 0.3) {
    // an extra column AWS does not write, and cells that need quoting
    text = text
      .split('\n')
      .map((line, i) =>
        line === ''
          ? line
          : `${line.replace(/\r$/, '')},${i === 0 ? 'note' : '"a ""b""\nc"'}${line.endsWith('\r') ? '\r' : ''}`,
      )
      .join('\n');
  }
  return text;
}

const MUTATION_BYTES = utf8('"{}[],:\\\n\r x0ue');

/** The bytes with one random edit: a byte dropped, one inserted, or the tail cut off. */
function mutate(r: Rand, bytes: Uint8Array): Uint8Array {
  const at = Math.floor(r() * bytes.length);
  const kind = Math.floor(r() * 3);
  if (kind === 0) return Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1)]);
  if (kind === 1)
    return Uint8Array.from([...bytes.subarray(0, at), pick(r, [...MUTATION_BYTES]), ...bytes.subarray(at)]);
  return bytes.slice(0, at);
}

/** Indexes the bytes in chunks of several sizes: the same index each time, or the same refusal. */
async function expectSame(bytes: Uint8Array, label: string): Promise<ReportIndex | Error> {
  const whole = await index(bytes, bytes.length || 1);
  for (const block of [1, 7, 64, 4096]) {
    const got = await index(bytes, block);
    if (whole instanceof Error) {
      expect(got, `${label}, block ${block}: refused whole (${whole.message})`).toBeInstanceOf(Error);
      expect((got as Error).message, `${label}, block ${block}`).toBe(whole.message);
    } else {
      if (got instanceof Error) throw new Error(`${label}, block ${block}: ${got.message}`);
      expect(comparable(got), `${label}, block ${block}`).toEqual(comparable(whole));
    }
  }
  return whole;
}

describe('the report index, whatever the chunks (randomised reports)', () => {
  it('is the same on the samples and every report fixture', async () => {
    const files = [
      ...readdirSync('samples')
        .filter((f) => /\.(json|csv)$/.test(f))
        .map((f) => join('samples', f)),
      ...readdirSync('test/fixtures/e2e')
        .filter((f) => /\.(json|csv)$/.test(f))
        .map((f) => join('test/fixtures/e2e', f)),
    ];
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) await expectSame(readFileSync(f), f);
  });

  it('is the same on randomised JSON reports with bad fields of every kind, which raise findings', async () => {
    const r = rng(7);
    const codes = new Set<string>();
    for (let round = 0; round < 60; round++) {
      const serials: string[] = [];
      const records = Array.from({ length: 1 + Math.floor(r() * 40) }, (_v, i) =>
        randomRecord(r, i, serials),
      );
      const got = await expectSame(utf8(randomJson(r, records)), `json round ${round}`);
      if (!(got instanceof Error)) for (const f of got.findings) codes.add(f.code);
    }
    expect([...codes].sort()).toEqual([
      'DUPLICATE_SERIAL',
      'FOREIGN_CA',
      'INVALID_RECORD',
      'REVOCATION_INCOMPLETE',
      'SERIAL_ARN_MISMATCH',
      'VALIDITY_INVERTED',
    ]);
  });

  it('is the same on randomised CSV reports (9 and 11 columns, CRLF, quoting)', async () => {
    const r = rng(11);
    for (let round = 0; round < 60; round++) {
      const serials: string[] = [];
      const records = Array.from({ length: 1 + Math.floor(r() * 40) }, (_v, i) =>
        randomRecord(r, i, serials),
      );
      await expectSame(utf8(randomCsv(r, records)), `csv round ${round}`);
    }
  });

  it('is the same when its columns grow and its hash table is rehashed, and finds every serial', async () => {
    // long rows first, then short ones: far more rows than the estimate from the head makes room for
    const r = rng(19);
    const serials: string[] = [];
    const rows = Array.from({ length: 6000 }, (_v, i) => {
      const rec = randomRecord(r, i, serials);
      return i < 200
        ? { serial: rec.serial, subject: `CN=${'x'.repeat(600)}` }
        : { serial: rec.serial, revocationReason: rec.revocationReason };
    });
    const json = utf8(`[${rows.map((row) => JSON.stringify(row)).join(',\n')}]`);
    const estimate = estimateRows(json.subarray(0, ESTIMATE_HEAD), false, json.length);
    expect(rows.length).toBeGreaterThan(2 * estimate);
    const got = await expectSame(json, 'short JSON rows');
    if (got instanceof Error) throw got;
    expect(got.count).toBe(6000);
    await expectSame(utf8(toCsvReport(rows as ReportRecord[], { columns: 9 })), 'short CSV rows');
  });

  it('refuses damaged files with the same message however they arrive', async () => {
    const r = rng(13);
    let refused = 0;
    for (let round = 0; round < 150; round++) {
      const serials: string[] = [];
      const records = Array.from({ length: 1 + Math.floor(r() * 6) }, (_v, i) => randomRecord(r, i, serials));
      const text = round % 2 === 0 ? randomJson(r, records) : randomCsv(r, records);
      const got = await expectSame(
        mutate(r, utf8(text)),
        `damaged ${round % 2 === 0 ? 'json' : 'csv'} ${round}`,
      );
      if (got instanceof Error) refused++;
    }
    expect(refused).toBeGreaterThan(50);
  });

  it('reads rows back at their offsets exactly as a full scan sees them', async () => {
    const r = rng(23);
    let read = 0;
    for (let round = 0; round < 40; round++) {
      const serials: string[] = [];
      const records = Array.from({ length: 1 + Math.floor(r() * 80) }, (_v, i) =>
        randomRecord(r, i, serials),
      );
      const csv = r() < 0.5;
      const bytes = utf8(csv ? randomCsv(r, records) : randomJson(r, records));
      const got = await index(bytes, 4096);
      if (got instanceof Error) continue;
      const path = join(dir, `rows${fileNo++}`);
      writeFileSync(path, bytes);
      const file = { name: 'report', path, gzip: false, size: bytes.length, dispose: async () => {} };
      // every row, or a few: runs of neighbours and rows apart
      const entries = Array.from({ length: got.count }, (_v, i) => i).filter(() => r() < 0.6);
      const offsets = entries.map((i) => got.offset[i]!);
      const back = await fetchRows(file, got, offsets);
      const scanned = await readRowsAt(chunksOf(bytes, 4096), offsets);
      expect([...back.keys()], `round ${round}`).toEqual(offsets);
      for (const o of offsets) {
        expect(back.get(o), `round ${round} (${csv ? 'csv' : 'json'}), byte ${o}`).toEqual(scanned.get(o));
      }
      read += offsets.length;
      rmSync(path, { force: true });
    }
    expect(read).toBeGreaterThan(500);
  });

  it('diffs past 255 (CA, extended fields) pairs: the pairs without a group id are still compared', async () => {
    // every row its own requestedByServicePrincipal: the first 255 pairs get group ids, the rest
    // are kept apart; NEW changes that field on some rows of each kind
    const old = Array.from({ length: 600 }, (_v, i) =>
      aRecord({ serial: aSerial(i), requestedByServicePrincipal: `svc-${i}.amazonaws.com` }),
    );
    const touched = [3, 100, 254, 255, 256, 400, 599];
    const next = old.map((rec, i) =>
      touched.includes(i) ? { ...rec, requestedByServicePrincipal: `other-${i}.amazonaws.com` } : rec,
    );
    const oldIndex = await expectSame(utf8(toJsonReport(old)), 'OLD, 600 pairs');
    const newIndex = await expectSame(utf8(toJsonReport(next)), 'NEW, 600 pairs');
    if (oldIndex instanceof Error || newIndex instanceof Error) throw new Error('not indexed');
    expect(oldIndex.groupCa.length).toBe(255);
    expect(oldIndex.groupOtherEntry.length).toBe(600 - 255);
    const plan = diffIndexes(oldIndex, newIndex, {});
    expect(plan.changed.map(([, n]) => n).sort((a, b) => a - b)).toEqual(touched);
  });
});
