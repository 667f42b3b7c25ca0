/**
 * OCSP through `run`, against moto and the stand-in: a CA with OCSP enabled, a baseline night, a
 * revocation, then the next night asking a responder on 127.0.0.1 (PCA_AUDIT_OCSP_URL). The
 * stand-in holds the CA's key and answers no OCSP itself, so what can be planted here is a
 * responder that is not there and one that signs with another CA's key; the answers that agree
 * or say good are covered against openssl in test/e2e/ocsp-openssl.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateCertificateAuthorityCommand, RevokeCertificateCommand } from '@aws-sdk/client-acm-pca';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { assertBuilt } from '../e2e/cli.js';
import { createBucket, knob, resetStack } from '../support/aws-stack.js';
import { closedPort, indexLine, opensslCa, startOcspResponder } from '../support/ocsp-responder.js';
import { cliOnStack, colon, type TestPca, testPca } from '../support/pca.js';

const stack = inject('awsStack');
let work: string;
let pca: TestPca;

beforeAll(() => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'pca-audit-ocsp-run-'));
  pca = testPca(stack, work);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(async () => {
  await resetStack(stack);
  await knob(stack, 'config', { reportDelayMs: 100 });
});

const cli = (args: string[], extra: Record<string, string> = {}) => cliOnStack(stack, args, extra, 60_000);

interface Finding {
  code: string;
  severity: string;
  serial?: string;
  evidence: { ocsp?: { cause?: string; url?: string } };
}

function caResult(
  state: string,
  runId: string,
  ca: string,
): { findings: Finding[]; diff?: { ocsp?: unknown } } {
  return JSON.parse(readFileSync(join(state, 'runs', runId, `${ca.split('/').pop()}.json`), 'utf8'));
}

describe('run asks the OCSP responder about the night’s revocations', () => {
  it('unreachable is a warning, a stranger’s signature an error, --no-ocsp asks nothing', async () => {
    await createBucket(stack, 'audit-reports');
    const created = await pca.client.send(
      new CreateCertificateAuthorityCommand({
        CertificateAuthorityType: 'ROOT',
        CertificateAuthorityConfiguration: {
          KeyAlgorithm: 'RSA_2048',
          SigningAlgorithm: 'SHA256WITHRSA',
          Subject: { CommonName: 'Example OCSP Root', Organization: 'Example Corp' },
        },
        RevocationConfiguration: {
          OcspConfiguration: { Enabled: true, OcspCustomCname: 'ocsp.example.com' },
        },
      }),
    );
    const ca = created.CertificateAuthorityArn!;
    await pca.issue(ca);
    const victim = await pca.issue(ca);
    const states = { gone: join(work, 'gone'), forged: join(work, 'forged'), off: join(work, 'off') };
    const base = (state: string) => [
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
    ];
    for (const state of Object.values(states)) expect((await cli(base(state))).code).toBe(0);

    await knob(stack, 'clock', { advance: 86400 });
    await pca.client.send(
      new RevokeCertificateCommand({
        CertificateAuthorityArn: ca,
        CertificateSerial: colon(victim),
        RevocationReason: 'KEY_COMPROMISE',
      }),
    );
    await knob(stack, 'clock', { advance: 7200 });

    // nobody listens: a warning, the cause said; the night still diffs and commits
    const gone = await cli(base(states.gone), {
      PCA_AUDIT_OCSP_URL: `http://127.0.0.1:${await closedPort()}`,
    });
    expect(gone.code, gone.stderr).toBe(1);
    const goneRun = JSON.parse(gone.stdout).runId;
    const goneOcsp = caResult(states.gone, goneRun, ca).findings.filter((f) => f.code.startsWith('OCSP_'));
    expect(goneOcsp.map((f) => `${f.severity} ${f.code} ${f.serial} ${f.evidence.ocsp?.cause}`)).toEqual([
      `warning OCSP_UNREACHABLE ${colon(victim)} network`,
    ]);
    expect(caResult(states.gone, goneRun, ca).diff?.ocsp).toMatchObject({ asked: 1, revokedAsExpected: 0 });

    // an independent responder (openssl) signing with another CA's key
    const dir = mkdtempSync(join(work, 'stranger-'));
    const stranger = opensslCa(dir, 'stranger', '/CN=Example OCSP Root/O=Example Corp');
    const index = join(dir, 'index.txt');
    writeFileSync(index, `${indexLine(victim, [new Date(), 'keyCompromise'])}\n`);
    const responder = await startOcspResponder({ index, ca: stranger.cert, signer: stranger });
    try {
      const forged = await cli(base(states.forged), { PCA_AUDIT_OCSP_URL: responder.url });
      expect(forged.code, forged.stderr).toBe(1);
      const found = caResult(states.forged, JSON.parse(forged.stdout).runId, ca).findings;
      expect(
        found.filter((f) => f.code.startsWith('OCSP_')).map((f) => `${f.severity} ${f.code} ${f.serial}`),
      ).toEqual([`error OCSP_SIGNATURE_INVALID ${colon(victim)}`]);
      expect(responder.requests).toBe(1);
    } finally {
      await responder.close();
    }

    // --no-ocsp: not asked, even with a responder configured
    const off = await cli([...base(states.off), '--no-ocsp'], {
      PCA_AUDIT_OCSP_URL: `http://127.0.0.1:${await closedPort()}`,
    });
    expect(off.code, off.stderr).toBe(0);
    const offResult = caResult(states.off, JSON.parse(off.stdout).runId, ca);
    expect(offResult.findings.filter((f) => f.code.startsWith('OCSP_'))).toEqual([]);
    expect(offResult.diff?.ocsp).toBeUndefined();
  });

  it('PCA_AUDIT_OCSP_URL off loopback is refused before any AWS call (exit 2)', async () => {
    const r = await cli(
      [
        'run',
        '--bucket',
        'audit-reports',
        '--ca',
        'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c35',
        '--state-dir',
        join(work, 'bad'),
      ],
      { PCA_AUDIT_OCSP_URL: 'http://10.1.2.3:80' },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^pca-audit: PCA_AUDIT_OCSP_URL: "http:\/\/10\.1\.2\.3:80" is not on a loopback address/,
    );
  });

  it('--ocsp-max must be a whole number from 1; "ocsp" in the config true or false (exit 2)', async () => {
    const ca =
      'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c35';
    const base = ['run', '--bucket', 'audit-reports', '--ca', ca, '--state-dir', join(work, 'bad')];
    const zero = await cli([...base, '--ocsp-max', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/^pca-audit: ocspMax: "0" is not a whole number from 1 to 100000/);
    const config = join(work, 'ocsp-config.json');
    writeFileSync(config, JSON.stringify({ ocsp: 'no' }));
    const bad = await cli([...base, '--config', config]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^pca-audit: --config: "ocsp" must be true or false/);
    const help = await cli(['run', '--help']);
    expect(help.stdout).toMatch(/--ocsp-max/);
    expect(help.stdout).toMatch(/--no-ocsp/);
  });
});
