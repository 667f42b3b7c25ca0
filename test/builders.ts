/**
 * Builders for audit report rows and whole reports, and drivers that run the core the way the CLI
 * does (index from byte chunks, diff with rows read back by offset).
 */

import { diffIndexes, releaseJoinColumns } from '../src/core/diff/diff.js';
import { completeDiff, rowsForDiff } from '../src/core/diff/diff-report.js';
import { type Finding, FindingCollector } from '../src/core/finding.js';
import {
  type CertificateDecoder,
  type CloudTrailEvent,
  normalise,
  unwrap,
} from '../src/core/reconcile/cloudtrail/event.js';
import type { Crl } from '../src/core/reconcile/crl.js';
import { type CrlSummary, checkCrl } from '../src/core/reconcile/crl-check.js';
import type { CrlVerification } from '../src/core/reconcile/crl-verify.js';
import { type ReconciliationSummary, reconcile, rowsForReconcile } from '../src/core/reconcile/reconcile.js';
import { type AuditRecordFields, FIELD_NAMES, type FieldName } from '../src/core/report/audit-record.js';
import { completeInspect, type InspectOptions, rowsForInspect } from '../src/core/report/inspect-report.js';
import type { ReportIndex } from '../src/core/report/report-index.js';
import {
  type DiffOutput,
  evidenceOffsets,
  type InspectOutput,
  type RowsByOffset,
} from '../src/core/report/report-model.js';
import { indexReport, readRowsAt } from '../src/core/report/report-reader.js';

export const ACCOUNT = '111122223333';
export const CA_ARN =
  'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c35';
export const OTHER_CA_ARN =
  'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/0a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d';
export const END_ENTITY_TEMPLATE = 'arn:aws:acm-pca:::template/EndEntityCertificate/V1';
export const SERVER_TEMPLATE = 'arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1';
export const DEFAULT_SERIAL = '5e:b1:45:1c:ca:b8:0c:22:3a:3b:79:fd:61:ac:79:a7';

/** A row as AWS writes it: field name → text; a field set to undefined in overrides is left out. */
export type ReportRecord = AuditRecordFields;
export type RecordOverrides = { [K in FieldName]?: string | undefined };

/** The ARN of the certificate with this serial: the CA ARN, `/certificate/`, the serial hex without colons. */
export function certificateArnOf(serial: string, caArn = CA_ARN): string {
  return `${caArn}/certificate/${serial.replace(/:/g, '').toLowerCase()}`;
}

/**
 * A distinct, realistic 16-octet serial for n (colon form, first octet 0x01..0x7f like most AWS
 * serials). Deterministic: the same n always gives the same serial.
 */
export function aSerial(n: number): string {
  let x = (Math.imul(n + 1, 0x9e3779b1) ^ 0x5bd1e995) >>> 0;
  const octets: number[] = [];
  for (let k = 0; k < 16; k++) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
    x = (x ^ (x >>> 12) ^ (k * 0x3d)) >>> 0;
    octets.push(x & 0xff);
  }
  // the first octet carries n so that different n never collide
  octets[0] = 0x01 + (n % 0x7f);
  octets[1] = (n >>> 8) & 0xff;
  octets[2] = n & 0xff;
  return octets.map((o) => o.toString(16).padStart(2, '0')).join(':');
}

/**
 * One audit report row with realistic defaults. The certificateArn follows the serial unless it is
 * overridden; `undefined` in overrides removes a field.
 */
export function aRecord(overrides: RecordOverrides = {}): ReportRecord {
  const serial = 'serial' in overrides ? overrides.serial : DEFAULT_SERIAL;
  const base: RecordOverrides = {
    awsAccountId: ACCOUNT,
    certificateArn: serial === undefined ? undefined : certificateArnOf(serial),
    serial,
    subject: 'CN=orders-api.prod.eu-west-1.example.internal,OU=Commerce,O=Example Corp,L=Dublin,C=IE',
    notBefore: '2026-02-26T17:39:57+0000',
    notAfter: '2027-02-26T18:39:57+0000',
    issuedAt: '2026-02-26T18:39:57+0000',
    templateArn: END_ENTITY_TEMPLATE,
  };
  const merged: RecordOverrides = { ...base, ...overrides };
  const out: ReportRecord = {};
  for (const name of FIELD_NAMES) {
    const v = merged[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** `count` records with distinct serials aSerial(first), aSerial(first + 1), ... */
export function someRecords(
  count: number,
  overrides: (i: number) => RecordOverrides = () => ({}),
  first = 0,
): ReportRecord[] {
  return Array.from({ length: count }, (_v, i) => aRecord({ serial: aSerial(first + i), ...overrides(i) }));
}

/** The AWS JSON report: one array, one record a line, keys in the AWS order. */
export function toJsonReport(records: readonly ReportRecord[]): string {
  if (records.length === 0) return '[\n]\n';
  const lines = records.map((r) => {
    const ordered: Record<string, string> = {};
    for (const name of FIELD_NAMES) {
      const v = r[name];
      if (v !== undefined) ordered[name] = v;
    }
    return JSON.stringify(ordered);
  });
  return `[\n${lines.join(',\n')}\n]\n`;
}

export const CSV_COLUMNS_11: readonly FieldName[] = FIELD_NAMES;
export const CSV_COLUMNS_9: readonly FieldName[] = FIELD_NAMES.filter(
  (f) => f !== 'requestedByServicePrincipal' && f !== 'templateArn',
);

export interface CsvOptions {
  /** CRLF line ends (default LF) */
  crlf?: boolean;
  /** a UTF-8 byte order mark first */
  bom?: boolean;
  /** 11 columns (since March 2020, the default) or the older 9 */
  columns?: 9 | 11;
  /** the header cells in this order instead (may name unknown columns) */
  header?: readonly string[];
  /** quote every cell, not just those that need it */
  quoteAll?: boolean;
}

/** RFC 4180 quoting: only cells holding a comma, quote, CR or LF (or every cell with quoteAll). */
export function csvCell(value: string, quoteAll = false): string {
  return quoteAll || /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The AWS CSV report: a header, then one line a record; an absent field is an empty cell. */
export function toCsvReport(records: readonly ReportRecord[], options: CsvOptions = {}): string {
  const eol = options.crlf ? '\r\n' : '\n';
  const header = options.header ?? (options.columns === 9 ? CSV_COLUMNS_9 : CSV_COLUMNS_11);
  const lines = [header.map((h) => csvCell(h, options.quoteAll)).join(',')];
  for (const r of records) {
    lines.push(
      header
        .map((h) => {
          const v = (r as Record<string, string | undefined>)[h];
          return v === undefined ? '' : csvCell(v, options.quoteAll);
        })
        .join(','),
    );
  }
  return `${options.bom ? '\ufeff' : ''}${lines.join(eol)}${eol}`;
}

// ---- running the core over byte chunks ----

/** Chunk sizes cycled by default: small and uneven, so rows and tokens straddle chunk boundaries. */
export const DEFAULT_CHUNK_SIZES: readonly number[] = [5, 1, 13, 64, 2, 251, 7, 33, 3, 1024, 17];

const ENCODER = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return ENCODER.encode(text);
}

/** Splits bytes into chunks; `sizes` is cycled (a single number: equal chunks; Infinity: one chunk). */
export function splitBytes(
  bytes: Uint8Array,
  sizes: number | readonly number[] = DEFAULT_CHUNK_SIZES,
): Uint8Array[] {
  const list = typeof sizes === 'number' ? [sizes] : sizes;
  const out: Uint8Array[] = [];
  let at = 0;
  let k = 0;
  while (at < bytes.length) {
    const size = Math.max(1, Math.min(list[k++ % list.length]!, bytes.length - at));
    // fresh copies: a scanner must not depend on chunks sharing one buffer
    out.push(bytes.slice(at, at + size));
    at += size;
  }
  return out;
}

export async function* chunksOf(
  text: string | Uint8Array,
  sizes: number | readonly number[] = DEFAULT_CHUNK_SIZES,
): AsyncGenerator<Uint8Array> {
  for (const c of splitBytes(typeof text === 'string' ? utf8(text) : text, sizes)) yield c;
}

export interface IndexOfOptions {
  source?: string;
  expectedCa?: string;
  findingLimit?: number;
  chunkSizes?: number | readonly number[];
}

/** indexReport over the UTF-8 bytes of text, fed in chunks (see DEFAULT_CHUNK_SIZES). */
export function indexOf(text: string | Uint8Array, options: IndexOfOptions = {}): Promise<ReportIndex> {
  return indexReport(chunksOf(text, options.chunkSizes), {
    source: options.source ?? 'report',
    ...(options.expectedCa === undefined ? {} : { expectedCa: options.expectedCa }),
    ...(options.findingLimit === undefined ? {} : { findingLimit: options.findingLimit }),
  });
}

export interface DiffOfOptions {
  oldCreatedAt?: number;
  newCreatedAt?: number;
  findingLimit?: number;
  expectedCa?: string;
  chunkSizes?: number | readonly number[];
  oldSource?: string;
  newSource?: string;
}

export interface DiffRun {
  out: DiffOutput;
  oldIndex: ReportIndex;
  newIndex: ReportIndex;
}

const mergeOffsets = (a: readonly number[], b: readonly number[] | undefined): number[] =>
  [...new Set([...a, ...(b ?? [])])].sort((x, y) => x - y);

/** What `pca-audit diff` does (src/app/diff.ts), with the rows read back by readRowsAt. */
export async function diffRun(
  oldText: string,
  newText: string,
  options: DiffOfOptions = {},
): Promise<DiffRun> {
  const oldSource = options.oldSource ?? 'old';
  const newSource = options.newSource ?? 'new';
  const common = {
    ...(options.findingLimit === undefined ? {} : { findingLimit: options.findingLimit }),
    ...(options.expectedCa === undefined ? {} : { expectedCa: options.expectedCa }),
    ...(options.chunkSizes === undefined ? {} : { chunkSizes: options.chunkSizes }),
  };
  const [oldIndex, newIndex] = await Promise.all([
    indexOf(oldText, { ...common, source: oldSource }),
    indexOf(newText, { ...common, source: newSource }),
  ]);
  const plan = diffIndexes(oldIndex, newIndex, {
    ...(options.findingLimit === undefined ? {} : { findingLimit: options.findingLimit }),
    ...(options.oldCreatedAt === undefined ? {} : { oldCreatedAt: options.oldCreatedAt }),
    ...(options.newCreatedAt === undefined ? {} : { newCreatedAt: options.newCreatedAt }),
  });
  releaseJoinColumns(oldIndex);
  releaseJoinColumns(newIndex);
  const needed = rowsForDiff(plan, oldIndex, newIndex);
  const evidence = evidenceOffsets([...plan.findings.findings, ...oldIndex.findings, ...newIndex.findings]);
  const oldRows: RowsByOffset = await readRowsAt(
    chunksOf(oldText, options.chunkSizes),
    mergeOffsets(needed.old, evidence.get(oldSource)),
  );
  const newRows: RowsByOffset = await readRowsAt(
    chunksOf(newText, options.chunkSizes),
    mergeOffsets(needed.new, evidence.get(newSource)),
  );
  const rows = new Map<string, RowsByOffset>([
    [oldSource, oldRows],
    [newSource, newRows],
  ]);
  return { out: completeDiff(plan, oldIndex, newIndex, rows), oldIndex, newIndex };
}

/** The output of `pca-audit diff` for two report texts. */
export async function diffOf(
  oldText: string,
  newText: string,
  options: DiffOfOptions = {},
): Promise<DiffOutput> {
  return (await diffRun(oldText, newText, options)).out;
}

/** What `pca-audit inspect` does (src/app/inspect.ts), with rows read back by readRowsAt. */
export async function inspectOf(
  text: string,
  options: InspectOptions & IndexOfOptions,
): Promise<InspectOutput> {
  const source = options.source ?? 'report';
  const index = await indexOf(text, options);
  const inspect = { at: options.at, expiringWithin: options.expiringWithin };
  const offsets = mergeOffsets(rowsForInspect(index, inspect), evidenceOffsets(index.findings).get(source));
  const rows = await readRowsAt(chunksOf(text, options.chunkSizes), offsets);
  return completeInspect(index, inspect, new Map([[source, rows]]));
}

/** Epoch seconds of an ISO instant (test convenience; relies on Date.parse for `Z` forms only). */
export function epoch(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not an instant: ${iso}`);
  return ms / 1000;
}

/** A deterministic pseudo-random generator (mulberry32) for generated test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- CloudTrail records and reconciliation ----

/** A CloudTrail record as JSON.parse gives it. */
export type TrailRecord = Record<string, unknown>;

let eventCounter = 0;
/** A fresh, realistic eventID (a UUID; deterministic per test file run). */
export function anEventId(): string {
  eventCounter++;
  const hex = eventCounter.toString(16).padStart(12, '0');
  return `3f2a9c1e-7d4b-4e8a-9c0d-${hex}`;
}

/** The identity of a human through an assumed role, as CloudTrail logs it. */
export const ALICE_ROLE_ARN = 'arn:aws:sts::111122223333:assumed-role/PkiAdmin/alice';
export function assumedRoleIdentity(arn = ALICE_ROLE_ARN): TrailRecord {
  return {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLEID123456:alice',
    arn,
    accountId: ACCOUNT,
    accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLEID123456',
        arn: `arn:aws:iam::${ACCOUNT}:role/PkiAdmin`,
        accountId: ACCOUNT,
        userName: 'PkiAdmin',
      },
      attributes: { creationDate: '2026-11-19T13:50:02Z', mfaAuthenticated: 'true' },
    },
  };
}

function managementRecord(
  eventName: string,
  eventTime: string,
  requestParameters: TrailRecord | null,
  responseElements: TrailRecord | null,
  extra: TrailRecord,
): TrailRecord {
  return {
    eventVersion: '1.09',
    userIdentity: assumedRoleIdentity(),
    eventTime,
    eventSource: 'acm-pca.amazonaws.com',
    eventName,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '203.0.113.24',
    userAgent: 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22',
    requestParameters,
    responseElements,
    requestID: anEventId().replace('3f2a', '7b1c'),
    eventID: anEventId(),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: 'acm-pca.eu-west-1.amazonaws.com',
    },
    ...extra,
  };
}

export interface RevokeRecordOptions {
  caArn?: string;
  reason?: string;
  errorCode?: string;
  errorMessage?: string;
  /** anything else to set or override at the top level */
  extra?: TrailRecord;
}

/** A PCA RevokeCertificate record; `serial` is written as given (any form a caller may type). */
export function aRevokeRecord(
  serial: string,
  eventTime: string,
  options: RevokeRecordOptions = {},
): TrailRecord {
  return managementRecord(
    'RevokeCertificate',
    eventTime,
    {
      certificateAuthorityArn: options.caArn ?? CA_ARN,
      certificateSerial: serial,
      revocationReason: options.reason ?? 'KEY_COMPROMISE',
    },
    null,
    {
      ...(options.errorCode === undefined ? {} : { errorCode: options.errorCode }),
      ...(options.errorMessage === undefined ? {} : { errorMessage: options.errorMessage }),
      ...options.extra,
    },
  );
}

/** A PCA IssueCertificate record whose response names the certificate ARN of `serial`. */
export function anIssueRecord(
  serial: string,
  eventTime: string,
  options: { caArn?: string; errorCode?: string; extra?: TrailRecord } = {},
): TrailRecord {
  const caArn = options.caArn ?? CA_ARN;
  return managementRecord(
    'IssueCertificate',
    eventTime,
    {
      certificateAuthorityArn: caArn,
      // the CSR is logged as an unreadable byte buffer
      csr: { hb: [45, 45, 45, 45, 45], offset: 0, isBuffer: false, isReadOnly: true },
      signingAlgorithm: 'SHA256WITHRSA',
      templateArn: END_ENTITY_TEMPLATE,
      validity: { value: 365, type: 'DAYS' },
      idempotencyToken: 'orders-api-2026',
    },
    options.errorCode === undefined ? { certificateArn: certificateArnOf(serial, caArn) } : null,
    {
      ...(options.errorCode === undefined
        ? {}
        : { errorCode: options.errorCode, errorMessage: 'The request was throttled.' }),
      ...options.extra,
    },
  );
}

/** A CreateCertificateAuthorityAuditReport record that made report `auditReportId`. */
export function anAuditReportRecord(
  auditReportId: string,
  eventTime: string,
  options: { caArn?: string; format?: 'JSON' | 'CSV'; errorCode?: string } = {},
): TrailRecord {
  const caArn = options.caArn ?? CA_ARN;
  const caId = caArn.split('/').pop();
  const format = options.format ?? 'JSON';
  return managementRecord(
    'CreateCertificateAuthorityAuditReport',
    eventTime,
    { certificateAuthorityArn: caArn, s3BucketName: 'example-pca-audit', auditReportResponseFormat: format },
    options.errorCode === undefined
      ? { auditReportId, s3Key: `audit-report/${caId}/${auditReportId}.${format.toLowerCase()}` }
      : null,
    options.errorCode === undefined ? {} : { errorCode: options.errorCode },
  );
}

/** The identity of a PCA service event: the service acting in the CA owner's account. */
function serviceIdentity(): TrailRecord {
  return { accountId: ACCOUNT, invokedBy: 'acm-pca.amazonaws.com' };
}

/** A PCA service event (eventType AwsServiceEvent): requestParameters null, the CA in resources[]. */
export function aServiceEventRecord(
  eventName: string,
  eventTime: string,
  options: {
    caArn?: string;
    resources?: TrailRecord[];
    details?: TrailRecord;
    extra?: TrailRecord;
  } = {},
): TrailRecord {
  const caArn = options.caArn ?? CA_ARN;
  return {
    eventVersion: '1.08',
    userIdentity: serviceIdentity(),
    eventTime,
    eventSource: 'acm-pca.amazonaws.com',
    eventName,
    awsRegion: 'eu-west-1',
    sourceIPAddress: 'acm-pca.amazonaws.com',
    userAgent: 'acm-pca.amazonaws.com',
    requestParameters: null,
    responseElements: null,
    eventID: anEventId(),
    readOnly: false,
    resources: options.resources ?? [
      { accountId: ACCOUNT, type: 'AWS::ACMPCA::CertificateAuthority', ARN: caArn },
    ],
    eventType: 'AwsServiceEvent',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    ...(options.details === undefined ? {} : { serviceEventDetails: options.details }),
    eventCategory: 'Management',
    ...options.extra,
  };
}

export interface IssueDetailsOptions {
  caArn?: string;
  status?: 'ISSUED' | 'FAILED';
  statusReason?: string;
  /** the certificate's fields (default: those of `record`, as the CA signed them) */
  record?: ReportRecord;
  /** fields to override or (undefined) leave out of serviceEventDetails */
  details?: Record<string, string | undefined>;
}

/**
 * IssueCertificateDetails: the serial in upper-case colon hex, the dates as `...Z` instants, the
 * CA and certificate ARNs in resources[]; a FAILED one has a statusReason and no dates.
 */
export function anIssueDetailsRecord(
  serial: string,
  eventTime: string,
  options: IssueDetailsOptions = {},
): TrailRecord {
  const caArn = options.caArn ?? CA_ARN;
  const r = options.record ?? aRecord({ serial });
  const z = (v: string | undefined) =>
    v === undefined
      ? undefined
      : new Date(epoch(v.replace(/\+0000$/, 'Z')) * 1000).toISOString().replace('.000Z', 'Z');
  const status = options.status ?? 'ISSUED';
  const upper = serial.toUpperCase();
  const details: Record<string, string | undefined> = {
    tbsCertificate: 'MIIBszCCAVmgAwIBAgIQXrFFHMq4DCI6O3n9YaxppzAKBggqhkjOPQQDAjA=',
    issuerAuthorityKeyIdentifier: '6E:2F:3A:11:90:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67',
    issuerSerialNumber: '1F:0C:22:9A:33:44:55:66:77:88:99:AA:BB:CC:DD:EE',
    issuerName: 'CN=Example Corp Issuing CA,O=Example Corp,C=IE',
    subject: r.subject,
    serialNumber: upper,
    ...(status === 'ISSUED'
      ? { notBefore: z(r.notBefore), notAfter: z(r.notAfter), issuedAt: z(r.issuedAt) }
      : {
          statusReason:
            options.statusReason ?? 'The certificate request violates the name constraints of the CA.',
        }),
    templateArn: r.templateArn ?? END_ENTITY_TEMPLATE,
    signingAlgorithm: 'SHA256WITHECDSA',
    status,
    ...options.details,
  };
  const clean: TrailRecord = {};
  for (const [k, v] of Object.entries(details)) if (v !== undefined) clean[k] = v;
  return aServiceEventRecord('IssueCertificateDetails', eventTime, {
    caArn,
    resources: [
      { accountId: ACCOUNT, type: 'AWS::ACMPCA::CertificateAuthority', ARN: caArn },
      { accountId: ACCOUNT, type: 'AWS::ACMPCA::Certificate', ARN: certificateArnOf(serial, caArn) },
    ],
    details: clean,
  });
}

/**
 * One of PCA's own EventBridge events (source aws.acm-pca): `id` and `time`, resources[0] the CA,
 * resources[1] the certificate ARN or report id, `detail.result` (and `detail.reason` on failure).
 */
export function aPcaEventBridgeEvent(
  detailType: string,
  time: string,
  options: {
    caArn?: string;
    resource?: string;
    result?: 'success' | 'failure';
    reason?: string;
    id?: string;
  } = {},
): TrailRecord {
  const caArn = options.caArn ?? CA_ARN;
  return {
    version: '0',
    id: options.id ?? anEventId().replace('3f2a', '9e4d'),
    'detail-type': detailType,
    source: 'aws.acm-pca',
    account: ACCOUNT,
    time,
    region: 'eu-west-1',
    resources: options.resource === undefined ? [caArn] : [caArn, options.resource],
    detail: {
      result: options.result ?? 'success',
      ...(options.reason === undefined ? {} : { reason: options.reason }),
    },
  };
}

/** A trail log file as CloudTrail writes it to S3 (before gzip). */
export function trailLog(records: readonly TrailRecord[]): string {
  return JSON.stringify({ Records: records });
}

/** `aws cloudtrail lookup-events` output: each record as a JSON string under CloudTrailEvent. */
export function lookupEventsOutput(records: readonly TrailRecord[]): string {
  const events = records.map((r) => ({
    EventId: r.eventID,
    EventName: r.eventName,
    ReadOnly: 'false',
    AccessKeyId: 'ASIAIOSFODNN7EXAMPLE',
    EventTime: r.eventTime,
    EventSource: r.eventSource,
    Username: 'alice',
    Resources: [],
    CloudTrailEvent: JSON.stringify(r),
  }));
  return `${JSON.stringify({ Events: events }, null, 4)}\n`;
}

/** The EventBridge event that carries a record under `detail`. */
export function eventBridgeEvent(record: TrailRecord): TrailRecord {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.acm-pca',
    account: ACCOUNT,
    time: record.eventTime,
    region: 'eu-west-1',
    resources: [],
    detail: record,
  };
}

/** JSON lines: one record a line. */
export function jsonLines(values: readonly unknown[]): string {
  return values.map((v) => `${JSON.stringify(v)}\n`).join('');
}

export interface ReconcileRunOptions extends DiffOfOptions {
  propagationAllowance?: number;
  timeTolerance?: number;
  /** the coverage of the sources (default: earliest and latest eventTime of the events) */
  coverage?: { earliest: number; latest: number };
  caArn?: string | undefined;
}

export interface ReconcileRun extends DiffRun {
  summary: ReconciliationSummary;
}

/**
 * What `pca-audit diff --cloudtrail` does with already normalised events (src/app/diff.ts):
 * diff, reconcile with the plan's window, then complete the output.
 */
export async function reconcileRun(
  oldText: string,
  newText: string,
  events: readonly CloudTrailEvent[],
  options: ReconcileRunOptions = {},
): Promise<ReconcileRun> {
  const oldSource = options.oldSource ?? 'old';
  const newSource = options.newSource ?? 'new';
  const [oldIndex, newIndex] = await Promise.all([
    indexOf(oldText, { source: oldSource }),
    indexOf(newText, { source: newSource }),
  ]);
  const plan = diffIndexes(oldIndex, newIndex, {
    ...(options.oldCreatedAt === undefined ? {} : { oldCreatedAt: options.oldCreatedAt }),
    ...(options.newCreatedAt === undefined ? {} : { newCreatedAt: options.newCreatedAt }),
  });
  const needed = rowsForDiff(plan, oldIndex, newIndex);
  const caArn = 'caArn' in options ? options.caArn : (newIndex.caArn ?? oldIndex.caArn);
  const newRowsForReconcile: RowsByOffset = await readRowsAt(
    chunksOf(newText),
    mergeOffsets(needed.new, rowsForReconcile(events, newIndex, caArn)),
  );
  const times = events.map((e) => epoch(e.eventTime));
  const coverage = options.coverage ?? {
    earliest: times.length === 0 ? Number.NaN : Math.min(...times),
    latest: times.length === 0 ? Number.NaN : Math.max(...times),
  };
  const summary = reconcile(plan, oldIndex, newIndex, newRowsForReconcile, events, {
    caArn,
    from: plan.window.from,
    to: plan.window.to,
    propagationAllowance: options.propagationAllowance ?? 3600,
    timeTolerance: options.timeTolerance ?? 300,
    coverage,
  });
  const evidence = evidenceOffsets([...plan.findings.findings, ...oldIndex.findings, ...newIndex.findings]);
  const oldRows = await readRowsAt(chunksOf(oldText), mergeOffsets(needed.old, evidence.get(oldSource)));
  const newRows = await readRowsAt(chunksOf(newText), mergeOffsets(needed.new, evidence.get(newSource)));
  const rows = new Map<string, RowsByOffset>([
    [oldSource, oldRows],
    [newSource, newRows],
  ]);
  return { out: completeDiff(plan, oldIndex, newIndex, rows), oldIndex, newIndex, summary };
}

/** Normalises records (through unwrap, as the event reader does); throws on anything not an event. */
export function eventsOf(
  values: readonly unknown[],
  decodeCertificate?: CertificateDecoder,
  source = 'trail.json',
): CloudTrailEvent[] {
  return values.map((v, i) => {
    const u = unwrap(v);
    if (u.kind !== 'record') throw new Error(`value ${i} is not a record: ${JSON.stringify(u)}`);
    const n = normalise(u.record, { source, line: i + 1, byte: 0 }, decodeCertificate);
    if (n.kind !== 'event') throw new Error(`value ${i} is not an event: ${JSON.stringify(n)}`);
    return n.event;
  });
}

/** checkCrl of a CRL against the index of NEW's text, with a fresh collector. */
export async function crlCheckRun(
  newText: string,
  crl: Crl,
  options: {
    newCreatedAt?: number;
    allowance?: number;
    source?: string;
    verification?: CrlVerification;
    now?: number;
    maxAge?: number;
  } = {},
): Promise<{ summary: CrlSummary; findings: Finding[]; index: ReportIndex }> {
  const index = await indexOf(newText, { source: 'new' });
  const collector = new FindingCollector(1000);
  const summary = checkCrl(index, crl, collector, {
    source: options.source ?? 'ca.crl',
    newCreatedAt: options.newCreatedAt ?? Number.NaN,
    allowance: options.allowance ?? 3600,
    ...(options.verification === undefined ? {} : { verification: options.verification }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.maxAge === undefined ? {} : { maxAge: options.maxAge }),
  });
  return { summary, findings: collector.findings, index };
}
