/**
 * issue 15 item 3: `run` fetches the CA's CRL itself (DescribeCertificateAuthority's
 * RevocationConfiguration → the CRL bucket, GetCertificateAuthorityCertificate), against the stand-in
 * and moto. The stand-in does not publish CRLs yet (issue 15 item 5): the CRLs here are put into
 * moto's S3 by the test, signed by a key of the test's own, so a CRL the CA's key signed is not
 * covered end to end (the unit tests cover it, test/unit/crl-step.test.ts).
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

function run(ca: string, state: string) {
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
    ],
    ON,
  );
}

type Result = {
  findings: Array<{ code: string; severity: string; serial?: string; message: string }>;
  diff?: { crl?: Record<string, unknown> };
};
function resultOf(state: string, ca: string, stdout: string): Result {
  const runId = (JSON.parse(stdout) as { runId: string }).runId;
  return JSON.parse(
    readFileSync(join(state, 'runs', runId, `${ca.split('/').pop()}.json`), 'utf8'),
  ) as Result;
}

describe('run: the CA’s own CRL (issue 15 item 3)', () => {
  it('NO_REVOCATION_PUBLISHED: a CA with CRLs and OCSP disabled (a warning, night 1 too)', async () => {
    const ca = await createCa();
    await pca.issue(ca, 30);
    const state = join(work, 'none');
    const r = await run(ca, state);
    expect(r.code, r.stderr).toBe(1);
    expect(resultOf(state, ca, r.stdout).findings.map((f) => [f.code, f.severity])).toEqual([
      ['NO_REVOCATION_PUBLISHED', 'warning'],
    ]);
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

  it('CRLs enabled: CRL_MISSING without the object; then a CRL in the CRL bucket, checked three ways', async () => {
    const ca = await createCa({
      CrlConfiguration: { Enabled: true, S3BucketName: 'crl-bucket', ExpirationInDays: 7 },
      OcspConfiguration: { Enabled: false },
    });
    const id = ca.split('/').pop()!;
    await pca.issue(ca, 30);
    const victim = await pca.issue(ca, 30);
    const state = join(work, 'enabled');
    const night1 = await run(ca, state);
    expect(night1.code, night1.stderr).toBe(1);
    expect(resultOf(state, ca, night1.stdout).findings.map((f) => [f.code, f.message])).toEqual([
      [
        'CRL_MISSING',
        `CRLs are enabled, but s3://crl-bucket/crl/${id}.crl is not there: relying parties cannot fetch a CRL`,
      ],
    ]);

    // a day later: one certificate revoked through the API; a CRL appears, with the CA's name but
    // signed by another key, listing a serial the CA never issued and not the revoked one
    await knob(stack, 'clock', { advance: 86400 });
    await pca.client.send(
      new RevokeCertificateCommand({
        CertificateAuthorityArn: ca,
        CertificateSerial: colon(victim),
        RevocationReason: 'KEY_COMPROMISE',
      }),
    );
    await knob(stack, 'clock', { advance: 2 * 3600 });
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
    const result = resultOf(state, ca, night2.stdout);
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

  it('a baseline night (no diff) still verifies and judges the CRL: forged and stale', async () => {
    const ca = await createCa({ CrlConfiguration: { Enabled: true, S3BucketName: 'crl-bucket' } });
    const id = ca.split('/').pop()!;
    const caPem = (
      await pca.client.send(new GetCertificateAuthorityCertificateCommand({ CertificateAuthorityArn: ca }))
    ).Certificate!;
    const now = await emulatorNow(stack);
    const forger = await makeTestCa();
    const crl = await makeTestCrl(forger.keys.privateKey, {
      issuer: new X509Certificate(caPem).subject,
      thisUpdate: now - 8 * 86400,
    });
    await s3.send(new PutObjectCommand({ Bucket: 'crl-bucket', Key: `crl/${id}.crl`, Body: crl }));
    const state = join(work, 'baseline');
    const r = await run(ca, state);
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout).cas[0].status).toBe('baseline');
    expect(resultOf(state, ca, r.stdout).findings.map((f) => [f.code, f.severity])).toEqual([
      ['CRL_SIGNATURE_INVALID', 'error'],
      ['CRL_STALE', 'error'],
    ]);
  });
});
