/**
 * The HTTP shell: AWS JSON 1.1 for ACM PCA and CloudTrail LookupEvents, plus the plain-JSON test
 * knobs under /_emulator/. Every PCA call, successful or not, becomes a CloudTrail record.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AwsError } from './aws-error.js';
import { EmulatedClock } from './clock.js';
import {
  buildCloudTrailRecord,
  buildIssueDetailsRecord,
  buildServiceEventRecord,
} from './cloudtrail-record.js';
import { lookupEvents, type StoredEvent } from './lookup-events.js';
import { buildPcaEvent, type Caller, type Notice, type PcaEventBridgeEvent } from './notices.js';
import { answerOcsp } from './ocsp.js';
import { PcaService, REPORT_REPEAT_MODES, type ReportRepeatMode } from './pca-service.js';
import { RateLimiter } from './rate-limiter.js';
import { s3ObjectWriter } from './s3-writer.js';

export interface EmulatorOptions {
  region: string;
  account: string;
  s3Endpoint: string;
}

type Fault = { count: number; kind: 'throttle' | '500' };

const PCA_PREFIX = 'ACMPrivateCA.';
const CLOUDTRAIL_PREFIXES = [
  'CloudTrail_20131101.',
  'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.',
];
const MAX_BODY_BYTES = 8 << 20;
/** CloudTrail allows 2 LookupEvents requests per second per account and Region. */
const LOOKUP_LIMIT = { calls: 2, windowMs: 1000 };

class KnobError extends Error {}

export class Emulator {
  readonly clock = new EmulatedClock();
  readonly pca: PcaService;
  private s3Endpoint: string;
  /** where temporary credentials (ASIA…) are looked up (moto_server's STS in tests); unset: not */
  private stsEndpoint: string | undefined;
  /** temporary access key id → its account, as STS said */
  private readonly temporaryKeys = new Map<string, Promise<string>>();
  private events: StoredEvent[] = [];
  private seq = 0;
  /** PCA's native EventBridge events, oldest first */
  private eventBridge: PcaEventBridgeEvent[] = [];
  /** where EventBridge events are appended as JSON lines, when set */
  private eventBridgeFile: string | undefined;
  private readonly faults = new Map<string, Fault>();
  private readonly lookupLimiter = new RateLimiter(LOOKUP_LIMIT.calls, LOOKUP_LIMIT.windowMs);
  /** every LookupEvents request received, in order: its lookup attribute, and whether it was answered */
  private lookups: { account: string; attribute: unknown; nextToken: boolean; answered: boolean }[] = [];
  readonly server: Server;

  constructor(private readonly options: EmulatorOptions) {
    this.s3Endpoint = options.s3Endpoint;
    this.pca = new PcaService(
      options.region,
      this.clock,
      s3ObjectWriter(() => this.s3Endpoint),
    );
    this.pca.onNotice = (n) => this.notice(n);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, 'application/json', { error: String(err) });
        else res.destroy();
      });
    });
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  close(): Promise<void> {
    this.pca.close();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://emulator');
    const path = url.pathname;
    if (path.startsWith('/_emulator/')) {
      try {
        send(
          res,
          200,
          'application/json',
          await this.knob(req.method ?? 'GET', path.slice('/_emulator/'.length), body, url.searchParams),
        );
      } catch (err) {
        const known = err instanceof KnobError || err instanceof AwsError;
        send(res, known ? 400 : 500, 'application/json', {
          error: err instanceof AwsError ? err.code : 'KnobError',
          message: (err as Error).message,
        });
      }
      return;
    }
    if (path === '/ocsp' || path.startsWith('/ocsp/')) {
      await this.handleOcsp(req, res, path, body);
      return;
    }
    await this.handleAws(req, res, body);
  }

  private async handleAws(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const requestId = randomUUID();
    res.setHeader('x-amzn-RequestId', requestId);
    const target = String(req.headers['x-amz-target'] ?? '');
    const time = this.clock.now();
    let operation: string | undefined;
    let service: 'pca' | 'cloudtrail' | undefined;
    let request: Record<string, unknown> = {};
    try {
      if (
        target.startsWith(PCA_PREFIX) &&
        Object.hasOwn(this.pca.operations, target.slice(PCA_PREFIX.length))
      ) {
        service = 'pca';
        operation = target.slice(PCA_PREFIX.length);
      }
      const ct = CLOUDTRAIL_PREFIXES.find((p) => target.startsWith(p));
      if (ct && target.slice(ct.length) === 'LookupEvents') {
        service = 'cloudtrail';
        operation = 'LookupEvents';
      }
      if (!service || !operation)
        throw new AwsError('UnknownOperationException', `Unknown operation ${target}`);
      request = parseRequest(body);
    } catch (err) {
      this.answerError(res, err);
      return;
    }
    let result: Record<string, unknown> | undefined;
    let error: AwsError | undefined;
    const accessKeyId = accessKeyIdOf(req);
    const caller: Caller = {
      account: await this.accountOf(accessKeyId),
      region: regionOf(req) ?? this.options.region,
      notices: [],
    };
    const entry =
      service === 'cloudtrail'
        ? {
            account: caller.account,
            attribute: Array.isArray(request.LookupAttributes) ? (request.LookupAttributes[0] ?? null) : null,
            nextToken: request.NextToken !== undefined,
            answered: false,
          }
        : undefined;
    if (entry) this.lookups.push(entry);
    try {
      this.injectFault(operation);
      if (service === 'cloudtrail') {
        if (!this.lookupLimiter.tryAcquire(Date.now()))
          throw new AwsError('ThrottlingException', 'Rate exceeded');
        // each account sees its own trail, of the Region it asks
        result = lookupEvents(
          this.events.filter((e) => e.account === caller.account && e.region === caller.region),
          request,
        );
        if (entry) entry.answered = true;
      } else {
        result = await this.pca.operations[operation]!(request, caller);
      }
    } catch (err) {
      error = err instanceof AwsError ? err : new AwsError('InternalFailure', String(err), 500);
    }
    if (service === 'pca') {
      this.record({
        eventSource: 'acm-pca.amazonaws.com',
        operation,
        request,
        response: result,
        error: error && { code: error.code, message: error.message },
        accessKeyId,
        userAgent: String(req.headers['user-agent'] ?? ''),
        requestId,
        eventId: randomUUID(),
        time,
        region: caller.region,
        account: caller.account,
      });
    }
    // what the call made PCA record or emit, after the call's own record
    for (const n of caller.notices) this.notice(n);
    if (error) this.answerError(res, error);
    else send(res, 200, 'application/x-amz-json-1.1', result ?? {});
  }

  /**
   * OCSP (RFC 6960): POST the DER request to /ocsp (any path under it), or GET /ocsp/<base64 of
   * the DER request, URL-encoded>. The CA is found by the request's issuer hashes.
   */
  private async handleOcsp(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    body: Buffer,
  ): Promise<void> {
    let der: Uint8Array = body;
    if (req.method === 'GET') {
      const encoded = decodeURIComponent(path.slice('/ocsp/'.length).split('/').pop() ?? '');
      der = Buffer.from(encoded, 'base64');
    } else if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'GET, POST' });
      res.end();
      return;
    }
    const answer = await answerOcsp(der, this.clock.now(), (algorithm, name, key) =>
      this.pca.ocspIssuer(algorithm, name, key),
    );
    res.writeHead(200, { 'Content-Type': 'application/ocsp-response', 'Content-Length': answer.length });
    res.end(answer);
  }

  private record(call: Parameters<typeof buildCloudTrailRecord>[0]): void {
    this.events.push({
      seq: this.seq++,
      time: call.time,
      account: call.account,
      region: call.region,
      record: buildCloudTrailRecord(call),
    });
  }

  /**
   * The caller's account: the access key id when it is 12 digits (so test credentials can act as
   * another account); for temporary credentials (ASIA…) with an STS endpoint configured, the
   * account STS says they belong to (GetCallerIdentity signed with that key id: moto_server
   * answers with the assumed role's account, as AWS would); else the configured account.
   */
  private async accountOf(accessKeyId: string): Promise<string> {
    if (/^\d{12}$/.test(accessKeyId)) return accessKeyId;
    if (!accessKeyId.startsWith('ASIA') || this.stsEndpoint === undefined) return this.options.account;
    let known = this.temporaryKeys.get(accessKeyId);
    if (known === undefined) {
      known = callerAccount(this.stsEndpoint, accessKeyId, this.options.region).catch((err: unknown) => {
        this.temporaryKeys.delete(accessKeyId);
        throw new AwsError(
          'InternalFailure',
          `STS GetCallerIdentity for ${accessKeyId}: ${String(err)}`,
          500,
        );
      });
      this.temporaryKeys.set(accessKeyId, known);
    }
    return known;
  }

  /**
   * IssueCertificateDetails goes to the CA owner's trail and the requester's (once when they are
   * one account); an EventBridge event is kept and, with eventBridgeFile, appended as a JSON line.
   */
  private notice(n: Notice): void {
    // a CA's own Region (its ARN's), where its service events and IssueCertificateDetails land
    const region = ('caArn' in n ? n.caArn.split(':')[3] : undefined) || this.options.region;
    if (n.kind === 'service-event') {
      this.events.push({
        seq: this.seq++,
        time: n.time,
        account: n.owner,
        region,
        record: buildServiceEventRecord({
          eventName: n.eventName,
          time: n.time,
          region,
          recipient: n.owner,
          resources: [{ accountId: n.owner, type: 'AWS::ACMPCA::CertificateAuthority', ARN: n.caArn }],
          eventId: randomUUID(),
        }),
      });
      return;
    }
    if (n.kind === 'issue-details') {
      const eventId = randomUUID();
      for (const recipient of new Set([n.owner, n.requester])) {
        this.events.push({
          seq: this.seq++,
          time: n.time,
          account: recipient,
          region,
          record: buildIssueDetailsRecord({ ...n, recipient, region, eventId }),
        });
      }
      return;
    }
    const event = buildPcaEvent(n, this.options.region);
    this.eventBridge.push(event);
    if (this.eventBridgeFile !== undefined) {
      try {
        appendFileSync(this.eventBridgeFile, `${JSON.stringify(event)}\n`);
      } catch (err) {
        process.stderr.write(`emulator: eventBridgeFile: ${(err as Error).message}\n`);
      }
    }
  }

  private injectFault(operation: string): void {
    const fault = this.faults.get(operation) ?? this.faults.get('*');
    if (!fault || fault.count <= 0) return;
    fault.count--;
    if (fault.kind === 'throttle') throw new AwsError('ThrottlingException', 'Rate exceeded');
    throw new AwsError(
      'InternalFailure',
      'The request processing has failed because of an unknown error.',
      500,
    );
  }

  private answerError(res: ServerResponse, err: unknown): void {
    const e = err instanceof AwsError ? err : new AwsError('InternalFailure', String(err), 500);
    res.setHeader('x-amzn-ErrorType', e.code);
    send(res, e.status, 'application/x-amz-json-1.1', { __type: e.code, message: e.message });
  }

  private async knob(method: string, name: string, body: Buffer, query: URLSearchParams): Promise<unknown> {
    const input = method === 'POST' ? parseKnobBody(body) : {};
    const route = `${method} ${name}`;
    switch (route) {
      case 'POST reset':
        this.pca.reset();
        this.events = [];
        this.eventBridge = [];
        this.eventBridgeFile = undefined;
        this.faults.clear();
        this.lookupLimiter.reset();
        this.lookups = [];
        this.clock.reset();
        return { ok: true };
      case 'GET clock':
        return { now: this.clock.now() };
      case 'POST clock':
        if (typeof input.now === 'number') this.clock.set(input.now);
        else if (typeof input.advance === 'number') this.clock.advance(input.advance);
        else throw new KnobError('give {"now": epochSeconds} or {"advance": seconds}');
        return { now: this.clock.now() };
      case 'POST revoke-silently':
        return {
          revokedAt: this.pca.revoke(
            {
              CertificateAuthorityArn: input.certificateAuthorityArn,
              CertificateSerial: input.certificateSerial,
              RevocationReason: input.revocationReason ?? 'UNSPECIFIED',
            },
            undefined,
            input.eventBridge !== false,
          ),
        };
      case 'POST share':
        this.pca.share(input);
        return { ok: true };
      case 'POST fail-next-issuance':
        this.pca.failNextIssuance(input);
        return { ok: true };
      case 'POST crl-publish':
        return this.pca.publishCrlNow(input);
      case 'POST crl-fault':
        await this.pca.crlFault(input);
        return { ok: true };
      case 'POST ocsp-fault':
        this.pca.ocspFault(input);
        return { ok: true };
      case 'POST bulk-revoke':
        return this.pca.bulkRevoke(input);
      case 'GET eventbridge':
        return { Events: this.eventBridge };
      case 'POST report-tamper':
        this.pca.addTamper(input);
        return { ok: true };
      case 'POST fail-next-report':
        this.pca.failNextReport(input.certificateAuthorityArn);
        return { ok: true };
      case 'POST fault': {
        const { operation, count, kind } = input;
        if (
          typeof operation !== 'string' ||
          typeof count !== 'number' ||
          (kind !== 'throttle' && kind !== '500')
        ) {
          throw new KnobError('give {"operation": name or "*", "count": n, "kind": "throttle" | "500"}');
        }
        this.faults.set(operation, { count, kind });
        return { ok: true };
      }
      case 'POST config':
        return this.configure(input);
      case 'GET config':
        return this.currentConfig();
      case 'GET lookups':
        return { Lookups: this.lookups };
      case 'GET events': {
        const account = query.get('account');
        return {
          Records: this.events.filter((e) => account === null || e.account === account).map((e) => e.record),
        };
      }
      default:
        throw new KnobError(`no knob ${route}`);
    }
  }

  private configure(input: Record<string, unknown>): unknown {
    const { reportDelayMs, reportRepeat, s3Endpoint, stsEndpoint, eventBridgeFile, crlDelayMs } = input;
    if (stsEndpoint !== undefined) {
      if (stsEndpoint !== null && typeof stsEndpoint !== 'string')
        throw new KnobError('stsEndpoint is a URL or null');
      this.stsEndpoint = stsEndpoint ?? undefined;
      this.temporaryKeys.clear();
    }
    if (crlDelayMs !== undefined) {
      if (typeof crlDelayMs !== 'number' || crlDelayMs < 0) throw new KnobError('crlDelayMs >= 0');
      this.pca.config.crlDelayMs = crlDelayMs;
    }
    if (eventBridgeFile !== undefined) {
      if (eventBridgeFile !== null && (typeof eventBridgeFile !== 'string' || eventBridgeFile === ''))
        throw new KnobError('eventBridgeFile is a file path or null');
      this.eventBridgeFile = eventBridgeFile ?? undefined;
    }
    if (reportDelayMs !== undefined) {
      if (typeof reportDelayMs !== 'number' || reportDelayMs < 0) throw new KnobError('reportDelayMs >= 0');
      this.pca.config.reportDelayMs = reportDelayMs;
    }
    if (reportRepeat !== undefined) {
      if (!REPORT_REPEAT_MODES.includes(reportRepeat as ReportRepeatMode)) {
        throw new KnobError(`reportRepeat is one of ${REPORT_REPEAT_MODES.join(', ')}`);
      }
      this.pca.config.reportRepeat = reportRepeat as ReportRepeatMode;
    }
    if (s3Endpoint !== undefined) {
      if (typeof s3Endpoint !== 'string') throw new KnobError('s3Endpoint is a URL');
      this.s3Endpoint = s3Endpoint;
    }
    return this.currentConfig();
  }

  private currentConfig(): unknown {
    return {
      ...this.pca.config,
      s3Endpoint: this.s3Endpoint,
      stsEndpoint: this.stsEndpoint ?? null,
      eventBridgeFile: this.eventBridgeFile ?? null,
    };
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': bytes.length });
  res.end(bytes);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parseRequest(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AwsError('SerializationException', 'The request body is not valid JSON.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AwsError('SerializationException', 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

function parseKnobBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new KnobError('the body must be a JSON object');
}

/** The Region of the SigV4 credential scope, `Credential=AKID/date/region/service/aws4_request`. */
function regionOf(req: IncomingMessage): string | undefined {
  return /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
}

/**
 * The account of an access key id, as STS's GetCallerIdentity answers a request signed with it
 * (moto_server does not check signatures, so the key id alone says who is asking).
 */
async function callerAccount(endpoint: string, accessKeyId: string, region: string): Promise<string> {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${day}/${region}/sts/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: 'Action=GetCallerIdentity&Version=2011-06-15',
  });
  const text = await res.text();
  const account = /<Account>(\d{12})<\/Account>/.exec(text)?.[1];
  if (!res.ok || !account) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  return account;
}

/** The access key id of the SigV4 credential scope, `Credential=AKID/date/region/service/aws4_request`. */
function accessKeyIdOf(req: IncomingMessage): string {
  return /Credential=([^/,\s]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? 'anonymous';
}
