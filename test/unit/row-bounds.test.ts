// Issue 13 item 10: input that never ends a row (`/dev/zero`, a binary file, a 30 MB "subject")
// is refused once a row passes MAX_ROW_BYTES by the scanners, and a long row arriving in small chunks (gunzip's) is not rescanned once a chunk.
import { describe, expect, it } from 'vitest';
import { MAX_ROW_BYTES } from '../../src/core/report/chunked-scanner.js';
import { CsvReportScanner } from '../../src/core/report/csv-report-scanner.js';
import { JsonReportScanner } from '../../src/core/report/json-report-scanner.js';
import { ReportSyntaxError } from '../../src/core/report/report-syntax-error.js';
import { aRecord, aSerial, splitBytes, toCsvReport, toJsonReport, utf8 } from '../builders.js';

type Format = 'csv' | 'json';

/** A report of three rows whose second row's subject is `length` bytes long. */
function reportWithSubject(format: Format, length: number): Uint8Array {
  const records = [0, 1, 2].map((i) =>
    aRecord({ serial: aSerial(i), ...(i === 1 ? { subject: `CN=${'a'.repeat(length - 3)}` } : {}) }),
  );
  return utf8(format === 'csv' ? toCsvReport(records) : toJsonReport(records));
}

function newScanner(format: Format, onRow: () => void = () => {}) {
  return format === 'csv' ? new CsvReportScanner(onRow) : new JsonReportScanner(onRow);
}

/** The rows scanned, or the syntax error. */
function scan(format: Format, bytes: Uint8Array, sizes: number): number | ReportSyntaxError {
  let rows = 0;
  const scanner = newScanner(format, () => rows++);
  try {
    for (const chunk of splitBytes(bytes, sizes)) scanner.push(chunk);
    scanner.end();
  } catch (err) {
    if (err instanceof ReportSyntaxError) return err;
    throw err;
  }
  return rows;
}

/** Where the second row starts (CSV: after the header and the first row; JSON: its '{'). */
function secondRow(format: Format, bytes: Uint8Array): number {
  const offsets: number[] = [];
  const scanner =
    format === 'csv'
      ? new CsvReportScanner((v) => offsets.push(v.offset))
      : new JsonReportScanner((v) => offsets.push(v.offset));
  try {
    scanner.push(bytes);
  } catch {
    // the long row: only its start is wanted
  }
  return offsets.length > 1 ? offsets[1]! : Number.NaN;
}

describe('issue 13 item 10: rows are bounded', () => {
  for (const format of ['csv', 'json'] as const) {
    it(`${format}: a row over ${MAX_ROW_BYTES} bytes is refused at its start, however it is chunked`, () => {
      const ok = reportWithSubject(format, MAX_ROW_BYTES - 1024);
      const long = reportWithSubject(format, MAX_ROW_BYTES + 1);
      const start = secondRow(format, reportWithSubject(format, 10));
      for (const sizes of [Number.POSITIVE_INFINITY, 65536, 16384, 1000]) {
        expect(scan(format, ok, sizes)).toBe(3);
        const err = scan(format, long, sizes);
        expect(err).toBeInstanceOf(ReportSyntaxError);
        expect((err as ReportSyntaxError).byte).toBe(start);
      }
    });

    it(`${format}: a row that never ends (inspect /dev/zero) is refused after about ${MAX_ROW_BYTES} bytes`, () => {
      const scanner = newScanner(format);
      // CSV: zero bytes, as /dev/zero gives (one endless cell); JSON: a string that never closes
      const filler = new Uint8Array(65536).fill(format === 'csv' ? 0 : 0x61);
      let pushed = 0;
      let error: unknown;
      try {
        if (format === 'json') scanner.push(utf8('[{"subject":"'));
        // bounded, so that the test ends (and fails) when nothing refuses the stream
        while (pushed < 64 * MAX_ROW_BYTES) {
          scanner.push(filler);
          pushed += filler.length;
        }
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ReportSyntaxError);
      expect(pushed).toBeLessThanOrEqual(2 * MAX_ROW_BYTES);
    });
  }
});

/** A CSV scanner that counts the bytes each scan is handed. */
class CountingCsvScanner extends CsvReportScanner {
  scanned = 0;
  protected override scan(pos: number, final: boolean): number {
    this.scanned += this.buf.length - pos;
    return super.scan(pos, final);
  }
}

describe('issue 13 item 10: scanning stays linear', () => {
  it('a row of most of a MiB in 16 KiB chunks (gunzip) is not rescanned once a chunk', () => {
    const bytes = reportWithSubject('csv', MAX_ROW_BYTES - 1024);
    let rows = 0;
    const scanner = new CountingCsvScanner(() => rows++);
    for (const chunk of splitBytes(bytes, 16384)) scanner.push(chunk);
    scanner.end();
    expect(rows).toBe(3);
    // rescanned only when what waits has doubled: at most about twice the input, not 32 times
    expect(scanner.scanned).toBeLessThan(4 * bytes.length);
  });
});
