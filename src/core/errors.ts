/**
 * One base class for the errors pca-audit means to show its user, and the one mapping from an error
 * to the exit code (README, "Exit codes") and to its one-line text, used by the CLI and by `run`.
 * Pure: the shells inject what needs the system (the words for an errno code, escaping).
 */

/** The exit codes (README); a crash is 4, never 1, which means "findings". */
export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;
export const EXIT_AWS = 3;
export const EXIT_INTERNAL = 4;
/** "Not now: retry after T": no report yet (the 30-minute rule), and asking again after T can succeed. */
export const EXIT_RETRY_LATER = 5;

/**
 * What went wrong, which decides the exit code:
 * - usage: a bad flag, argument or setting (2)
 * - input: an input that cannot be read: a report, a CloudTrail source, a CRL, a certificate (2)
 * - state: the state directory or object of `run` (2)
 * - local-write: a file that cannot be written (2)
 * - aws: AWS or the network failed (3)
 * - retry-later: no report can be had yet; asking again after a time can succeed (5)
 */
export type ErrorKind = 'usage' | 'input' | 'state' | 'local-write' | 'aws' | 'retry-later';

/** Who said no: AWS (with its answer), or pca-audit's own checks. */
export type RefusedBy = 'AWS' | 'pca-audit';

export const EXIT_CODE_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  usage: EXIT_USAGE,
  input: EXIT_USAGE,
  state: EXIT_USAGE,
  'local-write': EXIT_USAGE,
  aws: EXIT_AWS,
  'retry-later': EXIT_RETRY_LATER,
};

/** How describeError writes a text: `clean` escapes quoted untrusted text; `brief` leaves out detail already kept elsewhere. */
export interface DescribeOptions {
  clean: (text: string) => string;
  /** the run summary's form: the AWS answer of a "not now" is not repeated */
  brief: boolean;
  /** the system's words for a file system error's code ("no space left on device") */
  systemReason: (err: SystemErrorShape) => string;
}

/** A Node.js file system error, or one made alike (FileError): code, path and system call. */
export interface SystemErrorShape {
  code: string;
  path: string;
  syscall?: string | undefined;
  message: string;
}

/**
 * An error pca-audit shows its user: `errorKind` decides the exit code, `hint` (a fix) is shown on a
 * line of its own, `cause` (ES2022) is kept for PCA_AUDIT_DEBUG=1. (`errorKind`, not `kind`:
 * InputError's `kind` names what the input is.)
 */
export abstract class PcaAuditError extends Error {
  abstract readonly errorKind: ErrorKind;
  readonly hint?: string | undefined;
  /** who refused; AwsError and RetryLaterError say AWS where AWS did */
  readonly refusedBy: RefusedBy = 'pca-audit';

  constructor(message: string, options?: { cause?: unknown; hint?: string | undefined }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.hint !== undefined) this.hint = options.hint;
  }

  /** The one-line text after `pca-audit: ` (the hint not included). */
  describe(o: DescribeOptions): string {
    return o.clean(this.message);
  }
}

/**
 * A bad flag, argument, setting or config value: exit 2, with a hint where one helps. Here, not in
 * the CLI, because the use cases (src/app) check their requests and refuse with it too.
 */
export class UsageError extends PcaAuditError {
  override readonly name = 'UsageError';
  readonly errorKind = 'usage';
  constructor(
    message: string,
    override readonly hint?: string,
  ) {
    super(message);
  }
}

const plain: DescribeOptions = {
  clean: (text) => text,
  brief: false,
  systemReason: (e) => `${e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')} (${e.code})`,
};

/** A file system error (Node's, or FileError): it names a path and a code. */
export function isSystemError(err: unknown): err is SystemErrorShape {
  const e = err as Partial<SystemErrorShape> | null | undefined;
  return typeof e === 'object' && e !== null && typeof e.code === 'string' && typeof e.path === 'string';
}

/** The exit code of an error that ends a command (or one CA's work in `run`). */
export function exitCodeOf(err: unknown): number {
  if (err instanceof PcaAuditError) return EXIT_CODE_OF_KIND[err.errorKind];
  // a file system refusal (a full disk, a read-only one, a directory, ...) is the environment's, not a bug
  if (isSystemError(err)) return EXIT_USAGE;
  return EXIT_INTERNAL;
}

const VERBS: Record<string, string> = {
  open: 'opening',
  write: 'writing',
  read: 'reading',
  rename: 'replacing',
  link: 'writing',
  fsync: 'writing',
  mkdir: 'making directory',
  scandir: 'listing',
  lstat: 'looking up',
  stat: 'looking up',
  unlink: 'removing',
  rm: 'removing',
};

/** `-` as a path is stdout. */
const STDOUT_PATH = '-';

/** The one-line text of an error (without `pca-audit: ` and without the hint). */
export function describeError(err: unknown, options: Partial<DescribeOptions> = {}): string {
  const o: DescribeOptions = { ...plain, ...options };
  if (err instanceof PcaAuditError && !isSystemError(err)) return err.describe(o);
  if (isSystemError(err)) {
    const verb = (err.syscall && VERBS[err.syscall]) || 'accessing';
    const where = err.path === STDOUT_PATH ? 'stdout' : `"${o.clean(err.path)}"`;
    return `${verb} ${where}: ${o.systemReason(err)}`;
  }
  return `internal error: ${o.clean((err as Error | undefined)?.message ?? String(err))}`;
}

/** The error's hint, if it has one. */
export function hintOf(err: unknown): string | undefined {
  return err instanceof PcaAuditError ? err.hint : undefined;
}
