/**
 * CloudTrail records, normalised once at the edge: which envelope a JSON value is, which records it
 * holds, and what each record says about this CA (a revocation, an issuance, an audit report, a
 * CRL generation, another service event). PCA's own EventBridge events are not CloudTrail records
 * but are read as records of the same shape (see pcaEventBridgeRecord).
 */
import { formatInstant, parseInstant } from '../../instant.js';
import { REVOCATION_REASONS } from '../../report/revocation-reason.js';
import { parseSerial } from '../../report/serial.js';

export const PCA_SOURCE = 'acm-pca.amazonaws.com';
export const ACM_SOURCE = 'acm.amazonaws.com';
export const ACME_SOURCE = 'acm-acme.amazonaws.com';

/** PCA's own EventBridge events (not CloudTrail records: `id`/`time`, `detail-type`, `detail.result`). */
export const PCA_EVENTBRIDGE_SOURCE = 'aws.acm-pca';

/**
 * What a record is about. `revoke`, `issue` and `issue-details` name a certificate; `audit-report`
 * a report of the CA; `crl` a CRL generation (GenerateCRL, or PCA's CRL Generation event); `service`
 * the other service events (SignCRL, GenerateOCSPResponse, SignOCSPResponse, SignCACSR), read and counted.
 */
export type EventKind = 'revoke' | 'issue' | 'issue-details' | 'audit-report' | 'crl' | 'service';

/** The certificate fields an IssueCertificateDetails event states, as written. */
export interface IssuedFields {
  subject?: string;
  notBefore?: string;
  notAfter?: string;
  issuedAt?: string;
  templateArn?: string;
}

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
  /** PCA's EventBridge events: `detail.result`, and `detail.reason` when it failed */
  result?: string;
  failureReason?: string;
  /** IssueCertificateDetails: `status` (ISSUED | FAILED), `statusReason`, and the certificate's fields */
  status?: string;
  statusReason?: string;
  issued?: IssuedFields;
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
      if (value.source === PCA_EVENTBRIDGE_SOURCE) return pcaEventBridgeRecord(value);
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

/**
 * PCA's own EventBridge event as a record of the CloudTrail shape (`id` → eventID, `time` →
 * eventTime, `source` → eventSource, `detail-type` → eventName), so that it is counted, deduplicated
 * and normalised like any record; `eventType: "PcaEventBridgeEvent"` tells it apart.
 */
function pcaEventBridgeRecord(value: Record<string, unknown>): Unwrapped {
  const id = str(value.id);
  const time = str(value.time);
  if (id === undefined || time === undefined)
    return { kind: 'invalid', why: `${PCA_EVENTBRIDGE_SOURCE} EventBridge event without "id" or "time"` };
  return {
    kind: 'record',
    record: {
      eventID: id,
      eventTime: time,
      eventSource: PCA_EVENTBRIDGE_SOURCE,
      eventName: String(value['detail-type']),
      eventType: PCA_EVENTBRIDGE_TYPE,
      ...(typeof value.region === 'string' ? { awsRegion: value.region } : {}),
      ...(typeof value.account === 'string' ? { recipientAccountId: value.account } : {}),
      resources: value.resources,
      detail: value.detail,
    },
  };
}

const PCA_EVENTBRIDGE_TYPE = 'PcaEventBridgeEvent';

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
  if (eventSource === PCA_EVENTBRIDGE_SOURCE) {
    pcaEventBridgeDetails(event, record);
    return { kind: 'event', event };
  }
  if (eventSource === PCA_SOURCE && event.caArn === undefined) {
    // service events (requestParameters: null) name the CA in resources[]
    const ca = resourceArns(record.resources).find((a) => PCA_CA_ARN.test(a));
    if (ca !== undefined) event.caArn = ca;
  }
  if (kind === 'issue-details') issueDetails(event, record);
  else if (kind === 'crl' || kind === 'service') {
    // a failed service event: said by errorCode, or by a status in serviceEventDetails (unconfirmed)
    const status = str((isObject(record.serviceEventDetails) ? record.serviceEventDetails : {}).status);
    if (status !== undefined) event.status = status;
  } else if (kind === 'revoke') revokeDetails(event, request, decodeCertificate);
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

/** PCA's EventBridge detail-types pca-audit reconciles; any other one of aws.acm-pca is `service`. */
export const PCA_EVENTBRIDGE_KINDS: Readonly<Record<string, EventKind>> = {
  'ACM Private CA Certificate Revocation': 'revoke',
  'ACM Private CA Certificate Issuance': 'issue',
  'ACM Private CA CRL Generation': 'crl',
  'ACM Private CA Audit Report Generation': 'audit-report',
};

/** PCA's service events (eventType AwsServiceEvent) and what they are. */
const PCA_SERVICE_EVENTS: Readonly<Record<string, EventKind>> = {
  IssueCertificateDetails: 'issue-details',
  GenerateCRL: 'crl',
  SignCRL: 'service',
  GenerateOCSPResponse: 'service',
  SignOCSPResponse: 'service',
  SignCACSR: 'service',
};

/**
 * What a LookupEvents read asks for, one pass per eventName (it takes one lookup attribute a call;
 * issue 16 item 2): every record the reconciliation reads. RevokeCertificate, IssueCertificate and
 * IssueCertificateDetails (issuance is reconciled whenever a source holds issuance records, and a
 * lookup always asks for them), CreateCertificateAuthorityAuditReport (when a report was made, and
 * AUDIT_REPORT_GENERATION_FAILED), GenerateCRL (CRL_GENERATION_FAILED, the last CRL). Asked by name,
 * RevokeCertificate also brings ACM's and ACME's calls (acm.amazonaws.com, acm-acme.amazonaws.com),
 * which the reconciliation ties to a certificate or explains. Not asked: GetCertificate, the Describe
 * and List calls (most of a CA's records), SignCRL, GenerateOCSPResponse, SignOCSPResponse, SignCACSR.
 */
export const LOOKUP_EVENT_NAMES: readonly string[] = [
  'RevokeCertificate',
  'IssueCertificate',
  'IssueCertificateDetails',
  'CreateCertificateAuthorityAuditReport',
  'GenerateCRL',
];

function kindOf(source: string, name: string): EventKind | undefined {
  if (source === PCA_EVENTBRIDGE_SOURCE) return PCA_EVENTBRIDGE_KINDS[name] ?? 'service';
  if (name === 'RevokeCertificate') {
    return source === PCA_SOURCE || source === ACM_SOURCE || source === ACME_SOURCE ? 'revoke' : undefined;
  }
  if (source !== PCA_SOURCE) return undefined;
  if (name === 'IssueCertificate') return 'issue';
  if (name === 'CreateCertificateAuthorityAuditReport') return 'audit-report';
  return Object.hasOwn(PCA_SERVICE_EVENTS, name) ? PCA_SERVICE_EVENTS[name] : undefined;
}

/**
 * Whether a record says that a certificate was issued or failed to be (IssueCertificate,
 * IssueCertificateDetails, PCA's Certificate Issuance event): a source holding such records records
 * issuance, so new certificates issued while it recorded are expected in it.
 */
export function recordsIssuance(kind: EventKind): boolean {
  return kind === 'issue' || kind === 'issue-details';
}

/** Whether an event says its action succeeded: no errorCode, no failure result, no FAILED status. */
export function succeeded(e: CloudTrailEvent): boolean {
  return (
    e.errorCode === undefined &&
    (e.result === undefined || e.result.toLowerCase() === 'success') &&
    (e.status === undefined || e.status.toUpperCase() !== 'FAILED')
  );
}

const PCA_CA_ARN = /^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority\/[0-9a-f-]{36}$/;

/** The ARNs of a record's `resources`: `[{type, ARN}]` (CloudTrail) or `["arn", …]` (EventBridge). */
function resourceArns(resources: unknown): string[] {
  if (!Array.isArray(resources)) return [];
  const out: string[] = [];
  for (const r of resources) {
    if (typeof r === 'string') out.push(r);
    else if (isObject(r)) {
      const arn = str(r.ARN) ?? str(r.arn);
      if (arn !== undefined) out.push(arn);
    }
  }
  return out;
}

/** Ties an event to the certificate a PCA certificate ARN names (CA and serial). */
function setCertificateArn(event: CloudTrailEvent, arn: string): boolean {
  const m = PCA_CERT_ARN.exec(arn);
  if (!m) return false;
  event.certificateArn = arn;
  event.caArn ??= m[1]!;
  if (event.serial === undefined && event.unmatchable === undefined) setSerial(event, m[2]!);
  return true;
}

/**
 * PCA's EventBridge event (resources[0] the CA, resources[1] the certificate ARN or the report id;
 * `detail.result`, `detail.reason`). No actor, no reason: a revocation event explains a revocation
 * but says nothing of its reason.
 */
function pcaEventBridgeDetails(event: CloudTrailEvent, record: Record<string, unknown>): void {
  event.actor = PCA_EVENTBRIDGE_SOURCE;
  const detail = isObject(record.detail) ? record.detail : {};
  const result = str(detail.result);
  if (result !== undefined) event.result = result;
  const reason = str(detail.reason);
  if (reason !== undefined) event.failureReason = reason;
  const arns = resourceArns(record.resources);
  const ca = arns.find((a) => PCA_CA_ARN.test(a));
  if (ca !== undefined) event.caArn = ca;
  if (event.kind === 'revoke' || event.kind === 'issue') {
    const cert = arns.find((a) => PCA_CERT_ARN.test(a));
    if (cert !== undefined) setCertificateArn(event, cert);
    else if (succeeded(event)) event.unmatchable = 'no certificate ARN in resources: the serial is unknown';
  } else if (event.kind === 'audit-report') {
    // the report id, alone or at the end of an ARN or key (unconfirmed which)
    const id = arns
      .filter((a) => a !== ca)
      .map(
        (a) => /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\.(json|csv))?$/.exec(a)?.[1],
      )
      .find((x) => x !== undefined);
    if (id !== undefined) event.auditReportId = id;
  }
}

/**
 * IssueCertificateDetails: the certificate a CA issued (or failed to issue), whoever asked, even
 * from another account through RAM. serialNumber (upper-case colon hex) names it; else the
 * certificate ARN in resources[].
 */
function issueDetails(event: CloudTrailEvent, record: Record<string, unknown>): void {
  const d = isObject(record.serviceEventDetails) ? record.serviceEventDetails : {};
  const status = str(d.status);
  if (status !== undefined) event.status = status;
  const statusReason = str(d.statusReason);
  if (statusReason !== undefined) event.statusReason = statusReason;
  const issued: IssuedFields = {};
  for (const k of ['subject', 'notBefore', 'notAfter', 'issuedAt', 'templateArn'] as const) {
    const v = str(d[k]);
    if (v !== undefined) issued[k] = v;
  }
  if (Object.keys(issued).length > 0) event.issued = issued;
  const serial = str(d.serialNumber);
  if (serial !== undefined) setSerial(event, serial);
  const cert = resourceArns(record.resources).find((a) => PCA_CERT_ARN.test(a));
  if (cert !== undefined) setCertificateArn(event, cert);
  if (event.serial === undefined && event.unmatchable === undefined)
    event.unmatchable = 'no serviceEventDetails.serialNumber nor certificate ARN: the serial is unknown';
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

/**
 * Whether a record with these top-level fields (as JSON.parse gives them) is one that normalise()
 * skips as of no interest (another API or service), so that its other fields need not be read:
 * the same checks, in the same order, as normalise() makes before it skips.
 */
export function isOtherRecord(f: {
  eventID: string;
  eventSource: string;
  eventName: string;
  /** eventTime, parsed by parseInstant (NaN: not an instant) */
  time: number;
}): boolean {
  if (f.eventID === '' || f.eventSource === '' || f.eventName === '') return false;
  if (Number.isNaN(f.time)) return false;
  return kindOf(f.eventSource, f.eventName) === undefined;
}
