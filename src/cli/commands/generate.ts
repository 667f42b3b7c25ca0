/**
 * `pca-audit generate`, the shell: flags to the generate use case (src/app/generate.ts); prints
 * where the report is (or, with --json, what it is; and when to come back, on exit 5).
 */
import { type GenerateRequest, generate, requestedCa } from '../../app/generate.js';
import { RetryLaterError } from '../../aws/errors.js';
import { formatInstant } from '../../core/instant.js';
import { safeText } from '../../core/render/style.js';
import type { CliContext } from '../context.js';
import { makeOutput } from '../output.js';

export interface GenerateCommand extends GenerateRequest {
  json: boolean;
}

/** `pca-audit generate`: prints where the report is (or, with --json, what it is). */
export async function runGenerate(cmd: GenerateCommand, ctx: CliContext): Promise<number> {
  const { json, ...request } = cmd;
  const output = makeOutput(ctx.streams, { format: json ? 'json' : 'text' });
  let made: Awaited<ReturnType<typeof generate>>;
  try {
    made = await generate(request, ctx);
  } catch (err) {
    // exit 5 with --json: a scheduler reads when to come back from stdout; stderr says it too
    if (json && err instanceof RetryLaterError) {
      await output.emit(
        `${JSON.stringify({
          status: 'retry-later',
          refusedBy: err.refusedBy,
          reason: err.reason,
          retryAfter: formatInstant(Math.ceil(err.retryAfter)),
          message: err.message,
          ca: requestedCa(cmd.ca).arn,
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
  const { ca, report: r, exitCode } = made;
  if (json) {
    await output.emit(
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
  } else await output.emit(`${safeText(r.path)}\n`);
  return exitCode;
}
