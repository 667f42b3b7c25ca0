/**
 * The findings of a single row of a report (INVALID_RECORD and the others its builder finds), as
 * the catalogue words them, and the wording of why a field is invalid.
 */

import type { Finding } from '../../finding.js';
import { findingMessage } from '../../finding-catalogue.js';
import {
  F_ARN,
  F_NOT_AFTER,
  F_NOT_BEFORE,
  F_REASON,
  F_REVOKED_AT,
  F_SERIAL,
  KIND_ABSENT,
  type RecordView,
} from '../audit-record.js';
import { REPORT_FIELDS } from '../report-fields.js';
import { formatSerial, octetsToHex, writeSerialOctets } from '../serial.js';

export type FindingBody = Omit<Finding, 'code' | 'severity'>;

export const WHAT_NOT_STRING = 'is not a string';
export const WHAT_MISSING = 'is missing';
export const WHAT_SERIAL_LONG = 'is longer than any certificate serial';
export const WHAT_ACCOUNT = 'is not a 12-digit AWS account id';
export const WHAT_ARN_NOT_ARN = 'is not a certificate ARN (…/certificate/<serial>)';
export const WHAT_ARN_NO_CA = 'does not name a certificate authority';
export const WHAT_ARN_NO_SERIAL = 'does not end in a hexadecimal serial';
export const WHAT_INSTANT = 'is not a timestamp like 2018-02-26T18:39:57+0000';
export const WHAT_REASON = 'is not a revocation reason';
export const WHAT_TEMPLATE = 'is not a template ARN (arn:aws:acm-pca:::template/<name>/V<n>)';
export function subjectWhat(problem: string): string {
  return `is not an RFC 2253 name (${problem})`;
}

function rowOf(source: string, view: RecordView): { report: string; line: number; byte: number } {
  return { report: source, line: view.line, byte: view.offset };
}

// The wording of the single-report findings.

export function invalidFinding(source: string, view: RecordView, field: number, what: string): FindingBody {
  const name = REPORT_FIELDS[field]!.name;
  const value = view.kind[field] === KIND_ABSENT ? undefined : view.text(field);
  const serial = field === F_SERIAL ? undefined : serialOfView(view);
  return {
    ...(serial === undefined ? {} : { serial }),
    message: findingMessage('INVALID_RECORD', { line: view.line, field: name, value, what }),
    evidence: { field: name, ...(value === undefined ? {} : { value }), row: rowOf(source, view) },
  };
}

export function mismatchFinding(
  source: string,
  view: RecordView,
  serial: string,
  arnSerialHex: string,
): FindingBody {
  return {
    serial,
    message: findingMessage('SERIAL_ARN_MISMATCH', { arnSerial: arnSerialHex, serial }),
    evidence: { certificateArn: view.text(F_ARN), row: rowOf(source, view) },
  };
}

export function incompleteFinding(
  source: string,
  view: RecordView,
  serial: string | undefined,
  hasTime: boolean,
): FindingBody {
  return {
    ...(serial === undefined ? {} : { serial }),
    message: hasTime
      ? findingMessage('REVOCATION_INCOMPLETE', { revokedAt: view.text(F_REVOKED_AT)! })
      : findingMessage('REVOCATION_INCOMPLETE', { reason: view.text(F_REASON)! }),
    evidence: { row: rowOf(source, view) },
  };
}

export function invertedFinding(source: string, view: RecordView, serial: string | undefined): FindingBody {
  const notBefore = view.text(F_NOT_BEFORE)!;
  const notAfter = view.text(F_NOT_AFTER)!;
  return {
    ...(serial === undefined ? {} : { serial }),
    message: findingMessage('VALIDITY_INVERTED', { notBefore, notAfter }),
    evidence: {
      notBefore,
      notAfter,
      row: rowOf(source, view),
    },
  };
}

export function duplicateFinding(
  source: string,
  serial: string,
  first: { line: number; byte: number },
  again: { line: number; byte: number },
): FindingBody {
  return {
    serial,
    message: findingMessage('DUPLICATE_SERIAL', { serial, line: again.line, firstLine: first.line }),
    evidence: { first: { report: source, ...first }, again: { report: source, ...again } },
  };
}

function serialOfView(view: RecordView): string | undefined {
  if (view.kind[F_SERIAL] === KIND_ABSENT) return undefined;
  const b = view.buf[F_SERIAL]!;
  const s = view.start[F_SERIAL]!;
  const e = view.end[F_SERIAL]!;
  if (e - s > 512) return undefined;
  const out = new Uint8Array(e - s);
  const n = writeSerialOctets(b, s, e, out, 0);
  return n < 0 ? undefined : formatSerial(octetsToHex(out, 0, n));
}
