/**
 * bootstrap, doctor and iam-policy: the built CLI against moto_server (S3 and ACM PCA) with the real
 * SDK. This file starts its own moto_server: the shared one (test/support/aws-stack.ts) is reset by
 * other test files running in parallel, which would empty these buckets mid-test. Each test uses its
 * own bucket, so nothing here needs a reset either.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  ACMPCAClient,
  CreateCertificateAuthorityCommand,
  UpdateCertificateAuthorityCommand,
} from '@aws-sdk/client-acm-pca';
import {
  CreateBucketCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapBucket } from '../../src/aws/bucket-setup.js';
import { AwsError } from '../../src/aws/errors.js';
import { DELIVERY_SID, deliveryStatement, grantFor } from '../../src/core/bucket/policy-merge.js';
import { type CaArn, parseCaArn } from '../../src/core/ca-arn.js';
import { makeTestCa, makeTestCrl } from '../support/crl.js';
import { linesOf, type RunResult, runCli } from './cli.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const REGION = 'eu-west-1';
const CREDENTIALS = { accessKeyId: 'AKIAMOTOTEST00000001', secretAccessKey: 'moto-secret' };
const ACCOUNT = '123456789012';
const caArn = (suffix: string, region = REGION) =>
  `arn:aws:acm-pca:${region}:${ACCOUNT}:certificate-authority/0d6b1f5e-1c2a-4b7e-9f3d-5a8c2e4b6d${suffix}`;
/** Two CAs moto made (bootstrap refuses a CA that does not exist); set in beforeAll. */
let CA1: string;
let CA2: string;
/** A CA ARN nothing made. */
const UNKNOWN_CA = caArn('01');

let moto: ChildProcess;
let motoUrl: string;
let s3: S3Client;
let pca: ACMPCAClient;
let bucketCount = 0;
/** A fresh bucket name per test: tests run concurrently against one moto. */
const bucketName = (what: string) => `bs-${what}-${process.pid}-${++bucketCount}`;

function startMoto(): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`moto_server printed no URL within 20 s:\n${output}`));
    }, 20_000);
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new Error(
          err.code === 'ENOENT'
            ? 'moto_server is not on PATH: these tests need it (pip install "moto[server]"); they are never skipped'
            : err.message,
        ),
      );
    });
    child.stdout!.on('data', () => {});
    child.stderr!.on('data', (b: Buffer) => {
      output += b.toString('utf8');
      const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
  });
}

beforeAll(async () => {
  const started = await startMoto();
  moto = started.child;
  motoUrl = started.url;
  const config = {
    region: REGION,
    credentials: CREDENTIALS,
    endpoint: motoUrl,
  };
  s3 = new S3Client({
    ...config,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  pca = new ACMPCAClient(config);
  CA1 = await createCa('Bootstrap Test CA 1');
  CA2 = await createCa('Bootstrap Test CA 2');
}, 30_000);

async function createCa(name = 'Doctor Test CA', crlBucket?: string): Promise<string> {
  const made = await pca.send(
    new CreateCertificateAuthorityCommand({
      CertificateAuthorityType: 'ROOT',
      CertificateAuthorityConfiguration: {
        KeyAlgorithm: 'RSA_2048',
        SigningAlgorithm: 'SHA256WITHRSA',
        Subject: { CommonName: name },
      },
      ...(crlBucket
        ? { RevocationConfiguration: { CrlConfiguration: { Enabled: true, S3BucketName: crlBucket } } }
        : {}),
    }),
  );
  return made.CertificateAuthorityArn!;
}

afterAll(async () => {
  s3?.destroy();
  pca?.destroy();
  if (moto && moto.exitCode === null) {
    const exited = new Promise((resolve) => moto.once('exit', resolve));
    moto.kill('SIGTERM');
    await exited;
  }
});

/** The environment of the CLI: dummy keys, no config files, no metadata, every endpoint on moto. */
function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_REGION: REGION,
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_S3: motoUrl,
    AWS_ENDPOINT_URL_ACM_PCA: motoUrl,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { env: env(extra) });
const bootstrap = (bucket: string, ...more: string[]) => cli(['bootstrap', '--bucket', bucket, ...more]);

async function createBucket(name: string, options: { region?: string; objectLock?: boolean } = {}) {
  const region = options.region ?? REGION;
  const client =
    region === REGION
      ? s3
      : new S3Client({
          region,
          credentials: CREDENTIALS,
          endpoint: motoUrl,
          forcePathStyle: true,
        });
  await client.send(
    new CreateBucketCommand({
      Bucket: name,
      CreateBucketConfiguration: { LocationConstraint: region as 'eu-west-1' },
      ...(options.objectLock ? { ObjectLockEnabledForBucket: true } : {}),
    }),
  );
}

async function policyOf(bucket: string): Promise<string | undefined> {
  try {
    return (await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy;
  } catch (err) {
    if ((err as Error).name === 'NoSuchBucketPolicy') return undefined;
    throw err;
  }
}

const putPolicy = (bucket: string, policy: string) =>
  s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy }));

async function bucketExists(bucket: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch {
    return false;
  }
}

/** A usage failure: exit 2, nothing on stdout, `pca-audit: ...` and a `hint: ...` naming the fix. */
function expectRefused(r: RunResult, message: RegExp, hint: RegExp, code = 2): void {
  expect(r.stdout).toBe('');
  const lines = linesOf(r.stderr);
  expect(lines, r.stderr).toHaveLength(2);
  expect(lines[0]).toMatch(/^pca-audit: /);
  expect(lines[0]).toMatch(message);
  expect(lines[1]).toMatch(/^hint: /);
  expect(lines[1]).toMatch(hint);
  expect(r.code).toBe(code);
}

const statementsOf = (text: string) => {
  const s = (JSON.parse(text) as { Statement: unknown }).Statement;
  return (Array.isArray(s) ? s : [s]) as Array<Record<string, unknown>>;
};
const cas = (...arns: string[]): CaArn[] => arns.map((a) => parseCaArn(a)!);
const ours = (bucket: string, ...arns: string[]) => deliveryStatement(grantFor(bucket, cas(...arns)));

/** Other statements, oddly written: they must come back byte for byte. */
const OTHER = (bucket: string) =>
  `{ "Sid" :"DenyInsecure","Effect":"Deny",  "Principal":"*",\n` +
  `      "Action":"s3:*","Resource":["arn:aws:s3:::${bucket}","arn:aws:s3:::${bucket}/*"],\n` +
  `      "Condition":{"Bool":{"aws:SecureTransport":"false"}} }`;
const OTHER_UNICODE = `{"Sid":"Caf\u00e9\\u00e9 \\"q\\" \\/ 😀","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::${ACCOUNT}:role/Auditor"},"Action":["s3:GetObject"],"Resource":"*"}`;

describe.concurrent('bootstrap against moto', () => {
  it('refuses a missing bucket without --create (exit 2, the fix named), and creates nothing', async () => {
    const bucket = bucketName('missing');
    expectRefused(await bootstrap(bucket, '--ca', CA1), /does not exist/, /--create/);
    expect(await bucketExists(bucket)).toBe(false);
  });

  it('--create --dry-run shows the new policy and writes nothing', async () => {
    const bucket = bucketName('dry-create');
    const r = await bootstrap(bucket, '--ca', CA1, '--create', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = linesOf(r.stdout);
    expect(lines[0]).toBe(
      `bucket ${bucket} (eu-west-1): does not exist; would be created with Block Public Access on and bucket owner enforced`,
    );
    expect(lines).toContain(`+      "Sid": "${DELIVERY_SID}",`);
    expect(lines.at(-1)).toBe('dry run: nothing written');
    expect(await bucketExists(bucket)).toBe(false);
  });

  it('--create makes the bucket locked down, writes the policy; a second run writes nothing', async () => {
    const bucket = bucketName('create');
    const r = await bootstrap(bucket, '--ca', CA1, '--create');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(linesOf(r.stdout)[0]).toBe(
      `bucket ${bucket} (eu-west-1): created with Block Public Access on and bucket owner enforced`,
    );
    expect(linesOf(r.stdout).at(-1)).toBe(`written: the policy of bucket ${bucket}`);
    const pab = await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    expect(pab.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const own = await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket }));
    expect(own.OwnershipControls?.Rules?.[0]?.ObjectOwnership).toBe('BucketOwnerEnforced');
    const written = (await policyOf(bucket))!;
    expect(JSON.parse(written)).toEqual({ Version: '2012-10-17', Statement: [ours(bucket, CA1)] });

    const again = await bootstrap(bucket, '--ca', CA1, '--create');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(
      `bucket ${bucket} (eu-west-1): exists\npolicy: up to date (statement ${DELIVERY_SID} already grants these CAs); nothing written\n`,
    );
    expect(await policyOf(bucket)).toBe(written);
  });

  it('merges into an existing policy: other statements byte for byte, the CA list unioned', async () => {
    const bucket = bucketName('merge');
    await createBucket(bucket);
    const before = `{\n  "Version": "2012-10-17",\n  "Statement": [\n    ${OTHER(bucket)},\n    ${OTHER_UNICODE}\n  ]\n}\n`;
    await putPolicy(bucket, before);
    expect(await policyOf(bucket)).toBe(before);

    const first = await bootstrap(bucket, '--ca', CA1);
    expect(first.code, first.stderr).toBe(0);
    const afterFirst = (await policyOf(bucket))!;
    const lastEnd = before.indexOf(OTHER_UNICODE) + OTHER_UNICODE.length;
    expect(afterFirst.startsWith(before.slice(0, lastEnd))).toBe(true);
    expect(afterFirst.endsWith(before.slice(lastEnd))).toBe(true);
    expect(statementsOf(afterFirst)[2]).toEqual(ours(bucket, CA1));

    // a second CA: our statement is replaced in place, CA1 kept
    const second = await bootstrap(bucket, '--ca', CA2, '--format', 'json');
    expect(second.code, second.stderr).toBe(0);
    const out = JSON.parse(second.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      schemaVersion: 1,
      bucket,
      region: 'eu-west-1',
      cas: [CA2],
      action: 'updated',
      written: true,
      keptCaArns: [CA1],
    });
    const afterSecond = (await policyOf(bucket))!;
    expect(out.policy).toBe(afterSecond);
    expect(afterSecond.startsWith(before.slice(0, lastEnd))).toBe(true);
    expect(statementsOf(afterSecond)).toEqual([
      JSON.parse(OTHER(bucket)),
      JSON.parse(OTHER_UNICODE),
      ours(bucket, CA1, CA2),
    ]);
    // moto's CA ids are random: CA2 sorts before or after CA1, with or without a trailing comma
    expect(
      (out.diff as string[]).filter((l) => l.startsWith(`+            ${JSON.stringify(CA2)}`)),
    ).toHaveLength(1);

    // both again: up to date, nothing written
    const third = await bootstrap(bucket, '--ca', CA2, '--ca', CA1, '--format', 'json');
    expect(JSON.parse(third.stdout)).toMatchObject({ action: 'unchanged', written: false, diff: [] });
    expect(await policyOf(bucket)).toBe(afterSecond);
  });

  it('a single-object Statement becomes a list around its original bytes', async () => {
    const bucket = bucketName('single');
    await createBucket(bucket);
    const before = `{"Version":"2012-10-17","Statement":${OTHER_UNICODE}}`;
    await putPolicy(bucket, before);
    const r = await bootstrap(bucket, '--ca', CA1);
    expect(r.code, r.stderr).toBe(0);
    const after = (await policyOf(bucket))!;
    expect(after.startsWith(`{"Version":"2012-10-17","Statement":[${OTHER_UNICODE},`)).toBe(true);
    expect(statementsOf(after)).toEqual([JSON.parse(OTHER_UNICODE), ours(bucket, CA1)]);
  });

  it('--dry-run on an existing policy prints the diff and leaves the policy as it was', async () => {
    const bucket = bucketName('dry');
    await createBucket(bucket);
    const before = `{"Statement":[${OTHER(bucket)}]}`;
    await putPolicy(bucket, before);
    const r = await bootstrap(bucket, '--ca', CA1, '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    const lines = linesOf(r.stdout);
    expect(lines).toContain('--- bucket policy (now)');
    expect(lines).toContain('+++ bucket policy (after bootstrap)');
    // only additions: the old statement's closing brace gains a comma, ours follows
    expect(lines.filter((l) => l.startsWith('-') && !l.startsWith('---'))).toEqual([]);
    expect(lines).toContain('+    },');
    expect(lines).toContain(`+      "Sid": "${DELIVERY_SID}",`);
    expect(lines.at(-1)).toBe('dry run: nothing written');
    expect(await policyOf(bucket)).toBe(before);
  });

  it.each([
    ['not valid JSON', '{"Version":"2012-10-17","Statement":[', /not valid JSON/],
    ['not a policy', '{"Version":"2012-10-17"}', /has no Statement/],
    ['a JSON array', '[{"Sid":"x"}]', /not a JSON object/],
  ])('an existing policy that is %s: exit 2, nothing written', async (_what, policy, message) => {
    const bucket = bucketName('bad-policy');
    await createBucket(bucket);
    await putPolicy(bucket, policy);
    expectRefused(await bootstrap(bucket, '--ca', CA1), message, /by hand/);
    expect(await policyOf(bucket)).toBe(policy);
  });

  it('refuses a bucket with Object Lock', async () => {
    const bucket = bucketName('lock');
    await createBucket(bucket, { objectLock: true });
    expectRefused(await bootstrap(bucket, '--ca', CA1), /Object Lock/, /another bucket/);
    expect(await policyOf(bucket)).toBeUndefined();
  });

  it('refuses a bucket in another Region', async () => {
    const bucket = bucketName('region');
    await createBucket(bucket, { region: 'us-west-2' });
    expectRefused(
      await bootstrap(bucket, '--ca', CA1),
      /is in us-west-2, the CA in eu-west-1/,
      /use a bucket in eu-west-1/,
    );
    expect(await policyOf(bucket)).toBeUndefined();
  });

  it('refuses CAs of several Regions before any AWS call', async () => {
    // an endpoint nothing listens on: a call would be exit 3, not 2
    const r = await runCli(
      ['bootstrap', '--bucket', 'any-bucket', '--ca', CA1, '--ca', caArn('09', 'us-east-1')],
      { env: env({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' }) },
    );
    expectRefused(r, /2 Regions \(eu-west-1, us-east-1\)/, /one bucket per Region/);
  });

  it('refuses default encryption with the aws/s3 key', async () => {
    const bucket = bucketName('aws-kms');
    await createBucket(bucket);
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }],
        },
      }),
    );
    expectRefused(await bootstrap(bucket, '--ca', CA1), /aws\/s3/, /SSE-S3/);
    expect(await policyOf(bucket)).toBeUndefined();
  });

  it('a customer managed key: the key-policy statement to add, in text and in JSON', async () => {
    const bucket = bucketName('cmk');
    await createBucket(bucket);
    const key = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key } }],
        },
      }),
    );
    const text = await bootstrap(bucket, '--ca', CA1, '--dry-run');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`customer managed KMS key ${key}: add this statement to the key policy`);
    expect(text.stdout).toContain('"kms:GenerateDataKey"');
    const json = await bootstrap(bucket, '--ca', CA1, '--format', 'json');
    expect(json.code, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout) as { kmsKeyPolicyStatement: { keyId: string; statement: unknown } };
    expect(out.kmsKeyPolicyStatement.keyId).toBe(key);
    expect(out.kmsKeyPolicyStatement.statement).toMatchObject({
      Principal: { Service: 'acm-pca.amazonaws.com' },
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
    });
  });

  it('issue 13 item 20: a Deny of acm-pca in the policy is refused (exit 2), the fix is by hand', async () => {
    const bucket = bucketName('deny');
    await createBucket(bucket);
    const before = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'NoServiceWrites',
          Effect: 'Deny',
          Principal: { Service: 'acm-pca.amazonaws.com' },
          Action: 's3:*',
          Resource: `arn:aws:s3:::${bucket}/*`,
        },
      ],
    });
    await putPolicy(bucket, before);
    for (const more of [[], ['--dry-run']]) {
      expectRefused(
        await bootstrap(bucket, '--ca', CA1, ...more),
        /statement NoServiceWrites of the policy denies acm-pca\.amazonaws\.com s3:PutObject/,
        /change or remove statement NoServiceWrites by hand/,
      );
    }
    expect(await policyOf(bucket)).toBe(before);
  });

  it('issue 13 item 20: a grant to acm-pca without source conditions: written, with a confused-deputy warning', async () => {
    const bucket = bucketName('deputy');
    await createBucket(bucket);
    const loose = {
      Sid: 'LegacyPcaWrite',
      Effect: 'Allow',
      Principal: { Service: 'acm-pca.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: `arn:aws:s3:::${bucket}/*`,
    };
    await putPolicy(bucket, JSON.stringify({ Statement: [loose] }));
    const r = await bootstrap(bucket, '--ca', CA1);
    expect(r.code, r.stderr).toBe(0);
    const warnings = linesOf(r.stderr).filter((l) => l.includes('confused deputy'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^pca-audit: statement LegacyPcaWrite .*aws:SourceAccount/);
    expect(statementsOf((await policyOf(bucket))!)).toEqual([loose, ours(bucket, CA1)]);
    const json = await bootstrap(bucket, '--ca', CA1, '--format', 'json');
    const out = JSON.parse(json.stdout) as { action: string; warnings: string[] };
    expect(out.action).toBe('unchanged');
    expect(out.warnings).toEqual([expect.stringMatching(/^statement LegacyPcaWrite .*confused deputy/)]);
  });

  it('issue 13 item 20: a CA that does not exist is refused (exit 2) before anything is made', async () => {
    const bucket = bucketName('no-ca');
    expectRefused(
      await bootstrap(bucket, '--ca', UNKNOWN_CA, '--create'),
      new RegExp(
        `CA ${UNKNOWN_CA} does not exist \\(DescribeCertificateAuthority: ResourceNotFoundException\\)`,
      ),
      /list-certificate-authorities/,
    );
    expect(await bucketExists(bucket)).toBe(false);
  });

  it('a bad --ca or --bucket is a usage error', async () => {
    expectRefused(
      await bootstrap('ok-bucket', '--ca', 'arn:aws:acm-pca:nope'),
      /--ca: .* is not a CA ARN/,
      /write it like/,
    );
    expectRefused(
      await bootstrap('Bad_Bucket', '--ca', CA1),
      /--bucket: .* is not an S3 bucket name/,
      /lowercase/,
    );
  });
});

describe('the re-read before the write (in process, real SDK against moto)', () => {
  it('a policy changed between read and write is reported, never overwritten', async () => {
    const bucket = bucketName('race');
    await createBucket(bucket);
    const original = `{"Statement":[${OTHER(bucket)}]}`;
    const theirs = `{"Statement":[${OTHER_UNICODE}]}`;
    await putPolicy(bucket, original);
    let hookRan = false;
    const run = bootstrapBucket(
      {
        s3,
        beforeWrite: async () => {
          hookRan = true;
          await putPolicy(bucket, theirs);
        },
      },
      { bucket, cas: cas(CA1), create: false, dryRun: false },
    );
    await expect(run).rejects.toBeInstanceOf(AwsError);
    await expect(run).rejects.toMatchObject({
      operation: 'PutBucketPolicy',
      errorName: 'PolicyChangedConcurrently',
    });
    expect(hookRan).toBe(true);
    expect(await policyOf(bucket)).toBe(theirs);
  });

  it('an unchanged policy is written after the hook', async () => {
    const bucket = bucketName('no-race');
    await createBucket(bucket);
    let hookRan = false;
    const r = await bootstrapBucket(
      {
        s3,
        beforeWrite: async () => {
          hookRan = true;
        },
      },
      { bucket, cas: cas(CA1), create: false, dryRun: false },
    );
    expect(hookRan).toBe(true);
    expect(r.written).toBe(true);
    expect(await policyOf(bucket)).toBe(r.after);
  });
});

describe('bootstrap: a CA it cannot describe (in process, real SDK against moto)', () => {
  it('issue 13 item 20: DescribeCertificateAuthority refused: granted as given, with a warning', async () => {
    const bucket = bucketName('cross-account');
    await createBucket(bucket);
    const foreign = caArn('07');
    const r = await bootstrapBucket(
      {
        s3,
        describeCa: async () => {
          throw new AwsError('DescribeCertificateAuthority', 'AccessDeniedException', 'not authorized');
        },
      },
      { bucket, cas: cas(foreign), create: false, dryRun: false },
    );
    expect(r.written).toBe(true);
    expect(r.warnings).toEqual([
      `could not check that CA ${foreign} exists (DescribeCertificateAuthority failed: AccessDeniedException); granted as given`,
    ]);
    expect(statementsOf((await policyOf(bucket))!)).toEqual([ours(bucket, foreign)]);
  });
});

describe('doctor against moto', () => {
  const doctor = (ca: string, bucket: string, ...more: string[]) =>
    cli(['doctor', '--ca', ca, '--bucket', bucket, ...more]);

  it('a healthy setup: every check PASS, exit 0; then each failure named with its fix', async () => {
    const ca = await createCa();
    const id = parseCaArn(ca)!.id;
    await pca.send(new UpdateCertificateAuthorityCommand({ CertificateAuthorityArn: ca, Status: 'ACTIVE' }));
    const bucket = bucketName('doctor');
    expect((await bootstrap(bucket, '--ca', ca, '--create')).code).toBe(0);
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `audit-report/${id}/7c3e9a41-2b6d-4f8e-a1c5-3d9b0e7f2a64.json`,
        Body: '[]',
      }),
    );
    const ok = await doctor(ca, bucket, '--format', 'json');
    expect(ok.stderr).toBe('');
    const report = JSON.parse(ok.stdout) as {
      checks: Array<{ id: string; status: string }>;
      summary: unknown;
    };
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['ca-status', 'PASS'],
      ['bucket-region', 'PASS'],
      ['bucket-policy', 'PASS'],
      ['block-public-access', 'PASS'],
      ['object-lock', 'PASS'],
      ['encryption', 'PASS'],
      ['caller-access', 'PASS'],
      ['newest-report', 'PASS'],
      // issue 15: this CA publishes neither CRL nor OCSP
      ['crl-config', 'WARN'],
      ['crl-bucket-policy', 'SKIP'],
      ['crl-age', 'SKIP'],
    ]);
    expect(report.summary).toEqual({ pass: 8, warn: 1, fail: 0, skip: 2 });
    expect(ok.code).toBe(0);
    // the probe object is gone again
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect((listed.Contents ?? []).map((o) => o.Key)).toEqual([
      `audit-report/${id}/7c3e9a41-2b6d-4f8e-a1c5-3d9b0e7f2a64.json`,
    ]);

    // the policy now grants another CA only; a DISABLED CA still makes reports; the report is too old
    await putPolicy(bucket, JSON.stringify({ Statement: [ours(bucket, CA1)] }));
    await pca.send(
      new UpdateCertificateAuthorityCommand({ CertificateAuthorityArn: ca, Status: 'DISABLED' }),
    );
    const text = await doctor(ca, bucket, '--max-report-age', '0');
    expect(text.code).toBe(1);
    const lines = linesOf(text.stdout);
    expect(lines[0]).toBe('PASS  ca-status            the CA is DISABLED');
    expect(lines).toContain(
      'FAIL  bucket-policy        the policy does not let this CA write reports: no statement allows acm-pca.amazonaws.com s3:PutObject on ' +
        `arn:aws:s3:::${bucket}/audit-report/x.json`,
    );
    expect(lines).toContain(
      `                           fix: pca-audit bootstrap --bucket ${bucket} --ca ${ca}`,
    );
    expect(lines.find((l) => l.startsWith('FAIL  newest-report'))).toMatch(/older than 0 min/);
    expect(lines.at(-1)).toBe('2 of 11 checks failed (1 with a warning)');
  });

  it('issue 13 item 20: a Deny of acm-pca: FAIL, and the fix is an edit by hand, not bootstrap alone', async () => {
    const ca = await createCa();
    const bucket = bucketName('doctor-deny');
    expect((await bootstrap(bucket, '--ca', ca, '--create')).code).toBe(0);
    const policy = JSON.parse((await policyOf(bucket))!) as { Statement: unknown[] };
    policy.Statement.push({
      Sid: 'NoServiceWrites',
      Effect: 'Deny',
      Principal: { Service: 'acm-pca.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: `arn:aws:s3:::${bucket}/*`,
    });
    await putPolicy(bucket, JSON.stringify(policy));
    const r = await doctor(ca, bucket, '--format', 'json');
    const check = (
      JSON.parse(r.stdout) as { checks: Array<{ id: string; status: string; fix?: string }> }
    ).checks.find((c) => c.id === 'bucket-policy');
    expect(check).toMatchObject({ status: 'FAIL' });
    expect(check!.fix).toMatch(/^change or remove statement NoServiceWrites by hand/);
  });

  it('issue 13 item 20: a grant to acm-pca without source conditions: WARN with the fix, exit 0', async () => {
    const ca = await createCa();
    const id = parseCaArn(ca)!.id;
    await pca.send(new UpdateCertificateAuthorityCommand({ CertificateAuthorityArn: ca, Status: 'ACTIVE' }));
    const bucket = bucketName('doctor-deputy');
    expect((await bootstrap(bucket, '--ca', ca, '--create')).code).toBe(0);
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `audit-report/${id}/7c3e9a41-2b6d-4f8e-a1c5-3d9b0e7f2a64.json`,
        Body: '[]',
      }),
    );
    const loose = {
      Sid: 'LegacyPcaWrite',
      Effect: 'Allow',
      Principal: { Service: 'acm-pca.amazonaws.com' },
      Action: ['s3:PutObject', 's3:PutObjectAcl', 's3:GetBucketAcl', 's3:GetBucketLocation'],
      Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
    };
    await putPolicy(bucket, JSON.stringify({ Statement: [loose] }));
    const r = await doctor(ca, bucket, '--format', 'json');
    const report = JSON.parse(r.stdout) as {
      checks: Array<{ id: string; status: string; detail: string; fix?: string }>;
      summary: unknown;
    };
    const check = report.checks.find((c) => c.id === 'bucket-policy')!;
    expect(check.status).toBe('WARN');
    expect(check.detail).toMatch(/statement LegacyPcaWrite .*confused deputy/);
    expect(check.fix).toMatch(/aws:SourceAccount/);
    // and crl-config: the CA publishes no CRL (issue 15)
    expect(report.summary).toEqual({ pass: 7, warn: 2, fail: 0, skip: 2 });
    expect(r.code).toBe(0);
    const text = await doctor(ca, bucket);
    expect(linesOf(text.stdout).at(-1)).toBe('all 11 checks passed (2 with a warning)');
  });

  it('issue 15 item 4: the CRL bucket’s policy for CRL delivery, and the CRL’s age', async () => {
    const crlBucket = bucketName('doctor-crl');
    const ca = await createCa('Doctor CRL CA', crlBucket);
    const { id, account } = parseCaArn(ca)!;
    await pca.send(new UpdateCertificateAuthorityCommand({ CertificateAuthorityArn: ca, Status: 'ACTIVE' }));
    const bucket = bucketName('doctor-crl-reports');
    expect((await bootstrap(bucket, '--ca', ca, '--create')).code).toBe(0);
    await s3.send(
      new CreateBucketCommand({
        Bucket: crlBucket,
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    const checksOf = async (...more: string[]) =>
      (
        JSON.parse((await doctor(ca, bucket, '--format', 'json', ...more)).stdout) as {
          checks: Array<{ id: string; status: string; detail: string; fix?: string }>;
        }
      ).checks.filter((c) => c.id.startsWith('crl-'));
    // no policy, no CRL
    let crl = await checksOf();
    expect(crl.map((c) => [c.id, c.status])).toEqual([
      ['crl-config', 'PASS'],
      ['crl-bucket-policy', 'FAIL'],
      ['crl-age', 'FAIL'],
    ]);
    expect(crl[0]!.detail).toBe(`CRLs enabled (COMPLETE): s3://${crlBucket}/crl/${id}.crl`);
    expect(crl[1]!.fix).toMatch(
      /s3:PutObject on arn:aws:s3:::.*\/crl\/\*, s3:GetBucketAcl and s3:GetBucketLocation/,
    );
    expect(crl[2]!.detail).toBe(`no CRL at s3://${crlBucket}/crl/${id}.crl`);
    // a grant without conditions: WARN (confused deputy); with them: PASS; a fresh CRL by openssl
    const grant = (condition: boolean) => ({
      Sid: 'PcaCrlDelivery',
      Effect: 'Allow',
      Principal: { Service: 'acm-pca.amazonaws.com' },
      Action: ['s3:PutObject', 's3:GetBucketAcl', 's3:GetBucketLocation'],
      Resource: [`arn:aws:s3:::${crlBucket}`, `arn:aws:s3:::${crlBucket}/*`],
      ...(condition
        ? { Condition: { StringEquals: { 'aws:SourceAccount': account, 'aws:SourceArn': ca } } }
        : {}),
    });
    await putPolicy(crlBucket, JSON.stringify({ Version: '2012-10-17', Statement: [grant(false)] }));
    const signer = await makeTestCa();
    const der = await makeTestCrl(signer.keys.privateKey, {
      thisUpdate: Date.parse('2026-11-20T01:30:00Z') / 1000,
    });
    await s3.send(new PutObjectCommand({ Bucket: crlBucket, Key: `crl/${id}.crl`, Body: der }));
    crl = await checksOf('--crl-max-age', '100000d');
    expect(crl.map((c) => [c.id, c.status])).toEqual([
      ['crl-config', 'PASS'],
      ['crl-bucket-policy', 'WARN'],
      ['crl-age', 'FAIL'], // its nextUpdate (2026-11-27) has passed
    ]);
    expect(crl[2]!.detail).toMatch(
      /thisUpdate 2026-11-20T01:30:00Z, .* ago; its nextUpdate 2026-11-27T01:30:00Z has passed$/,
    );
    await putPolicy(crlBucket, JSON.stringify({ Version: '2012-10-17', Statement: [grant(true)] }));
    const atCrl = { PCA_AUDIT_NOW: '2026-11-20T03:30:00Z' };
    const fresh = JSON.parse(
      (await cli(['doctor', '--ca', ca, '--bucket', bucket, '--format', 'json'], atCrl)).stdout,
    ) as { checks: Array<{ id: string; status: string; detail: string }> };
    expect(fresh.checks.filter((c) => c.id.startsWith('crl-')).map((c) => [c.id, c.status])).toEqual([
      ['crl-config', 'PASS'],
      ['crl-bucket-policy', 'PASS'],
      ['crl-age', 'PASS'],
    ]);
    const old = JSON.parse(
      (
        await cli(
          ['doctor', '--ca', ca, '--bucket', bucket, '--format', 'json', '--crl-max-age', '1h'],
          atCrl,
        )
      ).stdout,
    ) as { checks: Array<{ id: string; status: string; detail: string }> };
    expect(old.checks.find((c) => c.id === 'crl-age')).toMatchObject({
      status: 'FAIL',
      detail: expect.stringMatching(/2 h ago: older than 1 h$/),
    });
  });

  it('a CA without its certificate, a missing bucket: FAIL with fixes, the bucket checks SKIP', async () => {
    const ca = await createCa(); // PENDING_CERTIFICATE in moto until its status is updated
    const bucket = bucketName('doctor-missing');
    const r = await doctor(ca, bucket, '--format', 'json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as {
      checks: Array<{ id: string; status: string; fix?: string }>;
      summary: unknown;
    };
    expect(report.checks[0]).toMatchObject({ id: 'ca-status', status: 'FAIL' });
    expect(report.checks[0]!.fix).toMatch(/import-certificate-authority-certificate/);
    expect(report.checks[1]).toMatchObject({
      id: 'bucket-region',
      status: 'FAIL',
      fix: `pca-audit bootstrap --bucket ${bucket} --ca ${ca} --create`,
    });
    expect(report.checks.slice(2, 8).every((c) => c.status === 'SKIP')).toBe(true);
    // the CRL checks do not need the report bucket: the CA publishes none (issue 15)
    expect(report.checks.slice(8).map((c) => [c.id, c.status])).toEqual([
      ['crl-config', 'WARN'],
      ['crl-bucket-policy', 'SKIP'],
      ['crl-age', 'SKIP'],
    ]);
    expect(report.summary).toEqual({ pass: 0, warn: 1, fail: 2, skip: 8 });
  });

  it('an unknown CA and a bucket without a policy or Block Public Access', async () => {
    const bucket = bucketName('doctor-bare');
    await createBucket(bucket);
    const r = await doctor(UNKNOWN_CA, bucket, '--format', 'json');
    expect(r.code).toBe(1);
    const byId = Object.fromEntries(
      (JSON.parse(r.stdout) as { checks: Array<{ id: string; status: string; detail: string }> }).checks.map(
        (c) => [c.id, c],
      ),
    );
    expect(byId['ca-status']).toMatchObject({ status: 'FAIL' });
    expect(byId['ca-status']!.detail).toMatch(/ResourceNotFoundException/);
    expect(byId['bucket-policy']).toMatchObject({ status: 'FAIL', detail: `bucket ${bucket} has no policy` });
    expect(byId['block-public-access']).toMatchObject({ status: 'FAIL' });
    expect(byId['caller-access']).toMatchObject({ status: 'PASS' });
    expect(byId['newest-report']).toMatchObject({
      status: 'FAIL',
      detail: 'no report of this CA in the bucket',
    });
  });
});

describe('iam-policy', () => {
  it('prints a policy document for one command, scoped to the bucket', async () => {
    const r = await runCli(['iam-policy', '--command', 'bootstrap', '--bucket', 'my-reports']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as { Version: string; Statement: Array<{ Resource: unknown }> };
    expect(doc.Version).toBe('2012-10-17');
    expect(doc.Statement.map((s) => s.Resource)).toEqual([
      ['arn:aws:s3:::my-reports'],
      ['arn:aws:acm-pca:*:*:certificate-authority/*'],
    ]);
  });

  it('issue 13 item 20: diff may call LookupEvents; run gets its trail bucket and its S3 state', async () => {
    type Doc = { Statement: Array<{ Sid: string; Action: string[]; Resource: unknown }> };
    const diff = await runCli(['iam-policy', '--command', 'diff', '--bucket', 'my-reports']);
    expect(diff.code).toBe(0);
    expect(diff.stderr).toBe('');
    const d = JSON.parse(diff.stdout) as Doc;
    expect(d.Statement.flatMap((s) => s.Action)).toContain('cloudtrail:LookupEvents');
    const run = await runCli([
      'iam-policy',
      '--command',
      'run',
      '--bucket',
      'my-reports',
      '--trail-bucket',
      'my-trail',
      '--state',
      's3://my-state/pca-audit',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const byId = Object.fromEntries((JSON.parse(run.stdout) as Doc).Statement.map((s) => [s.Sid, s]));
    expect(byId.ReadTrailLogs?.Resource).toEqual(['arn:aws:s3:::my-trail/*']);
    expect(byId.KeepState?.Resource).toEqual(['arn:aws:s3:::my-state/pca-audit/*']);
    // without --state: no write rights for it, and a note that says how to get them
    const bare = await runCli(['iam-policy', '--command', 'run']);
    expect(bare.code).toBe(0);
    expect(bare.stderr).toMatch(/^pca-audit: run --state s3:\/\/… also needs .*add --state/);
    const bad = await runCli(['iam-policy', '--command', 'run', '--state', 'not-s3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^pca-audit: --state: "not-s3" does not start with s3:\/\//);
  });

  it('an unknown --command is a usage error', async () => {
    const r = await runCli(['iam-policy', '--command', 'frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^pca-audit: .*frobnicate/);
  });
});
