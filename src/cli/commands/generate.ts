import { mkdir } from 'node:fs/promises';
import { RetryLaterError } from '../../aws/errors.js';
import { type GeneratedReport, generateReport, type ReportFormatName } from '../../aws/generate.js';
import { parseCaArn } from '../../core/ca-arn.js';
import { formatInstant } from '../../core/instant.js';
import { safeText } from '../../core/render/style.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';

export interface GenerateCommand {
  ca: string;
  bucket: string;
  format: ReportFormatName;
  out: string;
  timeout: number;
  pollInterval: number;
  waitForSlot: boolean;
  acceptAnyFormat: boolean;
  json: boolean;
}

/** `pca-audit generate`: prints where the report is (or, with --json, what it is). */
export async function runGenerate(cmd: GenerateCommand, ctx: CliContext): Promise<number> {
  const ca = parseCaArn(cmd.ca);
  if (!ca) {
    throw new UsageError(
      `--ca: "${cmd.ca}" is not a CA ARN`,
      'write it like arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/<uuid>',
    );
  }
  await mkdir(cmd.out, { recursive: true });
  let r: GeneratedReport;
  try {
    r = await generateReport(
      { clients: await ctx.aws(), now: ctx.now, sleep: ctx.sleep, note: ctx.note, progress: ctx.progress },
      {
        ca,
        bucket: cmd.bucket,
        format: cmd.format,
        outDir: cmd.out,
        timeout: cmd.timeout,
        pollInterval: cmd.pollInterval,
        waitForSlot: cmd.waitForSlot,
        acceptAnyFormat: cmd.acceptAnyFormat,
      },
    );
  } catch (err) {
    // exit 5 with --json: a scheduler reads when to come back from stdout; stderr says it too
    if (cmd.json && err instanceof RetryLaterError) {
      await ctx.streams.stdout.write(
        `${JSON.stringify({
          status: 'retry-later',
          refusedBy: err.refusedBy,
          reason: err.reason,
          retryAfter: formatInstant(Math.ceil(err.retryAfter)),
          message: err.message,
          ca: ca.arn,
          bucket: cmd.bucket,
          format: cmd.format,
          ...(err.aws ? { aws: err.aws } : {}),
          ...(err.report
            ? {
                report: {
                  reportId: err.report.id,
                  format: err.report.format,
                  key: err.report.key,
                  createdAt: formatInstant(err.report.createdAt),
                },
              }
            : {}),
        })}\n`,
      );
    }
    throw err;
  }
  if (r.alreadyDownloaded)
    ctx.note(`${r.path} is already here (the same size and MD5 as s3://${r.bucket}/${r.key})`);
  if (cmd.json) {
    await ctx.streams.stdout.write(
      `${JSON.stringify({
        status: 'ok',
        reportId: r.id,
        ca: ca.arn,
        bucket: r.bucket,
        key: r.key,
        format: r.format,
        requestedFormat: r.requestedFormat,
        createdAt: formatInstant(r.createdAt),
        path: r.path,
        size: r.size,
        reused: r.reused,
        downloaded: !r.alreadyDownloaded,
      })}\n`,
    );
  } else await ctx.streams.stdout.write(`${safeText(r.path)}\n`);
  return 0;
}
