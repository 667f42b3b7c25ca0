/**
 * `generate`: create → wait → download → keep, within AWS's one-report-per-30-minutes rule.
 *
 * What a second CreateCertificateAuthorityAuditReport inside the 30 minutes does is unconfirmed
 * (aws-facts.md): RequestInProgressException, ThrottlingException, LimitExceededException, or the
 * earlier report handed back. So the bucket is asked first (a report younger than 30 minutes is
 * reused), each of those errors is handled, and a report whose CreatedAt is older than the call
 * is said to be reused.
 *
 * A fresh report of the other format is taken with `acceptAnyFormat` (diff compares JSON with
 * CSV), waited out with `waitForSlot`, and otherwise refused by pca-audit itself, before any report
 * is requested: a RetryLaterError (exit 5) with the time the next slot opens. So is a report of the
 * other format that AWS hands back, and a wait for a slot that outlasts the timeout.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { type CaArn, REPORT_INTERVAL_SECONDS, reportKeyInfo, reportPrefix } from '../core/ca-arn.js';
import type { AwsClients } from './clients.js';
import { diagnoseReportFailure } from './diagnose.js';
import { type AwsError, ReportFailedError, RetryLaterError } from './errors.js';
import { createAuditReport, describeAuditReport } from './pca.js';
import { downloadObject, fileDigests, isMd5Etag, listObjects } from './s3.js';

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
  /** take a fresh report of the other format (or one AWS hands back) instead of refusing or waiting */
  acceptAnyFormat?: boolean;
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
  /** the format asked for: `format` differs only when a report of the other format was accepted */
  requestedFormat: ReportFormatName;
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
const upper = (f: ReportFormatName) => f.toUpperCase();
/** when the next report may be asked for, after one made at `made` (5 s of margin for clock skew) */
const slotAfter = (made: number) => made + REPORT_INTERVAL_SECONDS + 5;
/** AWS refusing a new report inside the 30 minutes, in each of the ways it may (aws-facts.md) */
const SLOT_REFUSALS = new Set([
  'RequestInProgressException',
  'ThrottlingException',
  'LimitExceededException',
]);

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
    if (newest && (newest.format === o.format || o.acceptAnyFormat)) {
      note(
        newest.format === o.format
          ? `reusing report ${newest.id}, made ${minutes(now() - newest.lastModified)} ago (AWS makes one report per CA every 30 minutes)`
          : `using the ${upper(newest.format)} report ${newest.id}, made ${minutes(now() - newest.lastModified)} ago, instead of a ${upper(o.format)} one (AWS makes one report per CA every 30 minutes)`,
      );
      target = { id: newest.id, key: newest.key, reused: true };
      break;
    }
    if (newest) {
      const retryAfter = slotAfter(newest.lastModified);
      const wait = retryAfter - now();
      const report = {
        id: newest.id,
        format: newest.format,
        key: newest.key,
        createdAt: newest.lastModified,
      };
      if (!o.waitForSlot) {
        throw new RetryLaterError(
          'pca-audit',
          'ReportIntervalNotElapsed',
          `a ${upper(newest.format)} report (${newest.id}) was made ${minutes(now() - newest.lastModified)} ago and AWS makes one report per CA every 30 minutes, so no ${upper(o.format)} report was requested`,
          retryAfter,
          {
            hint: `use --format ${newest.format} or --accept-any-format to take that report, or --wait-for-slot to wait ${minutes(wait)}`,
            report,
          },
        );
      }
      if (now() + wait > deadline) {
        throw new RetryLaterError(
          'pca-audit',
          'SlotWaitTimeout',
          `the next report slot opens in ${minutes(wait)}, after --timeout (${o.timeout} s)`,
          retryAfter,
          { hint: 'run again after then, or raise --timeout', report },
        );
      }
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
      const e = err as AwsError;
      if (!SLOT_REFUSALS.has(e.errorName)) throw err;
      // another report is being made, or the 30 minutes have not passed: look again, wait, retry
      newest = await recent();
      if (newest) continue;
      if (now() + o.pollInterval > deadline) {
        // the report AWS counts was made before now, so its 30 minutes end before now + 30 minutes
        throw new RetryLaterError(
          'AWS',
          'SlotWaitTimeout',
          `AWS kept answering ${e.errorName} until --timeout (${o.timeout} s) ran out: one report per CA every 30 minutes`,
          now() + REPORT_INTERVAL_SECONDS,
          {
            hint: 'run again after then, or raise --timeout',
            aws: {
              operation: 'CreateCertificateAuthorityAuditReport',
              errorName: e.errorName,
              ...(e.requestId ? { requestId: e.requestId } : {}),
            },
          },
        );
      }
      note(`AWS answered ${e.errorName}; trying again in ${o.pollInterval} s`);
      await deps.sleep(o.pollInterval);
    }
  }

  // wait for it
  let status = await describeAuditReport(pca, o.ca.arn, target.id);
  while (status.status === 'CREATING') {
    if (now() + o.pollInterval > deadline)
      throw timeoutError(o, now(), `report ${target.id} is still being made`, target.key);
    deps.progress(`report ${target.id}: CREATING (${Math.round(now() - started)} s)`);
    await deps.sleep(o.pollInterval);
    status = await describeAuditReport(pca, o.ca.arn, target.id);
  }
  deps.progress('');
  if (status.status !== 'SUCCESS') {
    const causes = await diagnoseReportFailure(clients.s3(o.ca.region), o.bucket, o.ca);
    throw new ReportFailedError(
      target.id,
      status.status,
      causes,
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

  const info = reportKeyInfo(key);
  const format = info?.format ?? o.format;
  if (format !== o.format) {
    // only AWS can have chosen the format here: a listed report of the other format was refused above
    const made = status.createdAt ?? now();
    if (!o.acceptAnyFormat) {
      throw new RetryLaterError(
        'AWS',
        'OtherFormatHandedBack',
        `AWS answered with report ${target.id}, a ${upper(format)} report made ${minutes(now() - made)} ago, instead of making a ${upper(o.format)} one (one report per CA every 30 minutes)`,
        status.createdAt === undefined ? now() + REPORT_INTERVAL_SECONDS : slotAfter(made),
        {
          hint: `use --format ${format} or --accept-any-format to take that report`,
          aws: { operation: 'CreateCertificateAuthorityAuditReport' },
          report: { id: target.id, format, key, createdAt: made },
        },
      );
    }
    note(
      `AWS answered with the ${upper(format)} report ${target.id} instead of a ${upper(o.format)} one; using it`,
    );
  }

  // download, unless the same object is already kept
  const path = join(o.outDir, `${target.id}.${format}`);
  const objects = listable ? await listObjects(clients.s3(o.ca.region), status.bucket ?? o.bucket, key) : [];
  const object = objects.find((x) => x.key === key);
  const existing = await stat(path).catch(() => undefined);
  // a kept copy is trusted only on its content: its MD5 against the object's ETag (size alone would
  // keep a copy damaged or edited in place); an ETag that is no MD5 (multipart, SSE-KMS) proves
  // nothing, so the object is downloaded again
  let kept = false;
  if (existing !== undefined && object !== undefined && existing.size === object.size) {
    kept = isMd5Etag(object.etag) && (await fileDigests(path)).md5 === object.etag;
  }
  if (existing !== undefined && !kept) {
    note(
      `${path} is already here but could not be shown to be s3://${status.bucket ?? o.bucket}/${key} (size and MD5 against the ETag); downloading it again`,
    );
  }
  const got = kept
    ? undefined
    : await downloadObject(clients.s3(o.ca.region), status.bucket ?? o.bucket, key, path);
  return {
    id: target.id,
    bucket: o.bucket,
    key,
    format,
    requestedFormat: o.format,
    createdAt: status.createdAt ?? got?.lastModified ?? object?.lastModified ?? now(),
    path,
    size: got?.size ?? existing?.size ?? 0,
    reused: target.reused,
    alreadyDownloaded: kept,
  };
}

/**
 * The report was asked for and AWS is still making it: nobody refused, pca-audit stopped waiting
 * (--timeout). A later run finds it in the bucket (or asks again), so it is "not now" (exit 5),
 * not an AWS failure.
 */
function timeoutError(o: GenerateOptions, now: number, what: string, key?: string): RetryLaterError {
  return new RetryLaterError(
    'pca-audit',
    'ReportWaitTimeout',
    `gave up after ${o.timeout} s (--timeout): ${what}`,
    now + o.pollInterval,
    {
      hint: key
        ? `it will land at s3://${o.bucket}/${key}; run again later (or raise --timeout)`
        : 'raise --timeout, or run again later',
    },
  );
}
