import type { Finding } from '../finding.js';
import type { CrlScope } from '../reconcile/crl-check.js';
import type { CertificateRow, DiffOutput, InspectOutput } from '../report/report-model.js';
import type { ReportSummary } from '../report/report-summary.js';
import { paint, plural, safeOutput, safeText, type TextStyle, table } from './style.js';

function findingLines(
  findings: Finding[],
  omitted: Record<string, number>,
  style: TextStyle,
  reports: ReportLabels = {},
): string[] {
  if (findings.length === 0 && Object.keys(omitted).length === 0) return ['Findings: none'];
  const rows = [['SEVERITY', 'CODE', 'SERIAL', 'WHERE', 'MESSAGE'].map((h) => paint(style, 'bold', h))];
  for (const f of findings) {
    rows.push([
      paint(style, f.severity, f.severity),
      safeText(f.code),
      safeText(f.serial ?? '-'),
      safeText(whereOf(f, reports)),
      safeText(f.message),
    ]);
  }
  const out = [
    paint(style, 'bold', `Findings (${findings.length + Object.values(omitted).reduce((a, b) => a + b, 0)})`),
    ...table(rows),
  ];
  for (const [code, n] of Object.entries(omitted))
    out.push(`  … and ${n} more ${safeText(code)} (raise --max-findings to list them)`);
  return out;
}

/** The sources of a diff's two reports, to name the one a single-report finding's row is in. */
export interface ReportLabels {
  old?: string;
  new?: string;
}

/**
 * "old:12 new:14 event:0b1c2d3e" from the evidence of a finding (not escaped: the caller does).
 * A single-report finding's `row` is labelled by the report it is in (`old:46`, `new:46`) when
 * `reports` tells the two apart (a diff), else `line:46` (inspect, or one file diffed with itself).
 */
export function whereOf(f: Finding, reports: ReportLabels = {}): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(f.evidence)) {
    if (v && typeof v === 'object' && typeof (v as { line?: unknown }).line === 'number') {
      const label = k === 'row' ? rowLabel((v as { report?: unknown }).report, reports) : k;
      parts.push(`${label}:${(v as { line: number }).line}`);
    }
  }
  const event = f.evidence.event as { eventID?: unknown } | undefined;
  if (event && typeof event.eventID === 'string') parts.push(`event:${event.eventID.slice(0, 8)}`);
  if (f.evidence.crl) parts.push('crl');
  if (f.evidence.ocsp) parts.push('ocsp');
  // findings on the job itself: where the gap is, which report
  if (f.evidence.coverage) parts.push('cloudtrail');
  if (f.evidence.health) parts.push('job');
  return parts.join(' ') || '-';
}

function rowLabel(report: unknown, reports: ReportLabels): string {
  if (reports.old === reports.new) return 'line';
  if (report === reports.old) return 'old';
  if (report === reports.new) return 'new';
  return 'line';
}

/** Whether the CRL's signature was checked, and how it came out. */
export function crlSignatureText(signature: 'verified' | 'invalid' | 'not verified'): string {
  return signature === 'verified'
    ? 'signature verified with the CA certificate'
    : signature === 'invalid'
      ? 'signature INVALID'
      : 'signature not verified';
}

/** What a partitioned or delta CRL covers, and so what was not compared. */
export function crlScopeText(s: CrlScope): string {
  const notCovered = `${plural(s.notCovered, 'revocation')} of the new report not on it, not checked`;
  if (s.kind === 'delta') {
    return `delta CRL of base ${s.deltaOf}: only entries compared, no missing-revocation check; ${notCovered}`;
  }
  const what = [
    s.distributionPoint === undefined ? '' : `partition ${s.distributionPoint}`,
    s.onlyContainsUserCerts ? 'only end-entity certificates' : '',
    s.onlyContainsCACerts ? 'only CA certificates' : '',
    s.onlySomeReasons === undefined ? '' : `only reasons ${s.onlySomeReasons.join(', ') || '(none)'}`,
  ].filter(Boolean);
  const check =
    s.missingRevocationCheck === 'none'
      ? 'only entries compared, no missing-revocation check (a report row does not say which certificates the CRL covers)'
      : 'missing revocations checked for those reasons only';
  return `${what.join(', ')}: ${check}; ${notCovered}`;
}

/** "2 files skipped as not CloudTrail: a/README.md, b.txt" (at most 3 names, then …) */
export function skippedFilesText(count: number, names: readonly string[]): string {
  const shown = names.slice(0, 3).map(safeText).join(', ');
  return `${plural(count, 'file')} skipped as not CloudTrail: ${shown}${count > 3 ? ', …' : ''}`;
}

/** What the events and the CRL were, in a few lines (empty without them). */
export function sourceLines(out: DiffOutput): string[] {
  const lines: string[] = [];
  const r = out.reconciliation;
  if (r) {
    const skipped = [
      r.duplicates > 0 ? `${r.duplicates} duplicate${r.duplicates === 1 ? '' : 's'}` : '',
      r.eventIdCollisions > 0
        ? `${r.eventIdCollisions} eventID${r.eventIdCollisions === 1 ? '' : 's'} shared by different records, all kept`
        : '',
      r.malformed > 0 ? `${r.malformed} malformed skipped` : '',
      r.otherRecords > 0 ? `${r.otherRecords} of other APIs or services` : '',
      r.skippedFiles > 0 ? `${skippedFilesText(r.skippedFiles, r.skippedFileNames)}` : '',
    ].filter(Boolean);
    lines.push(
      `cloudtrail ${plural(r.records, 'record')} in ${plural(r.files, 'file')}${skipped.length ? ` (${skipped.join(', ')})` : ''}` +
        `${r.coverage ? `, ${safeText(r.coverage.from)} → ${safeText(r.coverage.to)}` : ''}`,
      `           ${plural(r.events, 'event')} of interest: ${r.inWindow} of this CA in the window, ` +
        `${r.outsideWindow} outside it, ${r.otherCa} of other CAs; ` +
        `${r.matchedRevocations} revocation${r.matchedRevocations === 1 ? '' : 's'} matched, ${r.unexplainedRevocations} unexplained`,
      `           issuance ${r.issuance.checked ? 'checked' : 'not checked'}: ${safeText(r.issuance.why)}` +
        (r.issuanceDetailsChecked > 0
          ? `; ${plural(r.issuanceDetailsChecked, 'row')} compared with ${r.issuanceDetailsChecked === 1 ? 'its' : 'their'} IssueCertificateDetails`
          : ''),
    );
    // read and counted, never silently dropped: service events and PCA's own events of this CA
    const service = Object.entries(r.serviceEvents).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (service.length > 0 || r.lastCrlGeneration) {
      const last = r.lastCrlGeneration;
      lines.push(
        `           not tied to a certificate: ${service.map(([name, n]) => `${n} ${safeText(name)}`).join(', ') || 'none'}; ` +
          `last CRL generated ${last ? `${safeText(last.eventTime)} (${safeText(last.eventName)})` : 'not in the sources'}`,
      );
    }
  }
  const c = out.crl;
  if (c) {
    lines.push(
      `crl        ${safeText(c.source)}: ${safeText(c.issuer)}, thisUpdate ${c.thisUpdate}, ${plural(c.entries, 'entry', 'entries')}, ${crlSignatureText(c.signature)}; ` +
        (c.notCompared === undefined
          ? `${c.matched} matched, ${c.notExpected} not expected yet or expired, ${c.afterNewReport} after the new report`
          : `entries not compared: ${safeText(c.notCompared)}`),
    );
    if (c.scope) lines.push(`           ${safeText(crlScopeText(c.scope))}`);
  }
  const o = out.ocsp;
  if (o) {
    lines.push(
      `ocsp       ${safeText(o.url)}: ${o.asked} asked, ${o.revokedAsExpected} revoked as expected` +
        (o.notAskedUnreachable > 0
          ? `; ${o.notAskedUnreachable} not asked (no answer to the first requests)`
          : '') +
        (o.sampledOut > 0 ? `; ${o.sampledOut} not asked (beyond --ocsp-max: ${o.sampling})` : '') +
        (o.expired > 0 ? `; ${o.expired} expired, not asked` : ''),
    );
  }
  return lines;
}

function summaryRows(label: string[], summaries: ReportSummary[]): string[][] {
  const keys: Array<keyof ReportSummary> = ['certificates', 'active', 'expired', 'revoked'];
  return [['', ...label], ...keys.map((k) => [k, ...summaries.map((s) => String(s[k]))])];
}

function certRows(
  title: string,
  rows: CertificateRow[],
  cols: Array<[string, keyof CertificateRow]>,
  style: TextStyle,
): string[] {
  if (rows.length === 0) return [];
  const head = ['SERIAL', ...cols.map(([h]) => h)].map((h) => paint(style, 'bold', h));
  return [
    paint(style, 'bold', `${title} (${rows.length})`),
    ...table([
      head,
      ...rows.map((r) => [safeText(r.serial), ...cols.map(([, k]) => safeText(String(r[k] ?? '-')))]),
    ]),
    '',
  ];
}

export function renderDiffText(out: DiffOutput, style: TextStyle): string {
  const lines: string[] = [];
  lines.push(
    `${paint(style, 'bold', 'old')}  ${safeText(out.old.source)} (${out.old.format}${out.old.createdAt ? `, made ${out.old.createdAt}` : ''})`,
  );
  lines.push(
    `${paint(style, 'bold', 'new')}  ${safeText(out.new.source)} (${out.new.format}${out.new.createdAt ? `, made ${out.new.createdAt}` : ''})`,
  );
  if (out.new.ca ?? out.old.ca)
    lines.push(`${paint(style, 'bold', 'CA')}   ${safeText(out.new.ca ?? out.old.ca ?? '')}`);
  lines.push(
    `${paint(style, 'bold', 'window')} ${safeText(out.window.from ?? '?')} → ${safeText(out.window.to ?? '?')} (${safeText(out.window.basis)})`,
  );
  lines.push(...sourceLines(out));
  lines.push('');
  lines.push(...table(summaryRows(['old', 'new'], [out.old.summary, out.new.summary]), ''));
  lines.push('');
  lines.push(
    ...certRows(
      'Issued',
      out.changes.issued,
      [
        ['ISSUED AT', 'issuedAt'],
        ['NOT AFTER', 'notAfter'],
        ['SUBJECT', 'subject'],
      ],
      style,
    ),
  );
  lines.push(
    ...certRows(
      'Revoked',
      out.changes.revoked,
      [
        ['REVOKED AT', 'revokedAt'],
        ['REASON', 'revocationReason'],
        ['SUBJECT', 'subject'],
      ],
      style,
    ),
  );
  lines.push(
    ...certRows(
      'Expired',
      out.changes.expired,
      [
        ['NOT AFTER', 'notAfter'],
        ['SUBJECT', 'subject'],
      ],
      style,
    ),
  );
  lines.push(
    ...findingLines(out.findings, out.omittedFindings, style, {
      old: out.old.source,
      new: out.new.source,
    }),
  );
  lines.push('');
  const s = out.summary;
  lines.push(
    `${s.issued} issued, ${s.revoked} revoked, ${s.expired} expired; ` +
      `${plural(s.findings.error, 'error')}, ${plural(s.findings.warning, 'warning')}, ${s.findings.info} info`,
  );
  return safeOutput(`${lines.join('\n')}\n`, style);
}

export function renderInspectText(out: InspectOutput, style: TextStyle): string {
  const lines: string[] = [];
  lines.push(`${paint(style, 'bold', 'report')} ${safeText(out.report.source)} (${out.report.format})`);
  if (out.report.ca) lines.push(`${paint(style, 'bold', 'CA')}     ${safeText(out.report.ca)}`);
  lines.push(`${paint(style, 'bold', 'as of')}  ${out.asOf}`);
  lines.push('');
  const s = out.summary;
  lines.push(
    ...table([...summaryRows(['count'], [s]).slice(1), ['expiring soon', String(s.expiringSoon)]], ''),
  );
  const reasons = Object.entries(s.revokedByReason);
  if (reasons.length > 0) {
    lines.push(
      '',
      paint(style, 'bold', 'Revoked by reason'),
      ...table(reasons.map(([k, v]) => [safeText(k), String(v)])),
    );
  }
  const templates = Object.entries(s.byTemplate);
  if (templates.length > 0) {
    lines.push(
      '',
      paint(style, 'bold', 'By template'),
      ...table(templates.map(([k, v]) => [safeText(k), String(v)])),
    );
  }
  lines.push('');
  lines.push(
    ...certRows(
      `Expiring by ${out.expiringWithinSeconds / 86400} days from ${out.asOf}`,
      out.expiringSoon,
      [
        ['NOT AFTER', 'notAfter'],
        ['SUBJECT', 'subject'],
      ],
      style,
    ),
  );
  lines.push(...findingLines(out.findings, out.omittedFindings, style));
  return safeOutput(`${lines.join('\n')}\n`, style);
}
