/**
 * CloudTrail records, normalised once at the edge: which envelope a JSON value is, which records it
 * holds, and what each record says about this CA (a revocation, an issuance, an audit report).
 */
import { formatInstant, parseInstant } from '../instant.js';
import { REVOCATION_REASONS } from '../revocation-reason.js';
import { parseSerial } from '../serial.js';

export const PCA_SOURCE = 'acm-pca.amazonaws.com';
export const ACM_SOURCE = 'acm.amazonaws.com';
export const ACME_SOURCE = 'acm-acme.amazonaws.com';

export type EventKind = 'revoke' | 'issue' | 'audit-report';

/** Where a record was read: the source, and the line/byte its JSON value starts at. */
export interface EventOrigin {
  source: string;
  line: number;
  byte: number;
}

/** A CloudTrail record pca-audit cares about, normalised. */
export interface CloudTrailEvent {
  eventID: string;
  /** UTC, `2026-11-19T14:03:11Z` */
  eventTime: string;
  eventSource: string;
  eventName: string;
  kind: EventKind;
  /** `userIdentity.arn`, else `userIdentity.invokedBy`, else type:principalId */
  actor: string;
  invokedBy?: string;
  region?: string;
  account?: string;
  errorCode?: string;
  errorMessage?: string;
  /** the CA the call named (or, for IssueCertificate, the CA of the certificate ARN) */
  caArn?: string;
  /** canonical serial: lowercase hex magnitude, no separators */
  serial?: string;
  /** the serial as the caller wrote it, when it differs from the canonical form */
  serialAsWritten?: string;
  revocationReason?: string;
  /** ACM's certificate ARN (acm.amazonaws.com) or PCA's (IssueCertificate) */
  certificateArn?: string;
  /** the certificate's issuer, from a certificate the event carries (ACME) */
  issuer?: string;
  auditReportId?: string;
  s3Bucket?: string;
  s3Key?: string;
  reportFormat?: string;
  /** why this event cannot be tied to a serial of a PCA report, when it cannot */
  unmatchable?: string;
  origin: EventOrigin;
}

/** What a certificate decoder (x509, outside the core) makes of an ACME request's certificate. */
export type CertificateDecoder = (
  text: string,
) => { ok: true; serial: string; issuer: string } | { ok: false; reason: string };

/** One JSON value of a CloudTrail source, classified. */
export type Unwrapped =
  | { kind: 'record'; record: Record<string, unknown> }
  /** an envelope whose arrays were not split (nested, e.g. `jq -s` of trail logs): its elements */
  | { kind: 'many'; items: unknown[] }
  | { kind: 'skip'; why: string }
  | { kind: 'invalid'; why: string };

const EVENTBRIDGE_API_CALL = 'AWS API Call via CloudTrail';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * What a JSON value holds: a CloudTrail record itself, an EventBridge event with the record under
 * `detail`, an element of lookup-events output (`CloudTrailEvent`, the record as a JSON string), or
 * something else (skipped with a reason, or invalid).
 */
export function unwrap(value: unknown): Unwrapped {
  if (!isObject(value)) return { kind: 'invalid', why: 'not a JSON object' };
  if ('detail-type' in value) {
    if (value['detail-type'] !== EVENTBRIDGE_API_CALL) {
      return { kind: 'skip', why: `EventBridge event "${String(value['detail-type'])}"` };
    }
    if (!isObject(value.detail))
      return { kind: 'invalid', why: 'EventBridge event without a "detail" object' };
    return unwrap(value.detail);
  }
  if ('CloudTrailEvent' in value) {
    const text = value.CloudTrailEvent;
    if (typeof text !== 'string') return { kind: 'invalid', why: '"CloudTrailEvent" is not a string' };
    let inner: unknown;
    try {
      inner = JSON.parse(text);
    } catch (err) {
      return { kind: 'invalid', why: `"CloudTrailEvent" is not valid JSON: ${jsonMessage(err)}` };
    }
    return unwrap(inner);
  }
  if ('digestStartTime' in value && 'logFiles' in value)
    return { kind: 'skip', why: 'CloudTrail digest file' };
  if (Array.isArray(value.Records) || Array.isArray(value.Events)) {
    // a top-level envelope's arrays were split element by element (see JsonSplitter) and are empty
    // here; a nested one still holds its elements
    const items = [...((value.Records as unknown[]) ?? []), ...((value.Events as unknown[]) ?? [])];
    return items.length === 0 ? { kind: 'skip', why: 'envelope' } : { kind: 'many', items };
  }
  if (typeof value.eventName === 'string' || typeof value.eventID === 'string') {
    return { kind: 'record', record: value };
  }
  return {
    kind: 'invalid',
    why: 'not a CloudTrail record or envelope (no eventName, Records, Events, CloudTrailEvent or detail-type)',
  };
}

/** JSON.parse's message without V8's position suffix (positions are given as line and byte). */
export function jsonMessage(err: unknown): string {
  return String((err as Error)?.message ?? err).replace(/\s+in JSON at position \d+.*$/s, '');
}

export type Normalised =
  | { kind: 'event'; event: CloudTrailEvent }
  | { kind: 'skip'; why: string }
  | { kind: 'invalid'; why: string };

const REASONS = new Set<string>(REVOCATION_REASONS);
const PCA_CERT_ARN =
  /^(arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority\/[0-9a-f-]{36})\/certificate\/([0-9a-fA-F]+)$/;

/**
 * A record's meaning for pca-audit. Records of other APIs are skipped with a reason; records that
 * are not CloudTrail records at all (no eventID, no parsable eventTime) are invalid.
 */
export function normalise(
  record: Record<string, unknown>,
  origin: EventOrigin,
  decodeCertificate?: CertificateDecoder,
): Normalised {
  const eventID = str(record.eventID);
  const eventSource = str(record.eventSource);
  const eventName = str(record.eventName);
  const timeText = str(record.eventTime);
  if (!eventID) return { kind: 'invalid', why: 'record without an "eventID"' };
  if (!eventSource || !eventName)
    return { kind: 'invalid', why: `record ${eventID} without eventSource or eventName` };
  const time = timeText === undefined ? Number.NaN : parseInstant(timeText);
  if (Number.isNaN(time)) {
    return {
      kind: 'invalid',
      why: `record ${eventID}: eventTime ${JSON.stringify(timeText ?? null)} is not a UTC instant`,
    };
  }
  const kind = kindOf(eventSource, eventName);
  if (kind === undefined) return { kind: 'skip', why: `${eventSource} ${eventName}` };
  const identity = isObject(record.userIdentity) ? record.userIdentity : {};
  const invokedBy = str(identity.invokedBy);
  const event: CloudTrailEvent = {
    eventID,
    eventTime: formatInstant(time),
    eventSource,
    eventName,
    kind,
    actor:
      str(identity.arn) ??
      invokedBy ??
      ([str(identity.type), str(identity.principalId)].filter(Boolean).join(':') || 'unknown'),
    origin,
  };
  if (invokedBy !== undefined) event.invokedBy = invokedBy;
  const region = str(record.awsRegion);
  if (region !== undefined) event.region = region;
  const account = str(record.recipientAccountId) ?? str(identity.accountId);
  if (account !== undefined) event.account = account;
  const errorCode = str(record.errorCode);
  if (errorCode !== undefined) event.errorCode = errorCode;
  const errorMessage = str(record.errorMessage);
  if (errorMessage !== undefined) event.errorMessage = errorMessage;
  const request = isObject(record.requestParameters) ? record.requestParameters : {};
  const response = isObject(record.responseElements) ? record.responseElements : {};
  if (eventSource === PCA_SOURCE) {
    const ca = str(request.certificateAuthorityArn);
    if (ca !== undefined) event.caArn = ca;
  }
  if (kind === 'revoke') revokeDetails(event, request, decodeCertificate);
  else if (kind === 'issue') {
    const arn = str(response.certificateArn);
    if (arn === undefined) {
      if (!errorCode) event.unmatchable = 'no responseElements.certificateArn: the serial is unknown';
    } else {
      event.certificateArn = arn;
      const m = PCA_CERT_ARN.exec(arn);
      if (m) {
        event.caArn ??= m[1]!;
        setSerial(event, m[2]!);
      } else event.unmatchable = `certificateArn ${arn} is not a PCA certificate ARN`;
    }
  } else {
    const id = str(response.auditReportId);
    if (id !== undefined) event.auditReportId = id;
    const key = str(response.s3Key);
    if (key !== undefined) event.s3Key = key;
    const bucket = str(request.s3BucketName);
    if (bucket !== undefined) event.s3Bucket = bucket;
    const format = str(request.auditReportResponseFormat);
    if (format !== undefined) event.reportFormat = format;
  }
  return { kind: 'event', event };
}

function kindOf(source: string, name: string): EventKind | undefined {
  if (name === 'RevokeCertificate') {
    return source === PCA_SOURCE || source === ACM_SOURCE || source === ACME_SOURCE ? 'revoke' : undefined;
  }
  if (source !== PCA_SOURCE) return undefined;
  if (name === 'IssueCertificate') return 'issue';
  if (name === 'CreateCertificateAuthorityAuditReport') return 'audit-report';
  return undefined;
}

function setSerial(event: CloudTrailEvent, written: string): void {
  const parsed = parseSerial(written);
  if (!parsed.ok) {
    event.serialAsWritten = written;
    event.unmatchable = `serial ${JSON.stringify(written)} cannot be read: ${parsed.reason}`;
    return;
  }
  event.serial = parsed.hex;
  if (written !== parsed.hex) event.serialAsWritten = written;
}

function revokeDetails(
  event: CloudTrailEvent,
  request: Record<string, unknown>,
  decodeCertificate: CertificateDecoder | undefined,
): void {
  const reason = str(request.revocationReason);
  if (reason !== undefined) event.revocationReason = reason;
  if (event.eventSource === PCA_SOURCE) {
    const serial = str(request.certificateSerial);
    if (serial === undefined) event.unmatchable = 'no requestParameters.certificateSerial';
    else setSerial(event, serial);
    if (reason !== undefined && !REASONS.has(reason) && !event.errorCode) {
      event.unmatchable ??= `revocationReason ${JSON.stringify(reason)} is not a PCA revocation reason`;
    }
    return;
  }
  if (event.eventSource === ACM_SOURCE) {
    const arn = str(request.certificateArn);
    if (arn !== undefined) event.certificateArn = arn;
    event.unmatchable =
      `ACM's RevokeCertificate revokes a public, exported ACM certificate (${arn ?? 'no ARN given'}); ` +
      'no private CA issued it, so it is in no audit report (private certificates are revoked through acm-pca)';
    return;
  }
  // ACME: the certificate itself, base64 or base64url DER
  const cert = str(request.certificate);
  if (cert === undefined) {
    event.unmatchable = 'no requestParameters.certificate';
    return;
  }
  if (decodeCertificate === undefined) {
    event.unmatchable = 'the certificate was not decoded';
    return;
  }
  const decoded = decodeCertificate(cert);
  if (!decoded.ok) {
    event.unmatchable = `requestParameters.certificate cannot be read: ${decoded.reason}`;
    return;
  }
  event.serial = decoded.serial;
  event.issuer = decoded.issuer;
}
