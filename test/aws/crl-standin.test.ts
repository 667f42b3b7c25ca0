/**
 * Issue 15 item 5: the stand-in takes a RevocationConfiguration as AWS validates it, publishes real
 * CRLs into moto's S3 (openssl reads and verifies them), answers OCSP (openssl asks), and its knobs
 * break both: publishing denied, an entry dropped, a wrong signing key, OCSP saying good.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ACMPCAClient,
  CreateCertificateAuthorityCommand,
  DescribeCertificateAuthorityCommand,
  GetCertificateAuthorityCertificateCommand,
  GetCertificateCommand,
  IssueCertificateCommand,
  type RevocationConfiguration,
  RevokeCertificateCommand,
} from '@aws-sdk/client-acm-pca';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { assertBuilt, runCommand } from '../e2e/cli.js';
import {
  createBucket,
  isolatedEnv,
  knob,
  readKnob,
  resetStack,
  TEST_CREDENTIALS,
} from '../support/aws-stack.js';
import { cliOnStack, type TestPca, testPca } from '../support/pca.js';

const stack = inject('awsStack');
const BUCKET = 'pca-crls';

const s3 = new S3Client({
  region: stack.region,
  credentials: TEST_CREDENTIALS,
  endpoint: stack.motoUrl,
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});

let work: string;
let pca: TestPca;
let client: ACMPCAClient;

beforeAll(() => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'pca-audit-crl-'));
  pca = testPca(stack, work);
  client = pca.client;
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(async () => {
  await resetStack(stack);
  await knob(stack, 'config', { reportDelayMs: 100, crlDelayMs: 50 });
  await createBucket(stack, BUCKET);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function createCa(revocation: RevocationConfiguration, commonName = 'Example Revoking Root') {
  const r = await client.send(
    new CreateCertificateAuthorityCommand({
      CertificateAuthorityType: 'ROOT',
      CertificateAuthorityConfiguration: {
        KeyAlgorithm: 'RSA_2048',
        SigningAlgorithm: 'SHA256WITHRSA',
        Subject: { CommonName: commonName, Organization: 'Example Corp' },
      },
      RevocationConfiguration: revocation,
    }),
  );
  return r.CertificateAuthorityArn!;
}

const crlOn = (extra: Record<string, unknown> = {}): RevocationConfiguration => ({
  CrlConfiguration: { Enabled: true, S3BucketName: BUCKET, ExpirationInDays: 7, ...extra },
});

/** The object's bytes, or undefined while it does not exist. */
async function s3Object(key: string, bucket = BUCKET): Promise<Buffer | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  } catch (err) {
    if ((err as Error).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

/** Waits for a CRL at `key` whose text (openssl) satisfies `ok`; returns the text. */
async function crlText(key: string, ok: (text: string) => boolean = () => true): Promise<string> {
  let last = '';
  for (let i = 0; i < 100; i++) {
    const der = await s3Object(key);
    if (der) {
      const path = join(work, 'crl.der');
      writeFileSync(path, der);
      const r = await runCommand('openssl', ['crl', '-inform', 'DER', '-in', path, '-text', '-noout']);
      expect(r.code, r.stderr).toBe(0);
      last = r.stdout;
      if (ok(last)) return last;
    }
    await sleep(50);
  }
  throw new Error(`no CRL at ${key} as expected; last:\n${last}`);
}

/** The CA certificate as a PEM file. */
async function caPemFile(ca: string): Promise<string> {
  const r = await client.send(new GetCertificateAuthorityCertificateCommand({ CertificateAuthorityArn: ca }));
  const path = join(work, `ca-${ca.split('/').pop()}.pem`);
  writeFileSync(path, r.Certificate!);
  return path;
}

async function certPemFile(ca: string, serial: string): Promise<string> {
  const r = await client.send(
    new GetCertificateCommand({ CertificateAuthorityArn: ca, CertificateArn: `${ca}/certificate/${serial}` }),
  );
  const path = join(work, `${serial}.pem`);
  writeFileSync(path, r.Certificate!);
  return path;
}

/** `openssl crl -CAfile` on the CA's current CRL: does its signature verify? */
async function crlVerifies(ca: string, key: string): Promise<{ ok: boolean; text: string }> {
  const path = join(work, 'verify.der');
  writeFileSync(path, (await s3Object(key))!);
  const r = await runCommand('openssl', [
    'crl',
    '-inform',
    'DER',
    '-in',
    path,
    '-noout',
    '-CAfile',
    await caPemFile(ca),
  ]);
  return { ok: r.code === 0 && /verify OK/.test(r.stderr + r.stdout), text: r.stderr + r.stdout };
}

// as openssl prints a serial: whole octets (an odd-length hex gets its leading 0), no leading 00 octet
const upperHex = (serial: string) => {
  const hex = serial.toUpperCase();
  return (hex.length % 2 ? `0${hex}` : hex).replace(/^(00)+(?=..)/, '');
};

async function revoke(ca: string, serial: string, reason = 'KEY_COMPROMISE') {
  await client.send(
    new RevokeCertificateCommand({
      CertificateAuthorityArn: ca,
      CertificateSerial: serial,
      RevocationReason: reason as 'KEY_COMPROMISE',
    }),
  );
}

describe('RevocationConfiguration: accepted and validated as AWS does', () => {
  it('the aws CLI creates a CA from --revocation-configuration file://, describes and updates it', async () => {
    const file = join(work, 'revocation.json');
    writeFileSync(
      file,
      JSON.stringify({
        CrlConfiguration: {
          Enabled: true,
          ExpirationInDays: 3,
          CustomCname: 'crl.example.internal',
          S3BucketName: BUCKET,
          S3ObjectAcl: 'BUCKET_OWNER_FULL_CONTROL',
          CrlType: 'COMPLETE',
          CustomPath: 'pki/crls',
        },
        OcspConfiguration: { Enabled: true, OcspCustomCname: 'ocsp.example.internal' },
      }),
    );
    const config = join(work, 'ca-config.json');
    writeFileSync(
      config,
      JSON.stringify({
        KeyAlgorithm: 'RSA_2048',
        SigningAlgorithm: 'SHA256WITHRSA',
        Subject: { CommonName: 'CLI Root', Organization: 'Example Corp' },
      }),
    );
    const aws = (args: string[]) =>
      runCommand('aws', [...args, '--output', 'json'], { env: isolatedEnv(stack), timeoutMs: 30_000 });
    const made = await aws([
      'acm-pca',
      'create-certificate-authority',
      '--certificate-authority-type',
      'ROOT',
      '--certificate-authority-configuration',
      `file://${config}`,
      '--revocation-configuration',
      `file://${file}`,
    ]);
    expect(made.code, made.stderr).toBe(0);
    const ca = JSON.parse(made.stdout).CertificateAuthorityArn as string;
    const described = await aws([
      'acm-pca',
      'describe-certificate-authority',
      '--certificate-authority-arn',
      ca,
    ]);
    expect(described.code, described.stderr).toBe(0);
    expect(JSON.parse(described.stdout).CertificateAuthority.RevocationConfiguration).toEqual(
      JSON.parse(readFileSync(file, 'utf8')),
    );
    // honoured: the CRL at the custom path; certificates name the CNAMEs
    const caId = ca.split('/').pop()!;
    const text = await crlText(`pki/crls/${caId}.crl`);
    expect(text).toMatch(/Issuer: .*CN\s?=\s?CLI Root/);
    const serial = await pca.issue(ca);
    const cert = await runCommand('openssl', [
      'x509',
      '-in',
      await certPemFile(ca, serial),
      '-noout',
      '-text',
    ]);
    expect(cert.stdout).toContain(`URI:http://crl.example.internal/pki/crls/${caId}.crl`);
    expect(cert.stdout).toContain('OCSP - URI:http://ocsp.example.internal');

    // update: OCSP off, the CRL's other members stay
    const updated = await aws([
      'acm-pca',
      'update-certificate-authority',
      '--certificate-authority-arn',
      ca,
      '--revocation-configuration',
      'OcspConfiguration={Enabled=false}',
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    const after = await client.send(new DescribeCertificateAuthorityCommand({ CertificateAuthorityArn: ca }));
    expect(after.CertificateAuthority!.RevocationConfiguration).toEqual({
      CrlConfiguration: JSON.parse(readFileSync(file, 'utf8')).CrlConfiguration,
      OcspConfiguration: { Enabled: false },
    });
  });

  it('refuses what AWS refuses: out-of-range days, extra members when disabled, a protocol in a CNAME, no bucket', async () => {
    const refused = async (revocation: unknown) => {
      try {
        await createCa(revocation as RevocationConfiguration);
      } catch (err) {
        return `${(err as Error).name}: ${(err as Error).message}`;
      }
      return 'accepted';
    };
    expect(await refused(crlOn({ ExpirationInDays: 0 }))).toMatch(
      /^ValidationException: .*expirationInDays.*between 1 and 5000/,
    );
    expect(await refused(crlOn({ ExpirationInDays: 5001 }))).toMatch(/^ValidationException/);
    expect(await refused({ CrlConfiguration: { Enabled: false, S3BucketName: BUCKET } })).toMatch(
      /^InvalidArgsException: A disabled CrlConfiguration must contain only Enabled=false; remove S3BucketName/,
    );
    expect(await refused({ OcspConfiguration: { Enabled: false, OcspCustomCname: 'o.example' } })).toMatch(
      /^InvalidArgsException/,
    );
    expect(await refused(crlOn({ CustomCname: 'http://crl.example.internal' }))).toMatch(
      /^InvalidArgsException: CustomCname must not include a protocol prefix/,
    );
    expect(await refused({ CrlConfiguration: { Enabled: true } })).toMatch(
      /^InvalidArgsException: S3BucketName is required/,
    );
    expect(await refused(crlOn({ CrlType: 'DELTA' }))).toMatch(
      /^ValidationException: .*\[COMPLETE, PARTITIONED\]/,
    );
    expect(
      await refused(
        crlOn({
          CustomCname: 'crl.example',
          CrlDistributionPointExtensionConfiguration: { OmitExtension: true },
        }),
      ),
    ).toMatch(/^InvalidArgsException: .*OmitExtension/);
    expect(await refused({ CrlConfiguration: { S3BucketName: BUCKET } })).toMatch(
      /^ValidationException: .*enabled.*must not be null/,
    );
    // none of them made a CA
    expect(
      (
        await readKnob<{ Records: { eventName: string; errorCode?: string }[] }>(stack, 'events')
      ).Records.filter((r) => r.eventName === 'CreateCertificateAuthority' && !r.errorCode),
    ).toEqual([]);
  });
});

describe('CRLs in S3', () => {
  it('published at creation and after each revocation: DER, signed by the CA, CRL number rising, entries with time and reason', async () => {
    const ca = await createCa(crlOn());
    const key = `crl/${ca.split('/').pop()}.crl`;
    const first = await crlText(key);
    expect(first).toMatch(/Version 2/);
    expect(first).toMatch(/Issuer: .*CN\s?=\s?Example Revoking Root/);
    expect(first).toMatch(/X509v3 CRL Number:\s+1\b/);
    expect(first).toMatch(/X509v3 Authority Key Identifier/);
    expect(first).toMatch(/No Revoked Certificates/);
    const lastUpdate = Date.parse(/Last Update: (.*)/.exec(first)![1]!);
    const nextUpdate = Date.parse(/Next Update: (.*)/.exec(first)![1]!);
    expect((nextUpdate - lastUpdate) / 86400_000).toBe(7);
    expect((await crlVerifies(ca, key)).ok).toBe(true);

    const kept = await pca.issue(ca);
    const victim = await pca.issue(ca);
    const other = await pca.issue(ca);
    const cert = await runCommand('openssl', ['x509', '-in', await certPemFile(ca, kept), '-noout', '-text']);
    expect(cert.stdout).toContain(
      `URI:http://${BUCKET}.s3.${stack.region}.amazonaws.com/crl/${ca.split('/').pop()}.crl`,
    );
    await revoke(ca, victim, 'KEY_COMPROMISE');
    await revoke(ca, other, 'CESSATION_OF_OPERATION');
    const second = await crlText(key, (t) => t.includes(upperHex(other)));
    expect(second).toMatch(/X509v3 CRL Number:\s+[2-9]\b/);
    expect(second).toContain(`Serial Number: ${upperHex(victim)}`);
    expect(second).toMatch(
      new RegExp(
        `${upperHex(victim)}\\s+Revocation Date: .*\\n\\s+CRL entry extensions:\\s+X509v3 CRL Reason Code:\\s+Key Compromise`,
      ),
    );
    expect(second).toMatch(/Cessation Of Operation/);
    expect(second).not.toContain(upperHex(kept));
    expect((await crlVerifies(ca, key)).ok).toBe(true);
    // the CRL Generation events, one per publication
    const bus = (
      await readKnob<{ Events: { 'detail-type': string; detail: { result: string } }[] }>(
        stack,
        'eventbridge',
      )
    ).Events.filter((e) => e['detail-type'] === 'ACM Private CA CRL Generation');
    expect(bus.length).toBeGreaterThanOrEqual(2);
    expect(bus.every((e) => e.detail.result === 'success')).toBe(true);
    // and the service events of each in the owner's trail, the CA in resources[]
    const trail = (
      await readKnob<{ Records: { eventName: string; eventType: string; resources?: { ARN: string }[] }[] }>(
        stack,
        'events',
      )
    ).Records.filter((r) => r.eventType === 'AwsServiceEvent' && r.eventName !== 'IssueCertificateDetails');
    expect(trail.filter((r) => r.eventName === 'GenerateCRL')).toHaveLength(bus.length);
    expect(trail.filter((r) => r.eventName === 'SignCRL')).toHaveLength(bus.length);
    expect(trail.every((r) => r.resources?.[0]?.ARN === ca)).toBe(true);
  });

  it('PARTITIONED: one partition with a critical issuingDistributionPoint naming its URL', async () => {
    const ca = await createCa(crlOn({ CrlType: 'PARTITIONED', CustomPath: 'part' }));
    const caId = ca.split('/').pop();
    const text = await crlText(`part/${caId}.crl`);
    expect(text).toMatch(
      /X509v3 Issuing Distribution Point: critical\s+Full Name:\s+URI:http:\/\/pca-crls\.s3\.eu-west-1\.amazonaws\.com\/part\//,
    );
  });

  it('knobs: publishing denied (a CRL Generation failure the tool reports), an entry dropped, a wrong key', async () => {
    const bus = join(work, 'crl-events.jsonl');
    rmSync(bus, { force: true });
    await knob(stack, 'config', { eventBridgeFile: bus });
    const ca = await createCa(crlOn());
    const key = `crl/${ca.split('/').pop()}.crl`;
    await crlText(key);
    const a = await pca.issue(ca);
    const b = await pca.issue(ca);

    // denied between two reports: nothing new is written, and PCA says why
    const reports = await twoReports(ca, async () => {
      await knob(stack, 'crl-fault', { certificateAuthorityArn: ca, deny: true });
      await revoke(ca, a);
      const denied = await knob<{ result: string; reason: string }>(stack, 'crl-publish', {
        certificateAuthorityArn: ca,
      });
      expect(denied).toMatchObject({
        result: 'failure',
        reason: 'Failed to write CRL to S3. Check your S3 bucket permissions.',
      });
    });
    expect(await crlText(key)).not.toContain(upperHex(a));
    const diffed = await cliOnStack(stack, ['diff', ...reports, '--cloudtrail', bus, '--format', 'json']);
    const failed = (JSON.parse(diffed.stdout).findings as { code: string; message: string }[]).filter(
      (f) => f.code === 'CRL_GENERATION_FAILED',
    );
    expect(failed.length, diffed.stdout.slice(0, 2000)).toBeGreaterThanOrEqual(1);
    expect(failed[0]!.message).toContain('Check your S3 bucket permissions');

    // allowed again, with b revoked and dropped: a is listed, b is not
    await knob(stack, 'crl-fault', { certificateAuthorityArn: ca, deny: false, dropSerial: b });
    await revoke(ca, b);
    const published = await knob<{ result: string; entries: number }>(stack, 'crl-publish', {
      certificateAuthorityArn: ca,
    });
    expect(published).toMatchObject({ result: 'success', entries: 1 });
    const text = await crlText(key);
    expect(text).toContain(upperHex(a));
    expect(text).not.toContain(upperHex(b));
    expect((await crlVerifies(ca, key)).ok).toBe(true);

    // a wrong key: same issuer name, a signature openssl refuses
    await knob(stack, 'crl-fault', { certificateAuthorityArn: ca, wrongKey: true });
    await knob(stack, 'crl-publish', { certificateAuthorityArn: ca });
    const wrong = await crlVerifies(ca, key);
    expect(wrong.ok).toBe(false);
    expect(wrong.text).toMatch(/verify failure|signature failure|bad signature/i);
  });

  it('measure: a 100,000-entry CRL (bulk-revoke), published and read back by openssl', async () => {
    const ca = await createCa(crlOn());
    const key = `crl/${ca.split('/').pop()}.crl`;
    await crlText(key);
    // no publication of its own in between: the knob's is the one measured
    await knob(stack, 'config', { crlDelayMs: 600_000 });
    const t0 = performance.now();
    await knob(stack, 'bulk-revoke', { certificateAuthorityArn: ca, count: 100_000 });
    const made = performance.now() - t0;
    const published = await knob<{ result: string; entries: number; bytes: number; ms: number }>(
      stack,
      'crl-publish',
      { certificateAuthorityArn: ca },
    );
    expect(published).toMatchObject({ result: 'success', entries: 100_000 });
    console.log(
      `100,000-entry CRL: bulk-revoke ${Math.round(made)} ms; made, signed and written in ${published.ms} ms; ${published.bytes} bytes`,
    );
    const path = join(work, 'big.der');
    writeFileSync(path, (await s3Object(key))!);
    const r = await runCommand(
      'openssl',
      ['crl', '-inform', 'DER', '-in', path, '-noout', '-CAfile', await caPemFile(ca)],
      {
        timeoutMs: 60_000,
      },
    );
    expect(r.stderr + r.stdout).toMatch(/verify OK/);
  }, 180_000);
});

describe('OCSP', () => {
  async function ocsp(caPem: string, certPem: string) {
    return runCommand('openssl', [
      'ocsp',
      '-issuer',
      caPem,
      '-cert',
      certPem,
      '-url',
      `${stack.emulatorUrl}/ocsp`,
      '-CAfile',
      caPem,
      '-resp_text',
    ]);
  }

  it('openssl asks: good, revoked with time and reason, signed by the CA; the knob says good for revoked', async () => {
    const ca = await createCa({ ...crlOn(), OcspConfiguration: { Enabled: true } });
    const caPem = await caPemFile(ca);
    const good = await pca.issue(ca);
    const bad = await pca.issue(ca);
    const goodPem = await certPemFile(ca, good);
    const badPem = await certPemFile(ca, bad);
    const cert = await runCommand('openssl', ['x509', '-in', goodPem, '-noout', '-text']);
    expect(cert.stdout).toContain(`OCSP - URI:http://ocsp.acm-pca.${stack.region}.amazonaws.com`);
    await revoke(ca, bad, 'SUPERSEDED');

    const g = await ocsp(caPem, goodPem);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr + g.stdout).toMatch(/Response verify OK/);
    expect(g.stdout).toMatch(new RegExp(`${goodPem.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: good`));
    expect(g.stdout).toMatch(/Responder Id: /);

    const r = await ocsp(caPem, badPem);
    expect(r.stderr + r.stdout).toMatch(/Response verify OK/);
    expect(r.stdout).toMatch(/: revoked/);
    expect(r.stdout).toMatch(/Reason: superseded/);
    expect(r.stdout).toMatch(/Revocation Time: /);

    await knob(stack, 'ocsp-fault', { certificateAuthorityArn: ca, goodForRevoked: true });
    const lie = await ocsp(caPem, badPem);
    expect(lie.stderr + lie.stdout).toMatch(/Response verify OK/);
    expect(lie.stdout).toMatch(/: good/);
  });

  it('an EC CA: its CRL and its OCSP answers carry DER ECDSA signatures openssl verifies', async () => {
    const made = await client.send(
      new CreateCertificateAuthorityCommand({
        CertificateAuthorityType: 'ROOT',
        CertificateAuthorityConfiguration: {
          KeyAlgorithm: 'EC_secp384r1',
          SigningAlgorithm: 'SHA384WITHECDSA',
          Subject: { CommonName: 'Example EC Root', Organization: 'Example Corp' },
        },
        RevocationConfiguration: { ...crlOn(), OcspConfiguration: { Enabled: true } },
      }),
    );
    const ca = made.CertificateAuthorityArn!;
    const issued = await client.send(
      new IssueCertificateCommand({
        CertificateAuthorityArn: ca,
        Csr: readFileSync(join(work, 'req.csr')),
        SigningAlgorithm: 'SHA384WITHECDSA',
        Validity: { Type: 'DAYS', Value: 30 },
      }),
    );
    const serial = issued.CertificateArn!.split('/').pop()!;
    await revoke(ca, serial, 'AFFILIATION_CHANGED');
    const key = `crl/${ca.split('/').pop()}.crl`;
    const text = await crlText(key, (t) => t.includes(upperHex(serial)));
    expect(text).toMatch(/Signature Algorithm: ecdsa-with-SHA384/);
    expect(text).toMatch(/Affiliation Changed/);
    expect((await crlVerifies(ca, key)).ok).toBe(true);
    const caPem = await caPemFile(ca);
    const r = await ocsp(caPem, await certPemFile(ca, serial));
    expect(r.stderr + r.stdout).toMatch(/Response verify OK/);
    expect(r.stdout).toMatch(/Reason: affiliationChanged/);
  });

  it('unknown for a serial the CA never issued; unauthorized when the CA has OCSP disabled', async () => {
    const ca = await createCa({ OcspConfiguration: { Enabled: true } });
    const caPem = await caPemFile(ca);
    const r = await runCommand('openssl', [
      'ocsp',
      '-issuer',
      caPem,
      '-serial',
      '0x0123456789abcdef',
      '-url',
      `${stack.emulatorUrl}/ocsp`,
      '-CAfile',
      caPem,
    ]);
    expect(r.stderr + r.stdout).toMatch(/Response verify OK/);
    expect(r.stdout).toMatch(/0x0123456789abcdef: unknown/);

    const off = await createCa({}, 'No OCSP Root');
    const offPem = await caPemFile(off);
    const serial = await pca.issue(off);
    const u = await ocsp(offPem, await certPemFile(off, serial));
    expect(u.stderr + u.stdout).toMatch(/unauthorized/i);
  });
});

/** Two audit reports of the CA, 31 emulated minutes apart, `between` in the middle; diff's arguments. */
async function twoReports(ca: string, between: () => Promise<void>): Promise<string[]> {
  await createBucket(stack, 'audit-reports').catch(() => {});
  const dir = join(work, `reports-${ca.split('/').pop()}`);
  const one = async () => {
    const r = await cliOnStack(stack, [
      'generate',
      '--ca',
      ca,
      '--bucket',
      'audit-reports',
      '--out',
      dir,
      '--poll-interval',
      '1s',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { path: string; createdAt: string };
  };
  const a = await one();
  await knob(stack, 'clock', { advance: 900 });
  await between();
  await knob(stack, 'clock', { advance: 960 });
  const b = await one();
  return [a.path, b.path, '--old-created-at', a.createdAt, '--new-created-at', b.createdAt];
}
