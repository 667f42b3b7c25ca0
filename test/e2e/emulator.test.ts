/**
 * The local AWS stand-in (src/emulator) driven by the real clients: the AWS SDK for JavaScript (the
 * old acm-pca generation and the current cloudtrail/s3 one) and the independent aws CLI, with openssl
 * as the certificate oracle and pca-audit's own inspect command as the report reader. Every response
 * is also checked against botocore's official service models.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ACMPCAClient,
  CreateCertificateAuthorityAuditReportCommand,
  CreateCertificateAuthorityCommand,
  DescribeCertificateAuthorityAuditReportCommand,
  DescribeCertificateAuthorityCommand,
  GetCertificateCommand,
  IssueCertificateCommand,
  ListCertificateAuthoritiesCommand,
  RevokeCertificateCommand,
} from '@aws-sdk/client-acm-pca';
import { CloudTrailClient, LookupEventsCommand, paginateLookupEvents } from '@aws-sdk/client-cloudtrail';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { parseInstant } from '../../src/core/instant.js';
import { FIELD_NAMES } from '../../src/core/report/audit-record.js';
import { formatSerial, parseSerial } from '../../src/core/report/serial.js';
import { parseSubject } from '../../src/core/report/subject.js';
import {
  type AwsStack,
  createBucket,
  isolatedEnv,
  knob,
  readKnob,
  resetStack,
  TEST_CREDENTIALS,
} from '../support/aws-stack.js';
import { loadBotocoreModel, validateError, validateOutput } from '../support/botocore-model.js';
import { runCli, runCommand } from './cli.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const stack: AwsStack = inject('awsStack');
const BUCKET = 'pca-audit-reports';
const HOUR = 3600;
const DAY = 86400;
const CA_SUBJECT = { Country: 'IE', Organization: 'Example Corp', CommonName: 'Emulator Root CA' };
const TEMPLATE = (name: string) => `arn:aws:acm-pca:::template/${name}/V1`;

const clientConfig = { region: stack.region, credentials: TEST_CREDENTIALS };
/** one attempt: errors reach the test as the server sent them */
const pca = new ACMPCAClient({ ...clientConfig, endpoint: stack.emulatorUrl, maxAttempts: 1 });
const pcaRetrying = new ACMPCAClient({ ...clientConfig, endpoint: stack.emulatorUrl, maxAttempts: 3 });
const cloudtrail = new CloudTrailClient({ ...clientConfig, endpoint: stack.emulatorUrl, maxAttempts: 1 });
/** enough attempts to ride out the 2 requests/second limit */
const cloudtrailRetrying = new CloudTrailClient({
  ...clientConfig,
  endpoint: stack.emulatorUrl,
  maxAttempts: 10,
});
const s3 = new S3Client({
  ...clientConfig,
  endpoint: stack.motoUrl,
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'pca-audit-emulator-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  for (const c of [pca, pcaRetrying, cloudtrail, cloudtrailRetrying, s3]) c.destroy();
});

// ---------------------------------------------------------------------------------------------
// helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The error a promise rejects with (fails the test when it resolves). */
async function failure(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

async function emulatedNow(): Promise<number> {
  return (await readKnob<{ now: number }>(stack, 'clock')).now;
}

async function createCa(subject: Record<string, string> = CA_SUBJECT): Promise<string> {
  const out = await pca.send(
    new CreateCertificateAuthorityCommand({
      CertificateAuthorityType: 'ROOT',
      CertificateAuthorityConfiguration: {
        KeyAlgorithm: 'EC_prime256v1',
        SigningAlgorithm: 'SHA256WITHECDSA',
        Subject: subject,
      },
    }),
  );
  return out.CertificateAuthorityArn!;
}

let csrCount = 0;
/** A CSR made by openssl; returns its path and PEM. */
async function makeCsr(subj: string): Promise<{ path: string; pem: string }> {
  const n = ++csrCount;
  const path = join(work, `csr-${n}.pem`);
  const r = await runCommand('openssl', [
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    join(work, `key-${n}.pem`),
    '-out',
    path,
    '-subj',
    subj,
  ]);
  expect(r.code, r.stderr).toBe(0);
  return { path, pem: readFileSync(path, 'utf8') };
}

async function issue(
  caArn: string,
  csrPem: string,
  template = 'EndEntityCertificate',
  days = 30,
): Promise<string> {
  const out = await pca.send(
    new IssueCertificateCommand({
      CertificateAuthorityArn: caArn,
      Csr: Buffer.from(csrPem),
      SigningAlgorithm: 'SHA256WITHECDSA',
      Validity: { Type: 'DAYS', Value: days },
      TemplateArn: TEMPLATE(template),
    }),
  );
  return out.CertificateArn!;
}

/** The serial openssl reads from a PEM certificate, canonicalised. */
async function opensslSerial(pem: string): Promise<string> {
  const r = await runCommand('openssl', ['x509', '-serial', '-noout'], { stdin: pem });
  expect(r.code, r.stderr).toBe(0);
  const m = /^serial=([0-9A-F]+)\s*$/.exec(r.stdout);
  expect(m, r.stdout).not.toBeNull();
  const parsed = parseSerial(m![1]!);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.hex;
}

async function runAws(args: string[]) {
  return runCommand('aws', [...args, '--output', 'json'], { env: isolatedEnv(stack), timeoutMs: 30_000 });
}

async function waitForReport(caArn: string, id: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const r = await pca.send(
      new DescribeCertificateAuthorityAuditReportCommand({
        CertificateAuthorityArn: caArn,
        AuditReportId: id,
      }),
    );
    if (r.AuditReportStatus !== 'CREATING') return r.AuditReportStatus!;
    await sleep(50);
  }
  throw new Error(`report ${id} still CREATING`);
}

async function createReport(caArn: string, format: 'JSON' | 'CSV', bucket = BUCKET) {
  return pca.send(
    new CreateCertificateAuthorityAuditReportCommand({
      CertificateAuthorityArn: caArn,
      S3BucketName: bucket,
      AuditReportResponseFormat: format,
    }),
  );
}

async function getObject(key: string, bucket = BUCKET): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return out.Body!.transformToString();
}

type Row = Partial<Record<(typeof FIELD_NAMES)[number], string>>;

/** A finished report: made, delivered into moto, read back as rows. */
async function deliveredReport(
  caArn: string,
  format: 'JSON' | 'CSV',
): Promise<{ text: string; rows: Row[] }> {
  const { AuditReportId, S3Key } = await createReport(caArn, format);
  expect(await waitForReport(caArn, AuditReportId!)).toBe('SUCCESS');
  const text = await getObject(S3Key!);
  return { text, rows: format === 'JSON' ? (JSON.parse(text) as Row[]) : csvRows(text) };
}

/** CSV rows as JSON rows: an empty cell is an absent key. */
function csvRows(text: string): Row[] {
  const records = parseCsv(text, { columns: true }) as Record<string, string>[];
  return records.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== '')) as Row);
}

/** A raw AWS JSON 1.1 call, as the SDKs make it (unsigned: the emulator reads only the key id). */
async function rawCall(target: string, body: unknown) {
  const res = await fetch(stack.emulatorUrl, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': target,
      Authorization: `AWS4-HMAC-SHA256 Credential=${TEST_CREDENTIALS.accessKeyId}/20260101/${stack.region}/acm-pca/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    requestId: res.headers.get('x-amzn-requestid'),
    contentType: res.headers.get('content-type'),
    json: (text === '' ? undefined : JSON.parse(text)) as Record<string, unknown> | undefined,
  };
}

let lastLookup = 0;
/** Waits for a LookupEvents slot: at most one call every 550 ms keeps under the 2/s limit. */
async function lookupSlot(): Promise<void> {
  const wait = lastLookup + 550 - Date.now();
  if (wait > 0) await sleep(wait);
  lastLookup = Date.now();
}

async function pacedLookup(body: Record<string, unknown>, target = 'CloudTrail_20131101.LookupEvents') {
  await lookupSlot();
  return rawCall(target, body);
}

async function records(): Promise<Record<string, unknown>[]> {
  return (await readKnob<{ Records: Record<string, unknown>[] }>(stack, 'events')).Records;
}

// ---------------------------------------------------------------------------------------------

describe('emulator: certificates with the SDK, the aws CLI and openssl', () => {
  let ca: string;
  beforeAll(async () => {
    await resetStack(stack);
    ca = await createCa();
  });

  it('describes an ACTIVE root CA whose certificate openssl reads', async () => {
    const { CertificateAuthority: d } = await pca.send(
      new DescribeCertificateAuthorityCommand({ CertificateAuthorityArn: ca }),
    );
    expect(d?.Status).toBe('ACTIVE');
    expect(d?.Type).toBe('ROOT');
    expect(d?.CreatedAt).toBeInstanceOf(Date);
    // a timestamp the old SDK read as 1970 would mean the emulator sent a string
    expect(Math.abs(d!.CreatedAt!.getTime() / 1000 - (await emulatedNow()))).toBeLessThan(60);
    expect(d!.NotAfter!.getTime() - d!.NotBefore!.getTime()).toBeGreaterThan(9 * 365 * DAY * 1000);
    const listed = await pca.send(new ListCertificateAuthoritiesCommand({}));
    expect(listed.CertificateAuthorities?.map((c) => c.Arn)).toEqual([ca]);
  });

  it('issues a certificate signed by the CA, openssl verifies it and agrees on the serial', async () => {
    const csr = await makeCsr('/C=IE/O=Example Corp, Ltd./OU=Ops/CN=svc1.example.internal');
    const arn = await issue(ca, csr.pem, 'EndEntityServerAuthCertificate');
    const got = await pca.send(
      new GetCertificateCommand({ CertificateAuthorityArn: ca, CertificateArn: arn }),
    );
    writeFileSync(join(work, 'leaf.pem'), got.Certificate!);
    writeFileSync(join(work, 'chain.pem'), got.CertificateChain!);
    const verify = await runCommand('openssl', [
      'verify',
      '-CAfile',
      join(work, 'chain.pem'),
      join(work, 'leaf.pem'),
    ]);
    expect(verify.stdout.trim(), verify.stderr).toBe(`${join(work, 'leaf.pem')}: OK`);
    const serial = await opensslSerial(got.Certificate!);
    expect(arn).toBe(`${ca}/certificate/${serial}`);
    expect(serial.length).toBeGreaterThanOrEqual(32);
    expect(serial.length).toBeLessThanOrEqual(40);
  });

  it('makes serials of 16 to 20 octets, some with the high bit set', async () => {
    const csr = await makeCsr('/CN=many.example.internal');
    const serials: string[] = [];
    for (let i = 0; i < 12; i++) serials.push((await issue(ca, csr.pem)).split('/').at(-1)!);
    for (const s of serials) expect(s).toMatch(/^(0[1-9a-f]|[1-9a-f][0-9a-f])(?:[0-9a-f]{2}){15,19}$/);
    // 12 draws with a ~1/2 chance each: all-low or all-high is a 1-in-2048 accident
    expect(serials.some((s) => Number.parseInt(s.slice(0, 2), 16) >= 0x80)).toBe(true);
    expect(new Set(serials.map((s) => s.length)).size).toBeGreaterThan(1);
  });

  it('revokes by a serial written uppercase without colons; a second revocation is refused', async () => {
    const csr = await makeCsr('/CN=revoke-me.example.internal');
    const arn = await issue(ca, csr.pem);
    const serial = arn.split('/').at(-1)!;
    await pca.send(
      new RevokeCertificateCommand({
        CertificateAuthorityArn: ca,
        CertificateSerial: serial.toUpperCase(),
        RevocationReason: 'KEY_COMPROMISE',
      }),
    );
    // the same certificate, written as openssl -text prints it (colons, sign octet)
    const again = await failure(
      pca.send(
        new RevokeCertificateCommand({
          CertificateAuthorityArn: ca,
          CertificateSerial: `00:${formatSerial(serial)}`,
          RevocationReason: 'SUPERSEDED',
        }),
      ),
    );
    expect(again.name).toBe('RequestAlreadyProcessedException');
    expect(again.$metadata?.httpStatusCode).toBe(400);
    const cli = await runAws([
      'acm-pca',
      'revoke-certificate',
      '--endpoint-url',
      stack.emulatorUrl,
      '--certificate-authority-arn',
      ca,
      '--certificate-serial',
      serial.toUpperCase(),
      '--revocation-reason',
      'KEY_COMPROMISE',
    ]);
    expect(cli.code).toBe(255);
    expect(cli.stderr).toContain('(RequestAlreadyProcessedException)');
  });

  it('answers the documented errors for unknown serials, bad serials and bad ARNs', async () => {
    const revoke = (serial: string, arn = ca) =>
      failure(
        pca.send(
          new RevokeCertificateCommand({
            CertificateAuthorityArn: arn,
            CertificateSerial: serial,
            RevocationReason: 'UNSPECIFIED',
          }),
        ),
      );
    expect((await revoke('7f:00:00:00:00:00:00:00:00:00:00:00:00:00:00:01')).name).toBe(
      'ResourceNotFoundException',
    );
    expect((await revoke('zz:01')).name).toBe('InvalidArgsException');
    expect((await revoke('01', 'arn:aws:acm-pca:eu-west-1:111122223333:nonsense')).name).toBe(
      'InvalidArnException',
    );
    expect((await revoke('01', ca.replace(/[0-9a-f]{12}$/, '000000000000'))).name).toBe(
      'ResourceNotFoundException',
    );
  });

  it('works for the aws CLI end to end: create, issue from a CSR file, get, revoke', async () => {
    const created = await runAws([
      'acm-pca',
      'create-certificate-authority',
      '--endpoint-url',
      stack.emulatorUrl,
      '--certificate-authority-type',
      'ROOT',
      '--certificate-authority-configuration',
      JSON.stringify({
        KeyAlgorithm: 'RSA_2048',
        SigningAlgorithm: 'SHA256WITHRSA',
        Subject: { CommonName: 'CLI Root' },
      }),
    ]);
    expect(created.code, created.stderr).toBe(0);
    const cliCa = JSON.parse(created.stdout).CertificateAuthorityArn as string;
    const csr = await makeCsr('/CN=cli.example.internal');
    const issued = await runAws([
      'acm-pca',
      'issue-certificate',
      '--endpoint-url',
      stack.emulatorUrl,
      '--certificate-authority-arn',
      cliCa,
      '--csr',
      `fileb://${csr.path}`,
      '--signing-algorithm',
      'SHA256WITHRSA',
      '--validity',
      'Value=10,Type=DAYS',
    ]);
    expect(issued.code, issued.stderr).toBe(0);
    const certArn = JSON.parse(issued.stdout).CertificateArn as string;
    const got = await runAws([
      'acm-pca',
      'get-certificate',
      '--endpoint-url',
      stack.emulatorUrl,
      '--certificate-authority-arn',
      cliCa,
      '--certificate-arn',
      certArn,
    ]);
    expect(got.code, got.stderr).toBe(0);
    const pem = JSON.parse(got.stdout).Certificate as string;
    expect(certArn.endsWith(`/certificate/${await opensslSerial(pem)}`)).toBe(true);
    const revoked = await runAws([
      'acm-pca',
      'revoke-certificate',
      '--endpoint-url',
      stack.emulatorUrl,
      '--certificate-authority-arn',
      cliCa,
      '--certificate-serial',
      formatSerial(certArn.split('/').at(-1)!),
      '--revocation-reason',
      'CESSATION_OF_OPERATION',
    ]);
    expect(revoked.code, revoked.stderr).toBe(0);
  });
});

describe('emulator: audit reports', () => {
  let ca: string;
  /** what the test issued, by canonical serial */
  const issued = new Map<string, { arn: string; subject: string; template: string; days: number }>();
  let revokedSerial: string;
  let revokedWindow: [number, number];

  beforeAll(async () => {
    await resetStack(stack);
    await createBucket(stack, BUCKET);
    ca = await createCa({ Country: 'IE', Organization: 'Example Corp', CommonName: 'Reports Root' });
    const plan = [
      {
        subj: '/C=IE/L=Dublin/O=Example Corp, Ltd./OU=Ops/CN=svc1.example.internal',
        subject: 'CN=svc1.example.internal,OU=Ops,O=Example Corp\\, Ltd.,L=Dublin,C=IE',
        template: 'EndEntityServerAuthCertificate',
        days: 30,
      },
      {
        subj: '/C=IE/O=Example Corp/CN=mail/emailAddress=ops@example.com',
        subject: `1.2.840.113549.1.9.1=#160f${Buffer.from('ops@example.com').toString('hex')},CN=mail,O=Example Corp,C=IE`,
        template: 'EndEntityClientAuthCertificate',
        days: 365,
      },
      {
        subj: '/C=IE/O=Example Corp/CN=Issuing CA',
        subject: 'CN=Issuing CA,O=Example Corp,C=IE',
        template: 'SubordinateCACertificate_PathLen0',
        days: 1000,
      },
    ];
    for (const p of plan) {
      const csr = await makeCsr(p.subj);
      const arn = await issue(ca, csr.pem, p.template, p.days);
      issued.set(arn.split('/').at(-1)!, { arn, subject: p.subject, template: p.template, days: p.days });
    }
    revokedSerial = [...issued.keys()][0]!;
    const before = await emulatedNow();
    await pca.send(
      new RevokeCertificateCommand({
        CertificateAuthorityArn: ca,
        CertificateSerial: revokedSerial.toUpperCase(),
        RevocationReason: 'AFFILIATION_CHANGED',
      }),
    );
    revokedWindow = [before, await emulatedNow()];
  });

  beforeEach(async () => {
    // each test starts outside the 30-minute window of earlier reports
    await knob(stack, 'clock', { advance: 31 * 60 });
  });

  function checkRows(rows: Row[], ca: string): void {
    expect(rows).toHaveLength(issued.size + 1);
    for (const row of rows) {
      // keys in AWS order, nothing empty
      expect(Object.keys(row)).toEqual(FIELD_NAMES.filter((k) => k in row));
      for (const v of Object.values(row)) expect(v).not.toBe('');
      expect(row.awsAccountId).toBe(stack.account);
      expect(row.requestedByServicePrincipal).toBeUndefined();
      expect(row.serial).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){15,19}$/);
      const hex = row.serial!.replaceAll(':', '');
      expect(row.certificateArn).toBe(`${ca}/certificate/${hex}`);
      for (const k of ['notBefore', 'notAfter', 'issuedAt', 'revokedAt'] as const) {
        if (row[k] !== undefined) expect(row[k]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);
      }
      expect(parseSubject(row.subject!).ok).toBe(true);
      const issuedAt = parseInstant(row.issuedAt!);
      expect(parseInstant(row.notBefore!)).toBe(issuedAt - HOUR);
    }
    const [root, ...rest] = rows;
    expect(root!.templateArn).toBe(TEMPLATE('RootCACertificate'));
    expect(root!.subject).toBe('CN=Reports Root,O=Example Corp,C=IE');
    expect(parseInstant(root!.notAfter!) - parseInstant(root!.issuedAt!)).toBeGreaterThan(3650 * DAY - DAY);
    for (const row of rest) {
      const want = issued.get(row.serial!.replaceAll(':', ''));
      expect(want, row.serial).toBeDefined();
      expect(row.subject).toBe(want!.subject);
      expect(row.templateArn).toBe(TEMPLATE(want!.template));
      expect(parseInstant(row.notAfter!) - parseInstant(row.issuedAt!)).toBe(want!.days * DAY);
      if (row.serial === formatSerial(revokedSerial)) {
        expect(row.revocationReason).toBe('AFFILIATION_CHANGED');
        const at = parseInstant(row.revokedAt!);
        expect(at).toBeGreaterThanOrEqual(revokedWindow[0]);
        expect(at).toBeLessThanOrEqual(revokedWindow[1]);
      } else {
        expect(row.revokedAt).toBeUndefined();
        expect(row.revocationReason).toBeUndefined();
      }
    }
  }

  it('JSON: CREATING, then SUCCESS, the object in moto in AWS format, read by pca-audit inspect', async () => {
    await knob(stack, 'config', { reportDelayMs: 400 });
    const now = await emulatedNow();
    const made = await createReport(ca, 'JSON');
    expect(made.AuditReportId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(made.S3Key).toBe(`audit-report/${ca.split('/').at(-1)}/${made.AuditReportId}.json`);
    const first = await pca.send(
      new DescribeCertificateAuthorityAuditReportCommand({
        CertificateAuthorityArn: ca,
        AuditReportId: made.AuditReportId,
      }),
    );
    expect(first.AuditReportStatus).toBe('CREATING');
    expect(first.S3BucketName).toBe(BUCKET);
    expect(first.S3Key).toBe(made.S3Key);
    expect(Math.abs(first.CreatedAt!.getTime() / 1000 - now)).toBeLessThanOrEqual(2);
    expect(await waitForReport(ca, made.AuditReportId!)).toBe('SUCCESS');

    const text = await getObject(made.S3Key!);
    expect(text).toMatch(/^\[\n(\{[^\n]*\},\n)*\{[^\n]*\}\n\]\n$/);
    checkRows(JSON.parse(text) as Row[], ca);

    const file = join(work, 'report.json');
    writeFileSync(file, text);
    const inspected = await runCli(['inspect', file, '--format', 'json', '--fail-on', 'never']);
    expect(inspected.code, inspected.stderr).toBe(0);
    const summary = JSON.parse(inspected.stdout).summary;
    expect(summary.certificates).toBe(issued.size + 1);
    expect(summary.revoked).toBe(1);
  });

  it('CSV: the 11-column header, CRLF, the same rows as the JSON report', async () => {
    const csv = await deliveredReport(ca, 'CSV');
    expect(csv.text.split('\r\n')[0]).toBe(FIELD_NAMES.join(','));
    expect(csv.text.endsWith('\r\n')).toBe(true);
    expect(csv.text.replaceAll('\r\n', '')).not.toContain('\n');
    checkRows(csv.rows, ca);
    await knob(stack, 'clock', { advance: 31 * 60 });
    const json = await deliveredReport(ca, 'JSON');
    expect(csv.rows).toEqual(json.rows);
    const file = join(work, 'report.csv');
    writeFileSync(file, csv.text);
    const inspected = await runCli(['inspect', file, '--format', 'json', '--fail-on', 'never']);
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(JSON.parse(inspected.stdout).summary.certificates).toBe(issued.size + 1);
  });

  it('30-minute rule, default: in progress while CREATING, then the previous report again', async () => {
    await knob(stack, 'config', { reportDelayMs: 500 });
    const first = await createReport(ca, 'JSON');
    expect((await failure(createReport(ca, 'JSON'))).name).toBe('RequestInProgressException');
    expect(await waitForReport(ca, first.AuditReportId!)).toBe('SUCCESS');
    await knob(stack, 'clock', { advance: 29 * 60 });
    const again = await createReport(ca, 'CSV');
    expect(again.AuditReportId).toBe(first.AuditReportId);
    expect(again.S3Key).toBe(first.S3Key);
    // a reused report is older than the call: CreatedAt tells
    const described = await pca.send(
      new DescribeCertificateAuthorityAuditReportCommand({
        CertificateAuthorityArn: ca,
        AuditReportId: again.AuditReportId,
      }),
    );
    expect(described.CreatedAt!.getTime() / 1000).toBeLessThan((await emulatedNow()) - 28 * 60);
    await knob(stack, 'clock', { advance: 2 * 60 });
    const fresh = await createReport(ca, 'JSON');
    expect(fresh.AuditReportId).not.toBe(first.AuditReportId);
    await waitForReport(ca, fresh.AuditReportId!);
  });

  it.each([
    ['throttling', 'ThrottlingException'],
    ['limit', 'LimitExceededException'],
    ['in-progress', 'RequestInProgressException'],
  ])('30-minute rule, mode %s: %s inside the window, a new report after it', async (mode, error) => {
    await knob(stack, 'config', { reportDelayMs: 0, reportRepeat: mode });
    const first = await createReport(ca, 'JSON');
    expect(await waitForReport(ca, first.AuditReportId!)).toBe('SUCCESS');
    await knob(stack, 'clock', { advance: 10 * 60 });
    expect((await failure(createReport(ca, 'JSON'))).name).toBe(error);
    await knob(stack, 'clock', { advance: 21 * 60 });
    const next = await createReport(ca, 'JSON');
    expect(next.AuditReportId).not.toBe(first.AuditReportId);
    await waitForReport(ca, next.AuditReportId!);
    await knob(stack, 'config', { reportRepeat: 'reuse' });
  });

  it('a missing bucket ends the report FAILED; so does fail-next-report, without writing', async () => {
    await knob(stack, 'config', { reportDelayMs: 0 });
    const missing = await createReport(ca, 'JSON', 'no-such-bucket');
    expect(await waitForReport(ca, missing.AuditReportId!)).toBe('FAILED');
    // a FAILED report does not hold the 30-minute window
    await knob(stack, 'fail-next-report', { certificateAuthorityArn: ca });
    const failed = await createReport(ca, 'CSV');
    expect(await waitForReport(ca, failed.AuditReportId!)).toBe('FAILED');
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: failed.S3Key! })))).name).toBe(
      'NotFound',
    );
    const ok = await createReport(ca, 'JSON');
    expect(await waitForReport(ca, ok.AuditReportId!)).toBe('SUCCESS');
  });

  it('revoke-silently revokes without a CloudTrail record; report-tamper drops and alters rows', async () => {
    await knob(stack, 'config', { reportDelayMs: 0 });
    const csr = await makeCsr('/CN=silent.example.internal');
    const arn = await issue(ca, csr.pem);
    const silent = arn.split('/').at(-1)!;
    issued.set(silent, {
      arn,
      subject: 'CN=silent.example.internal',
      template: 'EndEntityCertificate',
      days: 30,
    });
    const before = (await records()).length;
    await knob(stack, 'revoke-silently', {
      certificateAuthorityArn: ca,
      certificateSerial: silent,
      revocationReason: 'PRIVILEGE_WITHDRAWN',
    });
    expect((await records()).length).toBe(before);
    const [other, dropped] = [...issued.keys()].filter((s) => s !== revokedSerial && s !== silent);
    await knob(stack, 'report-tamper', { certificateAuthorityArn: ca, serial: dropped, drop: true });
    await knob(stack, 'report-tamper', {
      certificateAuthorityArn: ca,
      serial: other!.toUpperCase(),
      field: 'notAfter',
      value: '2099-01-01T00:00:00+0000',
    });
    await knob(stack, 'report-tamper', {
      certificateAuthorityArn: ca,
      serial: revokedSerial,
      field: 'revokedAt',
      value: null,
    });
    const { rows } = await deliveredReport(ca, 'JSON');
    const bySerial = new Map(rows.map((r) => [r.serial!.replaceAll(':', ''), r]));
    expect(bySerial.get(silent)?.revocationReason).toBe('PRIVILEGE_WITHDRAWN');
    expect(bySerial.has(dropped!)).toBe(false);
    expect(bySerial.get(other!)?.notAfter).toBe('2099-01-01T00:00:00+0000');
    expect(bySerial.get(revokedSerial)?.revokedAt).toBeUndefined();
    expect(bySerial.get(revokedSerial)?.revocationReason).toBe('AFFILIATION_CHANGED');
    expect(rows).toHaveLength(issued.size); // root + issued - dropped
  });
});

describe('emulator: CloudTrail LookupEvents', () => {
  let ca: string;
  let total: number;

  beforeAll(async () => {
    await resetStack(stack);
    ca = await createCa();
    // 60 calls in three clock steps: events of one second, and events seconds apart
    for (let step = 0; step < 3; step++) {
      await Promise.all(
        Array.from({ length: 20 }, () =>
          pca.send(new DescribeCertificateAuthorityCommand({ CertificateAuthorityArn: ca })),
        ),
      );
      await knob(stack, 'clock', { advance: 10 });
    }
    await failure(
      pca.send(
        new RevokeCertificateCommand({
          CertificateAuthorityArn: ca,
          CertificateSerial: 'ab',
          RevocationReason: 'UNSPECIFIED',
        }),
      ),
    );
    total = (await records()).length;
    expect(total).toBe(62);
  });

  it('pages of at most 50, newest first, every event once; the SDK paginator gets them all', async () => {
    const first = await pacedLookup({});
    expect(first.status).toBe(200);
    const page1 = first.json!.Events as Record<string, unknown>[];
    expect(page1).toHaveLength(50);
    expect(first.json!.NextToken).toEqual(expect.any(String));
    const second = await pacedLookup({ NextToken: first.json!.NextToken });
    const page2 = second.json!.Events as Record<string, unknown>[];
    expect(page2).toHaveLength(total - 50);
    expect(second.json!.NextToken).toBeUndefined();
    const all = [...page1, ...page2];
    expect(new Set(all.map((e) => e.EventId)).size).toBe(total);
    const times = all.map((e) => e.EventTime as number);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(all[0]!.EventName).toBe('RevokeCertificate');
    expect(all.at(-1)!.EventName).toBe('CreateCertificateAuthority');

    // no pacing: the SDK's retries absorb the throttling
    await sleep(1100);
    const events = [];
    for await (const page of paginateLookupEvents({ client: cloudtrailRetrying, pageSize: 20 }, {})) {
      events.push(...(page.Events ?? []));
    }
    expect(events.map((e) => e.EventId)).toEqual(all.map((e) => e.EventId));
    expect(events[0]!.EventTime).toBeInstanceOf(Date);
    // let the SDK's burst leave the one-second window
    await sleep(1100);
  });

  it('CloudTrailEvent is the record as a JSON string, in CloudTrail shape', async () => {
    const out = await pacedLookup({
      LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'RevokeCertificate' }],
    });
    const [event] = out.json!.Events as Record<string, unknown>[];
    expect(typeof event!.CloudTrailEvent).toBe('string');
    const record = JSON.parse(event!.CloudTrailEvent as string);
    expect(record).toMatchObject({
      eventVersion: '1.08',
      userIdentity: { type: 'IAMUser', accessKeyId: TEST_CREDENTIALS.accessKeyId, accountId: stack.account },
      eventSource: 'acm-pca.amazonaws.com',
      eventName: 'RevokeCertificate',
      awsRegion: stack.region,
      sourceIPAddress: '127.0.0.1',
      errorCode: 'ResourceNotFoundException',
      requestParameters: {
        certificateAuthorityArn: ca,
        certificateSerial: 'ab',
        revocationReason: 'UNSPECIFIED',
      },
      responseElements: null,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: stack.account,
      eventCategory: 'Management',
    });
    expect(record.userIdentity.arn).toBe(
      `arn:aws:iam::${stack.account}:user/${TEST_CREDENTIALS.accessKeyId}`,
    );
    expect(record.userAgent).toContain('aws-sdk-js');
    expect(record.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(record.eventID).toBe(event!.EventId);
    expect(event!.Username).toBe(TEST_CREDENTIALS.accessKeyId);
    expect(event!.Resources).toEqual([
      { ResourceType: 'AWS::ACMPCA::CertificateAuthority', ResourceName: ca },
    ]);
    expect(await records()).toContainEqual(record);
  });

  it('accepts both target spellings; filters by attribute and time; checks its parameters', async () => {
    const byName = {
      LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateCertificateAuthority' }],
    };
    const short = await pacedLookup(byName, 'CloudTrail_20131101.LookupEvents');
    const long = await pacedLookup(
      byName,
      'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents',
    );
    expect(short.json).toEqual(long.json);
    expect((short.json!.Events as unknown[]).length).toBe(1);

    const byResource = await pacedLookup({
      LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: ca }],
    });
    expect((byResource.json!.Events as unknown[]).length).toBe(50);
    const bySource = await pacedLookup({
      LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: 'acm-pca.amazonaws.com' }],
      MaxResults: 5,
    });
    expect((bySource.json!.Events as unknown[]).length).toBe(5);

    const newest = (await records()).at(-1)!;
    const t = Math.floor(Date.parse(newest.eventTime as string) / 1000);
    const recent = await pacedLookup({ StartTime: t, EndTime: t });
    expect((recent.json!.Events as unknown[]).length).toBeGreaterThan(0);
    expect((recent.json!.Events as { EventTime: number }[]).every((e) => e.EventTime === t)).toBe(true);

    const two = await pacedLookup({
      LookupAttributes: [
        ...byName.LookupAttributes,
        { AttributeKey: 'EventSource', AttributeValue: 'acm-pca.amazonaws.com' },
      ],
    });
    expect([two.status, two.json!.__type]).toEqual([400, 'InvalidLookupAttributesException']);
    const page = await pacedLookup({ MaxResults: 10 });
    const changed = await pacedLookup({ ...byName, NextToken: page.json!.NextToken });
    expect(changed.json!.__type).toBe('InvalidNextTokenException');
    const tooMany = await pacedLookup({ MaxResults: 51 });
    expect(tooMany.json!.__type).toBe('InvalidMaxResultsException');
    await lookupSlot();
    const sdkError = await failure(cloudtrail.send(new LookupEventsCommand({ NextToken: 'garbage' })));
    expect(sdkError.name).toBe('InvalidNextTokenException');
  });

  it('throttles beyond 2 requests a second (real time), and the aws CLI reads the events', async () => {
    await sleep(1100);
    const burst = [];
    for (let i = 0; i < 3; i++)
      burst.push(await rawCall('CloudTrail_20131101.LookupEvents', { MaxResults: 1 }));
    expect(burst.map((r) => r.status)).toEqual([200, 200, 400]);
    expect(burst[2]!.json!.__type).toBe('ThrottlingException');
    await sleep(1100);
    const cli = await runAws([
      'cloudtrail',
      'lookup-events',
      '--endpoint-url',
      stack.emulatorUrl,
      '--lookup-attributes',
      'AttributeKey=EventName,AttributeValue=CreateCertificateAuthority',
    ]);
    expect(cli.code, cli.stderr).toBe(0);
    const events = JSON.parse(cli.stdout).Events;
    expect(events).toHaveLength(1);
    expect(
      JSON.parse(events[0].CloudTrailEvent).requestParameters.certificateAuthorityConfiguration,
    ).toMatchObject({
      keyAlgorithm: 'EC_prime256v1',
    });
    lastLookup = Date.now();
  });
});

describe('emulator: protocol and fault knobs', () => {
  beforeAll(async () => {
    await resetStack(stack);
  });

  it('unknown targets and malformed JSON; a request id on every answer', async () => {
    const unknown = await rawCall('ACMPrivateCA.MakeCoffee', {});
    expect([unknown.status, unknown.json!.__type]).toEqual([400, 'UnknownOperationException']);
    const none = await rawCall('', {});
    expect(none.json!.__type).toBe('UnknownOperationException');
    const malformed = await rawCall('ACMPrivateCA.ListCertificateAuthorities', '{"MaxResults": ');
    expect([malformed.status, malformed.json!.__type]).toEqual([400, 'SerializationException']);
    const ok = await rawCall('ACMPrivateCA.ListCertificateAuthorities', {});
    for (const r of [unknown, none, malformed, ok]) {
      expect(r.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.contentType).toBe('application/x-amz-json-1.1');
    }
  });

  it('fault: throttle and 500 for the next N calls, then normal again; faults are logged', async () => {
    const ca = await createCa();
    const describeCa = (client = pca) =>
      client.send(new DescribeCertificateAuthorityCommand({ CertificateAuthorityArn: ca }));
    await knob(stack, 'fault', { operation: 'DescribeCertificateAuthority', count: 2, kind: 'throttle' });
    expect((await failure(describeCa())).name).toBe('ThrottlingException');
    expect((await failure(describeCa())).name).toBe('ThrottlingException');
    await describeCa();
    await knob(stack, 'fault', { operation: 'DescribeCertificateAuthority', count: 1, kind: '500' });
    const internal = await failure(describeCa());
    expect(internal.$metadata?.httpStatusCode).toBe(500);
    expect(internal.name).toBe('InternalFailure');
    // an SDK with retries rides over one 500
    await knob(stack, 'fault', { operation: 'DescribeCertificateAuthority', count: 1, kind: '500' });
    expect((await describeCa(pcaRetrying)).CertificateAuthority?.Arn).toBe(ca);
    const codes = (await records())
      .filter((r) => r.eventName === 'DescribeCertificateAuthority')
      .map((r) => r.errorCode ?? 'ok');
    expect(codes).toEqual([
      'ThrottlingException',
      'ThrottlingException',
      'ok',
      'InternalFailure',
      'InternalFailure',
      'ok',
    ]);
    await knob(stack, 'fault', { operation: 'LookupEvents', count: 1, kind: 'throttle' });
    expect((await failure(cloudtrail.send(new LookupEventsCommand({})))).name).toBe('ThrottlingException');
    lastLookup = Date.now();
  });

  it('the clock knob sets and advances the emulated time, which CreatedAt follows', async () => {
    const t = 1_900_000_000;
    expect((await knob<{ now: number }>(stack, 'clock', { now: t })).now).toBeGreaterThanOrEqual(t);
    const advanced = await knob<{ now: number }>(stack, 'clock', { advance: 3600 });
    expect(advanced.now - t).toBeGreaterThanOrEqual(3600);
    expect(advanced.now - t).toBeLessThan(3605);
    const ca = await createCa();
    const { CertificateAuthority: d } = await pca.send(
      new DescribeCertificateAuthorityCommand({ CertificateAuthorityArn: ca }),
    );
    expect(d!.CreatedAt!.getTime() / 1000 - (t + 3600)).toBeLessThan(5);
    await knob(stack, 'reset');
    expect(Math.abs((await emulatedNow()) - Date.now() / 1000)).toBeLessThan(2);
  });
});

describe('emulator: responses conform to the botocore models', () => {
  const pcaModel = loadBotocoreModel('acm-pca', '2017-08-22');
  const ctModel = loadBotocoreModel('cloudtrail', '2013-11-01');
  const seen = new Set<string>();

  async function call(service: 'pca' | 'ct', operation: string, body: unknown) {
    const model = service === 'pca' ? pcaModel : ctModel;
    const target = service === 'pca' ? `ACMPrivateCA.${operation}` : `CloudTrail_20131101.${operation}`;
    const r =
      service === 'ct'
        ? await pacedLookup(body as Record<string, unknown>, target)
        : await rawCall(target, body);
    const problems =
      r.status === 200 ? validateOutput(model, operation, r.json) : validateError(model, operation, r.json);
    expect(problems, `${operation} ${r.status} ${JSON.stringify(r.json)}`).toEqual([]);
    if (r.status === 200) seen.add(operation);
    return r;
  }

  it('every implemented operation, successes and errors', async () => {
    await resetStack(stack);
    await createBucket(stack, BUCKET);
    await knob(stack, 'config', { reportDelayMs: 0 });
    const config = {
      KeyAlgorithm: 'RSA_2048',
      SigningAlgorithm: 'SHA256WITHRSA',
      Subject: { CommonName: 'Model Root', Organization: 'Example Corp', Country: 'IE' },
    };
    const created = await call('pca', 'CreateCertificateAuthority', {
      CertificateAuthorityType: 'ROOT',
      CertificateAuthorityConfiguration: config,
    });
    const ca = created.json!.CertificateAuthorityArn as string;
    await call('pca', 'CreateCertificateAuthority', {
      CertificateAuthorityType: 'ROOT',
      CertificateAuthorityConfiguration: {
        ...config,
        KeyAlgorithm: 'EC_prime256v1',
        SigningAlgorithm: 'SHA256WITHECDSA',
      },
    });
    await call('pca', 'DescribeCertificateAuthority', { CertificateAuthorityArn: ca });
    // issue 15 item 5: a RevocationConfiguration, described and updated as the model says
    const revoking = await call('pca', 'CreateCertificateAuthority', {
      CertificateAuthorityType: 'ROOT',
      CertificateAuthorityConfiguration: config,
      RevocationConfiguration: {
        CrlConfiguration: {
          Enabled: true,
          ExpirationInDays: 2,
          S3BucketName: BUCKET,
          S3ObjectAcl: 'BUCKET_OWNER_FULL_CONTROL',
          CrlType: 'PARTITIONED',
          CustomPath: 'crls',
          CrlDistributionPointExtensionConfiguration: { OmitExtension: false },
        },
        OcspConfiguration: { Enabled: true, OcspCustomCname: 'ocsp.example.internal' },
      },
    });
    const revokingCa = revoking.json!.CertificateAuthorityArn as string;
    await call('pca', 'DescribeCertificateAuthority', { CertificateAuthorityArn: revokingCa });
    await call('pca', 'UpdateCertificateAuthority', {
      CertificateAuthorityArn: revokingCa,
      RevocationConfiguration: { OcspConfiguration: { Enabled: false } },
      Status: 'DISABLED',
    });
    const page = await call('pca', 'ListCertificateAuthorities', { MaxResults: 1 });
    expect(page.json!.NextToken).toEqual(expect.any(String));
    await call('pca', 'ListCertificateAuthorities', { MaxResults: 1, NextToken: page.json!.NextToken });
    await call('pca', 'GetCertificateAuthorityCertificate', { CertificateAuthorityArn: ca });
    const csr = await makeCsr('/CN=model.example.internal');
    const issuedCert = await call('pca', 'IssueCertificate', {
      CertificateAuthorityArn: ca,
      Csr: Buffer.from(csr.pem).toString('base64'),
      SigningAlgorithm: 'SHA256WITHRSA',
      Validity: { Type: 'YEARS', Value: 1 },
    });
    const certArn = issuedCert.json!.CertificateArn as string;
    await call('pca', 'GetCertificate', { CertificateAuthorityArn: ca, CertificateArn: certArn });
    const revoke = {
      CertificateAuthorityArn: ca,
      CertificateSerial: certArn.split('/').at(-1),
      RevocationReason: 'SUPERSEDED',
    };
    await call('pca', 'RevokeCertificate', revoke);
    const report = await call('pca', 'CreateCertificateAuthorityAuditReport', {
      CertificateAuthorityArn: ca,
      S3BucketName: BUCKET,
      AuditReportResponseFormat: 'CSV',
    });
    await waitForReport(ca, report.json!.AuditReportId as string);
    await call('pca', 'DescribeCertificateAuthorityAuditReport', {
      CertificateAuthorityArn: ca,
      AuditReportId: report.json!.AuditReportId,
    });
    await call('ct', 'LookupEvents', { MaxResults: 3 });

    // errors: each must be one the operation lists (or a common one)
    const expectError = async (service: 'pca' | 'ct', op: string, body: unknown, type: string) => {
      const r = await call(service, op, body);
      expect([r.status, r.json!.__type]).toEqual([400, type]);
    };
    await expectError('pca', 'RevokeCertificate', revoke, 'RequestAlreadyProcessedException');
    await expectError(
      'pca',
      'DescribeCertificateAuthority',
      { CertificateAuthorityArn: 'arn:nope' },
      'InvalidArnException',
    );
    await expectError(
      'pca',
      'GetCertificate',
      { CertificateAuthorityArn: ca, CertificateArn: `${ca}/certificate/01` },
      'ResourceNotFoundException',
    );
    await expectError(
      'pca',
      'IssueCertificate',
      {
        CertificateAuthorityArn: ca,
        Csr: Buffer.from('not a csr').toString('base64'),
        SigningAlgorithm: 'SHA256WITHRSA',
        Validity: { Type: 'DAYS', Value: 1 },
      },
      'MalformedCSRException',
    );
    await expectError(
      'pca',
      'DescribeCertificateAuthorityAuditReport',
      { CertificateAuthorityArn: ca, AuditReportId: '00000000-0000-0000-0000-000000000000' },
      'ResourceNotFoundException',
    );
    await expectError(
      'pca',
      'ListCertificateAuthorities',
      { NextToken: 'garbage' },
      'InvalidNextTokenException',
    );
    await expectError(
      'pca',
      'UpdateCertificateAuthority',
      {
        CertificateAuthorityArn: revokingCa,
        RevocationConfiguration: { CrlConfiguration: { Enabled: false, ExpirationInDays: 3 } },
      },
      'InvalidArgsException',
    );
    await expectError(
      'pca',
      'IssueCertificate',
      {
        CertificateAuthorityArn: revokingCa,
        Csr: Buffer.from(csr.pem).toString('base64'),
        SigningAlgorithm: 'SHA256WITHRSA',
        Validity: { Type: 'DAYS', Value: 1 },
      },
      'InvalidStateException',
    );
    await knob(stack, 'fail-next-issuance', { certificateAuthorityArn: ca });
    const failedIssue = await call('pca', 'IssueCertificate', {
      CertificateAuthorityArn: ca,
      Csr: Buffer.from(csr.pem).toString('base64'),
      SigningAlgorithm: 'SHA256WITHRSA',
      Validity: { Type: 'DAYS', Value: 1 },
    });
    await expectError(
      'pca',
      'GetCertificate',
      { CertificateAuthorityArn: ca, CertificateArn: failedIssue.json!.CertificateArn },
      'RequestFailedException',
    );
    await expectError(
      'ct',
      'LookupEvents',
      { StartTime: 2_000_000_000, EndTime: 1_000_000_000 },
      'InvalidTimeRangeException',
    );

    expect([...seen].sort()).toEqual(
      [
        'CreateCertificateAuthority',
        'CreateCertificateAuthorityAuditReport',
        'DescribeCertificateAuthority',
        'DescribeCertificateAuthorityAuditReport',
        'GetCertificate',
        'GetCertificateAuthorityCertificate',
        'IssueCertificate',
        'ListCertificateAuthorities',
        'LookupEvents',
        'RevokeCertificate',
        'UpdateCertificateAuthority',
      ].sort(),
    );
  });

  it('the CloudTrail records name operations and members as the model does', async () => {
    // API calls; the service events (IssueCertificateDetails) name no operation
    for (const record of (await records()).filter((r) => r.eventType === 'AwsApiCall')) {
      const op = pcaModel.operations[record.eventName as string];
      expect(op, String(record.eventName)).toBeDefined();
      const input = pcaModel.shapes[op!.input!.shape]!;
      const params = record.requestParameters as Record<string, unknown>;
      const camel = Object.keys(input.members ?? {}).map((m) => m.charAt(0).toLowerCase() + m.slice(1));
      for (const key of Object.keys(params)) expect(camel, key).toContain(key);
    }
  });
});
