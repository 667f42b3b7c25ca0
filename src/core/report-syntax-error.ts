/** A report that cannot be read as a whole: truncated, wrong header, broken quoting. Fatal. */
export class ReportSyntaxError extends Error {
  override readonly name = 'ReportSyntaxError';
  constructor(
    readonly what: string,
    /** 1-based line, and 0-based byte offset in the (decompressed) input */
    readonly line: number,
    readonly byte: number,
  ) {
    super(`line ${line}, byte ${byte}: ${what}`);
  }
}
