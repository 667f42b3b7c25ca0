import { PcaAuditError } from '../core/errors.js';

/** The exit codes: one list, in src/core/errors.ts. */
export {
  EXIT_AWS,
  EXIT_FINDINGS,
  EXIT_INTERNAL,
  EXIT_OK,
  EXIT_RETRY_LATER,
  EXIT_USAGE,
} from '../core/errors.js';

/** A bad flag or argument: exit 2, with a hint where one helps. */
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
