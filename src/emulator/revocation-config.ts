/**
 * RevocationConfiguration as CreateCertificateAuthority and UpdateCertificateAuthority accept it:
 * the botocore model's constraints (ValidationException) and the rules the API reference states
 * (InvalidArgsException): a disabled CRL or OCSP configuration holds `Enabled` only, an enabled CRL
 * names its bucket, a CNAME has no protocol prefix, OmitExtension excludes a CNAME.
 */
import { AwsError } from './aws-error.js';

export interface CrlConfiguration {
  Enabled: boolean;
  ExpirationInDays?: number;
  CustomCname?: string;
  S3BucketName?: string;
  S3ObjectAcl?: 'PUBLIC_READ' | 'BUCKET_OWNER_FULL_CONTROL';
  CrlDistributionPointExtensionConfiguration?: { OmitExtension: boolean };
  CrlType?: 'COMPLETE' | 'PARTITIONED';
  CustomPath?: string;
}

export interface OcspConfiguration {
  Enabled: boolean;
  OcspCustomCname?: string;
}

export interface RevocationConfiguration {
  CrlConfiguration?: CrlConfiguration;
  OcspConfiguration?: OcspConfiguration;
}

/** What DescribeCertificateAuthority shows for a CA created without one. */
export const DISABLED: RevocationConfiguration = {
  CrlConfiguration: { Enabled: false },
  OcspConfiguration: { Enabled: false },
};

/** AWS's default CRL validity when ExpirationInDays is not given. */
export const DEFAULT_CRL_EXPIRATION_DAYS = 7;

const CNAME = /^[-a-zA-Z0-9;/?:@&=+$,%_.!~*()']*$/;
const CRL_PATH = /^[-a-zA-Z0-9;?:@&=+$,%_.!~*()']+(\/[-a-zA-Z0-9;?:@&=+$,%_.!~*()']+)*$/;
const BUCKET = /^[-a-zA-Z0-9._/]+$/;
/** S3's bucket naming rules (3-63 lowercase letters, digits, dots, hyphens; a letter or digit at each end) */
const S3_BUCKET_RULES = /^(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function invalid(path: string, constraint: string): AwsError {
  return new AwsError(
    'ValidationException',
    `1 validation error detected: Value at '${path}' failed to satisfy constraint: ${constraint}`,
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(
  o: Record<string, unknown>,
  key: string,
  path: string,
  check: { min: number; max: number; pattern?: RegExp; values?: readonly string[] },
): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(`${path}.${key}`, 'Member must be a string');
  if (check.values && !check.values.includes(v))
    throw invalid(`${path}.${key}`, `Member must satisfy enum value set: [${check.values.join(', ')}]`);
  if (v.length < check.min || v.length > check.max)
    throw invalid(
      `${path}.${key}`,
      `Member must have length between ${check.min} and ${check.max}, inclusive`,
    );
  if (check.pattern && !check.pattern.test(v))
    throw invalid(
      `${path}.${key}`,
      `Member must satisfy regular expression pattern: ${check.pattern.source}`,
    );
  return v;
}

function enabled(o: Record<string, unknown>, path: string): boolean {
  if (o.Enabled === undefined || o.Enabled === null)
    throw invalid(`${path}.enabled`, 'Member must not be null');
  if (typeof o.Enabled !== 'boolean') throw invalid(`${path}.enabled`, 'Member must be a boolean');
  return o.Enabled;
}

function onlyEnabled(o: Record<string, unknown>, name: string): void {
  const others = Object.keys(o).filter((k) => k !== 'Enabled' && o[k] !== undefined && o[k] !== null);
  if (others.length > 0) {
    throw new AwsError(
      'InvalidArgsException',
      `A disabled ${name} must contain only Enabled=false; remove ${others.join(', ')}.`,
    );
  }
}

function noProtocol(value: string | undefined, member: string): void {
  if (value !== undefined && /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(value)) {
    throw new AwsError(
      'InvalidArgsException',
      `${member} must not include a protocol prefix such as http://.`,
    );
  }
}

function crlConfiguration(o: unknown): CrlConfiguration {
  const path = 'revocationConfiguration.crlConfiguration';
  if (!isObject(o)) throw invalid(path, 'Member must be a structure');
  if (!enabled(o, path)) {
    onlyEnabled(o, 'CrlConfiguration');
    return { Enabled: false };
  }
  const out: CrlConfiguration = { Enabled: true };
  const days = o.ExpirationInDays;
  if (days !== undefined && days !== null) {
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 5000)
      throw invalid(`${path}.expirationInDays`, 'Member must have value between 1 and 5000, inclusive');
    out.ExpirationInDays = days;
  }
  const cname = optionalString(o, 'CustomCname', path, { min: 0, max: 253, pattern: CNAME });
  noProtocol(cname, 'CustomCname');
  const bucket = optionalString(o, 'S3BucketName', path, { min: 3, max: 255, pattern: BUCKET });
  if (bucket === undefined)
    throw new AwsError('InvalidArgsException', 'S3BucketName is required when the CRL is enabled.');
  if (!S3_BUCKET_RULES.test(bucket))
    throw new AwsError('InvalidArgsException', `The S3 bucket name ${bucket} is not valid.`);
  out.S3BucketName = bucket;
  if (cname !== undefined) out.CustomCname = cname;
  const acl = optionalString(o, 'S3ObjectAcl', path, {
    min: 0,
    max: 100,
    values: ['PUBLIC_READ', 'BUCKET_OWNER_FULL_CONTROL'],
  });
  if (acl !== undefined) out.S3ObjectAcl = acl as NonNullable<CrlConfiguration['S3ObjectAcl']>;
  const cdp = o.CrlDistributionPointExtensionConfiguration;
  if (cdp !== undefined && cdp !== null) {
    const cdpPath = `${path}.crlDistributionPointExtensionConfiguration`;
    if (!isObject(cdp)) throw invalid(cdpPath, 'Member must be a structure');
    if (typeof cdp.OmitExtension !== 'boolean')
      throw invalid(`${cdpPath}.omitExtension`, 'Member must not be null');
    if (cdp.OmitExtension && cname !== undefined) {
      throw new AwsError(
        'InvalidArgsException',
        'CrlDistributionPointExtensionConfiguration.OmitExtension cannot be true with a CustomCname.',
      );
    }
    out.CrlDistributionPointExtensionConfiguration = { OmitExtension: cdp.OmitExtension };
  }
  const type = optionalString(o, 'CrlType', path, { min: 0, max: 100, values: ['COMPLETE', 'PARTITIONED'] });
  if (type !== undefined) out.CrlType = type as NonNullable<CrlConfiguration['CrlType']>;
  const custom = optionalString(o, 'CustomPath', path, { min: 0, max: 253, pattern: CRL_PATH });
  if (custom !== undefined) out.CustomPath = custom;
  return out;
}

function ocspConfiguration(o: unknown): OcspConfiguration {
  const path = 'revocationConfiguration.ocspConfiguration';
  if (!isObject(o)) throw invalid(path, 'Member must be a structure');
  if (!enabled(o, path)) {
    onlyEnabled(o, 'OcspConfiguration');
    return { Enabled: false };
  }
  const cname = optionalString(o, 'OcspCustomCname', path, { min: 0, max: 253, pattern: CNAME });
  noProtocol(cname, 'OcspCustomCname');
  return { Enabled: true, ...(cname === undefined ? {} : { OcspCustomCname: cname }) };
}

/**
 * The configuration as given, validated; members left out stay as `current` has them (Update) or
 * disabled (Create).
 */
export function parseRevocationConfiguration(
  value: unknown,
  current: RevocationConfiguration = DISABLED,
): RevocationConfiguration {
  if (value === undefined || value === null) return current;
  if (!isObject(value)) throw invalid('revocationConfiguration', 'Member must be a structure');
  return {
    CrlConfiguration:
      value.CrlConfiguration === undefined || value.CrlConfiguration === null
        ? (current.CrlConfiguration ?? { Enabled: false })
        : crlConfiguration(value.CrlConfiguration),
    OcspConfiguration:
      value.OcspConfiguration === undefined || value.OcspConfiguration === null
        ? (current.OcspConfiguration ?? { Enabled: false })
        : ocspConfiguration(value.OcspConfiguration),
  };
}

/** The CRL's S3 key: `<CustomPath or crl>/<CA_ID>.crl`. */
export function crlKey(config: CrlConfiguration, caId: string): string {
  return `${config.CustomPath ?? 'crl'}/${caId}.crl`;
}

/** The URL certificates name in their CRL Distribution Points: the CNAME, else the bucket's S3 host. */
export function crlUrl(config: CrlConfiguration, caId: string, region: string): string {
  const host = config.CustomCname ?? `${config.S3BucketName}.s3.${region}.amazonaws.com`;
  return `http://${host}/${crlKey(config, caId)}`;
}

/** The OCSP URL certificates name in their Authority Information Access. */
export function ocspUrl(config: OcspConfiguration, region: string): string {
  return `http://${config.OcspCustomCname ?? `ocsp.acm-pca.${region}.amazonaws.com`}`;
}
