import { describe, expect, it } from 'vitest';
import { EXTENDED_FIELDS, FIELD_NAMES } from '../../src/core/audit-record.js';
import {
  EXTENDED_FIELD_NAMES,
  IMMUTABLE_FIELDS,
  INSTANT_FIELDS,
  REPORT_FIELDS,
  STRICT_FIELDS,
} from '../../src/core/report-fields.js';
import { displayValue } from '../../src/core/report-model.js';
import { CSV_COLUMNS_9 } from '../builders.js';

describe('the field table', () => {
  it('has the fields of FIELD_NAMES, in the CSV column order', () => {
    expect(REPORT_FIELDS.map((f) => f.name)).toEqual([...FIELD_NAMES]);
    expect(REPORT_FIELDS.map((f) => f.csvColumn)).toEqual([...FIELD_NAMES]);
    expect(REPORT_FIELDS.map((f) => f.jsonKey)).toEqual([...FIELD_NAMES]);
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
