// A synthetic day of an organisation trail (the `events` benchmark's data set, never committed):
// FILES gzip trail log files of RECORDS_PER_FILE records each, `{"Records":[...]}` as CloudTrail writes
// them (one line, no spaces), about 1.3 KB a record, one record in a thousand of acm-pca
// (RevokeCertificate, IssueCertificate, GetCertificate, IssueCertificateDetails), the rest of other
// services. Everything is a function of the seed: the same arguments make the same bytes.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const CLOUDTRAIL_DAY_VERSION = 1;
const DAY = Date.UTC(2026, 10, 19) / 1000;
const ACCOUNTS = ['111122223333', '222233334444', '333344445555', '444455556666'];
const CA =
  'arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/0e0c3f2a-1b2c-4d5e-8f90-a1b2c3d4e5f6';
const OTHER = [
  ['s3.amazonaws.com', 'GetObject'],
  ['s3.amazonaws.com', 'PutObject'],
  ['sts.amazonaws.com', 'AssumeRole'],
  ['kms.amazonaws.com', 'Decrypt'],
  ['ec2.amazonaws.com', 'DescribeInstances'],
  ['lambda.amazonaws.com', 'Invoke'],
  ['dynamodb.amazonaws.com', 'GetItem'],
  ['logs.amazonaws.com', 'PutLogEvents'],
  ['acm.amazonaws.com', 'DescribeCertificate'],
  ['secretsmanager.amazonaws.com', 'GetSecretValue'],
];
const PCA = ['RevokeCertificate', 'IssueCertificate', 'GetCertificate', 'IssueCertificateDetails'];

function prng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function hex(rng, n) {
  let out = '';
  for (let i = 0; i < n; i++) out += Math.floor(rng() * 16).toString(16);
  return out;
}

function uuid(rng) {
  return `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-a${hex(rng, 3)}-${hex(rng, 12)}`;
}

function iso(sec) {
  return `${new Date(sec * 1000).toISOString().slice(0, 19)}Z`;
}

function record(rng, time, pca) {
  const account = ACCOUNTS[Math.floor(rng() * ACCOUNTS.length)];
  const [source, name] = pca
    ? ['acm-pca.amazonaws.com', PCA[Math.floor(rng() * PCA.length)]]
    : OTHER[Math.floor(rng() * OTHER.length)];
  const serial = hex(rng, 32);
  let request = {
    bucketName: `data-${hex(rng, 6)}`,
    key: `logs/${hex(rng, 12)}/${hex(rng, 16)}.parquet`,
    Host: `data-${hex(rng, 6)}.s3.us-east-1.amazonaws.com`,
  };
  let response = null;
  if (pca && name === 'RevokeCertificate') {
    request = { certificateAuthorityArn: CA, certificateSerial: serial, revocationReason: 'KEY_COMPROMISE' };
  } else if (pca && name === 'IssueCertificate') {
    request = {
      certificateAuthorityArn: CA,
      signingAlgorithm: 'SHA256WITHRSA',
      validity: { value: 90, type: 'DAYS' },
    };
    response = { certificateArn: `${CA}/certificate/${serial}` };
  } else if (pca) {
    request = { certificateAuthorityArn: CA, certificateArn: `${CA}/certificate/${serial}` };
  }
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROA${hex(rng, 16).toUpperCase()}:session-${hex(rng, 8)}`,
      arn: `arn:aws:sts::${account}:assumed-role/app-role-${hex(rng, 4)}/session-${hex(rng, 8)}`,
      accountId: account,
      accessKeyId: `ASIA${hex(rng, 16).toUpperCase()}`,
      sessionContext: {
        attributes: { creationDate: iso(time - 600), mfaAuthenticated: 'false' },
      },
    },
    eventTime: iso(time),
    eventSource: source,
    eventName: name,
    awsRegion: 'us-east-1',
    sourceIPAddress: `10.${Math.floor(rng() * 256)}.${Math.floor(rng() * 256)}.${Math.floor(rng() * 256)}`,
    userAgent: `aws-sdk-java/2.20.${Math.floor(rng() * 200)} Linux/5.10 Java/17.0.8 exec-env/AWS_ECS_FARGATE`,
    requestParameters: request,
    responseElements: response,
    additionalEventData: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: 0,
      AuthenticationMethod: 'AuthHeader',
      bytesTransferredOut: Math.floor(rng() * 100000),
    },
    requestID: hex(rng, 16).toUpperCase(),
    eventID: uuid(rng),
    readOnly: true,
    resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::data-${hex(rng, 6)}/logs/${hex(rng, 12)}` }],
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: account,
    sharedEventID: uuid(rng),
    eventCategory: 'Data',
  };
}

/**
 * Writes the day under `out` (AWSLogs/o-.../account/CloudTrail/us-east-1/2026/11/19/*.json.gz) unless
 * a manifest of these arguments is there already; returns the manifest.
 */
export async function generateCloudTrailDay({ out, files = 200, records = 500000, seed = 1 }) {
  const want = { version: CLOUDTRAIL_DAY_VERSION, files, records, seed };
  try {
    const have = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    if (JSON.stringify(have.args) === JSON.stringify(want)) return have;
  } catch {
    // (re)generate
  }
  const dir = join(
    out,
    'AWSLogs',
    'o-abcdef1234',
    '111122223333',
    'CloudTrail',
    'us-east-1',
    '2026',
    '11',
    '19',
  );
  await mkdir(dir, { recursive: true });
  const rng = prng(seed * 2654435761 + 17);
  const perFile = Math.ceil(records / files);
  let left = records;
  let pca = 0;
  let raw = 0;
  for (let f = 0; f < files; f++) {
    const n = Math.min(perFile, left);
    left -= n;
    // each file spans about 5 minutes of the day, files overlapping (delivery is not in order)
    const start = DAY + Math.floor((f * 86000) / files) - Math.floor(rng() * 600);
    const recs = [];
    for (let k = 0; k < n; k++) {
      const isPca = rng() < 0.001;
      if (isPca) pca++;
      recs.push(JSON.stringify(record(rng, start + Math.floor(rng() * 900), isPca)));
    }
    const text = `{"Records":[${recs.join(',')}]}`;
    raw += Buffer.byteLength(text);
    const stamp = iso(start).replace(/[-:]/g, '').slice(0, 13);
    const name = `111122223333_CloudTrail_us-east-1_${stamp}Z_${hex(rng, 16)}.json.gz`;
    await writeFile(join(dir, name), gzipSync(text));
  }
  const manifest = { args: want, pca, rawBytes: raw, dir };
  await writeFile(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2] ?? 'bench-data/cloudtrail-day';
  const m = await generateCloudTrailDay({ out });
  console.log(JSON.stringify(m));
}
