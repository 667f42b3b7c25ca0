import { describe, expect, it } from 'vitest';
import {
  compareFindings,
  compareSerialText,
  FINDING_SEVERITY,
  type Finding,
  FindingCollector,
} from '../../src/core/finding.js';

const finding = (code: Finding['code'], serial?: string, byte = 0): Finding => ({
  code,
  severity: FINDING_SEVERITY[code],
  ...(serial === undefined ? {} : { serial }),
  message: `${code} ${serial ?? ''}`,
  evidence: { row: { report: 'r', line: 1, byte } },
});

describe('finding codes', () => {
  it('the contract of design.md: codes and severities', () => {
    expect(FINDING_SEVERITY).toEqual({
      DUPLICATE_SERIAL: 'error',
      SERIAL_ARN_MISMATCH: 'error',
      FOREIGN_CA: 'error',
      INVALID_RECORD: 'error',
      REVOCATION_INCOMPLETE: 'warning',
      VALIDITY_INVERTED: 'warning',
      CERTIFICATE_DISAPPEARED: 'error',
      CERTIFICATE_UNREVOKED: 'error',
      CERTIFICATE_CHANGED: 'error',
      REVOCATION_CHANGED: 'error',
      LATE_ISSUANCE: 'warning',
      REVOKED_WITHOUT_EVENT: 'error',
      EVENT_WITHOUT_REVOCATION: 'error',
      EVENT_FOR_UNKNOWN_CERTIFICATE: 'error',
      REVOCATION_REASON_MISMATCH: 'error',
      REVOCATION_TIME_MISMATCH: 'warning',
      REVOKE_ATTEMPT_FAILED: 'info',
      ISSUED_WITHOUT_EVENT: 'error',
      ISSUANCE_MISMATCH: 'error',
      EVENT_UNMATCHABLE: 'info',
      CRL_GENERATION_FAILED: 'error',
      AUDIT_REPORT_GENERATION_FAILED: 'warning',
      CRL_MISSING_REVOCATION: 'error',
      CRL_UNKNOWN_ENTRY: 'error',
      CRL_REASON_MISMATCH: 'warning',
      OCSP_NOT_REVOKED: 'error',
      OCSP_REASON_MISMATCH: 'warning',
      OCSP_UNREACHABLE: 'warning',
      OCSP_SIGNATURE_INVALID: 'error',
      CRL_SIGNATURE_INVALID: 'error',
      CRL_ISSUER_MISMATCH: 'error',
      CRL_STALE: 'error',
      CRL_ENTRY_AFTER_THISUPDATE: 'warning',
      CRL_MISSING: 'error',
      NO_REVOCATION_PUBLISHED: 'warning',
      HISTORY_TAMPERED: 'error',
      REPORT_STALE: 'error',
      CLOUDTRAIL_GAP: 'warning',
      AUDIT_REPORT_FAILED: 'error',
    });
  });
});

describe('compareSerialText', () => {
  it('orders serials by magnitude: shorter first, then by hex', () => {
    const list = ['ff:00', '01', '00:01', 'ab', '01:00:00', '7f:ff'];
    expect([...list].sort(compareSerialText)).toEqual(['01', 'ab', '00:01', '7f:ff', 'ff:00', '01:00:00']);
  });

  it('no serial sorts first', () => {
    expect(compareSerialText(undefined, '01')).toBeLessThan(0);
    expect(compareSerialText('01', undefined)).toBeGreaterThan(0);
    expect(compareSerialText(undefined, undefined)).toBe(0);
  });
});

describe('compareFindings', () => {
  it('severity first, then code, then serial, then position', () => {
    const list = [
      finding('LATE_ISSUANCE', '01'),
      finding('INVALID_RECORD', '02', 50),
      finding('INVALID_RECORD', '02', 10),
      finding('DUPLICATE_SERIAL', 'aa:bb'),
      finding('DUPLICATE_SERIAL', 'ff'),
      finding('INVALID_RECORD'),
    ];
    const sorted = [...list].sort(compareFindings);
    expect(sorted.map((f) => [f.code, f.serial, (f.evidence.row as { byte: number }).byte])).toEqual([
      ['DUPLICATE_SERIAL', 'ff', 0],
      ['DUPLICATE_SERIAL', 'aa:bb', 0],
      ['INVALID_RECORD', undefined, 0],
      ['INVALID_RECORD', '02', 10],
      ['INVALID_RECORD', '02', 50],
      ['LATE_ISSUANCE', '01', 0],
    ]);
  });
});

describe('FindingCollector', () => {
  it('keeps `limit` findings per code and counts every one', () => {
    const c = new FindingCollector(2);
    for (let k = 0; k < 5; k++) c.add(finding('INVALID_RECORD', String(k)));
    c.add(finding('LATE_ISSUANCE', '01'));
    expect(c.findings.map((f) => f.serial)).toEqual(['0', '1', '01']);
    expect(c.wants('INVALID_RECORD')).toBe(false);
    expect(c.wants('LATE_ISSUANCE')).toBe(true);
    c.count('INVALID_RECORD');
    expect(Object.fromEntries(c.counts)).toEqual({ INVALID_RECORD: 6, LATE_ISSUANCE: 1 });
    expect(c.omitted()).toEqual({ INVALID_RECORD: 4 });
    expect(c.severityCounts()).toEqual({ error: 6, warning: 1, info: 0 });
  });
});
