/** A report that cannot be read as a whole: truncated, wrong header, broken quoting. Fatal. */
import { type DescribeOptions, PcaAuditError } from '../errors.js';

export class ReportSyntaxError extends PcaAuditError {
  override readonly name = 'ReportSyntaxError';
  readonly errorKind = 'input';
  constructor(
    readonly what: string,
    /** 1-based line, and 0-based byte offset in the (decompressed) input */
    readonly line: number,
    readonly byte: number,
  ) {
    super(`line ${line}, byte ${byte}: ${what}`);
  }

  override describe(o: DescribeOptions): string {
    return `reading report: ${o.clean(this.message)}`;
  }
}
