import { type DescribeOptions, PcaAuditError } from '../core/errors.js';
import { formatInstant } from '../core/instant.js';

/** AWS failures, named the way the AWS CLI names them: operation, error name, request id. */
export class AwsError extends PcaAuditError {
  override readonly name: string = 'AwsError';
  readonly errorKind = 'aws';
  override readonly refusedBy = 'AWS';
  constructor(
    readonly operation: string,
    readonly errorName: string,
    message: string,
    readonly requestId?: string,
    override readonly hint?: string,
  ) {
    super(message);
  }

  override describe(o: DescribeOptions): string {
    const id = this.requestId ? ` (request id ${this.requestId})` : '';
    return `AWS ${this.operation} failed: ${o.clean(this.errorName)}: ${o.clean(this.message)}${id}`;
  }
}

/**
 * A report AWS made and ended FAILED (DescribeCertificateAuthorityAuditReport), with what
 * diagnoseReportFailure found in the bucket's settings: `run` makes it AUDIT_REPORT_FAILED.
 */
export class ReportFailedError extends AwsError {
  constructor(
    readonly reportId: string,
    readonly status: string,
    readonly causes: readonly string[],
    hint?: string,
  ) {
    super(
      'CreateCertificateAuthorityAuditReport',
      'ReportFailed',
      `report ${reportId} ended ${status}${causes.length ? `: ${causes.join('; ')}` : ' (no cause found in the bucket settings; check the CA status and your own permissions)'}`,
      undefined,
      hint,
    );
  }
}

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { requestId?: string; extendedRequestId?: string; httpStatusCode?: number };
  $response?: { statusCode?: number };
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE']);

const HINTS: Record<string, string> = {
  CredentialsProviderError:
    'configure credentials (AWS_PROFILE, --profile, environment variables or an instance role)',
  ExpiredToken: 'refresh your credentials',
  ExpiredTokenException: 'refresh your credentials',
  UnrecognizedClientException: 'the credentials are not valid for this account or endpoint',
  InvalidClientTokenId: 'the credentials are not valid for this account or endpoint',
  AccessDeniedException: "grant the permission (see 'pca-audit iam-policy')",
  AccessDenied: "grant the permission (see 'pca-audit iam-policy')",
  NoSuchBucket: 'check the bucket name (and that it is in this account)',
  ThrottlingException: 'retry later, or lower the request rate (--max-attempts, --retry-mode adaptive)',
  NetworkError: 'check the network, the Region and --endpoint-url',
  MissingRegion: 'give --region, or set AWS_REGION',
};

/**
 * Failures that no later call can get past (every call would fail alike): a command stops on them
 * (exit 3) rather than report each check or CA as failed one by one.
 */
export const FATAL_AWS_ERRORS: ReadonlySet<string> = new Set([
  'NetworkError',
  'MissingRegion',
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
]);

/** Wraps whatever an SDK call threw into an AwsError naming the operation. */
export function toAwsError(operation: string, err: unknown): AwsError {
  if (err instanceof AwsError) return err;
  const e = (err ?? {}) as SdkErrorShape;
  let name = e.name && e.name !== 'Error' ? e.name : (e.code ?? 'Error');
  let message = e.message ?? String(err);
  if (e.code && NETWORK_CODES.has(e.code)) {
    name = 'NetworkError';
    message = `${e.code}: ${message}`;
  }
  if (name === 'TimeoutError' || name === 'RequestTimeout') name = 'NetworkError';
  if (/Region is missing/i.test(message)) name = 'MissingRegion';
  // an S3 error without a body (HEAD) comes back as its HTTP status
  if (/^\d{3}$/.test(name) || name === 'UnknownError' || name === 'Unknown') {
    const status = e.$metadata?.httpStatusCode;
    if (status === 404) name = 'NotFound';
    else if (status === 403) name = 'AccessDenied';
    else if (status !== undefined) name = `HTTP${status}`;
  }
  const requestId = e.$metadata?.requestId;
  return new AwsError(operation, name, message, requestId, HINTS[name]);
}

/** Runs one SDK call; failures become AwsErrors naming the operation. */
export async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toAwsError(operation, err);
  }
}

/**
 * The pages of an SDK paginator (`paginateListObjectsV2(…)`), each request's failure an AwsError of
 * `operation` as `call` makes it.
 */
export async function* pagesOf<T>(operation: string, paginator: AsyncIterable<T>): AsyncGenerator<T> {
  const pages = paginator[Symbol.asyncIterator]();
  for (;;) {
    const next = await call(operation, () => pages.next());
    if (next.done) return;
    yield next.value;
  }
}

/** Why a report cannot be had now; keyed on by `generate --json` readers. */
export type RetryLaterReason =
  /** a report of the other format is younger than 30 minutes: pca-audit did not ask AWS */
  | 'ReportIntervalNotElapsed'
  /** AWS answered with an earlier report of the other format instead of making one */
  | 'OtherFormatHandedBack'
  /** the wait for the next report slot outlasted --timeout */
  | 'SlotWaitTimeout'
  /** the report was requested, but was still being made when --timeout ran out */
  | 'ReportWaitTimeout';

/**
 * "Not now": no report can be had before `retryAfter`, and asking again after it can succeed
 * (exit 5). `refusedBy` says who said no: AWS (with the operation and its answer), or pca-audit
 * on its own, before any report was requested.
 */
export class RetryLaterError extends PcaAuditError {
  override readonly name = 'RetryLaterError';
  readonly errorKind = 'retry-later';
  override readonly hint: string | undefined;
  /** what AWS answered, when AWS refused */
  readonly aws: { operation: string; errorName?: string; requestId?: string } | undefined;
  /** the recent report that stands in the way (or that AWS handed back), when known */
  readonly report: { id: string; format: 'json' | 'csv'; key: string; createdAt: number } | undefined;
  constructor(
    override readonly refusedBy: 'AWS' | 'pca-audit',
    readonly reason: RetryLaterReason,
    message: string,
    /** epoch seconds */
    readonly retryAfter: number,
    more: {
      hint?: string;
      aws?: RetryLaterError['aws'];
      report?: RetryLaterError['report'];
    } = {},
  ) {
    super(message);
    this.hint = more.hint;
    this.aws = more.aws;
    this.report = more.report;
  }

  /** who said no matters: AWS (its operation and answer), or pca-audit before asking AWS */
  override describe(o: DescribeOptions): string {
    const aws = this.aws;
    const who =
      this.refusedBy === 'AWS'
        ? o.brief
          ? 'refused by AWS'
          : `refused by AWS (${[aws?.operation, aws?.errorName].filter(Boolean).join(': ')}${aws?.requestId ? `, request id ${aws.requestId}` : ''})`
        : this.reason === 'ReportWaitTimeout'
          ? 'pca-audit stopped waiting for AWS'
          : o.brief
            ? 'refused by pca-audit'
            : 'refused by pca-audit, before asking AWS for a report';
    return `not now: ${who}: ${o.clean(this.message)}; retry after ${formatInstant(Math.ceil(this.retryAfter))}`;
  }
}

/**
 * Writing a download to the local disk failed, or what was read back after fsync is not what was
 * downloaded (full disk, quota, I/O error): exit 2, naming the path. Nothing is kept at the path.
 */
export class LocalWriteError extends PcaAuditError {
  override readonly name = 'LocalWriteError';
  readonly errorKind = 'local-write';
  constructor(
    readonly path: string,
    message: string,
    override readonly hint?: string,
  ) {
    super(message);
  }

  override describe(o: DescribeOptions): string {
    return `writing "${o.clean(this.path)}": ${o.clean(this.message)}`;
  }
}
