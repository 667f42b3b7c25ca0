import { describe, expect, it } from 'vitest';
import {
  EXTENDED_FIELDS,
  F_ACCOUNT,
  F_ARN,
  F_ISSUED_AT,
  F_NOT_AFTER,
  F_NOT_BEFORE,
  F_REASON,
  F_REQUESTED_BY,
  F_REVOKED_AT,
  F_SERIAL,
  F_SUBJECT,
  F_TEMPLATE,
  FIELD_COUNT,
  FIELD_NAMES,
} from '../../src/core/report/audit-record.js';
import {
  EXTENDED_FIELD_NAMES,
  IMMUTABLE_FIELDS,
  INSTANT_FIELDS,
  REPORT_FIELDS,
  STRICT_FIELDS,
} from '../../src/core/report/report-fields.js';
import { displayValue } from '../../src/core/report/report-model.js';
import { CSV_COLUMNS_9 } from '../builders.js';

describe('the field table', () => {
  it("has AWS's fields, in the CSV column order since March 2020, under the same name in JSON and CSV", () => {
    const AWS_ORDER = [
      'awsAccountId',
      'requestedByServicePrincipal',
      'certificateArn',
      'serial',
      'subject',
      'notBefore',
      'notAfter',
      'issuedAt',
      'revokedAt',
      'revocationReason',
      'templateArn',
    ];
    expect(REPORT_FIELDS.map((f) => f.name)).toEqual(AWS_ORDER);
    expect(REPORT_FIELDS.map((f) => f.csvColumn)).toEqual(AWS_ORDER);
    expect(REPORT_FIELDS.map((f) => f.jsonKey)).toEqual(AWS_ORDER);
    expect([...FIELD_NAMES]).toEqual(AWS_ORDER);
  });

  it("the scanners' field indexes (F_* of audit-record.ts) index the table", () => {
    const at: Record<string, number> = {
      awsAccountId: F_ACCOUNT,
      requestedByServicePrincipal: F_REQUESTED_BY,
      certificateArn: F_ARN,
      serial: F_SERIAL,
      subject: F_SUBJECT,
      notBefore: F_NOT_BEFORE,
      notAfter: F_NOT_AFTER,
      issuedAt: F_ISSUED_AT,
      revokedAt: F_REVOKED_AT,
      revocationReason: F_REASON,
      templateArn: F_TEMPLATE,
    };
    for (const [name, f] of Object.entries(at)) expect(REPORT_FIELDS[f]!.name, name).toBe(name);
    expect(FIELD_COUNT).toBe(REPORT_FIELDS.length);
  });

  it('extended: the two columns a 9-column CSV report lacks (the scanners index EXTENDED_FIELDS)', () => {
    expect([...EXTENDED_FIELD_NAMES]).toEqual(EXTENDED_FIELDS.map((f) => FIELD_NAMES[f]));
    expect(REPORT_FIELDS.filter((f) => !f.extended).map((f) => f.csvColumn)).toEqual([...CSV_COLUMNS_9]);
  });

  it('immutable: every field but the serial (the join key) and the revocation', () => {
    expect(IMMUTABLE_FIELDS).toEqual(
      FIELD_NAMES.filter((f) => f !== 'serial' && f !== 'revokedAt' && f !== 'revocationReason'),
    );
  });

  it('instant and strict', () => {
    expect([...INSTANT_FIELDS]).toEqual(['notBefore', 'notAfter', 'issuedAt', 'revokedAt']);
    // only the free-text fields keep the JSON scanner's per-byte check
    expect(FIELD_NAMES.filter((f) => !STRICT_FIELDS.has(f))).toEqual([
      'requestedByServicePrincipal',
      'subject',
    ]);
  });

  it('displayValue normalises the instant fields only', () => {
    expect(displayValue('revokedAt', '2026-11-19T13:48:02+0000')).toBe('2026-11-19T13:48:02Z');
    expect(displayValue('issuedAt', '2026-11-19T14:48:02+01:00')).toBe('2026-11-19T13:48:02Z');
    expect(displayValue('subject', '2026-11-19T13:48:02+0000')).toBe('2026-11-19T13:48:02+0000');
  });
});
