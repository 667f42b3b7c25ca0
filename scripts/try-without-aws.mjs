#!/usr/bin/env node
// Tries pca-audit without an AWS account: starts moto_server (S3) and the project's emulator (ACM PCA
// audit reports, CloudTrail LookupEvents) on loopback ports, makes a CA with a few certificates,
// and runs `pca-audit run` for two "nights", with a revocation CloudTrail never saw in between.
// Prints each command and its output, then the morning summary. Needs `npm run build` and
// moto_server on PATH. Everything is removed at the end (--keep DIR keeps the state directory).
//
//   node scripts/try-without-aws.mjs [--keep DIR]

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { keep: { type: 'string' } } });
const work = values.keep ? resolve(values.keep) : mkdtempSync(join(tmpdir(), 'pca-audit-try-'));
const children = [];

function start(command, args, stream, pattern) {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let seen = '';
    child.on('error', (e) =>
      fail(new Error(`${command}: ${e.code === 'ENOENT' ? 'not on PATH' : e.message}`)),
    );
    child[stream].on('data', (d) => {
      seen += d;
      const m = pattern.exec(seen);
      if (m) ok(m[1]);
    });
    child.on('exit', (code) => fail(new Error(`${command} exited (${code}): ${seen.slice(-500)}`)));
  });
}

async function post(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return res.text();
}

async function main() {
  const moto = await start(
    'moto_server',
    ['-H', '127.0.0.1', '-p', '0'],
    'stderr',
    /Running on (http:\/\/127\.0\.0\.1:\d+)/,
  );
  const emulator = await start(
    process.execPath,
    [join(ROOT, 'dist', 'emulator', 'main.js'), '--port', '0', '--s3-endpoint', moto],
    'stdout',
    /listening (http:\/\/127\.0\.0\.1:\d+)/,
  );
  const env = {
    PATH: process.env.PATH,
    HOME: work,
    AWS_ACCESS_KEY_ID: 'AKIATRYWITHOUTAWS001',
    AWS_SECRET_ACCESS_KEY: 'not-a-secret',
    AWS_REGION: 'eu-west-1',
    AWS_CONFIG_FILE: join(work, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'none'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_S3: moto,
    AWS_ENDPOINT_URL_ACM_PCA: emulator,
    AWS_ENDPOINT_URL_CLOUDTRAIL: emulator,
    // the stand-in's OCSP responder (AWS's regional one in real life)
    PCA_AUDIT_OCSP_URL: `${emulator}/ocsp`,
  };
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  Object.assign(process.env, env);
  const {
    ACMPCAClient,
    CreateCertificateAuthorityCommand,
    IssueCertificateCommand,
    RevokeCertificateCommand,
  } = await import('@aws-sdk/client-acm-pca');
  const pca = new ACMPCAClient({});
  await fetch(`${moto}/audit-reports`, {
    method: 'PUT',
    body: '<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>',
  });
  const ca = (
    await pca.send(
      new CreateCertificateAuthorityCommand({
        CertificateAuthorityType: 'ROOT',
        CertificateAuthorityConfiguration: {
          KeyAlgorithm: 'RSA_2048',
          SigningAlgorithm: 'SHA256WITHRSA',
          Subject: { CommonName: 'Example Internal Root', Organization: 'Example Corp', Country: 'IE' },
        },
        // the CA publishes its CRL into the same bucket and answers OCSP: run checks both
        RevocationConfiguration: {
          CrlConfiguration: { Enabled: true, ExpirationInDays: 7, S3BucketName: 'audit-reports' },
          OcspConfiguration: { Enabled: true },
        },
      }),
    )
  ).CertificateAuthorityArn;
  execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(work, 'key.pem'),
      '-subj',
      '/CN=orders-api.prod.example.internal/O=Example Corp',
      '-out',
      join(work, 'req.csr'),
    ],
    { stdio: 'ignore' },
  );
  const csr = readFileSync(join(work, 'req.csr'));
  const issue = async () =>
    (
      await pca.send(
        new IssueCertificateCommand({
          CertificateAuthorityArn: ca,
          Csr: csr,
          SigningAlgorithm: 'SHA256WITHRSA',
          Validity: { Type: 'DAYS', Value: 90 },
        }),
      )
    ).CertificateArn.split('/').pop();
  const a = await issue();
  const b = await issue();
  await issue();
  const clock = async () => JSON.parse(await (await fetch(`${emulator}/_emulator/clock`)).text()).now;
  const state = join(work, 'state');
  const run = async (title) => {
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
    console.log(`\n# ${title}\n$ pca-audit ${args.join(' ').replace(state, '$STATE')}`);
    const r = spawn(process.execPath, [join(ROOT, 'bin', 'pca-audit.js'), ...args], {
      env: { ...env, PCA_AUDIT_NOW: String(await clock()) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    r.stdout.on('data', (d) => (out += d));
    r.stderr.on('data', (d) => (out += d));
    const code = await new Promise((ok) => r.on('close', ok));
    process.stdout.write(out.replaceAll(state, '$STATE'));
    console.log(`(exit ${code})`);
  };
  console.log(`CA ${ca}: 3 certificates issued; bucket audit-reports`);
  await run('night 1: the first run records a baseline');
  await post(`${emulator}/_emulator/clock`, { advance: 86400 });
  await issue();
  await pca.send(
    new RevokeCertificateCommand({
      CertificateAuthorityArn: ca,
      CertificateSerial: a,
      RevocationReason: 'KEY_COMPROMISE',
    }),
  );
  await post(`${emulator}/_emulator/revoke-silently`, {
    certificateAuthorityArn: ca,
    certificateSerial: b,
    revocationReason: 'SUPERSEDED',
  });
  console.log(
    '\n# a day later: one certificate issued, one revoked, one revoked without a CloudTrail record',
  );
  await run('night 2: diffed against night 1 and reconciled with LookupEvents');
  console.log('\n# the morning summary ($STATE/latest-summary.md)\n');
  process.stdout.write(readFileSync(join(state, 'latest-summary.md'), 'utf8'));
}

try {
  await main();
} catch (err) {
  console.error(`try-without-aws: ${err.message}`);
  process.exitCode = 1;
} finally {
  for (const c of children) c.kill('SIGTERM');
  if (!values.keep) rmSync(work, { recursive: true, force: true });
}
