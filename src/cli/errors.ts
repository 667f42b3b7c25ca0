/** The exit codes (one list, in src/core/errors.ts) and the usage error, which use cases (src/app) throw too. */
export {
  EXIT_AWS,
  EXIT_FINDINGS,
  EXIT_INTERNAL,
  EXIT_OK,
  EXIT_RETRY_LATER,
  EXIT_USAGE,
  UsageError,
} from '../core/errors.js';
