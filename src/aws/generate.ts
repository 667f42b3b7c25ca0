/**
 * `generate`: create → wait → download → keep, within AWS's one-report-per-30-minutes rule.
 *
 * What a second CreateCertificateAuthorityAuditReport inside the 30 minutes does is unconfirmed
 * (aws-facts.md): RequestInProgressException, ThrottlingException, LimitExceededException, or the
 * earlier report handed back. So the bucket is asked first (a report younger than 30 minutes is
 * reused), each of those errors is handled, and a report whose CreatedAt is older than the call
 * is said to be reused.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { type CaArn, REPORT_INTERVAL_SECONDS, reportKeyInfo, reportPrefix } from '../core/ca-arn.js';
import type { AwsClients } from './clients.js';
import { diagnoseReportFailure } from './diagnose.js';
import { AwsError } from './errors.js';
import { createAuditReport, describeAuditReport } from './pca.js';
import { downloadObject, listObjects } from './s3.js';

export type ReportFormatName = 'json' | 'csv';

export interface GenerateOptions {
  ca: CaArn;
  bucket: string;
  format: ReportFormatName;
  outDir: string;
  /** seconds to wait for the report */
  timeout: number;
  /** seconds between status polls */
  pollInterval: number;
  /** wait for the 30-minute slot instead of failing when only a report of the other format is recent */
  waitForSlot: boolean;
}

export interface GenerateDeps {
  clients: AwsClients;
  /** epoch seconds */
  now(): number;
  sleep(seconds: number): Promise<void>;
  /** a line for a human (stderr) */
  note(message: string): void;
  /** transient progress (stderr, TTY only) */
  progress(message: string): void;
}

export interface GeneratedReport {
  id: string;
  bucket: string;
  key: string;
  format: ReportFormatName;
  /** epoch seconds: CreatedAt, else the object's LastModified */
  createdAt: number;
  path: string;
  size: number;
  /** made earlier (inside the 30 minutes) rather than by this call */
  reused: boolean;
  /** already on disk, not downloaded again */
  alreadyDownloaded: boolean;
}

interface ReportObject {
  id: string;
  key: string;
  format: ReportFormatName;
  lastModified: number;
  size: number;
}

/** Reports of the CA in the bucket, newest first. */
export function listReports(clients: AwsClients, bucket: string, ca: CaArn): Promise<ReportObject[]> {
  return listReportsUnder(clients.s3(ca.region), bucket, reportPrefix(ca));
}

/** Report objects (`…/<AuditReportId>.json|.csv`) under a prefix, newest first. */
export async function listReportsUnder(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<ReportObject[]> {
  const objects = await listObjects(s3, bucket, prefix);
  const out: ReportObject[] = [];
  for (const o of objects) {
    const info = reportKeyInfo(o.key);
    if (info) out.push({ ...info, key: o.key, lastModified: o.lastModified, size: o.size });
  }
  return out.sort((a, b) => b.lastModified - a.lastModified || (a.key < b.key ? 1 : -1));
}

const minutes = (s: number) => `${Math.max(0, Math.round(s / 60))} min`;

export async function generateReport(deps: GenerateDeps, o: GenerateOptions): Promise<GeneratedReport> {
  const { clients, now, note } = deps;
  const pca = clients.pca(o.ca.region);
  const started = now();
  const deadline = started + o.timeout;
  // a caller that may not list the bucket still gets its report: the 30-minute rule is then judged
  // by AWS's answers alone (said once)
  let listable = true;
  const recent = async () => {
    if (!listable) return undefined;
    try {
      const [newest] = await listReports(clients, o.bucket, o.ca);
      return newest && now() - newest.lastModified < REPORT_INTERVAL_SECONDS ? newest : undefined;
    } catch (err) {
      if ((err as AwsError).errorName !== 'AccessDenied') throw err;
      listable = false;
      note(
        `may not list s3://${o.bucket}/${reportPrefix(o.ca)} (AccessDenied): a recent report cannot be reused, AWS's answer decides`,
      );
      return undefined;
    }
  };

  let target: { id: string; key: string; reused: boolean } | undefined;
  let newest = await recent();
  for (;;) {
    if (newest && newest.format === o.format) {
      note(
        `reusing report ${newest.id}, made ${minutes(now() - newest.lastModified)} ago (AWS makes one report per CA every 30 minutes)`,
      );
      target = { id: newest.id, key: newest.key, reused: true };
      break;
    }
    if (newest) {
      const wait = newest.lastModified + REPORT_INTERVAL_SECONDS - now() + 5;
      if (!o.waitForSlot) {
        throw new AwsError(
          'CreateCertificateAuthorityAuditReport',
          'ReportIntervalNotElapsed',
          `a ${newest.format.toUpperCase()} report (${newest.id}) was made ${minutes(now() - newest.lastModified)} ago; AWS makes one report per CA every 30 minutes`,
          undefined,
          `use --format ${newest.format}, or --wait-for-slot to wait ${minutes(wait)}`,
        );
      }
      if (now() + wait > deadline) throw timeoutError(o, `the next report slot opens in ${minutes(wait)}`);
      note(`waiting ${minutes(wait)} for the next report slot`);
      await deps.sleep(wait);
      newest = await recent();
      continue;
    }
    try {
      const made = await createAuditReport(pca, o.ca.arn, o.bucket, o.format === 'json' ? 'JSON' : 'CSV');
      target = { ...made, reused: false };
      break;
    } catch (err) {
      const name = (err as AwsError).errorName;
      if (
        name !== 'RequestInProgressException' &&
        name !== 'ThrottlingException' &&
        name !== 'LimitExceededException'
      ) {
        throw err;
      }
      // another report is being made, or the 30 minutes have not passed: look again, wait, retry
      newest = await recent();
      if (newest) continue;
      if (now() + o.pollInterval > deadline) throw timeoutError(o, `AWS kept answering ${name}`);
      note(`AWS answered ${name}; trying again in ${o.pollInterval} s`);
      await deps.sleep(o.pollInterval);
    }
  }

  // wait for it
  let status = await describeAuditReport(pca, o.ca.arn, target.id);
  while (status.status === 'CREATING') {
    if (now() + o.pollInterval > deadline)
      throw timeoutError(o, `report ${target.id} is still being made`, target.key);
    deps.progress(`report ${target.id}: CREATING (${Math.round(now() - started)} s)`);
    await deps.sleep(o.pollInterval);
    status = await describeAuditReport(pca, o.ca.arn, target.id);
  }
  deps.progress('');
  if (status.status !== 'SUCCESS') {
    const causes = await diagnoseReportFailure(clients.s3(o.ca.region), o.bucket, o.ca);
    throw new AwsError(
      'CreateCertificateAuthorityAuditReport',
      'ReportFailed',
      `report ${target.id} ended ${status.status}${causes.length ? `: ${causes.join('; ')}` : ' (no cause found in the bucket settings; check the CA status and your own permissions)'}`,
      undefined,
      "'pca-audit doctor --ca ARN --bucket B' checks everything a report needs",
    );
  }
  const key = status.key ?? target.key;
  if (!target.reused && status.createdAt !== undefined && status.createdAt < started - 60) {
    target.reused = true;
    note(
      `AWS handed back report ${target.id}, made ${minutes(started - status.createdAt)} ago (one report per CA every 30 minutes)`,
    );
  }

  // download, unless the same object is already kept
  const info = reportKeyInfo(key);
  const format = info?.format ?? o.format;
  const path = join(o.outDir, `${target.id}.${format}`);
  const objects = listable ? await listObjects(clients.s3(o.ca.region), status.bucket ?? o.bucket, key) : [];
  const object = objects.find((x) => x.key === key);
  const existing = await stat(path).catch(() => undefined);
  const kept = existing !== undefined && object !== undefined && existing.size === object.size;
  const got = kept
    ? undefined
    : await downloadObject(clients.s3(o.ca.region), status.bucket ?? o.bucket, key, path);
  return {
    id: target.id,
    bucket: o.bucket,
    key,
    format,
    createdAt: status.createdAt ?? got?.lastModified ?? object?.lastModified ?? now(),
    path,
    size: got?.size ?? existing?.size ?? 0,
    reused: target.reused,
    alreadyDownloaded: kept,
  };
}

function timeoutError(o: GenerateOptions, what: string, key?: string): AwsError {
  return new AwsError(
    'DescribeCertificateAuthorityAuditReport',
    'Timeout',
    `gave up after ${o.timeout} s: ${what}`,
    undefined,
    key
      ? `it will land at s3://${o.bucket}/${key}; run again later (or raise --timeout)`
      : 'raise --timeout, or run again later',
  );
}
