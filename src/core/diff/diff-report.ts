import { countBySeverity, type FindingCode } from '../finding.js';
import { findingMessage } from '../finding-catalogue.js';
import { formatInstant, parseInstant } from '../instant.js';
import type { FieldName } from '../report/audit-record.js';
import { EXTENDED_FIELD_NAMES, IMMUTABLE_FIELDS, isInstantField } from '../report/report-fields.js';
import { lineOf, type ReportIndex } from '../report/report-index.js';
import {
  attachEvidence,
  certificateRow,
  type DiffOutput,
  displayValue,
  type RowsByOffset,
  sortFindings,
} from '../report/report-model.js';
import { summarise } from '../report/report-summary.js';
import type { DiffPlan, WindowBasis } from './diff.js';

/** Byte offsets of the rows completeDiff needs, per side. */
export function rowsForDiff(
  plan: DiffPlan,
  oldIndex: ReportIndex,
  newIndex: ReportIndex,
): { old: number[]; new: number[] } {
  const o = new Set<number>();
  const n = new Set<number>();
  for (const e of plan.issued) n.add(newIndex.offset[e]!);
  for (const e of plan.revoked) n.add(newIndex.offset[e]!);
  for (const e of plan.expired) n.add(newIndex.offset[e]!);
  for (const [a, b] of plan.changed) {
    o.add(oldIndex.offset[a]!);
    n.add(newIndex.offset[b]!);
  }
  const asc = (s: Set<number>) => [...s].sort((a, b) => a - b);
  return { old: asc(o), new: asc(n) };
}

function sameValue(field: string, a: string | undefined, b: string | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  if (isInstantField(field)) {
    const x = parseInstant(a);
    return !Number.isNaN(x) && x === parseInstant(b);
  }
  return false;
}

/** Completes a diff plan with the rows read back, into the output of `pca-audit diff`. */
export function completeDiff(
  plan: DiffPlan,
  oldIndex: ReportIndex,
  newIndex: ReportIndex,
  rows: ReadonlyMap<string, RowsByOffset>,
  extras: Pick<DiffOutput, 'reconciliation' | 'crl'> = {},
): DiffOutput {
  const oldRows = rows.get(oldIndex.source) ?? new Map();
  const newRows = rows.get(newIndex.source) ?? new Map();
  const findings = plan.findings;
  const rowOf = (index: ReportIndex, i: number) => ({
    report: index.source,
    line: lineOf(index, i),
    byte: index.offset[i]!,
  });
  for (const [o, n] of plan.changed) {
    const a = oldRows.get(oldIndex.offset[o]!);
    const b = newRows.get(newIndex.offset[n]!);
    if (!a || !b) continue;
    const serial = certificateRow(b).serial;
    for (const field of IMMUTABLE_FIELDS) {
      if (EXTENDED_FIELD_NAMES.has(field) && !plan.compareExtended) continue;
      const x = a.fields[field as FieldName];
      const y = b.fields[field as FieldName];
      if (sameValue(field, x, y)) continue;
      const shown = (v: string | undefined) => (v === undefined ? '(absent)' : displayValue(field, v));
      findings.offer('CERTIFICATE_CHANGED', () => ({
        serial,
        message: findingMessage('CERTIFICATE_CHANGED', { field, from: shown(x), to: shown(y) }),
        evidence: {
          field,
          ...(x === undefined ? {} : { oldValue: x }),
          ...(y === undefined ? {} : { newValue: y }),
          old: rowOf(oldIndex, o),
          new: rowOf(newIndex, n),
        },
      }));
    }
  }
  const cert = (i: number) =>
    certificateRow(
      newRows.get(newIndex.offset[i]!) ?? {
        offset: newIndex.offset[i]!,
        fields: {},
        line: lineOf(newIndex, i),
      },
    );
  const issued = plan.issued.map(cert);
  const from = plan.window.from;
  if (plan.window.basis.from !== 'derived' && !Number.isNaN(from)) {
    plan.issued.forEach((e, k) => {
      const t = parseInstant(newRows.get(newIndex.offset[e]!)?.fields.issuedAt ?? '');
      if (!(t < from)) return;
      findings.offer('LATE_ISSUANCE', () => ({
        serial: issued[k]!.serial,
        message: findingMessage('LATE_ISSUANCE', {
          issuedAt: formatInstant(t),
          oldCreatedAt: formatInstant(from),
        }),
        evidence: { issuedAt: formatInstant(t), oldCreatedAt: formatInstant(from), new: rowOf(newIndex, e) },
      }));
    });
  }
  // single-report findings of both sides come first in the collector's counts as well
  for (const side of [oldIndex, newIndex]) {
    for (const f of side.findings) findings.offer(f.code, () => f);
    for (const [code, n] of Object.entries(side.findingCounts)) {
      const listed = side.findings.filter((f) => f.code === code).length;
      for (let k = listed; k < n; k++) findings.count(code as FindingCode);
    }
  }
  const omitted = findings.omitted();
  const all = sortFindings(attachEvidence(findings.findings, rows));
  const revoked = plan.revoked.map(cert);
  const expired = plan.expired.map(cert);
  const info = (index: ReportIndex, at: number, basis: WindowBasis) => ({
    source: index.source,
    format: index.format,
    ...(Number.isNaN(at) ? {} : { createdAt: formatInstant(at), createdAtBasis: basis }),
    ...(index.caArn === undefined ? {} : { ca: index.caArn }),
    summary: summarise(index, Number.isNaN(at) ? Number.POSITIVE_INFINITY : at),
  });
  return {
    schemaVersion: 1,
    old: info(oldIndex, plan.window.from, plan.window.basis.from),
    new: info(newIndex, plan.window.to, plan.window.basis.to),
    window: {
      ...(Number.isNaN(plan.window.from) ? {} : { from: formatInstant(plan.window.from) }),
      ...(Number.isNaN(plan.window.to) ? {} : { to: formatInstant(plan.window.to) }),
      basis: describeBasis(plan.window.basis),
    },
    changes: { issued, revoked, expired },
    ...(extras.reconciliation === undefined ? {} : { reconciliation: extras.reconciliation }),
    ...(extras.crl === undefined ? {} : { crl: extras.crl }),
    findings: all,
    omittedFindings: omitted,
    summary: {
      issued: issued.length,
      revoked: revoked.length,
      expired: expired.length,
      findings: countBySeverity(all, omitted),
    },
  };
}

const BASIS_TEXT: Record<WindowBasis, string> = {
  given: 'given',
  cloudtrail: 'from CloudTrail (CreateCertificateAuthorityAuditReport)',
  s3: "from S3 (the report object's LastModified)",
  derived: 'derived from the report',
};

function describeBasis(b: { from: WindowBasis; to: WindowBasis }): string {
  if (b.from === 'given' && b.to === 'given') return 'given';
  if (b.from === 'derived' && b.to === 'derived')
    return 'derived from the reports (latest issuedAt/revokedAt)';
  if (b.from === b.to) return BASIS_TEXT[b.from];
  return `old ${BASIS_TEXT[b.from]}, new ${BASIS_TEXT[b.to]}`;
}
