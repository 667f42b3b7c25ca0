import type { Finding } from '../finding.js';
import type { CertificateRow, DiffOutput, InspectOutput } from '../report/report-model.js';
import type { ReportSummary } from '../report/report-summary.js';
import { safeOutput, safeText } from './style.js';
import { type ReportLabels, sourceLines, whereOf } from './text.js';

/** Escapes what Markdown tables and inline text would interpret. */
export function mdCell(value: string): string {
  return safeText(
    value
      .replace(/\\/g, '\\\\')
      .replace(/\|/g, '\\|')
      .replace(/([*_`[\]<>])/g, '\\$1')
      .replace(/\r?\n/g, ' '),
  );
}

function mdTable(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
  ];
}

function certSection(
  title: string,
  rows: CertificateRow[],
  cols: Array<[string, keyof CertificateRow]>,
): string[] {
  if (rows.length === 0) return [];
  return [
    `### ${title} (${rows.length})`,
    '',
    ...mdTable(
      ['Serial', ...cols.map(([h]) => h)],
      rows.map((r) => [r.serial, ...cols.map(([, k]) => String(r[k] ?? ''))]),
    ),
    '',
  ];
}

/** The findings; with `reports` (a diff) a Where column names the report lines and events. */
function findingSection(
  findings: Finding[],
  omitted: Record<string, number>,
  reports?: ReportLabels,
): string[] {
  const total = findings.length + Object.values(omitted).reduce((a, b) => a + b, 0);
  if (total === 0) return ['### Findings', '', 'None.', ''];
  const out = [
    `### Findings (${total})`,
    '',
    ...(reports
      ? mdTable(
          ['Severity', 'Code', 'Serial', 'Where', 'Message'],
          findings.map((f) => [f.severity, f.code, f.serial ?? '', whereOf(f, reports), f.message]),
        )
      : mdTable(
          ['Severity', 'Code', 'Serial', 'Message'],
          findings.map((f) => [f.severity, f.code, f.serial ?? '', f.message]),
        )),
  ];
  for (const [code, n] of Object.entries(omitted)) out.push('', `…and ${n} more ${mdCell(code)}.`);
  return [...out, ''];
}

function summaryTable(labels: string[], s: ReportSummary[]): string[] {
  const keys: Array<keyof ReportSummary> = ['certificates', 'active', 'expired', 'revoked'];
  return mdTable(
    ['', ...labels],
    keys.map((k) => [k, ...s.map((x) => String(x[k]))]),
  );
}

export function renderDiffMarkdown(out: DiffOutput): string {
  const s = out.summary;
  const lines = [
    '## pca-audit diff',
    '',
    `- old: \`${out.old.source}\` (${out.old.format}${out.old.createdAt ? `, made ${out.old.createdAt}` : ''})`,
    `- new: \`${out.new.source}\` (${out.new.format}${out.new.createdAt ? `, made ${out.new.createdAt}` : ''})`,
    ...((out.new.ca ?? out.old.ca) ? [`- CA: \`${out.new.ca ?? out.old.ca}\``] : []),
    `- window: ${out.window.from ?? '?'} → ${out.window.to ?? '?'} (${mdCell(out.window.basis)})`,
    ...sourceLines(out).map((l) => `- ${mdCell(l.trim().replace(/\s+/g, ' '))}`),
    '',
    `**${s.issued} issued, ${s.revoked} revoked, ${s.expired} expired; ${s.findings.error} errors, ${s.findings.warning} warnings, ${s.findings.info} info**`,
    '',
    ...summaryTable(['old', 'new'], [out.old.summary, out.new.summary]),
    '',
    ...certSection('Issued', out.changes.issued, [
      ['Issued at', 'issuedAt'],
      ['Not after', 'notAfter'],
      ['Subject', 'subject'],
    ]),
    ...certSection('Revoked', out.changes.revoked, [
      ['Revoked at', 'revokedAt'],
      ['Reason', 'revocationReason'],
      ['Subject', 'subject'],
    ]),
    ...certSection('Expired', out.changes.expired, [
      ['Not after', 'notAfter'],
      ['Subject', 'subject'],
    ]),
    ...findingSection(out.findings, out.omittedFindings, { old: out.old.source, new: out.new.source }),
  ];
  return safeOutput(`${lines.join('\n').trimEnd()}\n`);
}

export function renderInspectMarkdown(out: InspectOutput): string {
  const lines = [
    '## pca-audit inspect',
    '',
    `- report: \`${out.report.source}\` (${out.report.format})`,
    ...(out.report.ca ? [`- CA: \`${out.report.ca}\``] : []),
    `- as of: ${out.asOf}`,
    '',
    ...summaryTable(['count'], [out.summary]),
    '',
    ...certSection('Expiring soon', out.expiringSoon, [
      ['Not after', 'notAfter'],
      ['Subject', 'subject'],
    ]),
    ...findingSection(out.findings, out.omittedFindings),
  ];
  return safeOutput(`${lines.join('\n').trimEnd()}\n`);
}
