/** The exit codes (design.md); a crash is 4, never 1, which means "findings". */
export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;
export const EXIT_AWS = 3;
export const EXIT_INTERNAL = 4;
/** "Not now: retry after T": no report yet (the 30-minute rule), and asking again after T can succeed. */
export const EXIT_RETRY_LATER = 5;

/** A bad flag or argument: exit 2, with a hint where one helps. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}
