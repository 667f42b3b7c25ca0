/**
 * The emulated ACM Private CA: CAs with real keys and certificates, issuance, revocation and audit
 * reports. Operations take the JSON request body and return the response body, or throw AwsError.
 * CloudTrail recording is the HTTP shell's job, so the test knobs can act without leaving a record.
 */

import { randomUUID } from 'node:crypto';
import { REPORT_INTERVAL_SECONDS } from '../core/ca-arn.js';
import { formatInstant } from '../core/instant.js';
import { FIELD_NAMES, type FieldName } from '../core/report/audit-record.js';
import { REVOCATION_REASONS } from '../core/report/revocation-reason.js';
import { formatSerial, parseSerial } from '../core/report/serial.js';
import {
  type AuditReportFormat,
  type AuditReportRow,
  applyTampers,
  formatReport,
  formatReportInstant,
  type ReportTamper,
} from './audit-report.js';
import { AwsError } from './aws-error.js';
import {
  type CaKey,
  createRootCertificate,
  generateCaKey,
  issueFromCsr,
  type MadeCertificate,
  randomSerial,
  signingFamily,
  tbsDetails,
} from './certificates.js';
import type { EmulatedClock } from './clock.js';
import { makeCrl } from './crl.js';
import type { Caller, Notice, PcaEventDetailType } from './notices.js';
import { issuerHashes, type OcspIssuer } from './ocsp.js';
import {
  crlKey,
  crlUrl,
  DEFAULT_CRL_EXPIRATION_DAYS,
  ocspUrl,
  parseRevocationConfiguration,
  type RevocationConfiguration,
} from './revocation-config.js';
import type { ObjectWriter } from './s3-writer.js';
import { validityEnd, validityStart } from './validity.js';

export type ReportRepeatMode = 'reuse' | 'throttling' | 'limit' | 'in-progress';
export const REPORT_REPEAT_MODES: readonly ReportRepeatMode[] = [
  'reuse',
  'throttling',
  'limit',
  'in-progress',
];
export { REVOCATION_REASONS };

const ROOT_TEMPLATE = 'arn:aws:acm-pca:::template/RootCACertificate/V1';
const DEFAULT_TEMPLATE = 'arn:aws:acm-pca:::template/EndEntityCertificate/V1';
const CA_ARN =
  /^arn:aws:acm-pca:([a-z0-9-]+):(\d{12}):certificate-authority\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const TEMPLATE_ARN = /^arn:aws:acm-pca:::template\/[A-Za-z0-9_]+\/V\d+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The Region of a CA ARN (arn:aws:acm-pca:<region>:…). */
const regionOfArn = (arn: string): string => arn.split(':')[3]!;

interface IssuedCertificate extends MadeCertificate {
  arn: string;
  issuedAt: number;
  templateArn: string;
  revokedAt?: number;
  revocationReason?: string;
  requestedByServicePrincipal?: string;
  /** the account that asked for it (the CA's own, or one the CA is shared with) */
  requester: string;
  /** set when its issuance FAILED yet the certificate is kept (fail-next-issuance with listed) */
  failedReason?: string;
}

interface AuditReport {
  id: string;
  bucket: string;
  key: string;
  createdAt: number;
  status: 'CREATING' | 'SUCCESS' | 'FAILED';
}

interface CertificateAuthority {
  arn: string;
  id: string;
  /** the creator's account, in the ARN */
  owner: string;
  /** accounts the CA is shared with (the share knob, standing in for RAM) */
  sharedWith: Set<string>;
  createdAt: number;
  request: Record<string, unknown>;
  key: CaKey;
  root: IssuedCertificate;
  /** by canonical serial, in issuance order (the root first) */
  certificates: Map<string, IssuedCertificate>;
  reports: AuditReport[];
  tampers: ReportTamper[];
  /** serials whose issuance FAILED and that are not kept: GetCertificate says so */
  failedIssuances: Map<string, string>;
  status: 'ACTIVE' | 'DISABLED';
  revocation: RevocationConfiguration;
  /** the hash of the CA's SigningAlgorithm: CRLs and OCSP responses are signed with it */
  hash: string;
  crl: CrlState;
  /** knob: OCSP answers good for revoked certificates */
  ocspGoodForRevoked: boolean;
  /** CertID hashes by hash algorithm, computed once */
  ocspHashes: Map<string, { name: Buffer; key: Buffer }>;
}

interface CrlState {
  /** the last CRL number written (0: none yet) */
  number: number;
  pending?: NodeJS.Timeout | undefined;
  /** knob: the bucket refuses the CRL (publishing stops, a CRL Generation failure event each time) */
  deny: boolean;
  /** knob: serials left out of the CRL */
  drop: Set<string>;
  /** knob: CRLs are signed with this key, not the CA's */
  wrongKey?: CaKey;
}

/** What one CRL publication did. */
export interface CrlPublication {
  bucket: string;
  key: string;
  number: number;
  entries: number;
  bytes: number;
  result: 'success' | 'failure';
  reason?: string;
  /** real milliseconds taken to make and write it */
  ms: number;
  /** why the write failed, when it did */
  detail?: string;
}

export interface PcaConfig {
  /** real milliseconds between a revocation (or the CA's creation) and the CRL's publication */
  crlDelayMs: number;
  /** real milliseconds between CreateCertificateAuthorityAuditReport and the report's delivery */
  reportDelayMs: number;
  /** what a second report request inside the 30-minute window gets */
  reportRepeat: ReportRepeatMode;
}

type Request = Record<string, unknown>;
type Response = Record<string, unknown> | undefined;

/** What RAM's default permission for a shared CA lets another account do. */
const SHARED_ACTIONS = new Set([
  'DescribeCertificateAuthority',
  'GetCertificateAuthorityCertificate',
  'IssueCertificate',
  'GetCertificate',
]);

/** An issuance the fail-next-issuance knob makes fail. */
interface FailIssuance {
  ca: string;
  reason: string;
  /** the certificate is kept and listed in reports all the same (a report a test wants wrong) */
  listed: boolean;
}

export const DEFAULT_FAILED_ISSUANCE_REASON =
  'The certificate request violates the name constraints of the CA.';

function required(request: Request, member: string): string {
  const value = request[member];
  if (typeof value !== 'string' || value === '') {
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function oneOf<T extends string>(request: Request, member: string, allowed: readonly T[]): T {
  const value = required(request, member);
  if (!allowed.includes(value as T)) {
    throw new AwsError(
      'ValidationException',
      `Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
    );
  }
  return value as T;
}

export class PcaService {
  readonly config: PcaConfig = { reportDelayMs: 300, reportRepeat: 'reuse', crlDelayMs: 100 };
  private readonly cas = new Map<string, CertificateAuthority>();
  /** CA ARNs (or '*') whose next report fails */
  private failNext: string[] = [];
  private failNextIssue: FailIssuance[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** notices given outside a call (a report's delivery, a CRL's): the HTTP shell sets it */
  onNotice: (notice: Notice) => void = () => {};

  readonly operations: Readonly<Record<string, (request: Request, caller: Caller) => Promise<Response>>> = {
    CreateCertificateAuthority: (r, c) => this.createCertificateAuthority(r, c),
    DescribeCertificateAuthority: async (r, c) => ({
      CertificateAuthority: this.describe(this.ca(r, c, 'DescribeCertificateAuthority')),
    }),
    ListCertificateAuthorities: async (r, c) => this.listCertificateAuthorities(r, c),
    GetCertificateAuthorityCertificate: async (r, c) => ({
      Certificate: this.ca(r, c, 'GetCertificateAuthorityCertificate').root.pem,
    }),
    IssueCertificate: (r, c) => this.issueCertificate(r, c),
    GetCertificate: async (r, c) => this.getCertificate(r, c),
    RevokeCertificate: async (r, c) => {
      this.revoke(r, c);
      return undefined;
    },
    UpdateCertificateAuthority: async (r, c) => this.updateCertificateAuthority(r, c),
    CreateCertificateAuthorityAuditReport: async (r, c) => this.createAuditReport(r, c),
    DescribeCertificateAuthorityAuditReport: async (r, c) => this.describeAuditReport(r, c),
  };

  constructor(
    // CAs take the Region of the request that creates them (the SigV4 scope), this one by default
    _region: string,
    private readonly clock: EmulatedClock,
    private readonly writeObject: ObjectWriter,
  ) {}

  reset(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.cas.clear();
    this.failNext = [];
    this.failNextIssue = [];
    Object.assign(this.config, { reportDelayMs: 300, reportRepeat: 'reuse', crlDelayMs: 100 });
  }

  /** Stops pending report deliveries (shutdown). */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /**
   * The CA a request names. With a caller, another account's CA is AccessDeniedException unless it
   * is shared with the caller and the action is one RAM's default permission grants.
   */
  private ca(request: Request, caller?: Caller, action?: string): CertificateAuthority {
    const arn = required(request, 'CertificateAuthorityArn');
    const m = CA_ARN.exec(arn);
    if (!m) throw new AwsError('InvalidArnException', `The ARN ${arn} is not valid.`);
    const ca = this.cas.get(arn);
    if (caller && m[2] !== caller.account) {
      if (!ca?.sharedWith.has(caller.account) || !action || !SHARED_ACTIONS.has(action)) {
        throw new AwsError(
          'AccessDeniedException',
          `User: arn:aws:iam::${caller.account}:root is not authorized to perform: acm-pca:${action ?? 'Unknown'} on resource: ${arn} because no resource-based policy allows the acm-pca:${action ?? 'Unknown'} action`,
        );
      }
    }
    if (!ca) throw new AwsError('ResourceNotFoundException', `Could not find certificate authority ${arn}.`);
    return ca;
  }

  /** Notices a call gives go with the call (recorded after it); others straight to onNotice. */
  private notify(caller: Caller | undefined, notice: Notice): void {
    if (caller) caller.notices.push(notice);
    else this.onNotice(notice);
  }

  private pcaEvent(
    caller: Caller | undefined,
    ca: CertificateAuthority,
    detailType: PcaEventDetailType,
    resource?: string,
    failure?: string,
  ): void {
    this.notify(caller, {
      kind: 'eventbridge',
      time: this.clock.now(),
      account: ca.owner,
      detailType,
      resources: resource === undefined ? [ca.arn] : [ca.arn, resource],
      result: failure === undefined ? 'success' : 'failure',
      ...(failure === undefined ? {} : { reason: failure }),
    });
  }

  private async createCertificateAuthority(request: Request, caller: Caller): Promise<Response> {
    const type = oneOf(request, 'CertificateAuthorityType', ['ROOT', 'SUBORDINATE']);
    if (type !== 'ROOT') throw new AwsError('InvalidArgsException', 'The emulator creates ROOT CAs only.');
    const config = request.CertificateAuthorityConfiguration as Request | undefined;
    if (config === null || typeof config !== 'object') {
      throw new AwsError(
        'ValidationException',
        "Value at 'CertificateAuthorityConfiguration' must not be null",
      );
    }
    const subject = config.Subject;
    if (subject === null || typeof subject !== 'object') {
      throw new AwsError(
        'ValidationException',
        "Value at 'CertificateAuthorityConfiguration.Subject' must not be null",
      );
    }
    const revocation = parseRevocationConfiguration(request.RevocationConfiguration);
    const createdAt = this.clock.now();
    const { key, certificate } = await createRootCertificate({
      keyAlgorithm: required(config, 'KeyAlgorithm'),
      signingAlgorithm: required(config, 'SigningAlgorithm'),
      subject: subject as Request,
      notBefore: validityStart(createdAt, undefined),
      notAfter: validityEnd(createdAt, { Type: 'YEARS', Value: 10 }),
    });
    const id = randomUUID();
    // a CA belongs to the Region it was created in (the request's), and to its creator's account
    const arn = `arn:aws:acm-pca:${caller.region}:${caller.account}:certificate-authority/${id}`;
    const root: IssuedCertificate = {
      ...certificate,
      arn: `${arn}/certificate/${certificate.serial}`,
      issuedAt: createdAt,
      templateArn: ROOT_TEMPLATE,
      requester: caller.account,
    };
    const ca: CertificateAuthority = {
      arn,
      id,
      owner: caller.account,
      sharedWith: new Set(),
      createdAt,
      request,
      key,
      root,
      certificates: new Map([[root.serial, root]]),
      reports: [],
      tampers: [],
      failedIssuances: new Map(),
      status: 'ACTIVE',
      revocation,
      hash: signingFamily(required(config, 'SigningAlgorithm'))!.hash,
      crl: { number: 0, deny: false, drop: new Set() },
      ocspGoodForRevoked: false,
      ocspHashes: new Map(),
    };
    this.cas.set(arn, ca);
    this.pcaEvent(caller, ca, 'ACM Private CA Certificate Authority Creation');
    this.scheduleCrl(ca);
    return { CertificateAuthorityArn: arn };
  }

  /** Status is ACTIVE at once: the root certificate is made and installed by CreateCertificateAuthority. */
  private describe(ca: CertificateAuthority): Record<string, unknown> {
    const r = ca.request;
    return {
      Arn: ca.arn,
      OwnerAccount: ca.owner,
      CreatedAt: ca.createdAt,
      LastStateChangeAt: ca.createdAt,
      Type: 'ROOT',
      Serial: formatSerial(ca.root.serial),
      Status: ca.status,
      NotBefore: ca.root.notBefore,
      NotAfter: ca.root.notAfter,
      CertificateAuthorityConfiguration: r.CertificateAuthorityConfiguration,
      RevocationConfiguration: ca.revocation,
      KeyStorageSecurityStandard: r.KeyStorageSecurityStandard ?? 'FIPS_140_2_LEVEL_3_OR_HIGHER',
      UsageMode: r.UsageMode ?? 'GENERAL_PURPOSE',
    };
  }

  private listCertificateAuthorities(request: Request, caller: Caller): Response {
    const owner = request.ResourceOwner ?? 'SELF';
    if (owner !== 'SELF' && owner !== 'OTHER_ACCOUNTS') {
      throw new AwsError(
        'ValidationException',
        `Value '${String(owner)}' at 'resourceOwner' failed to satisfy constraint: Member must satisfy enum value set: [SELF, OTHER_ACCOUNTS]`,
      );
    }
    const max = request.MaxResults ?? 1000;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000) {
      throw new AwsError('ValidationException', 'MaxResults must be between 1 and 1000.');
    }
    let start = 0;
    if (request.NextToken !== undefined) {
      const m = /^ca:(\d+)$/.exec(Buffer.from(String(request.NextToken), 'base64').toString('utf8'));
      start = Number(m?.[1] ?? Number.NaN);
      if (!(start <= this.cas.size)) {
        throw new AwsError(
          'InvalidNextTokenException',
          'The token specified in the NextToken argument is not valid.',
        );
      }
    }
    // SELF: the caller's own CAs; OTHER_ACCOUNTS: those shared with the caller
    const all = [...this.cas.values()].filter(
      (ca) =>
        regionOfArn(ca.arn) === caller.region &&
        (owner === 'SELF' ? ca.owner === caller.account : ca.sharedWith.has(caller.account)),
    );
    const page = all.slice(start, start + max).map((ca) => this.describe(ca));
    const next = start + max < all.length ? Buffer.from(`ca:${start + max}`).toString('base64') : undefined;
    return { CertificateAuthorities: page, ...(next ? { NextToken: next } : {}) };
  }

  private async issueCertificate(request: Request, caller: Caller): Promise<Response> {
    const ca = this.ca(request, caller, 'IssueCertificate');
    if (ca.status !== 'ACTIVE')
      throw new AwsError('InvalidStateException', `The certificate authority ${ca.arn} is ${ca.status}.`);
    const csr = required(request, 'Csr');
    const signingAlgorithm = required(request, 'SigningAlgorithm');
    if (request.Validity === undefined)
      throw new AwsError('ValidationException', "Value at 'Validity' must not be null");
    const templateArn = request.TemplateArn === undefined ? DEFAULT_TEMPLATE : String(request.TemplateArn);
    if (!TEMPLATE_ARN.test(templateArn))
      throw new AwsError('InvalidArnException', `The template ARN ${templateArn} is not valid.`);
    if (templateArn === ROOT_TEMPLATE) {
      throw new AwsError('InvalidArgsException', 'The CA already has its root certificate.');
    }
    const issuedAt = this.clock.now();
    const notBefore = validityStart(issuedAt, request.ValidityNotBefore);
    const notAfter = validityEnd(issuedAt, request.Validity);
    if (notAfter <= issuedAt || notAfter <= notBefore) {
      throw new AwsError('InvalidArgsException', 'The certificate validity ends before it starts.');
    }
    if (notAfter > ca.root.notAfter) {
      throw new AwsError(
        'InvalidArgsException',
        'The certificate validity exceeds the validity of the CA certificate.',
      );
    }
    const made = await issueFromCsr({
      ca: { key: ca.key, pem: ca.root.pem },
      csr,
      signingAlgorithm,
      templateArn,
      notBefore,
      notAfter,
      revocation: this.revocationUrls(ca),
    });
    const arn = `${ca.arn}/certificate/${made.serial}`;
    const failAt = this.failNextIssue.findIndex((f) => f.ca === '*' || f.ca === ca.arn);
    const fail = failAt < 0 ? undefined : this.failNextIssue.splice(failAt, 1)[0]!;
    // IssueCertificate answers the ARN at once; the issuance itself may still fail
    const tbs = tbsDetails(made.pem, ca.root.pem);
    const details: Record<string, string> = fail
      ? {
          ...tbs,
          subject: made.subject,
          serialNumber: formatSerial(made.serial).toUpperCase(),
          templateArn,
          signingAlgorithm,
          status: 'FAILED',
          statusReason: fail.reason,
        }
      : {
          ...tbs,
          subject: made.subject,
          serialNumber: formatSerial(made.serial).toUpperCase(),
          notBefore: formatInstant(made.notBefore),
          notAfter: formatInstant(made.notAfter),
          issuedAt: formatInstant(issuedAt),
          templateArn,
          signingAlgorithm,
          status: 'ISSUED',
        };
    if (fail) delete details.tbsCertificate;
    if (!fail || fail.listed) {
      ca.certificates.set(made.serial, {
        ...made,
        arn,
        issuedAt,
        templateArn,
        requester: caller.account,
        ...(fail ? { failedReason: fail.reason } : {}),
      });
    } else ca.failedIssuances.set(made.serial, fail.reason);
    this.notify(caller, {
      kind: 'issue-details',
      time: issuedAt,
      caArn: ca.arn,
      certificateArn: arn,
      owner: ca.owner,
      requester: caller.account,
      details,
    });
    this.pcaEvent(caller, ca, 'ACM Private CA Certificate Issuance', arn, fail?.reason);
    return { CertificateArn: arn };
  }

  private getCertificate(request: Request, caller: Caller): Response {
    const ca = this.ca(request, caller, 'GetCertificate');
    const arn = required(request, 'CertificateArn');
    const serial = arn.startsWith(`${ca.arn}/certificate/`) ? arn.slice(ca.arn.length + 13) : '';
    if (!/^[0-9a-f]+$/.test(serial))
      throw new AwsError('InvalidArnException', `The ARN ${arn} is not valid.`);
    const cert = ca.certificates.get(serial);
    const failed = cert?.failedReason ?? ca.failedIssuances.get(serial);
    if (failed !== undefined)
      throw new AwsError('RequestFailedException', `The certificate request failed: ${failed}`);
    // bulk-revoke records have no certificate to give
    if (!cert || cert.pem === '')
      throw new AwsError('ResourceNotFoundException', `Could not find certificate ${arn}.`);
    return cert === ca.root
      ? { Certificate: cert.pem }
      : { Certificate: cert.pem, CertificateChain: ca.root.pem };
  }

  /** RevokeCertificate; also the revoke-silently knob. The serial may be written any usual way. */
  revoke(request: Request, caller?: Caller, eventBridge = true): number {
    const ca = this.ca(request, caller, 'RevokeCertificate');
    const written = required(request, 'CertificateSerial');
    const reason = oneOf(request, 'RevocationReason', REVOCATION_REASONS);
    const serial = parseSerial(written);
    if (!serial.ok)
      throw new AwsError('InvalidArgsException', `The certificate serial ${written} ${serial.reason}.`);
    const cert = ca.certificates.get(serial.hex);
    if (!cert)
      throw new AwsError('ResourceNotFoundException', `Could not find certificate with serial ${written}.`);
    if (cert === ca.root)
      throw new AwsError('InvalidRequestException', "A CA's own certificate cannot be revoked.");
    if (cert.revokedAt !== undefined) {
      throw new AwsError(
        'RequestAlreadyProcessedException',
        `Certificate with serial ${written} has already been revoked.`,
      );
    }
    cert.revokedAt = this.clock.now();
    cert.revocationReason = reason;
    if (eventBridge) this.pcaEvent(caller, ca, 'ACM Private CA Certificate Revocation', cert.arn);
    this.scheduleCrl(ca);
    return cert.revokedAt;
  }

  private rows(ca: CertificateAuthority): AuditReportRow[] {
    return [...ca.certificates.values()].map((c) => ({
      awsAccountId: c.requester,
      requestedByServicePrincipal: c.requestedByServicePrincipal,
      certificateArn: c.arn,
      serial: formatSerial(c.serial),
      subject: c.subject,
      notBefore: formatReportInstant(c.notBefore),
      notAfter: formatReportInstant(c.notAfter),
      issuedAt: formatReportInstant(c.issuedAt),
      revokedAt: c.revokedAt === undefined ? undefined : formatReportInstant(c.revokedAt),
      revocationReason: c.revocationReason,
      templateArn: c.templateArn,
    }));
  }

  private createAuditReport(request: Request, caller: Caller): Response {
    const ca = this.ca(request, caller, 'CreateCertificateAuthorityAuditReport');
    const bucket = required(request, 'S3BucketName');
    const format = oneOf<AuditReportFormat>(request, 'AuditReportResponseFormat', ['JSON', 'CSV']);
    const now = this.clock.now();
    const previous = ca.reports.findLast((r) => r.status !== 'FAILED');
    if (previous && now - previous.createdAt < REPORT_INTERVAL_SECONDS) {
      const mode = this.config.reportRepeat;
      if (mode === 'throttling') throw new AwsError('ThrottlingException', 'Rate exceeded');
      if (mode === 'limit') {
        throw new AwsError(
          'LimitExceededException',
          'An audit report can be created once every 30 minutes per CA.',
        );
      }
      if (mode === 'in-progress' || previous.status === 'CREATING') {
        throw new AwsError(
          'RequestInProgressException',
          'An audit report for this CA is already being created.',
        );
      }
      return { AuditReportId: previous.id, S3Key: previous.key };
    }
    const id = randomUUID();
    const report: AuditReport = {
      id,
      bucket,
      key: `audit-report/${ca.id}/${id}.${format.toLowerCase()}`,
      createdAt: now,
      status: 'CREATING',
    };
    ca.reports.push(report);
    // the content is what the CA holds now; delivery happens after the delay
    const body = formatReport(applyTampers(this.rows(ca), ca.tampers), format);
    const failAt = this.failNext.findIndex((s) => s === '*' || s === ca.arn);
    const fail = failAt >= 0;
    if (fail) this.failNext.splice(failAt, 1);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const event = (failure?: string) =>
        this.pcaEvent(undefined, ca, 'ACM Private CA Audit Report Generation', report.id, failure);
      if (fail) {
        report.status = 'FAILED';
        event('The audit report could not be created.');
        return;
      }
      this.writeObject(bucket, report.key, body, format === 'JSON' ? 'application/json' : 'text/csv').then(
        () => {
          report.status = 'SUCCESS';
          event();
        },
        () => {
          report.status = 'FAILED';
          event(`Failed to write the audit report to S3. Check your S3 bucket permissions.`);
        },
      );
    }, this.config.reportDelayMs);
    this.timers.add(timer);
    return { AuditReportId: id, S3Key: report.key };
  }

  private describeAuditReport(request: Request, caller: Caller): Response {
    const ca = this.ca(request, caller, 'DescribeCertificateAuthorityAuditReport');
    const id = required(request, 'AuditReportId');
    if (!UUID.test(id)) throw new AwsError('InvalidArgsException', `The audit report ID ${id} is not valid.`);
    const report = ca.reports.find((r) => r.id === id);
    if (!report) throw new AwsError('ResourceNotFoundException', `Could not find audit report ${id}.`);
    return {
      AuditReportStatus: report.status,
      S3BucketName: report.bucket,
      S3Key: report.key,
      CreatedAt: report.createdAt,
    };
  }

  /** Knob: later reports of the CA drop the row, or show the field altered (null removes it). */
  addTamper(request: Request): void {
    const ca = this.ca({ CertificateAuthorityArn: request.certificateAuthorityArn });
    const serial = parseSerial(required(request, 'serial'));
    if (!serial.ok) throw new AwsError('InvalidArgsException', `serial ${serial.reason}`);
    const reportSerial = formatSerial(serial.hex);
    if (request.drop === true) {
      ca.tampers.push({ serial: reportSerial, drop: true });
      return;
    }
    const field = required(request, 'field') as FieldName;
    if (!FIELD_NAMES.includes(field))
      throw new AwsError('InvalidArgsException', `unknown report field ${field}`);
    const value = request.value;
    if (value !== null && typeof value !== 'string')
      throw new AwsError('InvalidArgsException', 'value is a string or null');
    ca.tampers.push({ serial: reportSerial, field, value });
  }

  /** Knob: the next report (of the CA, or of any CA) ends FAILED and writes nothing. */
  failNextReport(caArn: unknown): void {
    if (caArn !== undefined) this.ca({ CertificateAuthorityArn: caArn });
    this.failNext.push(typeof caArn === 'string' ? caArn : '*');
  }

  /** Knob: the next issuance (of the CA, or of any CA) FAILS; listed keeps it in reports all the same. */
  failNextIssuance(request: Request): void {
    const caArn = request.certificateAuthorityArn;
    if (caArn !== undefined) this.ca({ CertificateAuthorityArn: caArn });
    const reason = request.statusReason ?? DEFAULT_FAILED_ISSUANCE_REASON;
    if (typeof reason !== 'string') throw new AwsError('InvalidArgsException', 'statusReason is a string');
    this.failNextIssue.push({
      ca: typeof caArn === 'string' ? caArn : '*',
      reason,
      listed: request.listed === true,
    });
  }

  /** Knob standing in for RAM: the account may use the CA as RAM's default permission allows. */
  share(request: Request): void {
    const ca = this.ca({ CertificateAuthorityArn: request.caArn ?? request.certificateAuthorityArn });
    const account = request.account;
    if (typeof account !== 'string' || !/^\d{12}$/.test(account))
      throw new AwsError('InvalidArgsException', 'account is 12 digits');
    if (account === ca.owner) throw new AwsError('InvalidArgsException', "the CA is already that account's");
    if (request.unshare === true) ca.sharedWith.delete(account);
    else ca.sharedWith.add(account);
  }

  /** UpdateCertificateAuthority: RevocationConfiguration (members left out stay) and Status. */
  private updateCertificateAuthority(request: Request, caller: Caller): Response {
    const ca = this.ca(request, caller, 'UpdateCertificateAuthority');
    const status = request.Status;
    if (status !== undefined && status !== 'ACTIVE' && status !== 'DISABLED') {
      throw new AwsError(
        'InvalidArgsException',
        `The status ${String(status)} cannot be set; use ACTIVE or DISABLED.`,
      );
    }
    const revocation = parseRevocationConfiguration(request.RevocationConfiguration, ca.revocation);
    ca.revocation = revocation;
    if (status !== undefined) ca.status = status;
    this.scheduleCrl(ca);
    return undefined;
  }

  /** The CRL and OCSP URLs the CA's certificates carry, as its configuration says. */
  private revocationUrls(ca: CertificateAuthority): { crlUrl?: string; ocspUrl?: string } {
    const crl = ca.revocation.CrlConfiguration;
    const ocsp = ca.revocation.OcspConfiguration;
    return {
      ...(crl?.Enabled && !crl.CrlDistributionPointExtensionConfiguration?.OmitExtension
        ? { crlUrl: crlUrl(crl, ca.id, regionOfArn(ca.arn)) }
        : {}),
      ...(ocsp?.Enabled ? { ocspUrl: ocspUrl(ocsp, regionOfArn(ca.arn)) } : {}),
    };
  }

  /** A CRL crlDelayMs from now, unless one is pending already (it will hold this change too). */
  private scheduleCrl(ca: CertificateAuthority): void {
    if (!ca.revocation.CrlConfiguration?.Enabled || ca.crl.pending) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      ca.crl.pending = undefined;
      this.publishCrl(ca).catch((err: unknown) => {
        process.stderr.write(`emulator: CRL of ${ca.arn}: ${(err as Error).message}\n`);
      });
    }, this.config.crlDelayMs);
    ca.crl.pending = timer;
    this.timers.add(timer);
  }

  /**
   * Makes and writes the CA's CRL now: every revoked, unexpired certificate (minus dropped ones),
   * the next CRL number, nextUpdate after ExpirationInDays; a CRL Generation event either way.
   */
  async publishCrl(ca: CertificateAuthority): Promise<CrlPublication> {
    const started = performance.now();
    const config = ca.revocation.CrlConfiguration;
    if (!config?.Enabled || config.S3BucketName === undefined)
      throw new AwsError('InvalidStateException', `The CRL of ${ca.arn} is not enabled.`);
    const now = this.clock.now();
    const entries = [];
    for (const c of ca.certificates.values()) {
      if (c.revokedAt === undefined || c.notAfter <= now || ca.crl.drop.has(c.serial)) continue;
      entries.push({ serial: c.serial, revokedAt: c.revokedAt, reason: c.revocationReason ?? 'UNSPECIFIED' });
    }
    const number = ++ca.crl.number;
    const der = await makeCrl({
      ca: { key: ca.key, pem: ca.root.pem },
      hash: ca.hash,
      number,
      thisUpdate: now,
      nextUpdate: now + (config.ExpirationInDays ?? DEFAULT_CRL_EXPIRATION_DAYS) * 86400,
      entries,
      ...(config.CrlType === 'PARTITIONED'
        ? { partitionUrl: crlUrl(config, ca.id, regionOfArn(ca.arn)) }
        : {}),
      ...(ca.crl.wrongKey ? { wrongKey: ca.crl.wrongKey } : {}),
    });
    const key = crlKey(config, ca.id);
    const done = (failure?: string): CrlPublication => {
      if (failure === undefined) {
        // the service events of a CRL made and signed (their failures' shape is unconfirmed: none)
        for (const eventName of ['GenerateCRL', 'SignCRL'])
          this.onNotice({ kind: 'service-event', time: now, eventName, caArn: ca.arn, owner: ca.owner });
      }
      this.pcaEvent(undefined, ca, 'ACM Private CA CRL Generation', undefined, failure);
      return {
        bucket: config.S3BucketName!,
        key,
        number,
        entries: entries.length,
        bytes: der.length,
        result: failure === undefined ? 'success' : 'failure',
        ...(failure === undefined ? {} : { reason: failure }),
        ms: Math.round(performance.now() - started),
      };
    };
    const denied = 'Failed to write CRL to S3. Check your S3 bucket permissions.';
    if (ca.crl.deny) return done(denied);
    try {
      await this.writeObject(config.S3BucketName, key, der, 'application/pkix-crl', true);
    } catch (err) {
      return { ...done(denied), detail: (err as Error).message };
    }
    return done();
  }

  /** Knob: publish the CA's CRL now (a pending one is folded in). */
  async publishCrlNow(request: Request): Promise<CrlPublication> {
    const ca = this.ca({ CertificateAuthorityArn: request.certificateAuthorityArn });
    if (ca.crl.pending) {
      clearTimeout(ca.crl.pending);
      this.timers.delete(ca.crl.pending);
      ca.crl.pending = undefined;
    }
    return this.publishCrl(ca);
  }

  /** Knob: the CA's CRL publishing is denied, drops a serial, or is signed with a wrong key. */
  async crlFault(request: Request): Promise<void> {
    const ca = this.ca({ CertificateAuthorityArn: request.certificateAuthorityArn });
    if (request.deny !== undefined) ca.crl.deny = request.deny === true;
    if (request.dropSerial !== undefined) {
      const serial = parseSerial(String(request.dropSerial));
      if (!serial.ok) throw new AwsError('InvalidArgsException', `dropSerial ${serial.reason}`);
      ca.crl.drop.add(serial.hex);
    }
    if (request.wrongKey === true) ca.crl.wrongKey = await generateCaKey(ca.key.keyAlgorithm);
    else if (request.wrongKey === false) delete ca.crl.wrongKey;
    this.scheduleCrl(ca);
  }

  /** Knob: OCSP answers good for revoked certificates of the CA (or, false, tells the truth again). */
  ocspFault(request: Request): void {
    const ca = this.ca({ CertificateAuthorityArn: request.certificateAuthorityArn });
    ca.ocspGoodForRevoked = request.goodForRevoked === true;
  }

  /**
   * Knob: `count` revoked certificates at once (records only: no key, no PEM, GetCertificate does
   * not find them), in reports and CRLs like any; for measuring large CRLs.
   */
  bulkRevoke(request: Request): { count: number } {
    const ca = this.ca({ CertificateAuthorityArn: request.certificateAuthorityArn });
    const count = request.count;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1_000_000)
      throw new AwsError('InvalidArgsException', 'count is an integer from 1 to 1000000');
    const reason = oneOf(
      { RevocationReason: request.revocationReason ?? 'SUPERSEDED' },
      'RevocationReason',
      REVOCATION_REASONS,
    );
    const now = this.clock.now();
    for (let i = 0; i < count; i++) {
      const serial = randomSerial();
      ca.certificates.set(serial, {
        pem: '',
        serial,
        subject: `CN=bulk-${i}.example.internal`,
        notBefore: now - 3600,
        notAfter: now + 365 * 86400,
        arn: `${ca.arn}/certificate/${serial}`,
        issuedAt: now,
        templateArn: DEFAULT_TEMPLATE,
        requester: ca.owner,
        revokedAt: now,
        revocationReason: reason,
      });
    }
    this.scheduleCrl(ca);
    return { count };
  }

  /** The CA whose subject and key a CertID's hashes name, for the OCSP responder. */
  ocspIssuer(hashAlgorithm: string, nameHash: Buffer, keyHash: Buffer): OcspIssuer | undefined {
    for (const ca of this.cas.values()) {
      let hashes = ca.ocspHashes.get(hashAlgorithm);
      if (!hashes) {
        hashes = issuerHashes(ca.root.pem, hashAlgorithm);
        ca.ocspHashes.set(hashAlgorithm, hashes);
      }
      if (!hashes.name.equals(nameHash) || !hashes.key.equals(keyHash)) continue;
      return {
        key: ca.key,
        pem: ca.root.pem,
        hash: ca.hash,
        enabled: ca.revocation.OcspConfiguration?.Enabled === true,
        statusOf: (serial) => {
          const cert = ca.certificates.get(serial);
          if (!cert || cert.failedReason !== undefined) return { status: 'unknown' };
          if (cert.revokedAt === undefined || ca.ocspGoodForRevoked) return { status: 'good' };
          return {
            status: 'revoked',
            revokedAt: cert.revokedAt,
            reason: cert.revocationReason ?? 'UNSPECIFIED',
          };
        },
      };
    }
    return undefined;
  }
}
