import { stringify } from 'csv-stringify/sync';
import type { Finding } from '../finding.js';
import type { CertificateRow, DiffOutput, InspectOutput } from '../report/report-model.js';

/**
 * A spreadsheet treats a cell starting with = + - @ (or tab/CR) as a formula; subjects and
 * messages are attacker-influenced text, so such cells get a leading apostrophe (OWASP's advice).
 * Every line start inside the cell counts too: a spreadsheet may split a cell at CR, LF or CRLF, and
 * then each line is read as the start of a cell (issue 13 item 2).
 */
export function neutraliseCell(value: string): string {
  if (!/[\r\n]/.test(value)) return FORMULA_START.test(value) ? `'${value}` : value;
  // [line, break, line, break, ..., line]: a line is dangerous if what follows its start (itself, or
  // when empty the break after it, e.g. a CR) is a formula start
  const parts = value.split(/(\r\n|\r|\n)/);
  for (let k = 0; k < parts.length; k += 2) {
    if (FORMULA_START.test(parts[k] || (parts[k + 1] ?? ''))) parts[k] = `'${parts[k]}`;
  }
  return parts.join('');
}

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * csv-stringify quotes a cell holding LF (the record delimiter) but not one holding a bare CR, which a
 * reader may take as a row break; every cell with CR or LF is quoted.
 */
const LINE_BREAK = /[\r\n]/;

const HEADER = [
  'kind',
  'severity',
  'code',
  'serial',
  'subject',
  'issuedAt',
  'notAfter',
  'revokedAt',
  'revocationReason',
  'templateArn',
  'line',
  'message',
];

function certRecord(kind: string, r: CertificateRow): string[] {
  return [
    kind,
    '',
    '',
    r.serial,
    r.subject ?? '',
    r.issuedAt ?? '',
    r.notAfter ?? '',
    r.revokedAt ?? '',
    r.revocationReason ?? '',
    r.templateArn ?? '',
    String(r.line),
    '',
  ];
}

function findingRecord(f: Finding): string[] {
  const lines = Object.values(f.evidence)
    .filter(
      (v): v is { line: number } =>
        !!v && typeof v === 'object' && typeof (v as { line?: unknown }).line === 'number',
    )
    .map((v) => String(v.line));
  return ['finding', f.severity, f.code, f.serial ?? '', '', '', '', '', '', '', lines.join(' '), f.message];
}

function toCsv(records: string[][]): string {
  return stringify([HEADER, ...records.map((r) => r.map(neutraliseCell))], {
    record_delimiter: 'unix',
    quoted_match: LINE_BREAK,
  });
}

export function renderDiffCsv(out: DiffOutput): string {
  return toCsv([
    ...out.changes.issued.map((r) => certRecord('issued', r)),
    ...out.changes.revoked.map((r) => certRecord('revoked', r)),
    ...out.changes.expired.map((r) => certRecord('expired', r)),
    ...out.findings.map(findingRecord),
  ]);
}

export function renderInspectCsv(out: InspectOutput): string {
  return toCsv([
    ...out.expiringSoon.map((r) => certRecord('expiring', r)),
    ...out.findings.map(findingRecord),
  ]);
}
