/**
 * CloudTrail LookupEvents over the recorded events: one lookup attribute at most, a time range,
 * newest first, pages of at most 50 and a NextToken bound to the parameters that made it.
 */
import { createHash } from 'node:crypto';
import { AwsError } from './aws-error.js';
import type { AnyRecord } from './cloudtrail-record.js';

export interface StoredEvent {
  /** recording order, breaks ties between events of the same second */
  seq: number;
  /** epoch seconds (eventTime) */
  time: number;
  /** the account whose trail holds it (LookupEvents answers each account its own) */
  account: string;
  /** the Region whose trail holds it (LookupEvents answers each Region its own) */
  region: string;
  record: AnyRecord;
}

export interface EventResource {
  ResourceType: string;
  ResourceName: string;
}

const MAX_RESULTS = 50;
const ATTRIBUTE_KEYS = [
  'EventId',
  'EventName',
  'ReadOnly',
  'Username',
  'ResourceType',
  'ResourceName',
  'EventSource',
  'AccessKeyId',
] as const;
type AttributeKey = (typeof ATTRIBUTE_KEYS)[number];

/** The resources LookupEvents lists for a record: the CA and the certificate it names. */
export function resourcesOf(record: AnyRecord): EventResource[] {
  const out: EventResource[] = [];
  const seen = new Set<string>();
  const add = (type: string, name: unknown) => {
    if (typeof name !== 'string' || seen.has(name)) return;
    seen.add(name);
    out.push({ ResourceType: type, ResourceName: name });
  };
  if (record.eventType === 'AwsServiceEvent') {
    for (const r of record.resources) add(r.type, r.ARN);
    return out;
  }
  for (const part of [record.requestParameters, record.responseElements]) {
    if (part === null || typeof part !== 'object' || Array.isArray(part)) continue;
    add('AWS::ACMPCA::CertificateAuthority', part.certificateAuthorityArn);
    add('AWS::ACMPCA::Certificate', part.certificateArn);
  }
  return out;
}

function attributeValues(event: StoredEvent, key: AttributeKey): string[] {
  const r = event.record;
  switch (key) {
    case 'EventId':
      return [r.eventID];
    case 'EventName':
      return [r.eventName];
    case 'ReadOnly':
      return [String(r.readOnly)];
    case 'Username':
      return r.eventType === 'AwsApiCall' ? [r.userIdentity.userName] : [];
    case 'AccessKeyId':
      return r.eventType === 'AwsApiCall' ? [r.userIdentity.accessKeyId] : [];
    case 'EventSource':
      return [r.eventSource];
    case 'ResourceType':
      return resourcesOf(r).map((x) => x.ResourceType);
    case 'ResourceName':
      return resourcesOf(r).map((x) => x.ResourceName);
  }
}

interface Cursor {
  /** hash of the parameters that define the result set */
  p: string;
  t: number;
  s: number;
}

function encodeToken(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64');
}

function decodeToken(token: unknown, paramsHash: string): Cursor {
  const invalid = new AwsError('InvalidNextTokenException', 'Invalid NextToken.');
  if (typeof token !== 'string') throw invalid;
  let cursor: Partial<Cursor>;
  try {
    cursor = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as Partial<Cursor>;
  } catch {
    throw invalid;
  }
  if (cursor.p !== paramsHash || typeof cursor.t !== 'number' || typeof cursor.s !== 'number') throw invalid;
  return cursor as Cursor;
}

function optionalTime(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new AwsError('ValidationException', `${name} must be a timestamp in epoch seconds.`);
  }
  return value;
}

/** Newest first: later time, then later recording. */
function newerFirst(a: StoredEvent, b: StoredEvent): number {
  return b.time - a.time || b.seq - a.seq;
}

export function lookupEvents(
  events: readonly StoredEvent[],
  request: Record<string, unknown>,
): Record<string, unknown> {
  const attributes = request.LookupAttributes ?? [];
  if (!Array.isArray(attributes))
    throw new AwsError('InvalidLookupAttributesException', 'LookupAttributes must be a list.');
  if (attributes.length > 1) {
    throw new AwsError('InvalidLookupAttributesException', 'You can specify only one lookup attribute.');
  }
  const attribute = attributes[0] as { AttributeKey?: unknown; AttributeValue?: unknown } | undefined;
  if (
    attribute !== undefined &&
    (!ATTRIBUTE_KEYS.includes(attribute.AttributeKey as AttributeKey) ||
      typeof attribute.AttributeValue !== 'string' ||
      attribute.AttributeValue.length < 1 ||
      attribute.AttributeValue.length > 2000)
  ) {
    throw new AwsError('InvalidLookupAttributesException', 'The lookup attribute is not valid.');
  }
  const start = optionalTime(request.StartTime, 'StartTime');
  const end = optionalTime(request.EndTime, 'EndTime');
  if (start !== undefined && end !== undefined && start > end) {
    throw new AwsError('InvalidTimeRangeException', 'StartTime must be before EndTime.');
  }
  const category = request.EventCategory;
  if (category !== undefined && category !== 'insight') {
    throw new AwsError('InvalidEventCategoryException', 'EventCategory must be insight.');
  }
  const max = request.MaxResults ?? MAX_RESULTS;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAX_RESULTS) {
    throw new AwsError('InvalidMaxResultsException', 'MaxResults must be between 1 and 50.');
  }
  const paramsHash = createHash('sha256')
    .update(JSON.stringify([attribute?.AttributeKey, attribute?.AttributeValue, start, end, category]))
    .digest('hex')
    .slice(0, 16);
  const after = request.NextToken === undefined ? undefined : decodeToken(request.NextToken, paramsHash);

  // the emulator records management events only: an insight lookup finds nothing
  const matching =
    category === 'insight'
      ? []
      : events
          .filter(
            (e) =>
              (start === undefined || e.time >= start) &&
              (end === undefined || e.time <= end) &&
              (attribute === undefined ||
                attributeValues(e, attribute.AttributeKey as AttributeKey).includes(
                  attribute.AttributeValue as string,
                )) &&
              (after === undefined || e.time < after.t || (e.time === after.t && e.seq < after.s)),
          )
          .sort(newerFirst);
  const page = matching.slice(0, max);
  const last = page.at(-1);
  return {
    Events: page.map((e) => ({
      EventId: e.record.eventID,
      EventName: e.record.eventName,
      ReadOnly: String(e.record.readOnly),
      ...(e.record.eventType === 'AwsApiCall' ? { AccessKeyId: e.record.userIdentity.accessKeyId } : {}),
      EventTime: e.time,
      EventSource: e.record.eventSource,
      ...(e.record.eventType === 'AwsApiCall' ? { Username: e.record.userIdentity.userName } : {}),
      Resources: resourcesOf(e.record),
      CloudTrailEvent: JSON.stringify(e.record),
    })),
    ...(matching.length > max && last
      ? { NextToken: encodeToken({ p: paramsHash, t: last.time, s: last.seq }) }
      : {}),
  };
}
