import { stringify } from 'csv-stringify/sync';
import type { Finding } from '../finding.js';
import type { CertificateRow, DiffOutput, InspectOutput } from '../report-model.js';

/**
 * A spreadsheet treats a cell starting with = + - @ (or tab/CR) as a formula; subjects and
 * messages are attacker-influenced text, so such cells get a leading apostrophe (OWASP's advice).
 */
export function neutraliseCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

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
  return stringify([HEADER, ...records.map((r) => r.map(neutraliseCell))], { record_delimiter: 'unix' });
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
