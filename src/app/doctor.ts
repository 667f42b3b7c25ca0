/** `pca-audit doctor`: every check of a CA's audit set-up, PASS/WARN/FAIL/SKIP with its fix. */
import { type Check, runDoctor } from '../aws/doctor.js';
import type { CaArn } from '../core/ca-arn.js';
import { EXIT_FINDINGS, EXIT_OK } from '../core/errors.js';
import type { AwsAccess, Clock } from './ports.js';

export interface DoctorRequest {
  ca: CaArn;
  /** the bucket the CA's audit reports go to (a checked bucket name) */
  bucket: string;
  /** seconds */
  maxReportAge: number;
  /** seconds; absent: half the CRL's validity and an hour */
  maxCrlAge?: number;
}

/** What `doctor --format json` prints (schemaVersion 1). */
export interface DoctorReport {
  schemaVersion: 1;
  ca: string;
  bucket: string;
  checks: Check[];
  summary: { pass: number; warn: number; fail: number; skip: number };
}

/** The checks and the exit code: 1 when one fails. */
export async function doctor(
  req: DoctorRequest,
  ports: AwsAccess & Pick<Clock, 'now'>,
): Promise<{ report: DoctorReport; exitCode: number }> {
  const checks = await runDoctor(
    { clients: await ports.aws(), now: ports.now },
    {
      ca: req.ca,
      bucket: req.bucket,
      maxReportAge: req.maxReportAge,
      ...(req.maxCrlAge === undefined ? {} : { maxCrlAge: req.maxCrlAge }),
    },
  );
  const count = (s: Check['status']) => checks.filter((c) => c.status === s).length;
  const report: DoctorReport = {
    schemaVersion: 1,
    ca: req.ca.arn,
    bucket: req.bucket,
    checks,
    summary: { pass: count('PASS'), warn: count('WARN'), fail: count('FAIL'), skip: count('SKIP') },
  };
  return { report, exitCode: report.summary.fail ? EXIT_FINDINGS : EXIT_OK };
}
