/**
 * Audit report rows and their two file formats, byte for byte as AWS Private CA writes them (the
 * formats of samples/ and scripts/make-samples.mjs): JSON is one array with one object per line, keys
 * in AWS order and absent values omitted; CSV has the 11-column header, CRLF line ends, and quotes
 * only cells holding a quote, comma or line break.
 */

import { formatInstant } from '../core/instant.js';
import { FIELD_NAMES, type FieldName } from '../core/report/audit-record.js';

export type AuditReportFormat = 'JSON' | 'CSV';

/** One certificate as a report shows it; absent fields are undefined. */
export type AuditReportRow = { [K in FieldName]?: string | undefined };

/** A change the report-tamper knob makes to later reports of a CA. */
export type ReportTamper =
  | { serial: string; drop: true }
  | { serial: string; field: FieldName; value: string | null };

/** `2018-02-26T18:39:57+0000`: whole seconds, UTC, offset without a colon. */
export function formatReportInstant(epochSeconds: number): string {
  return formatInstant(Math.floor(epochSeconds)).replace(/Z$/, '+0000');
}

/** The row with its keys in AWS order and undefined values left out. */
function ordered(row: AuditReportRow): AuditReportRow {
  const out: AuditReportRow = {};
  for (const key of FIELD_NAMES) if (row[key] !== undefined) out[key] = row[key];
  return out;
}

export function formatJsonReport(rows: readonly AuditReportRow[]): string {
  return `[\n${rows.map((r) => JSON.stringify(ordered(r))).join(',\n')}\n]\n`;
}

function csvCell(value: string | undefined): string {
  if (value === undefined) return '';
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function formatCsvReport(rows: readonly AuditReportRow[]): string {
  const lines = [FIELD_NAMES.join(','), ...rows.map((r) => FIELD_NAMES.map((k) => csvCell(r[k])).join(','))];
  return lines.map((l) => `${l}\r\n`).join('');
}

export function formatReport(rows: readonly AuditReportRow[], format: AuditReportFormat): string {
  return format === 'JSON' ? formatJsonReport(rows) : formatCsvReport(rows);
}

/**
 * Applies tampers in order; a tamper names its row by the report's serial form (`e8:cb:...`).
 * A value of null removes the field.
 */
export function applyTampers(
  rows: readonly AuditReportRow[],
  tampers: readonly ReportTamper[],
): AuditReportRow[] {
  let out = rows.map((r) => ({ ...r }));
  for (const t of tampers) {
    if ('drop' in t) {
      out = out.filter((r) => r.serial !== t.serial);
      continue;
    }
    for (const r of out) {
      if (r.serial !== t.serial) continue;
      if (t.value === null) delete r[t.field];
      else r[t.field] = t.value;
    }
  }
  return out;
}
