/**
 * OCSP through `run` against the stand-in's own responder (POST /ocsp, signed by the CA's key:
 * issue 15 item 5): the answers that agree, the `goodForRevoked` knob, and the time 100 checks add
 * to a night.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateCertificateAuthorityCommand, RevokeCertificateCommand } from '@aws-sdk/client-acm-pca';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { assertBuilt } from '../e2e/cli.js';
import { createBucket, knob, resetStack } from '../support/aws-stack.js';
import { cliOnStack, colon, type TestPca, testPca } from '../support/pca.js';

const stack = inject('awsStack');
let work: string;
let pca: TestPca;

beforeAll(() => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'pca-audit-ocsp-standin-'));
  pca = testPca(stack, work);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(async () => {
  await resetStack(stack);
  await knob(stack, 'config', { reportDelayMs: 100 });
});

interface CaResult {
  findings: Array<{ code: string; severity: string; serial?: string }>;
  diff?: { ocsp?: Record<string, unknown> };
}

const ocspUrl = () => ({ PCA_AUDIT_OCSP_URL: `${stack.emulatorUrl}/ocsp` });

async function ocspCa(): Promise<string> {
  const created = await pca.client.send(
    new CreateCertificateAuthorityCommand({
      CertificateAuthorityType: 'ROOT',
      CertificateAuthorityConfiguration: {
        KeyAlgorithm: 'RSA_2048',
        SigningAlgorithm: 'SHA256WITHRSA',
        Subject: { CommonName: 'Example OCSP Root', Organization: 'Example Corp' },
      },
      RevocationConfiguration: { OcspConfiguration: { Enabled: true } },
    }),
  );
  return created.CertificateAuthorityArn!;
}

/** `run --format json` into `state`; its exit code, and the CA's result file. */
async function night(ca: string, state: string, extraArgs: string[] = [], env: Record<string, string> = {}) {
  const args = [
    'run',
    '--bucket',
    'audit-reports',
    '--ca',
    ca,
    '--state-dir',
    state,
    '--poll-interval',
    '1s',
  ];
  const r = await cliOnStack(stack, [...args, ...extraArgs, '--format', 'json'], env, 120_000);
  const runId = JSON.parse(r.stdout || '{}').runId as string | undefined;
  const result: CaResult | undefined = runId
    ? JSON.parse(readFileSync(join(state, 'runs', runId, `${ca.split('/').pop()}.json`), 'utf8'))
    : undefined;
  return { ...r, result };
}

const ocspCodes = (r: CaResult | undefined) =>
  (r?.findings ?? [])
    .filter((f) => f.code.startsWith('OCSP_'))
    .map((f) => `${f.severity} ${f.code} ${f.serial}`);

describe('run against the stand-in’s OCSP responder', () => {
  it('revoked as the report says: no finding; the goodForRevoked knob: OCSP_NOT_REVOKED', async () => {
    await createBucket(stack, 'audit-reports');
    const ca = await ocspCa();
    const a = await pca.issue(ca);
    const b = await pca.issue(ca);
    const honest = join(work, 'honest');
    const lying = join(work, 'lying');
    for (const state of [honest, lying]) expect((await night(ca, state)).code).toBe(0);

    await knob(stack, 'clock', { advance: 86400 });
    for (const [serial, reason] of [
      [a, 'KEY_COMPROMISE'],
      [b, 'SUPERSEDED'],
    ] as const) {
      await pca.client.send(
        new RevokeCertificateCommand({
          CertificateAuthorityArn: ca,
          CertificateSerial: colon(serial),
          RevocationReason: reason,
        }),
      );
    }
    await knob(stack, 'clock', { advance: 7200 });

    const ok = await night(ca, honest, [], ocspUrl());
    expect(ok.code, ok.stderr).toBe(0);
    expect(ocspCodes(ok.result)).toEqual([]);
    expect(ok.result?.diff?.ocsp).toMatchObject({ asked: 2, revokedAsExpected: 2, sampledOut: 0 });

    await knob(stack, 'ocsp-fault', { certificateAuthorityArn: ca, goodForRevoked: true });
    const bad = await night(ca, lying, [], ocspUrl());
    expect(bad.code, bad.stderr).toBe(1);
    expect(ocspCodes(bad.result).sort()).toEqual(
      [`error OCSP_NOT_REVOKED ${colon(a)}`, `error OCSP_NOT_REVOKED ${colon(b)}`].sort(),
    );
  });

  it('a report whose revocation reason differs from what the responder says: OCSP_REASON_MISMATCH (a warning)', async () => {
    await createBucket(stack, 'audit-reports');
    const ca = await ocspCa();
    const a = await pca.issue(ca);
    const state = join(work, 'reason');
    expect((await night(ca, state)).code).toBe(0);
    await knob(stack, 'clock', { advance: 86400 });
    await pca.client.send(
      new RevokeCertificateCommand({
        CertificateAuthorityArn: ca,
        CertificateSerial: colon(a),
        RevocationReason: 'KEY_COMPROMISE',
      }),
    );
    // the report says SUPERSEDED; the responder, as the CA revoked it, KEY_COMPROMISE
    await knob(stack, 'report-tamper', {
      certificateAuthorityArn: ca,
      serial: a,
      field: 'revocationReason',
      value: 'SUPERSEDED',
    });
    await knob(stack, 'clock', { advance: 7200 });
    const r = await night(ca, state, [], ocspUrl());
    expect(r.code, r.stderr).toBe(1);
    expect(ocspCodes(r.result)).toEqual([`warning OCSP_REASON_MISMATCH ${colon(a)}`]);
    expect(r.result?.diff?.ocsp).toMatchObject({ asked: 1 });
  });

  it('measures what 100 OCSP checks add to a night (100 revocations, with and without --no-ocsp)', async () => {
    await createBucket(stack, 'audit-reports');
    const ca = await ocspCa();
    await pca.issue(ca);
    const off = join(work, 'bench-off');
    const on = join(work, 'bench-on');
    for (const state of [off, on]) expect((await night(ca, state)).code).toBe(0);
    await knob(stack, 'clock', { advance: 86400 });
    await knob(stack, 'bulk-revoke', {
      certificateAuthorityArn: ca,
      count: 100,
      revocationReason: 'KEY_COMPROMISE',
    });
    await knob(stack, 'clock', { advance: 7200 });

    let started = performance.now();
    const without = await night(ca, off, ['--no-ocsp'], ocspUrl());
    const withoutMs = performance.now() - started;
    started = performance.now();
    const withOcsp = await night(ca, on, [], ocspUrl());
    const withMs = performance.now() - started;
    process.stderr.write(
      `ocsp: a night with 100 revocations took ${Math.round(withoutMs)} ms with --no-ocsp, ${Math.round(withMs)} ms with 100 OCSP checks against the stand-in\n`,
    );
    // bulk revocations have no CloudTrail record: REVOKED_WITHOUT_EVENT both nights; OCSP adds nothing
    expect(without.code).toBe(1);
    expect(withOcsp.code).toBe(1);
    expect(ocspCodes(withOcsp.result)).toEqual([]);
    expect(withOcsp.result?.diff?.ocsp).toMatchObject({ asked: 100, revokedAsExpected: 100 });
    expect(without.result?.diff?.ocsp).toBeUndefined();
  });
});
