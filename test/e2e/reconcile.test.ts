import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anAuditReportRecord,
  aRecord,
  aRevokeRecord,
  aSerial,
  CA_ARN,
  eventBridgeEvent,
  jsonLines,
  lookupEventsOutput,
  OTHER_CA_ARN,
  type ReportRecord,
  someRecords,
  toJsonReport,
  trailLog,
} from '../builders.js';
import { linesOf, ROOT, type RunResult, runCli } from './cli.js';

/**
 * `pca-audit diff --cloudtrail/--crl` and `pca-audit events`, run as built, on files made here: two
 * reports named by their audit report ids, CloudTrail records in every envelope, CRLs by openssl.
 */

const OLD_ID = '0b6f7a2c-1d3e-4f50-8a6b-7c8d9e0f1a2b';
const NEW_ID = '5c4d3e2f-1a0b-4c9d-8e7f-6a5b4c3d2e1f';
const REVOKED_AT = '2026-11-19T14:03:11Z';

let dir: string;
const p = (name: string) => join(dir, name);

const OLD: ReportRecord[] = someRecords(5, (i) => ({
  issuedAt: `2026-0${1 + i}-10T10:00:00+0000`,
  notBefore: `2026-0${1 + i}-10T09:00:00+0000`,
  notAfter: '2027-06-01T00:00:00+0000',
}));
/** NEW: certificate 1 revoked (with its call), certificate 2 revoked (no call) */
const NEW: ReportRecord[] = OLD.map((r, i) =>
  i === 1
    ? aRecord({ ...r, revokedAt: '2026-11-19T14:03:11+0000', revocationReason: 'KEY_COMPROMISE' })
    : i === 2
      ? aRecord({ ...r, revokedAt: '2026-11-19T09:00:00+0000', revocationReason: 'SUPERSEDED' })
      : r,
);

const revoke1 = aRevokeRecord(aSerial(1).toUpperCase(), REVOKED_AT);
const auditOld = anAuditReportRecord(OLD_ID, '2026-11-19T02:00:00Z');
const auditNew = anAuditReportRecord(NEW_ID, '2026-11-20T02:00:00Z');
/** certificate 4: a call 30 min before NEW was made, not in NEW yet (a warning) */
const revoke4young = aRevokeRecord(aSerial(4), '2026-11-20T01:30:00Z');
const otherCa = aRevokeRecord('7f:00:01', '2026-11-19T12:00:00Z', { caArn: OTHER_CA_ARN });

const OLD_FILE = () => p(`${OLD_ID}.json`);
const NEW_FILE = () => p(`${NEW_ID}.json`);

interface FindingJson {
  code: string;
  severity: string;
  serial?: string;
  evidence: { event?: { origin?: unknown } };
}
/** The parts of `diff --format json` output these tests read. */
interface DiffJson {
  window: { from?: string; to?: string; basis: string };
  old: { createdAtBasis?: string };
  reconciliation?: Record<string, unknown>;
  crl?: Record<string, unknown>;
  findings: FindingJson[];
}
function json(r: RunResult): DiffJson {
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as DiffJson;
}
const codes = (out: DiffJson) => out.findings.map((f) => f.code);

/** A failure: exit 2, nothing on stdout, one `pca-audit: ...` line on stderr (and maybe a hint). */
function expectFailure(r: RunResult): string {
  expect(r.stdout).toBe('');
  const lines = linesOf(r.stderr);
  expect(lines.length, r.stderr).toBeGreaterThanOrEqual(1);
  expect(lines.length, r.stderr).toBeLessThanOrEqual(2);
  if (lines.length === 2) expect(lines[1]).toMatch(/^hint: \S/);
  expect(r.code).toBe(2);
  return lines[0]!;
}

/** "line N, byte B" in a message agrees with the file (B is on line N). */
function positionOf(message: string, file: string): { line: number; byte: number } {
  const m = /: line (\d+), byte (\d+): /.exec(message);
  expect(m, message).not.toBeNull();
  const line = Number(m![1]);
  const byte = Number(m![2]);
  const bytes = readFileSync(file);
  expect(byte).toBeLessThanOrEqual(bytes.length);
  let newlines = 0;
  for (let i = 0; i < byte; i++) if (bytes[i] === 0x0a) newlines++;
  expect(newlines + 1, `byte ${byte} of ${file} is on line ${line}`).toBe(line);
  return { line, byte };
}

// a CA for openssl ca -gencrl
function makeCrl(entries: string, name: string, crlExt: string[] = []): { der: string; pem: string } {
  const d = p(`ca-${name}`);
  mkdirSync(d);
  writeFileSync(join(d, 'index.txt'), entries);
  writeFileSync(
    join(d, 'ca.conf'),
    [
      '[ ca ]',
      'default_ca = CA_default',
      '[ CA_default ]',
      `database = ${join(d, 'index.txt')}`,
      `certificate = ${p('ca.pem')}`,
      `private_key = ${p('ca.key')}`,
      `crlnumber = ${join(d, 'crlnumber')}`,
      'default_md = sha256',
      ...(crlExt.length ? ['crl_extensions = crl_ext', '[ crl_ext ]', ...crlExt] : []),
      '',
    ].join('\n'),
  );
  writeFileSync(join(d, 'crlnumber'), '2A\n');
  const pem = join(d, `${name}.pem`);
  execFileSync(
    'openssl',
    [
      'ca',
      '-gencrl',
      '-batch',
      '-config',
      join(d, 'ca.conf'),
      '-out',
      pem,
      '-crl_lastupdate',
      '20261120013000Z',
      '-crl_nextupdate',
      '20261127013000Z',
    ],
    { stdio: 'pipe' },
  );
  const der = join(d, `${name}.crl`);
  execFileSync('openssl', ['crl', '-in', pem, '-outform', 'DER', '-out', der]);
  return { der, pem };
}

let crl: { der: string; pem: string };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pca-audit-reconcile-'));
  writeFileSync(OLD_FILE(), toJsonReport(OLD));
  writeFileSync(NEW_FILE(), toJsonReport(NEW));
  writeFileSync(p('trail.json.gz'), gzipSync(trailLog([revoke1, auditOld, auditNew, otherCa])));
  writeFileSync(p('lookup.json'), lookupEventsOutput([revoke4young, revoke1]));
  mkdirSync(p('trail-dir/2026/11/19'), { recursive: true });
  writeFileSync(p('trail-dir/2026/11/19/a.jsonl'), jsonLines([revoke1, eventBridgeEvent(auditOld)]));
  writeFileSync(p('trail-dir/2026/11/19/b.json.gz'), gzipSync(trailLog([auditNew])));
  writeFileSync(p('trail-dir/.hidden.json'), 'not json at all');
  // issue 14 item 5: a file that is not CloudTrail's, found walking the directory, is skipped and counted
  writeFileSync(p('trail-dir/README.md'), '# trail logs, synced from S3\n');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      p('ca.key'),
      '-out',
      p('ca.pem'),
      '-subj',
      '/C=IE/O=Example Corp/CN=Example Issuing CA',
      '-days',
      '30',
    ],
    { stdio: 'pipe' },
  );
  const serial1 = aSerial(1).replace(/:/g, '').toUpperCase();
  // certificate 1 (on it, as in NEW), an unknown serial; certificate 2 missing
  crl = makeCrl(
    `R\t271119000000Z\t261119140311Z,keyCompromise\t${serial1}\tunknown\t/CN=a\n` +
      'R\t271119000000Z\t261119120000Z,superseded\t7F0002\tunknown\t/CN=b\n',
    'ca',
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** the CRLs here are of 2026-11-20: judged fresh at NEW's making (issue 15 judges a CRL against now) */
const CRL_NOW = { env: { PCA_AUDIT_NOW: '2026-11-20T02:00:00Z' } };
const diff = (...args: string[]) => runCli(['diff', OLD_FILE(), NEW_FILE(), ...args], CRL_NOW);

describe('diff --cloudtrail', () => {
  it('a gzipped trail log: the window from the audit report calls, the reconciliation section, exit 1', async () => {
    const r = await diff('--cloudtrail', p('trail.json.gz'), '--format', 'json');
    expect(r.code).toBe(1);
    const out = json(r);
    expect(out.window).toEqual({
      from: '2026-11-19T02:00:00Z',
      to: '2026-11-20T02:00:00Z',
      basis: 'from CloudTrail (CreateCertificateAuthorityAuditReport)',
    });
    expect(out.old.createdAtBasis).toBe('cloudtrail');
    expect(out.reconciliation).toMatchObject({
      sources: [p('trail.json.gz')],
      files: 1,
      records: 4,
      duplicates: 0,
      malformed: 0,
      propagationAllowanceSeconds: 3600,
      timeToleranceSeconds: 300,
      events: 4,
      inWindow: 1,
      otherCa: 1,
      matchedRevocations: 1,
      unexplainedRevocations: 1,
      issuance: { checked: false },
      coverage: { from: '2026-11-19T02:00:00Z', to: '2026-11-20T02:00:00Z' },
    });
    expect(codes(out)).toEqual(['REVOKED_WITHOUT_EVENT']);
    expect(out.findings[0]).toMatchObject({ severity: 'error', serial: aSerial(2) });
    expect(out).not.toHaveProperty('crl');
  });

  it('--fail-on: error → 1, never → 0; text output names the code', async () => {
    expect((await diff('--cloudtrail', p('trail.json.gz'), '--fail-on', 'error')).code).toBe(1);
    const never = await diff('--cloudtrail', p('trail.json.gz'), '--fail-on', 'never');
    expect(never.code).toBe(0);
    expect(never.stdout).toContain('REVOKED_WITHOUT_EVENT');
  });

  it('a lookup-events file too: the same eventID in two files counts once; a young call is a warning', async () => {
    const r = await diff('--cloudtrail', p('trail.json.gz'), p('lookup.json'), '--format', 'json');
    const out = json(r);
    expect(out.reconciliation).toMatchObject({
      files: 2,
      records: 6,
      duplicates: 1,
      events: 5,
      otherRecords: 0,
      matchedRevocations: 1,
    });
    expect(out.findings.map((f) => [f.code, f.severity, f.serial])).toEqual([
      ['REVOKED_WITHOUT_EVENT', 'error', aSerial(2)],
      ['EVENT_WITHOUT_REVOCATION', 'warning', aSerial(4)],
    ]);
    expect(out.findings[1]!.evidence.event?.origin).toMatchObject({ source: p('lookup.json') });
  });

  it('--fail-on error with warnings only exits 0; --propagation-allowance 10m makes the young call an error', async () => {
    const cert2called = aRevokeRecord(aSerial(2), '2026-11-19T09:00:00Z', { reason: 'SUPERSEDED' });
    const both = p('with-cert2.jsonl');
    writeFileSync(both, jsonLines([revoke1, cert2called, revoke4young, auditOld, auditNew]));
    const warn = await diff('--cloudtrail', both, '--fail-on', 'error', '--format', 'json');
    expect(warn.code).toBe(0);
    expect(codes(json(warn))).toEqual(['EVENT_WITHOUT_REVOCATION']);
    expect((await diff('--cloudtrail', both)).code).toBe(1);
    const strict = await diff('--cloudtrail', both, '--propagation-allowance', '10m', '--format', 'json');
    expect(strict.code).toBe(1);
    expect(json(strict).findings.map((f) => f.severity)).toEqual(['error']);
  });

  it('--time-tolerance: 10 s apart is beyond 5s', async () => {
    const late = aRevokeRecord(aSerial(1), '2026-11-19T14:03:21Z');
    const f = p('late.json');
    writeFileSync(f, trailLog([late, auditOld, auditNew]));
    const loose = json(await diff('--cloudtrail', f, '--format', 'json'));
    expect(codes(loose)).not.toContain('REVOCATION_TIME_MISMATCH');
    const tight = json(await diff('--cloudtrail', f, '--time-tolerance', '5s', '--format', 'json'));
    expect(codes(tight)).toContain('REVOCATION_TIME_MISMATCH');
  });

  it('a directory, walked recursively (dot-files skipped), with JSON lines, EventBridge and gzip inside', async () => {
    const out = json(await diff('--cloudtrail', p('trail-dir'), '--format', 'json'));
    expect(out.reconciliation).toMatchObject({
      files: 2,
      skippedFiles: 1,
      skippedFileNames: [p('trail-dir/README.md')],
      records: 3,
      matchedRevocations: 1,
    });
    expect(out.window.basis).toBe('from CloudTrail (CreateCertificateAuthorityAuditReport)');
  });

  it('issue 14 item 5: the README skipped in a directory is said in the text summary and on events stderr; named, it is exit 2', async () => {
    const text = await diff('--cloudtrail', p('trail-dir'));
    expect(text.stdout).toMatch(/^cloudtrail .*\(1 file skipped as not CloudTrail: .*README\.md\)/m);
    const ev = await runCli(['events', '--cloudtrail', p('trail-dir')]);
    expect(ev.code).toBe(0);
    expect(linesOf(ev.stdout)).toHaveLength(3);
    expect(ev.stderr).toMatch(/^pca-audit: 1 file skipped .*README\.md\n$/);
    expectFailure(await runCli(['events', '--cloudtrail', p('trail-dir/README.md')]));
  });

  it('- reads the records from stdin', async () => {
    const r = await runCli(['diff', OLD_FILE(), NEW_FILE(), '--cloudtrail', '-', '--format', 'json'], {
      stdin: jsonLines([revoke1, auditOld, auditNew]),
    });
    const out = json(r);
    expect(out.reconciliation).toMatchObject({ sources: ['-'], records: 3, matchedRevocations: 1 });
    expect(out.window.basis).toBe('from CloudTrail (CreateCertificateAuthorityAuditReport)');
  });

  it('--old/--new-created-at win over the audit report calls', async () => {
    const out = json(
      await diff(
        '--cloudtrail',
        p('trail.json.gz'),
        '--old-created-at',
        '2026-11-19T03:00:00Z',
        '--new-created-at',
        '2026-11-20T03:00:00Z',
        '--format',
        'json',
      ),
    );
    expect(out.window).toEqual({
      from: '2026-11-19T03:00:00Z',
      to: '2026-11-20T03:00:00Z',
      basis: 'given',
    });
  });
});

describe('diff --cloudtrail: malformed records', () => {
  const FIX = join(ROOT, 'test/fixtures/cloudtrail');

  it('seed 000 ACM RevokeCertificate (an unquoted value, so a stray quote): exit 2, one line', async () => {
    const file = join(FIX, 'seed-000-acm-revoke.json');
    const line = expectFailure(await diff('--cloudtrail', file));
    expect(line).toMatch(
      new RegExp(
        `^pca-audit: reading CloudTrail source "${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}": line \\d+, byte \\d+: unexpected end of input inside the JSON document \\(truncated\\?\\)$`,
      ),
    );
    const { byte } = positionOf(line, file);
    expect(byte).toBe(readFileSync(file).length);
  });

  it('seed 000 EventBridge example (raw newlines in strings, truncated): exit 2, one line', async () => {
    const file = join(FIX, 'seed-000-eventbridge-export.json');
    const line = expectFailure(await diff('--cloudtrail', file));
    expect(line).toContain(`reading CloudTrail source "${file}": line `);
    expect(line).toMatch(/unexpected end of input inside element 1 of "Records" \(truncated\?\)$/);
    positionOf(line, file);
  });

  it('a missing comma inside a record: the line and byte of the error', async () => {
    const fixed = readFileSync(join(FIX, 'seed-000-eventbridge-export.fixed.json'), 'utf8');
    const broken = fixed.replace('"eventType":"AwsApiCall",', '"eventType":"AwsApiCall"');
    const file = p('missing-comma.jsonl');
    writeFileSync(file, `${JSON.stringify(revoke1)}\n${broken}`);
    const line = expectFailure(await diff('--cloudtrail', file));
    expect(line).toMatch(/: the JSON value is not valid JSON: Expected ',' or '}' after property value$/);
    const { byte } = positionOf(line, file);
    expect(
      readFileSync(file)
        .subarray(byte, byte + 17)
        .toString(),
    ).toBe('"managementEvent"');
  });

  it('a record without eventID: named by its position', async () => {
    const file = p('no-id.json');
    const bad = { ...revoke1, eventID: undefined };
    writeFileSync(file, `{"Records":[\n${JSON.stringify(revoke1)},\n${JSON.stringify(bad)}\n]}`);
    const line = expectFailure(await diff('--cloudtrail', file));
    expect(line).toBe(
      `pca-audit: reading CloudTrail source "${file}": line 3, byte ${13 + JSON.stringify(revoke1).length + 2}: element 2 of "Records": record without an "eventID"`,
    );
  });

  it('--lenient: skipped, counted on stderr, the run goes on', async () => {
    const file = join(FIX, 'seed-000-acme-revoke.json');
    const broken = p('broken.jsonl');
    writeFileSync(
      broken,
      `${JSON.stringify(revoke1)}\n{"eventID": "x", "eventTime": oops}\n${JSON.stringify(auditOld)}\n`,
    );
    const r = await diff('--cloudtrail', p('trail.json.gz'), broken, file, '--lenient', '--format', 'json');
    expect(r.code).toBe(1);
    const lines = linesOf(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^pca-audit: warning: skipped 1 malformed CloudTrail record \\(--lenient\\); first: ${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line 2: the JSON value is not valid JSON`,
      ),
    );
    const out = JSON.parse(r.stdout) as DiffJson;
    expect(out.reconciliation).toMatchObject({ files: 3, malformed: 1, matchedRevocations: 1 });
    // the seed ACME record ("certificate": "EXAMPLE") is of no CA we can tell: outside the window, skipped quietly
    expect(codes(out)).toEqual(['REVOKED_WITHOUT_EVENT']);
    // without --lenient the same input fails
    expect((await diff('--cloudtrail', p('trail.json.gz'), broken)).code).toBe(2);
  });

  it('a missing file or an empty directory: exit 2', async () => {
    const missing = expectFailure(await diff('--cloudtrail', p('nope.json')));
    expect(missing).toContain(`reading CloudTrail source "${p('nope.json')}"`);
    mkdirSync(p('empty-dir'));
    expect(expectFailure(await diff('--cloudtrail', p('empty-dir')))).toBe(
      `pca-audit: reading CloudTrail source "${p('empty-dir')}": no files in this directory`,
    );
  });
});

describe('diff --crl', () => {
  it('a DER CRL by openssl: the crl section and its findings', async () => {
    const r = await diff('--crl', crl.der, '--format', 'json', '--new-created-at', '2026-11-20T02:00:00Z');
    expect(r.code).toBe(1);
    const out = json(r);
    expect(out.crl).toEqual({
      source: crl.der,
      issuer: 'CN=Example Issuing CA,O=Example Corp,C=IE',
      thisUpdate: '2026-11-20T01:30:00Z',
      nextUpdate: '2026-11-27T01:30:00Z',
      crlNumber: '2a',
      entries: 2,
      signature: 'not verified',
      matched: 1,
      notExpected: 0,
      afterNewReport: 0,
    });
    expect(out.findings.map((f) => [f.code, f.serial])).toEqual([
      ['CRL_MISSING_REVOCATION', aSerial(2)],
      ['CRL_UNKNOWN_ENTRY', '7f:00:02'],
    ]);
    expect(out).not.toHaveProperty('reconciliation');
  });

  it('issue 15: --ca-certificate verifies the signature and the issuer; the crl line says so', async () => {
    const r = await diff('--crl', crl.der, '--ca-certificate', p('ca.pem'), '--format', 'json');
    expect(json(r).crl).toMatchObject({
      signature: 'verified',
      caSubject: 'CN=Example Issuing CA,O=Example Corp,C=IE',
    });
    expect(codes(json(r))).toEqual(['CRL_MISSING_REVOCATION', 'CRL_UNKNOWN_ENTRY']);
    const text = await diff('--crl', crl.der, '--ca-certificate', p('ca.pem'));
    expect(text.stdout).toMatch(
      /^crl +.*, 2 entries, signature verified with the CA certificate; 1 matched/m,
    );
    const unverified = await diff('--crl', crl.der);
    expect(unverified.stdout).toMatch(/^crl +.*, 2 entries, signature not verified; 1 matched/m);
    // another CA's certificate: the signature fails, the issuer too, and the entries are not compared
    const other = p('other-ca.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        p('other-ca.key'),
        '-out',
        other,
        '-subj',
        '/CN=Other CA',
        '-days',
        '30',
      ],
      { stdio: 'pipe' },
    );
    const wrong = json(await diff('--crl', crl.der, '--ca-certificate', other, '--format', 'json'));
    expect(codes(wrong).sort()).toEqual(['CRL_ISSUER_MISMATCH', 'CRL_SIGNATURE_INVALID']);
    // a CA certificate that is not one: exit 2, named
    const bad = await diff('--crl', crl.der, '--ca-certificate', crl.der);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`CA certificate "${crl.der}"`);
  });

  it('issue 15: judged against the real clock, the CRL of 2026-11-20 is CRL_STALE (nextUpdate passed)', async () => {
    const r = await runCli(['diff', OLD_FILE(), NEW_FILE(), '--crl', crl.der, '--format', 'json'], {
      env: { PCA_AUDIT_NOW: '2026-11-27T01:30:01Z' },
    });
    const stale = json(r).findings.filter((f: { code: string }) => f.code === 'CRL_STALE');
    expect(stale.map((f: { severity: string }) => f.severity)).toEqual(['error']);
    const old = await runCli(
      ['diff', OLD_FILE(), NEW_FILE(), '--crl', crl.der, '--format', 'json', '--crl-max-age', '1h'],
      CRL_NOW,
    );
    expect(json(old).findings.filter((f: { code: string }) => f.code === 'CRL_STALE')).toEqual([]);
    const older = await runCli(
      ['diff', OLD_FILE(), NEW_FILE(), '--crl', crl.der, '--format', 'json', '--crl-max-age', '10m'],
      CRL_NOW,
    );
    expect(
      json(older)
        .findings.filter((f: { code: string }) => f.code === 'CRL_STALE')
        .map((f: { severity: string }) => f.severity),
    ).toEqual(['warning']);
  });

  it('the PEM form gives the same; with --cloudtrail both sections are there', async () => {
    const der = json(await diff('--crl', crl.der, '--format', 'json'));
    const pem = json(await diff('--crl', crl.pem, '--format', 'json'));
    expect({ ...pem.crl, source: '' }).toEqual({ ...der.crl, source: '' });
    expect(codes(pem)).toEqual(codes(der));
    const both = json(await diff('--crl', crl.pem, '--cloudtrail', p('trail.json.gz'), '--format', 'json'));
    expect(both).toHaveProperty('crl');
    expect(both).toHaveProperty('reconciliation');
    expect(codes(both).sort()).toEqual([
      'CRL_MISSING_REVOCATION',
      'CRL_UNKNOWN_ENTRY',
      'REVOKED_WITHOUT_EVENT',
    ]);
  });

  it('issue 13 item 12: a partitioned CRL: no CRL_MISSING_REVOCATION, and the output says why', async () => {
    const serial1 = aSerial(1).replace(/:/g, '').toUpperCase();
    const uri = 'http://crl.example.internal/crl/partition-7.crl';
    const part = makeCrl(
      `R\t271119000000Z\t261119140311Z,keyCompromise\t${serial1}\tunknown\t/CN=a\n` +
        'R\t271119000000Z\t261119120000Z,superseded\t7F0002\tunknown\t/CN=b\n',
      'partition',
      ['issuingDistributionPoint=critical,@idp', '[ idp ]', `fullname=URI:${uri}`],
    );
    const args = ['--crl', part.der, '--new-created-at', '2026-11-20T02:00:00Z'];
    const out = json(await diff(...args, '--format', 'json'));
    expect(out.crl).toMatchObject({
      entries: 2,
      matched: 1,
      scope: { kind: 'partition', distributionPoint: uri, missingRevocationCheck: 'none', notCovered: 1 },
    });
    // certificate 2 is revoked and not on this partition: it may be on another one
    expect(out.findings.map((f) => [f.code, f.serial])).toEqual([['CRL_UNKNOWN_ENTRY', '7f:00:02']]);
    const text = await diff(...args);
    expect(text.code).toBe(1);
    expect(linesOf(text.stdout)).toContain(
      `           partition ${uri}: only entries compared, no missing-revocation check (a report row does not say which certificates the CRL covers); 1 revocation of the new report not on it, not checked`,
    );
  });

  it('issue 13 item 12: a delta CRL, and a CRL with an unknown critical extension (exit 2)', async () => {
    const delta = makeCrl('R\t271119000000Z\t261119120000Z,superseded\t7F0002\tunknown\t/CN=b\n', 'delta', [
      '2.5.29.27=critical,ASN1:INTEGER:41',
    ]);
    const out = json(await diff('--crl', delta.der, '--format', 'json'));
    expect(out.crl).toMatchObject({
      scope: { kind: 'delta', deltaOf: '29', missingRevocationCheck: 'none' },
    });
    expect(codes(out)).not.toContain('CRL_MISSING_REVOCATION');
    const odd = makeCrl('', 'odd', ['1.3.6.1.4.1.99999.7=critical,ASN1:NULL']);
    expect(expectFailure(await diff('--crl', odd.der))).toMatch(
      /^pca-audit: reading CRL ".*odd\.crl": byte \d+: unknown critical CRL extension 1\.3\.6\.1\.4\.1\.99999\.7/,
    );
  });

  it('a file that is not a CRL: exit 2, one line', async () => {
    const notCrl = p('not-a-crl.txt');
    writeFileSync(notCrl, 'hello\n');
    expect(expectFailure(await diff('--crl', notCrl))).toBe(
      `pca-audit: reading CRL "${notCrl}": byte 0: neither a DER CRL nor a PEM "X509 CRL" block`,
    );
    expect(expectFailure(await diff('--crl', p('ca.pem')))).toMatch(/PEM, but not an "X509 CRL" block$/);
    const truncated = p('truncated.crl');
    writeFileSync(truncated, readFileSync(crl.der).subarray(0, 100));
    expect(expectFailure(await diff('--crl', truncated))).toMatch(
      /^pca-audit: reading CRL ".*truncated\.crl": byte \d+: truncated/,
    );
  });
});

describe('pca-audit events', () => {
  it('JSON lines, oldest first, deduplicated, every line a normalised event', async () => {
    const r = await runCli(['events', '--cloudtrail', p('lookup.json'), p('trail.json.gz')]);
    expect(r.code).toBe(0);
    // issue 14 item 4: the duplicate (revoke1 in both sources) is counted on stderr
    expect(r.stderr).toMatch(/^pca-audit: 1 duplicate .*\n$/);
    const lines = linesOf(r.stdout).map((l) => JSON.parse(l));
    expect(lines.map((e) => e.eventID)).toEqual([
      auditOld.eventID,
      otherCa.eventID,
      revoke1.eventID,
      revoke4young.eventID,
      auditNew.eventID,
    ]);
    expect(lines[2]).toEqual({
      eventID: revoke1.eventID,
      eventTime: REVOKED_AT,
      eventSource: 'acm-pca.amazonaws.com',
      eventName: 'RevokeCertificate',
      kind: 'revoke',
      actor: 'arn:aws:sts::111122223333:assumed-role/PkiAdmin/alice',
      region: 'eu-west-1',
      account: '111122223333',
      caArn: CA_ARN,
      serial: aSerial(1).replace(/:/g, ''),
      serialAsWritten: aSerial(1).toUpperCase(),
      revocationReason: 'KEY_COMPROMISE',
      origin: { source: p('lookup.json'), line: expect.any(Number), byte: expect.any(Number) },
    });
  });

  it('issue 14 item 4: one eventID on two different records: both listed, the collision said on stderr and in diff', async () => {
    const twin = { ...aRevokeRecord(aSerial(3), '2026-11-19T15:00:00Z'), eventID: revoke1.eventID };
    writeFileSync(p('collision.jsonl'), jsonLines([revoke1, twin, auditOld, auditNew]));
    const r = await runCli(['events', '--cloudtrail', p('collision.jsonl')]);
    expect(r.code).toBe(0);
    expect(linesOf(r.stdout).filter((l) => JSON.parse(l).eventID === revoke1.eventID)).toHaveLength(2);
    expect(r.stderr).toMatch(/^pca-audit: 1 eventID .*\n$/);
    const d = json(await diff('--cloudtrail', p('collision.jsonl'), '--format', 'json'));
    expect(d.reconciliation).toMatchObject({ records: 4, duplicates: 0, eventIdCollisions: 1 });
  });

  it('--ca, --since, --until (inclusive)', async () => {
    const all = [p('trail.json.gz'), p('lookup.json')];
    const ids = async (...args: string[]) => {
      const r = await runCli(['events', '--cloudtrail', ...all, ...args]);
      expect(r.code).toBe(0);
      return linesOf(r.stdout).map((l) => JSON.parse(l).eventID);
    };
    expect(await ids('--ca', OTHER_CA_ARN)).toEqual([otherCa.eventID]);
    expect(await ids('--ca', CA_ARN)).toHaveLength(4);
    expect(await ids('--since', REVOKED_AT)).toEqual([
      revoke1.eventID,
      revoke4young.eventID,
      auditNew.eventID,
    ]);
    expect(await ids('--until', REVOKED_AT)).toEqual([auditOld.eventID, otherCa.eventID, revoke1.eventID]);
    expect(await ids('--since', '2026-11-19T12:00:01Z', '--until', '2026-11-20T01:30:00Z')).toEqual([
      revoke1.eventID,
      revoke4young.eventID,
    ]);
    expect(await ids('--since', '2030-01-01')).toEqual([]);
  });

  it('--since after --until, or a bad instant: exit 2', async () => {
    const r = await runCli([
      'events',
      '--cloudtrail',
      p('lookup.json'),
      '--since',
      '2026-11-20',
      '--until',
      '2026-11-19',
    ]);
    expect(expectFailure(r)).toMatch(/--since must not be after --until/);
    const bad = await runCli(['events', '--cloudtrail', p('lookup.json'), '--since', 'yesterday']);
    expect(bad.code).toBe(2);
  });

  it('--lenient: the malformed record is skipped and said on stderr', async () => {
    const broken = p('events-broken.jsonl');
    writeFileSync(broken, `${JSON.stringify(revoke1)}\n{"hello": "world"}\n`);
    expect((await runCli(['events', '--cloudtrail', broken])).code).toBe(2);
    const r = await runCli(['events', '--cloudtrail', broken, '--lenient']);
    expect(r.code).toBe(0);
    expect(linesOf(r.stdout)).toHaveLength(1);
    expect(r.stderr).toMatch(/^pca-audit: warning: skipped 1 malformed CloudTrail record \(--lenient\)/);
  });
});
