/**
 * The stand-in's RevocationConfiguration rules (issue 15 item 5), without a server: what is kept on
 * update, where the CRL goes, what certificates name, and which rule refuses what.
 */
import { describe, expect, it } from 'vitest';
import {
  crlKey,
  crlUrl,
  DISABLED,
  ocspUrl,
  parseRevocationConfiguration,
} from '../../src/emulator/revocation-config.js';

const refusal = (value: unknown, current = DISABLED): string => {
  try {
    parseRevocationConfiguration(value, current);
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
  return 'accepted';
};

describe('stand-in RevocationConfiguration', () => {
  it('absent: both disabled; an update keeps the part it is not given', () => {
    expect(parseRevocationConfiguration(undefined)).toEqual(DISABLED);
    const crl = { Enabled: true, S3BucketName: 'pca-crls', CrlType: 'PARTITIONED' as const };
    const first = parseRevocationConfiguration({ CrlConfiguration: crl });
    expect(first).toEqual({ CrlConfiguration: crl, OcspConfiguration: { Enabled: false } });
    const second = parseRevocationConfiguration({ OcspConfiguration: { Enabled: true } }, first);
    expect(second).toEqual({ CrlConfiguration: crl, OcspConfiguration: { Enabled: true } });
  });

  it('the CRL key and the URLs certificates carry', () => {
    const base = { Enabled: true, S3BucketName: 'pca-crls' };
    expect(crlKey(base, 'ca-1')).toBe('crl/ca-1.crl');
    expect(crlKey({ ...base, CustomPath: 'pki/crls' }, 'ca-1')).toBe('pki/crls/ca-1.crl');
    expect(crlUrl(base, 'ca-1', 'eu-west-1')).toBe('http://pca-crls.s3.eu-west-1.amazonaws.com/crl/ca-1.crl');
    expect(crlUrl({ ...base, CustomCname: 'crl.example.internal' }, 'ca-1', 'eu-west-1')).toBe(
      'http://crl.example.internal/crl/ca-1.crl',
    );
    expect(ocspUrl({ Enabled: true }, 'eu-west-1')).toBe('http://ocsp.acm-pca.eu-west-1.amazonaws.com');
    expect(ocspUrl({ Enabled: true, OcspCustomCname: 'ocsp.example.internal' }, 'eu-west-1')).toBe(
      'http://ocsp.example.internal',
    );
  });

  it('refuses with the error AWS gives: the model (ValidationException), the API rules (InvalidArgsException)', () => {
    const on = (extra: Record<string, unknown>) => ({
      CrlConfiguration: { Enabled: true, S3BucketName: 'pca-crls', ...extra },
    });
    expect(refusal(on({ ExpirationInDays: 1 }))).toBe('accepted');
    expect(refusal(on({ ExpirationInDays: 5000 }))).toBe('accepted');
    expect(refusal(on({ ExpirationInDays: 1.5 }))).toMatch(/^ValidationException/);
    expect(refusal(on({ S3ObjectAcl: 'PRIVATE' }))).toMatch(/^ValidationException: .*S3ObjectAcl/);
    expect(refusal(on({ CustomPath: 'a//b' }))).toMatch(/^ValidationException: .*CustomPath/);
    expect(refusal(on({ CustomCname: 'x'.repeat(254) }))).toMatch(/^ValidationException: .*253/);
    expect(refusal(on({ CustomCname: 'https://crl.example' }))).toMatch(/^InvalidArgsException/);
    expect(refusal({ CrlConfiguration: { Enabled: true, S3BucketName: 'Bad_Bucket' } })).toMatch(
      /^InvalidArgsException: The S3 bucket name Bad_Bucket is not valid/,
    );
    expect(refusal({ OcspConfiguration: { Enabled: 'yes' } })).toMatch(/^ValidationException/);
    expect(refusal({ OcspConfiguration: { Enabled: true, OcspCustomCname: 'http://o.example' } })).toMatch(
      /^InvalidArgsException: OcspCustomCname/,
    );
    expect(refusal([])).toMatch(/^ValidationException/);
  });
});
