/**
 * Certificate validity as IssueCertificate states it: `Validity {Type, Value}` ends the certificate
 * relative to its issuance (DAYS, MONTHS, YEARS) or at a given instant (ABSOLUTE: epoch seconds;
 * END_DATE: YYYYMMDDHHMMSS); `ValidityNotBefore` (ABSOLUTE or END_DATE) overrides the default start,
 * one hour before issuance, which is what AWS does.
 */
import { daysFromCivil } from '../core/instant.js';
import { AwsError } from './aws-error.js';

const HOUR = 3600;
const DAY = 86400;

function invalid(message: string): AwsError {
  return new AwsError('InvalidArgsException', message);
}

function readValidity(value: unknown, name: string): { type: string; value: number } {
  const v = value as { Type?: unknown; Value?: unknown } | null;
  if (v === null || typeof v !== 'object' || typeof v.Type !== 'string' || typeof v.Value !== 'number') {
    throw new AwsError('ValidationException', `${name} must have a Type and a numeric Value.`);
  }
  if (!Number.isInteger(v.Value) || v.Value <= 0) throw invalid(`${name}.Value must be a positive integer.`);
  return { type: v.Type, value: v.Value };
}

function addMonths(epochSeconds: number, months: number): number {
  const d = new Date(epochSeconds * 1000);
  d.setUTCMonth(d.getUTCMonth() + months);
  return Math.floor(d.getTime() / 1000);
}

function endDate(value: number, name: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(String(value));
  if (!m) throw invalid(`${name}: END_DATE is YYYYMMDDHHMMSS.`);
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return daysFromCivil(year, month, day) * DAY + hour * HOUR + minute * 60 + second;
}

function absolute(type: string, value: number, name: string): number | undefined {
  if (type === 'ABSOLUTE') return value;
  if (type === 'END_DATE') return endDate(value, name);
  return undefined;
}

/** notAfter, epoch seconds. */
export function validityEnd(issuedAt: number, validity: unknown): number {
  const { type, value } = readValidity(validity, 'Validity');
  switch (type) {
    case 'DAYS':
      return issuedAt + value * DAY;
    case 'MONTHS':
      return addMonths(issuedAt, value);
    case 'YEARS':
      return addMonths(issuedAt, value * 12);
    default: {
      const at = absolute(type, value, 'Validity');
      if (at === undefined) throw new AwsError('ValidationException', `Validity.Type ${type} is not valid.`);
      return at;
    }
  }
}

/** notBefore, epoch seconds. */
export function validityStart(issuedAt: number, validityNotBefore: unknown): number {
  if (validityNotBefore === undefined) return issuedAt - HOUR;
  const { type, value } = readValidity(validityNotBefore, 'ValidityNotBefore');
  const at = absolute(type, value, 'ValidityNotBefore');
  if (at === undefined) throw invalid('ValidityNotBefore.Type must be ABSOLUTE or END_DATE.');
  return at;
}
