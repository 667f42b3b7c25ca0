/**
 * CloudTrail records for the emulated PCA calls, shaped like the management events CloudTrail logs
 * for acm-pca.amazonaws.com (eventVersion 1.08, camelCase requestParameters and responseElements).
 */
import { createHash } from 'node:crypto';
import { formatInstant } from '../core/instant.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface CloudTrailRecord {
  eventVersion: '1.08';
  userIdentity: {
    type: 'IAMUser';
    principalId: string;
    arn: string;
    accountId: string;
    accessKeyId: string;
    userName: string;
  };
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: JsonValue;
  responseElements: JsonValue;
  requestID: string;
  eventID: string;
  readOnly: boolean;
  eventType: 'AwsApiCall';
  managementEvent: true;
  recipientAccountId: string;
  eventCategory: 'Management';
}

/** What the HTTP shell knows about one call. */
export interface ApiCall {
  eventSource: string;
  operation: string;
  /** the request body as sent (PascalCase members) */
  request: Record<string, unknown>;
  /** the response body on success (PascalCase), or the error */
  response: Record<string, unknown> | undefined;
  error: { code: string; message: string } | undefined;
  accessKeyId: string;
  userAgent: string;
  requestId: string;
  eventId: string;
  /** epoch seconds, emulated clock */
  time: number;
  region: string;
  account: string;
}

/** Operations that change nothing: CloudTrail marks them readOnly. */
function isReadOnly(operation: string): boolean {
  return /^(Describe|Get|List|Lookup)/.test(operation);
}

/**
 * PascalCase members to CloudTrail's camelCase, recursively. A blob (the CSR) is logged as the Java
 * ByteBuffer object CloudTrail shows for it, not as its content.
 */
export function toCloudTrailCase(
  value: unknown,
  blobs: ReadonlySet<string> = new Set(),
  key = '',
): JsonValue {
  if (blobs.has(key) && typeof value === 'string') {
    const size = Buffer.from(value, 'base64').length;
    return {
      hb: [],
      offset: 0,
      isReadOnly: false,
      bigEndian: true,
      nativeByteOrder: false,
      mark: -1,
      position: 0,
      limit: size,
      capacity: size,
      address: 0,
    };
  }
  if (Array.isArray(value)) return value.map((v) => toCloudTrailCase(v, blobs));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k.charAt(0).toLowerCase() + k.slice(1)] = toCloudTrailCase(v, blobs, k);
    }
    return out;
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return null;
}

/** A stable principal id per access key, so one caller always looks like one IAM user. */
function principalId(accessKeyId: string): string {
  return `AIDA${createHash('sha256').update(accessKeyId).digest('hex').slice(0, 17).toUpperCase()}`;
}

export function buildCloudTrailRecord(call: ApiCall): CloudTrailRecord {
  const failed = call.error !== undefined;
  const response =
    failed || call.response === undefined || Object.keys(call.response).length === 0 ? null : call.response;
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'IAMUser',
      principalId: principalId(call.accessKeyId),
      arn: `arn:aws:iam::${call.account}:user/${call.accessKeyId}`,
      accountId: call.account,
      accessKeyId: call.accessKeyId,
      userName: call.accessKeyId,
    },
    eventTime: formatInstant(Math.floor(call.time)),
    eventSource: call.eventSource,
    eventName: call.operation,
    awsRegion: call.region,
    sourceIPAddress: '127.0.0.1',
    userAgent: call.userAgent,
    ...(call.error ? { errorCode: call.error.code, errorMessage: call.error.message } : {}),
    requestParameters: toCloudTrailCase(call.request, new Set(['Csr'])),
    responseElements: toCloudTrailCase(response),
    requestID: call.requestId,
    eventID: call.eventId,
    readOnly: isReadOnly(call.operation),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: call.account,
    eventCategory: 'Management',
  };
}

/** A service event PCA records on its own (eventType AwsServiceEvent): no caller, no request. */
export interface ServiceEventRecord {
  eventVersion: '1.08';
  userIdentity: { accountId: string; invokedBy: 'acm-pca.amazonaws.com' };
  eventTime: string;
  eventSource: 'acm-pca.amazonaws.com';
  eventName: string;
  awsRegion: string;
  sourceIPAddress: 'acm-pca.amazonaws.com';
  userAgent: 'acm-pca.amazonaws.com';
  requestParameters: null;
  responseElements: null;
  eventID: string;
  readOnly: false;
  resources: { accountId: string; type: string; ARN: string }[];
  eventType: 'AwsServiceEvent';
  managementEvent: true;
  recipientAccountId: string;
  serviceEventDetails?: Record<string, string>;
  eventCategory: 'Management';
}

export type AnyRecord = CloudTrailRecord | ServiceEventRecord;

/**
 * IssueCertificateDetails as delivered to one account (the CA owner's or the requester's): the CA
 * and the certificate in resources[] (in the owner's account), the details as given.
 */
export function buildIssueDetailsRecord(event: {
  time: number;
  region: string;
  recipient: string;
  owner: string;
  caArn: string;
  certificateArn: string;
  details: Record<string, string>;
  eventId: string;
}): ServiceEventRecord {
  return buildServiceEventRecord({
    ...event,
    eventName: 'IssueCertificateDetails',
    resources: [
      { accountId: event.owner, type: 'AWS::ACMPCA::CertificateAuthority', ARN: event.caArn },
      { accountId: event.owner, type: 'AWS::ACMPCA::Certificate', ARN: event.certificateArn },
    ],
  });
}

/** A PCA service event (GenerateCRL, SignCRL, IssueCertificateDetails, ...) for one account's trail. */
export function buildServiceEventRecord(event: {
  eventName: string;
  time: number;
  region: string;
  recipient: string;
  resources: ServiceEventRecord['resources'];
  details?: Record<string, string>;
  eventId: string;
}): ServiceEventRecord {
  return {
    eventVersion: '1.08',
    userIdentity: { accountId: event.recipient, invokedBy: 'acm-pca.amazonaws.com' },
    eventTime: formatInstant(Math.floor(event.time)),
    eventSource: 'acm-pca.amazonaws.com',
    eventName: event.eventName,
    awsRegion: event.region,
    sourceIPAddress: 'acm-pca.amazonaws.com',
    userAgent: 'acm-pca.amazonaws.com',
    requestParameters: null,
    responseElements: null,
    eventID: event.eventId,
    readOnly: false,
    resources: event.resources,
    eventType: 'AwsServiceEvent',
    managementEvent: true,
    recipientAccountId: event.recipient,
    ...(event.details === undefined ? {} : { serviceEventDetails: event.details }),
    eventCategory: 'Management',
  };
}
