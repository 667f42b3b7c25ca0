/**
 * The exit codes (one list) and UsageError (a bad flag or argument: exit 2), both in
 * src/core/errors.ts: the use cases (src/app) refuse with UsageError too.
 */
export {
  EXIT_AWS,
  EXIT_FINDINGS,
  EXIT_INTERNAL,
  EXIT_OK,
  EXIT_RETRY_LATER,
  EXIT_USAGE,
  UsageError,
} from '../core/errors.js';
