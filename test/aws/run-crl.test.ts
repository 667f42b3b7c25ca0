/**
 * issue 15: `run` fetches the CA's own CRL (DescribeCertificateAuthority's RevocationConfiguration →
 * the CRL bucket, GetCertificateAuthorityCertificate) and judges it, end to end against the stand-in
 * and moto. The CRLs are the ones the stand-in publishes itself (at creation, after revocations, or
 * at once with the `crl-publish` knob), signed by the CA's own key; its `crl-fault` knob denies the
 * writes, drops a serial or signs with a wrong key, `clock` ages them and `bulk-revoke` fills them.
 * One CRL is forged by the test (another key, the CA's name, a serial the CA never issued) and put
 * into S3 over the CA's. Each night's report and CRL are made on the emulated clock, which `run`
 * shares (PCA_AUDIT_NOW). The CRL step's logic is unit-tested in test/unit/crl-step.test.ts.
 */
import 'reflect-metadata';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateCertificateAuthorityCommand,
  GetCertificateAuthorityCertificateCommand,
  RevokeCertificateCommand,
} from '@aws-sdk/client-acm-pca';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { X509Certificate } from '@peculiar/x509';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { assertBuilt } from '../e2e/cli.js';
import { createBucket, knob, resetStack, TEST_CREDENTIALS } from '../support/aws-stack.js';
import { makeTestCa, makeTestCrl } from '../support/crl.js';
import { cliOnStack, colon, emulatorNow, type TestPca, testPca } from '../support/pca.js';

const stack = inject('awsStack');
let work: string;
let pca: TestPca;
let s3: S3Client;

beforeAll(() => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'pca-audit-runcrl-'));
  pca = testPca(stack, work, '/CN=svc');
  s3 = new S3Client({
    region: stack.region,
    endpoint: stack.motoUrl,
    credentials: TEST_CREDENTIALS,
    forcePathStyle: true,
  });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(async () => {
  await resetStack(stack);
  await knob(stack, 'config', { reportDelayMs: 100 });
  await createBucket(stack, 'audit-reports');
  await createBucket(stack, 'crl-bucket');
});

const ON = { PCA_AUDIT_CRL_CHECK: 'on' };
const HOUR = 3600;
const DAY = 86400;

async function createCa(revocation?: Record<string, unknown>): Promise<string> {
  const r = await pca.client.send(
    new CreateCertificateAuthorityCommand({
      CertificateAuthorityType: 'ROOT',
      CertificateAuthorityConfiguration: {
        KeyAlgorithm: 'RSA_2048',
        SigningAlgorithm: 'SHA256WITHRSA',
        Subject: { CommonName: 'CRL Root', Organization: 'Example Corp' },
      },
      ...(revocation ? { RevocationConfiguration: revocation } : {}),
    }),
  );
  return r.CertificateAuthorityArn!;
}

const crlConfig = (extra: Record<string, unknown> = {}) => ({
  CrlConfiguration: { Enabled: true, S3BucketName: 'crl-bucket', ExpirationInDays: 7, ...extra },
  OcspConfiguration: { Enabled: false },
});

interface Publication {
  bucket: string;
  key: string;
  number: number;
  entries: number;
  result: 'success' | 'failure';
  reason?: string;
}
/** The stand-in publishes the CA's CRL now, at the emulated clock (a pending publication folded in). */
const publish = (ca: string) => knob<Publication>(stack, 'crl-publish', { certificateAuthorityArn: ca });
const crlFault = (ca: string, fault: Record<string, unknown>) =>
  knob(stack, 'crl-fault', { certificateAuthorityArn: ca, ...fault });
const advance = (seconds: number) => knob(stack, 'clock', { advance: seconds });
const revoke = (ca: string, serial: string, reason = 'KEY_COMPROMISE') =>
  pca.client.send(
    new RevokeCertificateCommand({
      CertificateAuthorityArn: ca,
      CertificateSerial: colon(serial),
      RevocationReason: reason as 'KEY_COMPROMISE',
    }),
  );

function run(ca: string, state: string, extra: string[] = []) {
  return cliOnStack(
    stack,
    [
      'run',
      '--bucket',
      'audit-reports',
      '--ca',
      ca,
      '--state-dir',
      state,
      '--poll-interval',
      '1s',
      '--format',
      'json',
      ...extra,
    ],
    ON,
  );
}

type Finding = { code: string; severity: string; serial?: string; message: string };
type Result = {
  findings: Finding[];
  diff?: { crl?: Record<string, unknown> };
};
type Night = { result: Result; status: string; notes: string[] };
function nightOf(state: string, ca: string, stdout: string): Night {
  const out = JSON.parse(stdout) as {
    runId: string;
    cas: Array<{ status: string; notes?: string[] }>;
  };
  const result = JSON.parse(
    readFileSync(join(state, 'runs', out.runId, `${ca.split('/').pop()}.json`), 'utf8'),
  ) as Result;
  return { result, status: out.cas[0]!.status, notes: out.cas[0]!.notes ?? [] };
}
const codes = (n: Night) => n.result.findings.map((f) => [f.code, f.severity]);

/** `CRL s3://…: thisUpdate …, nextUpdate …, N entries, signature …` for the CRL published at `at` */
function crlNoteOf(source: string, at: number, days: number, entries: number, signature: string) {
  const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
  return `CRL ${source}: thisUpdate ${iso(at)}, nextUpdate ${iso(at + days * DAY)}, ${entries} entr${entries === 1 ? 'y' : 'ies'}, ${signature}`;
}

describe('run: the CA’s own CRL, as the stand-in publishes it (issue 15)', () => {
  it('NO_REVOCATION_PUBLISHED: a CA with CRLs and OCSP disabled (a warning, night 1 too)', async () => {
    const ca = await createCa();
    await pca.issue(ca, 30);
    const state = join(work, 'none');
    const r = await run(ca, state);
    expect(r.code, r.stderr).toBe(1);
    expect(codes(nightOf(state, ca, r.stdout))).toEqual([['NO_REVOCATION_PUBLISHED', 'warning']]);
    // --crl-check off: not looked at
    const off = await cliOnStack(
      stack,
      [
        'run',
        '--bucket',
        'audit-reports',
        '--ca',
        ca,
        '--state-dir',
        join(work, 'none-off'),
        '--poll-interval',
        '1s',
        '--crl-check',
        'off',
      ],
      ON,
    );
    expect(off.code, off.stderr).toBe(0);
  });

  it('a CRL that agrees with the report, signed by the CA: no finding, and the note says what was checked', async () => {
    const ca = await createCa(crlConfig());
    const id = ca.split('/').pop()!;
    const a = await pca.issue(ca, 30);
    const b = await pca.issue(ca, 30);
    await pca.issue(ca, 30);
    await knob(stack, 'bulk-revoke', { certificateAuthorityArn: ca, count: 300 });
    await revoke(ca, b);
    const t1 = await emulatorNow(stack);
    expect(await publish(ca)).toMatchObject({ key: `crl/${id}.crl`, entries: 301, result: 'success' });
    const state = join(work, 'agrees');
    const night1 = await run(ca, state);
    expect(night1.code, night1.stderr).toBe(0);
    const n1 = nightOf(state, ca, night1.stdout);
    expect([n1.status, codes(n1)]).toEqual(['baseline', []]);
    const source = `s3://crl-bucket/crl/${id}.crl`;
    expect(n1.notes).toContain(crlNoteOf(source, t1, 7, 301, 'signature verified with the CA certificate'));

    // a day later one more revocation; the CRL published two hours after it lists it
    await advance(DAY);
    await revoke(ca, a, 'AFFILIATION_CHANGED');
    await advance(2 * HOUR);
    const t2 = await emulatorNow(stack);
    await publish(ca);
    const night2 = await run(ca, state);
    expect(night2.code, night2.stderr).toBe(0);
    const n2 = nightOf(state, ca, night2.stdout);
    expect([n2.status, codes(n2)]).toEqual(['diffed', []]);
    expect(n2.notes).toContain(crlNoteOf(source, t2, 7, 302, 'signature verified with the CA certificate'));
    expect(n2.result.diff?.crl).toMatchObject({
      source,
      signature: 'verified',
      entries: 302,
      matched: 302,
      notExpected: 0,
    });
  });

  it('writes denied from creation: CRL_MISSING, and CRL_GENERATION_FAILED from PCA’s EventBridge events', async () => {
    const events = join(work, 'denied-events.jsonl');
    // the creation's CRL is held back long enough to deny it
    await knob(stack, 'config', { crlDelayMs: 2000, eventBridgeFile: events });
    const ca = await createCa(crlConfig());
    const id = ca.split('/').pop()!;
    await crlFault(ca, { deny: true });
    expect(await publish(ca)).toMatchObject({
      result: 'failure',
      reason: 'Failed to write CRL to S3. Check your S3 bucket permissions.',
    });
    await pca.issue(ca, 30);
    const state = join(work, 'denied');
    const missing = `CRLs are enabled, but s3://crl-bucket/crl/${id}.crl is not there: relying parties cannot fetch a CRL`;
    const night1 = await run(ca, state, ['--cloudtrail', 'lookup', events]);
    expect(night1.code, night1.stderr).toBe(1);
    const n1 = nightOf(state, ca, night1.stdout);
    expect(n1.result.findings.map((f) => [f.code, f.severity, f.message])).toEqual([
      ['CRL_MISSING', 'error', missing],
    ]);
    // an hour later PCA tries again (a revocation) and fails again: in the night's window
    const victim = await pca.issue(ca, 30);
    await advance(HOUR);
    await revoke(ca, victim);
    expect((await publish(ca)).result).toBe('failure');
    const night2 = await run(ca, state, ['--cloudtrail', 'lookup', events]);
    expect(night2.code, night2.stderr).toBe(1);
    const n2 = nightOf(state, ca, night2.stdout);
    expect(n2.status).toBe('diffed');
    expect(codes(n2).sort()).toEqual(
      [
        ['CRL_GENERATION_FAILED', 'error'],
        ['CRL_MISSING', 'error'],
      ].sort(),
    );
    expect(n2.result.findings.find((f) => f.code === 'CRL_GENERATION_FAILED')?.message).toContain(
      'Failed to write CRL to S3. Check your S3 bucket permissions.',
    );
  });

  it('a dropped entry: CRL_MISSING_REVOCATION once the revocation is older than the allowance at thisUpdate', async () => {
    const ca = await createCa(crlConfig());
    await pca.issue(ca, 30);
    const victim = await pca.issue(ca, 30);
    await publish(ca);
    const state = join(work, 'dropped');
    const night1 = await run(ca, state);
    expect(night1.code, night1.stderr).toBe(0);

    await crlFault(ca, { dropSerial: victim });
    await advance(DAY);
    await revoke(ca, victim);
    // published at once (the revocation's own CRL): too young to be expected on it
    await publish(ca);
    const young = await run(ca, state);
    expect(young.code, young.stderr).toBe(0);
    const y = nightOf(state, ca, young.stdout);
    expect([y.status, codes(y)]).toEqual(['diffed', []]);
    expect(y.result.diff?.crl).toMatchObject({ entries: 0, notExpected: 1 });

    // two hours later (--propagation-allowance 1h) a new CRL still leaves it out
    await advance(2 * HOUR);
    await publish(ca);
    const night3 = await run(ca, state);
    expect(night3.code, night3.stderr).toBe(1);
    const n3 = nightOf(state, ca, night3.stdout);
    expect(n3.status).toBe('diffed');
    expect(n3.result.findings.map((f) => [f.code, f.severity, f.serial])).toEqual([
      ['CRL_MISSING_REVOCATION', 'error', colon(victim)],
    ]);
  });

  it('signed with a wrong key (the CA’s name): CRL_SIGNATURE_INVALID', async () => {
    const ca = await createCa(crlConfig());
    const id = ca.split('/').pop()!;
    await pca.issue(ca, 30);
    await crlFault(ca, { wrongKey: true });
    const at = await emulatorNow(stack);
    await publish(ca);
    const state = join(work, 'wrong-key');
    const r = await run(ca, state);
    expect(r.code, r.stderr).toBe(1);
    const n = nightOf(state, ca, r.stdout);
    expect(codes(n)).toEqual([['CRL_SIGNATURE_INVALID', 'error']]);
    expect(n.notes).toContain(crlNoteOf(`s3://crl-bucket/crl/${id}.crl`, at, 7, 0, 'signature INVALID'));
  });

  it('the stand-in stops publishing: CRL_STALE warning past half the validity and an hour, error past nextUpdate', async () => {
    const ca = await createCa(crlConfig({ ExpirationInDays: 2 }));
    await pca.issue(ca, 30);
    const t0 = await emulatorNow(stack);
    await publish(ca);
    await crlFault(ca, { deny: true });
    const state = join(work, 'stale');
    // a day old: within its refresh age (1 day and 1 hour)
    await advance(DAY);
    const fresh = await run(ca, state);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(codes(nightOf(state, ca, fresh.stdout))).toEqual([]);

    await knob(stack, 'clock', { now: t0 + DAY + HOUR + 60 });
    const late = await run(ca, state);
    expect(late.code, late.stderr).toBe(1);
    const l = nightOf(state, ca, late.stdout);
    expect(l.status).toBe('diffed');
    expect(codes(l)).toEqual([['CRL_STALE', 'warning']]);

    await knob(stack, 'clock', { now: t0 + 2 * DAY + 60 });
    const expired = await run(ca, state);
    expect(expired.code, expired.stderr).toBe(1);
    expect(codes(nightOf(state, ca, expired.stdout))).toEqual([['CRL_STALE', 'error']]);
  });

  it('a CRL bucket other than the report bucket, at the CustomPath', async () => {
    const ca = await createCa(crlConfig({ CustomPath: 'pki/revocation' }));
    const id = ca.split('/').pop()!;
    const victim = await pca.issue(ca, 30);
    await revoke(ca, victim);
    await advance(2 * HOUR);
    const at = await emulatorNow(stack);
    expect(await publish(ca)).toMatchObject({
      bucket: 'crl-bucket',
      key: `pki/revocation/${id}.crl`,
      result: 'success',
    });
    const state = join(work, 'custom-path');
    const r = await run(ca, state);
    expect(r.code, r.stderr).toBe(0);
    const n = nightOf(state, ca, r.stdout);
    expect(codes(n)).toEqual([]);
    expect(n.notes).toContain(
      crlNoteOf(
        `s3://crl-bucket/pki/revocation/${id}.crl`,
        at,
        7,
        1,
        'signature verified with the CA certificate',
      ),
    );
  });

  it('PARTITIONED: the partition under the prefix is read and verified', async () => {
    const ca = await createCa(crlConfig({ CrlType: 'PARTITIONED' }));
    const id = ca.split('/').pop()!;
    await pca.issue(ca, 30);
    const victim = await pca.issue(ca, 30);
    await publish(ca);
    const state = join(work, 'partitioned');
    const night1 = await run(ca, state);
    expect(night1.code, night1.stderr).toBe(0);

    await advance(DAY);
    await revoke(ca, victim);
    await advance(2 * HOUR);
    const at = await emulatorNow(stack);
    await publish(ca);
    const night2 = await run(ca, state);
    expect(night2.code, night2.stderr).toBe(0);
    const n = nightOf(state, ca, night2.stdout);
    expect([n.status, codes(n)]).toEqual(['diffed', []]);
    expect(n.notes).toContain(
      crlNoteOf(
        `s3://crl-bucket/crl/${id}*.crl (1 partition)`,
        at,
        7,
        1,
        'signature verified with the CA certificate',
      ),
    );
    // every partition read, their union is the CA's complete CRL: held to every revocation (no scope)
    expect(n.result.diff?.crl).toMatchObject({ entries: 1, signature: 'verified', matched: 1 });
    expect(n.result.diff?.crl?.scope).toBeUndefined();
  });

  it('a CRL forged by the test over the CA’s (another key, the CA’s name, a serial never issued)', async () => {
    const ca = await createCa(crlConfig());
    const id = ca.split('/').pop()!;
    await pca.issue(ca, 30);
    const victim = await pca.issue(ca, 30);
    await publish(ca);
    const state = join(work, 'forged');
    const night1 = await run(ca, state);
    expect(night1.code, night1.stderr).toBe(0);

    await advance(DAY);
    await revoke(ca, victim);
    await advance(2 * HOUR);
    await publish(ca);
    // the CA's CRL (which lists the victim) is replaced by one another key signed
    const now = await emulatorNow(stack);
    const caPem = (
      await pca.client.send(new GetCertificateAuthorityCertificateCommand({ CertificateAuthorityArn: ca }))
    ).Certificate!;
    const forger = await makeTestCa();
    const crl = await makeTestCrl(forger.keys.privateKey, {
      issuer: new X509Certificate(caPem).subject,
      thisUpdate: now - 60,
      entries: [{ serial: '7f0001', at: now - 7200 }],
    });
    await s3.send(new PutObjectCommand({ Bucket: 'crl-bucket', Key: `crl/${id}.crl`, Body: crl }));
    const night2 = await run(ca, state);
    expect(night2.code, night2.stderr).toBe(1);
    const result = nightOf(state, ca, night2.stdout).result;
    expect(result.findings.map((f) => [f.code, f.serial ?? null]).sort()).toEqual(
      [
        ['CRL_MISSING_REVOCATION', colon(victim)],
        ['CRL_SIGNATURE_INVALID', null],
        ['CRL_UNKNOWN_ENTRY', '7f:00:01'],
      ].sort(),
    );
    expect(result.diff?.crl).toMatchObject({
      source: `s3://crl-bucket/crl/${id}.crl`,
      signature: 'invalid',
      entries: 1,
      matched: 0,
    });
  });

  it('another issuer’s CRL at the CA’s key: CRL_ISSUER_MISMATCH, its entries not compared; an entry after thisUpdate', async () => {
    const ca = await createCa(crlConfig());
    const id = ca.split('/').pop()!;
    const victim = await pca.issue(ca, 30);
    await publish(ca);
    const state = join(work, 'issuer');
    expect((await run(ca, state)).code).toBe(0);

    await advance(DAY);
    await revoke(ca, victim);
    await advance(2 * HOUR);
    await publish(ca);
    // another CA's well-formed CRL, signed by that CA, one entry dated after its own thisUpdate
    const now = await emulatorNow(stack);
    const other = await makeTestCa();
    const crl = await makeTestCrl(other.keys.privateKey, {
      thisUpdate: now - 600,
      entries: [{ serial: '7f0002', at: now - 60 }],
    });
    await s3.send(new PutObjectCommand({ Bucket: 'crl-bucket', Key: `crl/${id}.crl`, Body: crl }));
    const night2 = await run(ca, state);
    expect(night2.code, night2.stderr).toBe(1);
    const result = nightOf(state, ca, night2.stdout).result;
    // no CRL_MISSING_REVOCATION for the victim, no CRL_UNKNOWN_ENTRY: a stranger's CRL says nothing of this CA
    expect(result.findings.map((f) => [f.code, f.severity, f.serial ?? null]).sort()).toEqual(
      [
        ['CRL_ENTRY_AFTER_THISUPDATE', 'warning', '7f:00:02'],
        ['CRL_ISSUER_MISMATCH', 'error', null],
        ['CRL_SIGNATURE_INVALID', 'error', null],
      ].sort(),
    );
  });
});
