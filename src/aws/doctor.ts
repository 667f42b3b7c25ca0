/**
 * `doctor`: everything a CA's report delivery needs, each checked and, when it fails, how to fix it.
 * The policy is evaluated (statements, conditions, Deny), not merely found. A check that cannot run
 * because an earlier one found no bucket is SKIP; a check whose call fails is FAIL with the error.
 */
import {
  caCanPublishCrl,
  caCanWrite,
  PCA_PRINCIPAL,
  unconditionedServiceGrants,
} from '../core/bucket/bucket-policy.js';
import { PROBE_KEY } from '../core/bucket/iam-policy.js';
import type { CaArn } from '../core/ca-arn.js';
import { formatInstant } from '../core/instant.js';
import { CrlError, crlDer, decodeCrl } from '../core/reconcile/crl.js';
import { crlRefreshAge } from '../core/reconcile/crl-check.js';
import { crlLocation, locationText } from '../core/reconcile/crl-location.js';
import {
  bucketEncryption,
  bucketRegion,
  objectLockEnabled,
  probeWrite,
  publicAccessBlock,
  readBucketPolicy,
} from './bucket-settings.js';
import type { AwsClients } from './clients.js';
import { describeRevocation, getCrlObject, listCrlKeys } from './crl.js';
import { AwsError, FATAL_AWS_ERRORS } from './errors.js';
import { listReports } from './generate.js';
import { describeCa } from './pca.js';

/** WARN: the check passed, but something in it is unsafe; it does not fail the run. */
export type CheckStatus = 'PASS' | 'WARN' | 'FAIL' | 'SKIP';

export interface Check {
  id: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export interface DoctorOptions {
  ca: CaArn;
  bucket: string;
  /** seconds: an older newest report fails */
  maxReportAge: number;
  /** seconds: a CRL older than this (thisUpdate) fails; default 25 h */
  maxCrlAge?: number;
}

export interface DoctorDeps {
  clients: AwsClients;
  /** epoch seconds */
  now(): number;
}

const REPORT_STATUSES = new Set(['ACTIVE', 'DISABLED']);

const CA_FIXES: Record<string, string> = {
  PENDING_CERTIFICATE: 'install the CA certificate (aws acm-pca import-certificate-authority-certificate)',
  CREATING: 'wait for the CA to be created',
  EXPIRED: 'renew the CA certificate, or make reports of another CA',
  DELETED: 'restore the CA within its restoration period (aws acm-pca restore-certificate-authority)',
  FAILED: 'the CA could not be created: create it again',
};

function hours(seconds: number): string {
  const h = seconds / 3600;
  return h < 1 ? `${Math.round(seconds / 60)} min` : `${Math.round(h * 10) / 10} h`;
}

export async function runDoctor(deps: DoctorDeps, o: DoctorOptions): Promise<Check[]> {
  const { ca, bucket } = o;
  const s3 = deps.clients.s3(ca.region);
  const checks: Check[] = [];
  const bootstrap = `pca-audit bootstrap --bucket ${bucket} --ca ${ca.arn}`;
  /** What to do when a check's own call fails, where the generic hint is not enough. */
  const fixes: Record<string, string> = {
    'caller-access': `let your role s3:PutObject and s3:DeleteObject s3://${bucket}/${PROBE_KEY} (pca-audit iam-policy --command doctor --bucket ${bucket}); an explicit Deny in the bucket policy blocks it too`,
  };
  /** Runs a check; an AWS failure other than a fatal one becomes its FAIL. */
  const check = async (id: string, run: () => Promise<Omit<Check, 'id'>>): Promise<Check> => {
    let c: Check;
    try {
      c = { id, ...(await run()) };
    } catch (err) {
      if (!(err instanceof AwsError) || FATAL_AWS_ERRORS.has(err.errorName)) throw err;
      // an S3 error without a body (HEAD, some 403s) has no message worth repeating
      const message = err.message && !/^(UnknownError|\d{3})$/.test(err.message) ? `: ${err.message}` : '';
      const fix = fixes[id] ?? err.hint;
      c = {
        id,
        status: 'FAIL',
        detail: `${err.operation} failed: ${err.errorName}${message}`,
        ...(fix ? { fix } : {}),
      };
    }
    checks.push(c);
    return c;
  };

  await check('ca-status', async () => {
    const d = await describeCa(deps.clients.pca(ca.region), ca.arn);
    if (REPORT_STATUSES.has(d.status)) return { status: 'PASS', detail: `the CA is ${d.status}` };
    return {
      status: 'FAIL',
      detail: `the CA is ${d.status}; reports are made only while it is ACTIVE or DISABLED`,
      fix: CA_FIXES[d.status] ?? 'bring the CA to ACTIVE',
    };
  });

  let exists = true;
  await check('bucket-region', async () => {
    const region = await bucketRegion(s3, bucket);
    if (region === undefined) {
      exists = false;
      return { status: 'FAIL', detail: `bucket ${bucket} does not exist`, fix: `${bootstrap} --create` };
    }
    if (region !== ca.region) {
      return {
        status: 'FAIL',
        detail: `bucket ${bucket} is in ${region}, the CA in ${ca.region}`,
        fix: `use a bucket in ${ca.region}: pca-audit bootstrap --bucket NEW-BUCKET --ca ${ca.arn} --create`,
      };
    }
    return { status: 'PASS', detail: `bucket ${bucket} is in ${region}, the CA's Region` };
  });
  const bucketChecks = [
    'bucket-policy',
    'block-public-access',
    'object-lock',
    'encryption',
    'caller-access',
    'newest-report',
  ];
  if (!exists) {
    for (const id of bucketChecks) checks.push({ id, status: 'SKIP', detail: 'the bucket does not exist' });
    await crlChecks(deps, o, check, checks);
    return checks;
  }

  await check('bucket-policy', async () => {
    const text = await readBucketPolicy(s3, bucket);
    if (text === undefined) {
      return { status: 'FAIL', detail: `bucket ${bucket} has no policy`, fix: bootstrap };
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return {
        status: 'FAIL',
        detail: 'the bucket policy is not valid JSON',
        fix: 'fix the policy by hand (aws s3api get-bucket-policy), then run bootstrap',
      };
    }
    const d = caCanWrite(doc, bucket, ca.arn, ca.account);
    const loose = unconditionedServiceGrants(doc, bucket);
    const deputy = loose.length
      ? `statement ${loose.join(', ')} lets ${PCA_PRINCIPAL} write without an aws:SourceAccount or aws:SourceArn condition, so any account's CA could write into the bucket (confused deputy)`
      : '';
    const deputyFix = `add "Condition": {"StringEquals": {"aws:SourceAccount": "${ca.account}", "aws:SourceArn": "${ca.arn}"}} to statement ${loose.join(', ')} by hand, or remove it and run ${bootstrap}`;
    if (d.allowed) {
      const detail = `the policy lets this CA write reports${d.sid ? ` (statement ${d.sid})` : ''}`;
      if (loose.length) return { status: 'WARN', detail: `${detail}, but ${deputy}`, fix: deputyFix };
      return { status: 'PASS', detail };
    }
    const detail = `the policy does not let this CA write reports: ${d.why}${loose.length ? `; also, ${deputy}` : ''}`;
    if (d.denied) {
      // bootstrap only ever rewrites its own Allow statement: no run of it can lift a Deny
      return {
        status: 'FAIL',
        detail,
        fix: `change or remove statement ${d.denied.statement} by hand (it denies ${PCA_PRINCIPAL} ${d.denied.action}; aws s3api get-bucket-policy --bucket ${bucket}, edit, aws s3api put-bucket-policy), then run ${bootstrap}`,
      };
    }
    return { status: 'FAIL', detail, fix: bootstrap };
  });

  await check('block-public-access', async () => {
    const pab = await publicAccessBlock(s3, bucket);
    const off = Object.entries(pab).flatMap(([k, on]) => (on ? [] : [k]));
    if (off.length === 0) return { status: 'PASS', detail: 'all four Block Public Access settings are on' };
    return {
      status: 'FAIL',
      detail: `Block Public Access is off: ${off.join(', ')} (reports need no public access)`,
      fix: `aws s3api put-public-access-block --bucket ${bucket} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`,
    };
  });

  await check('object-lock', async () =>
    (await objectLockEnabled(s3, bucket))
      ? {
          status: 'FAIL',
          detail: 'Object Lock is enabled, which makes report delivery fail',
          fix: `Object Lock cannot be turned off: use another bucket (pca-audit bootstrap --bucket NEW-BUCKET --ca ${ca.arn} --create)`,
        }
      : { status: 'PASS', detail: 'Object Lock is not enabled' },
  );

  await check('encryption', async () => {
    const e = await bucketEncryption(s3, bucket);
    switch (e.kind) {
      case 'none':
        return { status: 'PASS', detail: 'no default encryption configured (S3 applies SSE-S3)' };
      case 'sse-s3':
        return { status: 'PASS', detail: 'SSE-S3' };
      case 'aws-managed-kms':
        return {
          status: 'FAIL',
          detail: 'SSE-KMS with the AWS managed key aws/s3, which ACM PCA cannot use',
          fix: 'use SSE-S3 or a customer managed KMS key (aws s3api put-bucket-encryption)',
        };
      case 'customer-kms':
        return {
          status: 'PASS',
          detail: `SSE-KMS with customer managed key ${e.keyId}; its key policy must let ${'acm-pca.amazonaws.com'} use kms:GenerateDataKey and kms:Decrypt (${bootstrap} prints the statement)`,
        };
    }
  });

  await check('caller-access', async () => {
    await probeWrite(s3, bucket, PROBE_KEY);
    return { status: 'PASS', detail: `wrote and deleted s3://${bucket}/${PROBE_KEY}` };
  });

  await check('newest-report', async () => {
    const [newest] = await listReports(deps.clients, bucket, ca);
    if (!newest) {
      return {
        status: 'FAIL',
        detail: 'no report of this CA in the bucket',
        fix: `pca-audit generate --ca ${ca.arn} --bucket ${bucket}`,
      };
    }
    const age = deps.now() - newest.lastModified;
    const detail = `newest report ${newest.id} (${newest.format}) made ${formatInstant(newest.lastModified)}, ${hours(age)} ago`;
    if (age > o.maxReportAge) {
      return {
        status: 'FAIL',
        detail: `${detail}: older than ${hours(o.maxReportAge)}`,
        fix: `check the nightly job, or make one now: pca-audit generate --ca ${ca.arn} --bucket ${bucket}`,
      };
    }
    return { status: 'PASS', detail };
  });
  await crlChecks(deps, o, check, checks);
  return checks;
}

/**
 * issue 15 item 4: the CA's CRL, wherever its RevocationConfiguration puts it (often another bucket
 * than the reports'): published at all, the CRL bucket's policy lets PCA write it, and it is fresh.
 */
async function crlChecks(
  deps: DoctorDeps,
  o: DoctorOptions,
  check: (id: string, run: () => Promise<Omit<Check, 'id'>>) => Promise<Check>,
  checks: Check[],
): Promise<void> {
  const { ca } = o;
  const update = `aws acm-pca update-certificate-authority --certificate-authority-arn ${ca.arn} --revocation-configuration '{"CrlConfiguration":{"Enabled":true,"S3BucketName":"CRL-BUCKET"}}'`;
  let location: ReturnType<typeof crlLocation>;
  const config = await check('crl-config', async () => {
    const c = await describeRevocation(deps.clients.pca(ca.region), ca.arn);
    location = crlLocation(ca.id, c);
    if (location) {
      return {
        status: 'PASS',
        detail: `CRLs enabled (${c.crl?.type ?? 'COMPLETE'}): ${locationText(location)}${c.ocspEnabled ? '; OCSP enabled too' : ''}`,
      };
    }
    if (c.ocspEnabled) return { status: 'PASS', detail: 'CRLs disabled; OCSP enabled' };
    return {
      status: 'WARN',
      detail: 'the CA publishes neither a CRL nor OCSP: no relying party can learn of its revocations',
      fix: update,
    };
  });
  if (config.status === 'FAIL' || location === undefined) {
    const why = config.status === 'FAIL' ? 'the CA could not be described' : 'CRLs are disabled';
    for (const id of ['crl-bucket-policy', 'crl-age']) checks.push({ id, status: 'SKIP', detail: why });
    return;
  }
  const where = location;
  const s3 = deps.clients.s3(ca.region);
  await check('crl-bucket-policy', async () => {
    const text = await readBucketPolicy(s3, where.bucket);
    const key = where.kind === 'complete' ? where.key : `${where.prefix}x.crl`;
    const grant = `a statement allowing ${PCA_PRINCIPAL} s3:PutObject on arn:aws:s3:::${where.bucket}/${key.replace(/[^/]*$/, '*')}, s3:GetBucketAcl and s3:GetBucketLocation on arn:aws:s3:::${where.bucket}, with "Condition": {"StringEquals": {"aws:SourceAccount": "${ca.account}", "aws:SourceArn": "${ca.arn}"}}`;
    if (text === undefined) {
      return { status: 'FAIL', detail: `CRL bucket ${where.bucket} has no policy`, fix: `add ${grant}` };
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return {
        status: 'FAIL',
        detail: `the policy of CRL bucket ${where.bucket} is not valid JSON`,
        fix: `fix it by hand, with ${grant}`,
      };
    }
    const d = caCanPublishCrl(doc, where.bucket, key, ca.arn, ca.account);
    const loose = unconditionedServiceGrants(doc, where.bucket);
    if (!d.allowed) {
      return {
        status: 'FAIL',
        detail: `the policy of CRL bucket ${where.bucket} does not let this CA publish its CRL: ${d.why}`,
        fix: d.denied
          ? `change or remove statement ${d.denied.statement} by hand, then add ${grant}`
          : `add ${grant}`,
      };
    }
    const detail = `the policy of CRL bucket ${where.bucket} lets this CA publish its CRL${d.sid ? ` (statement ${d.sid})` : ''}`;
    if (loose.length) {
      return {
        status: 'WARN',
        detail: `${detail}, but statement ${loose.join(', ')} lets ${PCA_PRINCIPAL} write without an aws:SourceAccount or aws:SourceArn condition (confused deputy)`,
        fix: `add "Condition": {"StringEquals": {"aws:SourceAccount": "${ca.account}", "aws:SourceArn": "${ca.arn}"}} to statement ${loose.join(', ')} by hand`,
      };
    }
    return { status: 'PASS', detail };
  });
  await check('crl-age', async () => {
    const keys = where.kind === 'complete' ? [where.key] : await listCrlKeys(s3, where.bucket, where.prefix);
    let oldest: { key: string; thisUpdate: number; nextUpdate?: number } | undefined;
    for (const key of keys) {
      const bytes = await getCrlObject(s3, where.bucket, key);
      if (bytes === undefined) {
        return {
          status: 'FAIL',
          detail: `no CRL at s3://${where.bucket}/${key}`,
          fix: 'check the CRL bucket policy (crl-bucket-policy) and its KMS key (a CA that never revoked may have published none yet: unconfirmed)',
        };
      }
      let crl: ReturnType<typeof decodeCrl>['crl'];
      try {
        crl = decodeCrl(crlDer(bytes, (b64) => Buffer.from(b64, 'base64'))).crl;
      } catch (err) {
        if (!(err instanceof CrlError)) throw err;
        return { status: 'FAIL', detail: `s3://${where.bucket}/${key} is not a CRL: ${err.message}` };
      }
      if (!oldest || crl.thisUpdate < oldest.thisUpdate) {
        oldest = {
          key,
          thisUpdate: crl.thisUpdate,
          ...(crl.nextUpdate === undefined ? {} : { nextUpdate: crl.nextUpdate }),
        };
      }
    }
    if (!oldest) {
      return {
        status: 'FAIL',
        detail: `no partition CRL under ${locationText(where)}`,
        fix: 'check the CRL bucket policy (crl-bucket-policy)',
      };
    }
    const now = deps.now();
    const age = now - oldest.thisUpdate;
    const detail = `${keys.length > 1 ? `oldest of ${keys.length} partitions, ` : ''}s3://${where.bucket}/${oldest.key}: thisUpdate ${formatInstant(oldest.thisUpdate)}, ${hours(age)} ago`;
    const fix = 'PCA stopped publishing: check the CRL bucket policy and its KMS key, and the CA status';
    if (oldest.nextUpdate !== undefined && now > oldest.nextUpdate) {
      return {
        status: 'FAIL',
        detail: `${detail}; its nextUpdate ${formatInstant(oldest.nextUpdate)} has passed`,
        fix,
      };
    }
    const maxAge = o.maxCrlAge ?? crlRefreshAge(oldest);
    if (age > maxAge)
      return {
        status: 'FAIL',
        detail: `${detail}: older than ${hours(maxAge)}${o.maxCrlAge === undefined ? ' (half its validity and an hour, by when PCA replaces it)' : ''}`,
        fix,
      };
    return { status: 'PASS', detail };
  });
}
