import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type RunResult, runCli, SAMPLE_CA, SAMPLES, WINDOW } from './cli.js';

/**
 * Golden files: the CLI's output on the samples, compared byte for byte. After an intended change
 * of output, rewrite them with `UPDATE_GOLDEN=1 npx vitest run test/e2e` and review the diff: every
 * number in them is also checked below against samples/README.md, independently of the renderers.
 */
const GOLDEN_DIR = join(ROOT, 'test', 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function expectGolden(name: string, actual: Buffer): void {
  const path = join(GOLDEN_DIR, name);
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path)) {
    throw new Error(
      `golden file test/golden/${name} is missing: run UPDATE_GOLDEN=1 npx vitest run test/e2e`,
    );
  }
  const expected = readFileSync(path);
  if (expected.equals(actual)) return;
  const hint = `output differs from test/golden/${name} (if the change is intended: UPDATE_GOLDEN=1 npx vitest run test/e2e)`;
  // a text diff first, for a readable failure; then the bytes, for differences text hides
  expect(actual.toString('utf8'), hint).toBe(expected.toString('utf8'));
  expect(actual.equals(expected), `${hint}: same text, different bytes`).toBe(true);
}

const DIFF_ARGS = ['diff', SAMPLES.old, SAMPLES.new, ...WINDOW];
const INSPECT_ARGS = ['inspect', SAMPLES.new, '--at', '2026-11-20T02:00:00Z'];

// ---- what samples/README.md says the diff must show, and nothing else ----

const PLANTED = [
  ['CERTIFICATE_CHANGED', 'error', '66:66:78:cd:8c:91:f1:8c:17:4e:53:f0:3f:4b:cd:78'],
  ['CERTIFICATE_DISAPPEARED', 'error', '1a:cf:6f:42:f8:a2:1e:a5:b3:fb:de:42:a3:0e:ee:f2'],
  ['CERTIFICATE_UNREVOKED', 'error', '13:f7:1c:31:94:0e:97:b7:f0:fa:38:ba:7d:dd:1f:68'],
  ['REVOCATION_CHANGED', 'error', '61:9b:4c:30:5b:fc:dc:0b:5f:1c:31:75:f3:75:8b:14'],
  ['LATE_ISSUANCE', 'warning', '6e:10:10:49:4d:b3:65:ff:d3:41:fd:b6:fd:02:6a:e3'],
  ['REVOCATION_INCOMPLETE', 'warning', '4d:55:b0:81:ce:a6:4e:85:bf:f9:4d:61:1a:6d:d4:51'],
];

const ISSUED = [
  // the four ordinary ones, and the late issuance: five certificates new in the newer report
  ['68:95:e1:94:15:06:33:84:a8:85:bc:57:0a:d9:23:56', '2026-11-19T09:38:12Z'],
  ['7d:bf:d4:4b:69:e1:7a:4b:ab:10:dd:a6:18:3c:ee:9e', '2026-11-19T14:05:27Z'],
  ['42:84:d9:70:80:e7:41:1f:fb:6f:06:dd:75:6e:55:45', '2026-11-19T21:12:44Z'],
  ['0f:18:ab:a3:e7:75:65:56:36:af:23:6d:77:36:29:af', '2026-11-20T01:17:09Z'],
  ['6e:10:10:49:4d:b3:65:ff:d3:41:fd:b6:fd:02:6a:e3', '2026-11-18T23:10:00Z'],
];

const REVOKED = [
  ['5a:11:64:f1:5b:c0:bb:c0:2c:e7:e3:07:42:39:55:b9', 'CESSATION_OF_OPERATION', '2026-11-19T16:30:19Z'],
  ['27:cb:a5:e2:bd:7e:8c:0f:ec:2e:77:82:1f:3d:2c:88', 'KEY_COMPROMISE', '2026-11-19T13:48:02Z'],
  ['dd:38:91:93:12:ab:26:67:1a:eb:de:7b:33:8e:25:12', 'SUPERSEDED', '2026-11-19T09:52:31Z'],
  // the REVOCATION_INCOMPLETE record is newly revoked too (a reason, no time)
  ['4d:55:b0:81:ce:a6:4e:85:bf:f9:4d:61:1a:6d:d4:51', 'PRIVILEGE_WITHDRAWN', undefined],
];

const EXPIRED = [
  ['3a:cb:ba:fc:2a:72:be:2d:62:34:b1:45:fb:35:14:b8', '2026-11-19T17:02:55Z'],
  ['31:d7:61:78:f3:40:69:df:e7:aa:ea:da:74:61:a2:a5', '2026-11-19T06:44:18Z'],
];

interface Row {
  report: string;
  line: number;
  byte: number;
  fields?: Record<string, string>;
}
interface Finding {
  code: string;
  severity: string;
  serial?: string;
  message: string;
  evidence: Record<string, unknown>;
}
interface Cert {
  serial: string;
  line: number;
  issuedAt?: string;
  notAfter?: string;
  revokedAt?: string;
  revocationReason?: string;
}
interface DiffJson {
  schemaVersion: number;
  old: Record<string, unknown> & { summary: Record<string, unknown> };
  new: Record<string, unknown> & { summary: Record<string, unknown> };
  window: Record<string, unknown>;
  changes: { issued: Cert[]; revoked: Cert[]; expired: Cert[] };
  findings: Finding[];
  omittedFindings: Record<string, number>;
  summary: { issued: number; revoked: number; expired: number; findings: Record<string, number> };
}

function isRow(v: unknown): v is Row {
  return typeof v === 'object' && v !== null && typeof (v as Row).byte === 'number';
}

function rowsOf(findings: Finding[]): Array<[string, Row]> {
  const out: Array<[string, Row]> = [];
  findings.forEach((f, i) => {
    for (const [k, v] of Object.entries(f.evidence))
      if (isRow(v)) out.push([`findings[${i}].evidence.${k}`, v]);
  });
  return out;
}

/** Checks a row reference against the file itself: the line starts at byte, and holds the fields. */
function checkRowAgainstFile(row: Row): void {
  const file = readFileSync(join(ROOT, row.report));
  let newlines = 0;
  for (let i = 0; i < row.byte; i++) if (file[i] === 0x0a) newlines++;
  expect(newlines + 1, `${row.report} byte ${row.byte} is on line ${row.line}`).toBe(row.line);
  expect(
    row.byte === 0 || file[row.byte - 1] === 0x0a,
    `${row.report} byte ${row.byte} starts its line`,
  ).toBe(true);
  if (row.report.endsWith('.json')) {
    const end = file.indexOf(0x0a, row.byte);
    const text = file
      .subarray(row.byte, end < 0 ? file.length : end)
      .toString('utf8')
      .replace(/,?\r?$/, '');
    expect(row.fields, `fields of ${row.report} line ${row.line}`).toEqual(JSON.parse(text));
  }
}

/** The paths (a.b[0].c) of the leaves where two JSON values differ. */
function differingPaths(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    return Object.is(a, b) ? [] : [path];
  }
  if (Array.isArray(a) !== Array.isArray(b)) return [path];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const out: string[] = [];
  for (const k of keys) {
    const sub = Array.isArray(a) ? `${path}[${k}]` : path === '' ? k : `${path}.${k}`;
    out.push(...differingPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], sub));
  }
  return out;
}

function expectCleanRun(r: RunResult, code: number): void {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(code);
}

describe.concurrent('golden: diff of the samples', () => {
  const runs = new Map<string, RunResult>();
  beforeAll(async () => {
    await Promise.all(
      ['text', 'json', 'csv', 'markdown'].map(async (format) => {
        runs.set(format, await runCli([...DIFF_ARGS, '--format', format]));
      }),
    );
  });

  it.each([
    ['text', 'diff-samples.txt'],
    ['json', 'diff-samples.json'],
    ['csv', 'diff-samples.csv'],
    ['markdown', 'diff-samples.md'],
  ])('--format %s matches test/golden/%s', (format, golden) => {
    const r = runs.get(format)!;
    // findings are errors and warnings; the default --fail-on is warning
    expectCleanRun(r, 1);
    expectGolden(golden, r.stdoutBytes);
  });

  it('JSON shows exactly the planted changes and violations of samples/README.md', () => {
    const out = JSON.parse(runs.get('json')!.stdout) as DiffJson;
    expect(out.schemaVersion).toBe(1);
    expect(out.old).toMatchObject({
      source: SAMPLES.old,
      format: 'json',
      createdAt: '2026-11-19T02:00:00Z',
      ca: SAMPLE_CA,
      summary: { certificates: 52, active: 29, expired: 17, revoked: 6 },
    });
    expect(out.new).toMatchObject({
      source: SAMPLES.new,
      format: 'json',
      createdAt: '2026-11-20T02:00:00Z',
      ca: SAMPLE_CA,
      summary: { certificates: 56, active: 28, expired: 19, revoked: 9 },
    });
    // six revocations before the old report, one of each reason but REMOVE_FROM_CRL/CA_COMPROMISE
    expect(out.old.summary.revokedByReason).toEqual({
      AFFILIATION_CHANGED: 1,
      CESSATION_OF_OPERATION: 1,
      KEY_COMPROMISE: 1,
      PRIVILEGE_WITHDRAWN: 1,
      SUPERSEDED: 1,
      UNSPECIFIED: 1,
    });
    // new: -1 SUPERSEDED (unrevoked), KEY_COMPROMISE -> SUPERSEDED (changed), +3 revoked, +1 incomplete
    expect(out.new.summary.revokedByReason).toEqual({
      AFFILIATION_CHANGED: 1,
      CESSATION_OF_OPERATION: 2,
      KEY_COMPROMISE: 1,
      PRIVILEGE_WITHDRAWN: 2,
      SUPERSEDED: 2,
      UNSPECIFIED: 1,
    });
    expect(out.window).toEqual({ from: '2026-11-19T02:00:00Z', to: '2026-11-20T02:00:00Z', basis: 'given' });

    const sorted = <T>(xs: T[]) => [...xs].sort();
    expect(sorted(out.changes.issued.map((c) => [c.serial, c.issuedAt]))).toEqual(sorted(ISSUED));
    expect(sorted(out.changes.revoked.map((c) => [c.serial, c.revocationReason, c.revokedAt]))).toEqual(
      sorted(REVOKED),
    );
    expect(sorted(out.changes.expired.map((c) => [c.serial, c.notAfter]))).toEqual(sorted(EXPIRED));
    expect(out.findings.map((f) => [f.code, f.severity, f.serial])).toEqual(PLANTED);
    expect(out.omittedFindings).toEqual({});
    expect(out.summary).toEqual({
      issued: 5,
      revoked: 4,
      expired: 2,
      findings: { error: 4, warning: 2, info: 0 },
    });

    const byCode = new Map(out.findings.map((f) => [f.code, f]));
    expect(byCode.get('CERTIFICATE_CHANGED')!.evidence).toMatchObject({
      field: 'notAfter',
      oldValue: '2027-05-06T10:11:12+0000',
      newValue: '2027-06-06T10:11:12+0000',
    });
    expect(byCode.get('REVOCATION_CHANGED')!.evidence).toMatchObject({
      oldRevocation: { revokedAt: '2026-07-02T06:55:48Z', reason: 'KEY_COMPROMISE' },
      newRevocation: { revokedAt: '2026-07-02T06:55:48Z', reason: 'SUPERSEDED' },
    });
    expect(byCode.get('CERTIFICATE_UNREVOKED')!.message).toContain('SUPERSEDED at 2026-04-14T15:03:27Z');
    expect(byCode.get('LATE_ISSUANCE')!.evidence).toMatchObject({
      issuedAt: '2026-11-18T23:10:00Z',
      oldCreatedAt: '2026-11-19T02:00:00Z',
    });
    expect(byCode.get('REVOCATION_INCOMPLETE')!.evidence.row).toMatchObject({ report: SAMPLES.new });
    expect((byCode.get('CERTIFICATE_DISAPPEARED')!.evidence.old as Row).fields?.subject).toMatch(
      /^CN=admin-portal\.prod\.eu-west-1\.example\.internal,/,
    );
  });

  it('every row of evidence is where it says, and carries the fields as written', () => {
    const out = JSON.parse(runs.get('json')!.stdout) as DiffJson;
    const rows = rowsOf(out.findings);
    expect(rows.length).toBe(9);
    for (const [, row] of rows) checkRowAgainstFile(row);
  });

  it('the text, CSV and Markdown renderings agree with the JSON on every serial and count', () => {
    const out = JSON.parse(runs.get('json')!.stdout) as DiffJson;
    const serials = [
      ...out.changes.issued,
      ...out.changes.revoked,
      ...out.changes.expired,
      ...out.findings,
    ].map((x) => x.serial!);
    for (const format of ['text', 'csv', 'markdown']) {
      const text = runs.get(format)!.stdout;
      for (const s of serials) expect(text, `${format} shows ${s}`).toContain(s);
    }
    expect(runs.get('text')!.stdout).toMatch(
      /\n5 issued, 4 revoked, 2 expired; 4 errors, 2 warnings, 0 info\n$/,
    );
    expect(runs.get('markdown')!.stdout).toContain(
      '**5 issued, 4 revoked, 2 expired; 4 errors, 2 warnings, 0 info**',
    );
    const csvKinds = runs
      .get('csv')!
      .stdout.split('\n')
      .slice(1, -1)
      .map((l) => l.split(',')[0]);
    expect(csvKinds.filter((k) => k === 'issued')).toHaveLength(5);
    expect(csvKinds.filter((k) => k === 'revoked')).toHaveLength(4);
    expect(csvKinds.filter((k) => k === 'expired')).toHaveLength(2);
    expect(csvKinds.filter((k) => k === 'finding')).toHaveLength(6);
  });

  it('with NEW as the CSV twin, the JSON differs only in new.source, new.format and NEW rows', async () => {
    const r = await runCli(['diff', SAMPLES.old, SAMPLES.newCsv, ...WINDOW, '--format', 'json']);
    expectCleanRun(r, 1);
    const fromJson = JSON.parse(runs.get('json')!.stdout) as DiffJson;
    const fromCsv = JSON.parse(r.stdout) as DiffJson;
    expect(fromCsv.new.source).toBe(SAMPLES.newCsv);
    expect(fromCsv.new.format).toBe('csv');

    // precisely these leaves may differ: the new report's name and format, and for every evidence
    // row in NEW its report name and byte offset (line and fields must be the same)
    const expected = ['new.source', 'new.format'];
    const rowsJson = rowsOf(fromJson.findings);
    const rowsCsv = new Map(rowsOf(fromCsv.findings));
    for (const [path, row] of rowsJson) {
      if (row.report !== SAMPLES.new) continue;
      expected.push(`${path}.report`, `${path}.byte`);
      const twin = rowsCsv.get(path)!;
      expect(twin.report).toBe(SAMPLES.newCsv);
      expect(twin.line).toBe(row.line);
      checkRowAgainstFile(twin);
    }
    expect(expected.length).toBe(2 + 2 * 5); // five findings quote a row of NEW
    expect(differingPaths(fromJson, fromCsv).sort()).toEqual(expected.sort());
  });
});

describe.concurrent('golden: inspect of the newer sample', () => {
  const runs = new Map<string, RunResult>();
  beforeAll(async () => {
    await Promise.all(
      ['text', 'json'].map(async (format) => {
        runs.set(format, await runCli([...INSPECT_ARGS, '--format', format]));
      }),
    );
  });

  it.each([
    ['text', 'inspect-ca-2026-11-20.txt'],
    ['json', 'inspect-ca-2026-11-20.json'],
  ])('--format %s matches test/golden/%s', (format, golden) => {
    const r = runs.get(format)!;
    // the REVOCATION_INCOMPLETE record is a warning
    expectCleanRun(r, 1);
    expectGolden(golden, r.stdoutBytes);
  });

  it('JSON shows the counts of samples/README.md and the one problem of the newer report', () => {
    const out = JSON.parse(runs.get('json')!.stdout);
    expect(out.schemaVersion).toBe(1);
    expect(out.report).toEqual({ source: SAMPLES.new, format: 'json', ca: SAMPLE_CA });
    expect(out.asOf).toBe('2026-11-20T02:00:00Z');
    expect(out.expiringWithinSeconds).toBe(30 * 86400);
    expect(out.summary).toMatchObject({
      certificates: 56,
      active: 28,
      expired: 19,
      revoked: 9,
      expiringSoon: 1,
    });
    expect(out.summary.byTemplate).toEqual({
      'arn:aws:acm-pca:::template/CodeSigningCertificate/V1': 1,
      'arn:aws:acm-pca:::template/EndEntityCertificate/V1': 9,
      'arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1': 17,
      'arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1': 26,
      'arn:aws:acm-pca:::template/RootCACertificate/V1': 1,
      'arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1': 2,
    });
    // not revoked, notAfter in (asOf, asOf + 30 d]: the revoked 4d:55, 5a:11 and dd:38 do not count
    expect(out.expiringSoon.map((c: Cert) => [c.serial, c.notAfter])).toEqual([
      ['2c:d3:72:62:6b:7a:e7:2c:e0:5f:d9:f8:0b:bb:0c:5f', '2026-12-01T17:24:10Z'],
    ]);
    expect(out.findings.map((f: Finding) => [f.code, f.severity, f.serial])).toEqual([PLANTED[5]]);
    for (const [, row] of rowsOf(out.findings)) checkRowAgainstFile(row);
    expect(out.omittedFindings).toEqual({});
  });
});
