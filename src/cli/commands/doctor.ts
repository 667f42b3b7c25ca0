import { doctor } from '../../app/doctor.js';
import { checkBucketName } from '../../app/names.js';
import type { Check } from '../../aws/doctor.js';
import { parseCaArn } from '../../core/ca-arn.js';
import { UsageError } from '../../core/errors.js';
import { safeOutput, safeText } from '../../core/render/style.js';
import type { CliContext } from '../context.js';
import { makeOutput } from '../output.js';

export interface DoctorCommand {
  ca: string;
  bucket: string;
  /** seconds */
  maxReportAge: number;
  /** seconds */
  /** absent: half the CRL's validity and an hour */
  maxCrlAge?: number;
  format: 'text' | 'json';
}

const COLOURS: Record<Check['status'], number> = { PASS: 32, WARN: 33, FAIL: 31, SKIP: 33 };

function renderText(checks: Check[], color: boolean): string {
  const width = Math.max(...checks.map((c) => c.id.length));
  const lines: string[] = [];
  for (const c of checks) {
    const status = color ? `\u001b[${COLOURS[c.status]}m${c.status}\u001b[39m` : c.status;
    // details quote the bucket policy (statement Sids): escaped before they reach a terminal
    lines.push(`${status}  ${c.id.padEnd(width)}  ${safeText(c.detail)}`);
    if (c.fix && (c.status === 'FAIL' || c.status === 'WARN'))
      lines.push(`${' '.repeat(width + 8)}fix: ${safeText(c.fix)}`);
  }
  const failed = checks.filter((c) => c.status === 'FAIL').length;
  const warned = checks.filter((c) => c.status === 'WARN').length;
  lines.push(
    (failed ? `${failed} of ${checks.length} checks failed` : `all ${checks.length} checks passed`) +
      (warned ? ` (${warned} with a warning)` : ''),
  );
  // details quote AWS error messages and bucket settings: untrusted text
  return safeOutput(`${lines.join('\n')}\n`, { color });
}

/** `pca-audit doctor`: flags checked, the use case (src/app/doctor.ts), its report as text or JSON. */
export async function runDoctorCommand(cmd: DoctorCommand, ctx: CliContext): Promise<number> {
  checkBucketName(cmd.bucket);
  const ca = parseCaArn(cmd.ca);
  if (!ca) {
    throw new UsageError(
      `--ca: "${cmd.ca}" is not a CA ARN`,
      'write it like arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/<uuid>',
    );
  }
  const { report, exitCode } = await doctor(
    {
      ca,
      bucket: cmd.bucket,
      maxReportAge: cmd.maxReportAge,
      ...(cmd.maxCrlAge === undefined ? {} : { maxCrlAge: cmd.maxCrlAge }),
    },
    ctx,
  );
  const output = makeOutput(ctx.streams, { format: cmd.format });
  await output.emit(
    cmd.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderText(report.checks, output.color),
  );
  return exitCode;
}
