/**
 * The `generate` use case: an audit report made for a CA (or a recent one reused, the 30-minute
 * rule) and downloaded into a directory. It returns what was made; a report that cannot be made
 * now is a RetryLaterError (exit 5) saying when to come back.
 */
import { mkdir } from 'node:fs/promises';
import { type GeneratedReport, generateReport, type ReportFormatName } from '../aws/generate.js';
import { type CaArn, parseCaArn } from '../core/ca-arn.js';
import { UsageError } from '../core/errors.js';
import type { AppContext } from './ports.js';

export interface GenerateRequest {
  /** the CA ARN as given: parsed and checked here */
  ca: string;
  bucket: string;
  format: ReportFormatName;
  /** the directory the report is downloaded into (made when missing) */
  out: string;
  /** seconds */
  timeout: number;
  /** seconds */
  pollInterval: number;
  waitForSlot: boolean;
  acceptAnyFormat: boolean;
}

export interface GenerateOutcome {
  ca: CaArn;
  report: GeneratedReport;
  exitCode: number;
}

/** The CA of a request, parsed: a usage error otherwise (before anything is made or read). */
export function requestedCa(arn: string): CaArn {
  const ca = parseCaArn(arn);
  if (!ca) {
    throw new UsageError(
      `--ca: "${arn}" is not a CA ARN`,
      'write it like arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/<uuid>',
    );
  }
  return ca;
}

export async function generate(req: GenerateRequest, ctx: AppContext): Promise<GenerateOutcome> {
  const ca = requestedCa(req.ca);
  await mkdir(req.out, { recursive: true });
  const report = await generateReport(
    { clients: await ctx.aws(), now: ctx.now, sleep: ctx.sleep, note: ctx.note, progress: ctx.progress },
    {
      ca,
      bucket: req.bucket,
      format: req.format,
      outDir: req.out,
      timeout: req.timeout,
      pollInterval: req.pollInterval,
      waitForSlot: req.waitForSlot,
      acceptAnyFormat: req.acceptAnyFormat,
    },
  );
  if (report.alreadyDownloaded)
    ctx.note(`${report.path} is already here (the same size and MD5 as s3://${report.bucket}/${report.key})`);
  return { ca, report, exitCode: 0 };
}
