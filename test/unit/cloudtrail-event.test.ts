import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACM_SOURCE,
  ACME_SOURCE,
  type CertificateDecoder,
  type CloudTrailEvent,
  type EventOrigin,
  jsonMessage,
  type Normalised,
  normalise,
  PCA_SOURCE,
  unwrap,
} from '../../src/core/reconcile/cloudtrail/event.js';
import { parseSerial } from '../../src/core/report/serial.js';
import { loadCertificateDecoder } from '../../src/io/certificate-decoder.js';
import {
  ACCOUNT,
  ALICE_ROLE_ARN,
  anAuditReportRecord,
  anIssueRecord,
  aRevokeRecord,
  CA_ARN,
  certificateArnOf,
  eventBridgeEvent,
  lookupEventsOutput,
  OTHER_CA_ARN,
  type TrailRecord,
} from '../builders.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'cloudtrail');
const fixture = (name: string) => JSON.parse(readFileSync(join(FIX, name), 'utf8')) as TrailRecord;
const ORIGIN: EventOrigin = { source: 'trail.json', line: 3, byte: 120 };

function eventOf(n: Normalised): CloudTrailEvent {
  if (n.kind !== 'event') throw new Error(`not an event: ${JSON.stringify(n)}`);
  return n.event;
}
const norm = (r: TrailRecord, decoder?: CertificateDecoder) => eventOf(normalise(r, ORIGIN, decoder));

describe('unwrap: every envelope a user hands over', () => {
  const record = aRevokeRecord('01', '2026-11-19T14:03:11Z');

  it('a CloudTrail record is itself', () => {
    expect(unwrap(record)).toEqual({ kind: 'record', record });
  });

  it('an EventBridge "AWS API Call via CloudTrail" event: the record under detail', () => {
    expect(unwrap(eventBridgeEvent(record))).toEqual({ kind: 'record', record });
  });

  it('seed 000 EventBridge envelope (ExportCertificate, made valid JSON): record, then skipped as another API', () => {
    const value = fixture('seed-000-eventbridge-export.fixed.json');
    const u = unwrap(value);
    expect(u.kind).toBe('record');
    const rec = (u as { record: TrailRecord }).record;
    expect(rec).toBe(value.detail);
    expect(rec.eventID).toBe('fedcba98-7654-3210-fedc-ba9876543210');
    expect(normalise(rec, ORIGIN)).toEqual({ kind: 'skip', why: 'acm.amazonaws.com ExportCertificate' });
  });

  it('EventBridge events of other services are skipped, with their detail-type', () => {
    const created = {
      version: '0',
      id: 'e1d7c0a4-1111-2222-3333-444455556666',
      'detail-type': 'Object Created',
      source: 'aws.s3',
      time: '2026-11-19T02:00:00Z',
      resources: ['arn:aws:s3:::example-pca-audit'],
      detail: { bucket: { name: 'example-pca-audit' } },
    };
    expect(unwrap(created)).toEqual({ kind: 'skip', why: 'EventBridge event "Object Created"' });
  });

  it("issue 14 item 2: PCA's own EventBridge event without id or time is malformed, not skipped", () => {
    const generation = {
      version: '0',
      id: 'e1d7c0a4-1111-2222-3333-444455556666',
      'detail-type': 'ACM Private CA Audit Report Generation',
      source: 'aws.acm-pca',
      resources: [CA_ARN, '3b1c2a7e-0000-4c60-8a2e-9d4b7f0e1c35'],
      detail: { result: 'success' },
    };
    expect(unwrap(generation).kind).toBe('invalid');
    expect(unwrap({ ...generation, time: '2026-11-19T02:00:00Z' }).kind).toBe('record');
  });

  it('an EventBridge API-call event without a detail object is invalid', () => {
    expect(unwrap({ 'detail-type': 'AWS API Call via CloudTrail', detail: 'x' })).toEqual({
      kind: 'invalid',
      why: 'EventBridge event without a "detail" object',
    });
  });

  it('a lookup-events element: the record parsed from the CloudTrailEvent string', () => {
    const output = JSON.parse(lookupEventsOutput([record])) as { Events: TrailRecord[] };
    expect(unwrap(output.Events[0])).toEqual({ kind: 'record', record });
  });

  it('a lookup-events element whose CloudTrailEvent is not a string, or not JSON', () => {
    expect(unwrap({ EventId: 'x', CloudTrailEvent: record })).toEqual({
      kind: 'invalid',
      why: '"CloudTrailEvent" is not a string',
    });
    const u = unwrap({ EventId: 'x', CloudTrailEvent: '{"eventID": "x",' });
    expect(u.kind).toBe('invalid');
    expect((u as { why: string }).why).toMatch(/^"CloudTrailEvent" is not valid JSON: \S/);
    expect((u as { why: string }).why).not.toMatch(/position/);
  });

  it('an envelope whose arrays were streamed is skipped as "envelope"', () => {
    expect(unwrap({ Records: [] })).toEqual({ kind: 'skip', why: 'envelope' });
    expect(unwrap({ Events: [], NextToken: 'abc' })).toEqual({ kind: 'skip', why: 'envelope' });
  });

  it('a CloudTrail digest file is skipped', () => {
    const digest = {
      awsAccountId: ACCOUNT,
      digestStartTime: '2026-11-19T13:00:00Z',
      digestEndTime: '2026-11-19T14:00:00Z',
      digestS3Bucket: 'example-trail',
      digestS3Object: `AWSLogs/${ACCOUNT}/CloudTrail-Digest/eu-west-1/2026/11/19/x.json.gz`,
      digestPublicKeyFingerprint: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
      digestSignatureAlgorithm: 'SHA256withRSA',
      newestEventTime: '2026-11-19T13:59:58Z',
      oldestEventTime: '2026-11-19T13:00:03Z',
      previousDigestS3Bucket: 'example-trail',
      logFiles: [],
    };
    expect(unwrap(digest)).toEqual({ kind: 'skip', why: 'CloudTrail digest file' });
  });

  it('anything else is invalid', () => {
    for (const v of [null, 42, 'x', [record]]) {
      expect(unwrap(v)).toEqual({ kind: 'invalid', why: 'not a JSON object' });
    }
    expect(unwrap({ hello: 'world' }).kind).toBe('invalid');
  });

  it('jsonMessage drops the position V8 appends', () => {
    let err: unknown;
    try {
      JSON.parse('{"a":1 "b":2}');
    } catch (e) {
      err = e;
    }
    expect(jsonMessage(err)).toBe("Expected ',' or '}' after property value");
  });
});

describe('normalise: PCA RevokeCertificate', () => {
  it('a realistic record, every field', () => {
    const rec = aRevokeRecord('5e:b1:45:1c:ca:b8:0c:22:3a:3b:79:fd:61:ac:79:a7', '2026-11-19T14:03:11Z');
    expect(norm(rec)).toEqual({
      eventID: rec.eventID,
      eventTime: '2026-11-19T14:03:11Z',
      eventSource: PCA_SOURCE,
      eventName: 'RevokeCertificate',
      kind: 'revoke',
      actor: ALICE_ROLE_ARN,
      region: 'eu-west-1',
      account: ACCOUNT,
      caArn: CA_ARN,
      serial: '5eb1451ccab80c223a3b79fd61ac79a7',
      serialAsWritten: '5e:b1:45:1c:ca:b8:0c:22:3a:3b:79:fd:61:ac:79:a7',
      revocationReason: 'KEY_COMPROMISE',
      origin: ORIGIN,
    });
  });

  // [as the caller typed it, canonical serial, serialAsWritten kept?]
  const SERIALS: Array<[string, string, boolean]> = [
    ['5eb1451ccab80c223a3b79fd61ac79a7', '5eb1451ccab80c223a3b79fd61ac79a7', false],
    ['5EB1451CCAB80C223A3B79FD61AC79A7', '5eb1451ccab80c223a3b79fd61ac79a7', true],
    ['5E:B1:45:1C:CA:B8:0C:22:3A:3B:79:FD:61:AC:79:A7', '5eb1451ccab80c223a3b79fd61ac79a7', true],
    ['008C958E28C954A228286480318E8E34A7', '8c958e28c954a228286480318e8e34a7', true],
    ['00:8c:95:8e:28:c9:54:a2:28:28:64:80:31:8e:8e:34:a7', '8c958e28c954a228286480318e8e34a7', true],
    ['1', '01', true],
    ['0a', '0a', false],
    [' 0a\n', '0a', true],
  ];
  for (const [written, canonical, kept] of SERIALS) {
    it(`serial written ${JSON.stringify(written)} → ${canonical}`, () => {
      const e = norm(aRevokeRecord(written, '2026-11-19T14:03:11Z'));
      expect(e.serial).toBe(canonical);
      expect(e.serialAsWritten).toBe(kept ? written : undefined);
      expect(e.unmatchable).toBeUndefined();
    });
  }

  for (const garbage of ['not-a-serial', '0x8c95', '8c:95:', '8c::95', '', 'e8:cb:d2:1']) {
    it(`serial ${JSON.stringify(garbage)} cannot be read: unmatchable, as written, no serial`, () => {
      const e = norm(aRevokeRecord(garbage, '2026-11-19T14:03:11Z'));
      expect(e.serial).toBeUndefined();
      expect(e.serialAsWritten).toBe(garbage);
      expect(e.unmatchable).toMatch(
        new RegExp(`^serial ${reEscape(JSON.stringify(garbage))} cannot be read: `),
      );
      expect(e.caArn).toBe(CA_ARN);
    });
  }

  it('no certificateSerial at all', () => {
    const rec = aRevokeRecord('01', '2026-11-19T14:03:11Z');
    delete (rec.requestParameters as TrailRecord).certificateSerial;
    expect(norm(rec).unmatchable).toBe('no requestParameters.certificateSerial');
  });

  it('a reason PCA does not know makes a successful call unmatchable; a failed one keeps its errorCode', () => {
    const odd = norm(aRevokeRecord('01', '2026-11-19T14:03:11Z', { reason: 'KEY_COMPROMISED' }));
    expect(odd.unmatchable).toBe('revocationReason "KEY_COMPROMISED" is not a PCA revocation reason');
    expect(odd.serial).toBe('01');
    const failed = norm(
      aRevokeRecord('01', '2026-11-19T14:03:11Z', {
        reason: 'KEY_COMPROMISED',
        errorCode: 'ValidationException',
      }),
    );
    expect(failed.unmatchable).toBeUndefined();
    expect(failed.errorCode).toBe('ValidationException');
  });

  it('a failed call: errorCode and errorMessage kept', () => {
    const e = norm(
      aRevokeRecord('5e:b1', '2026-11-19T14:03:11Z', {
        errorCode: 'RequestAlreadyProcessedException',
        errorMessage: 'Certificate with serial number 5e:b1 has already been revoked.',
      }),
    );
    expect(e).toMatchObject({
      kind: 'revoke',
      serial: '5eb1',
      errorCode: 'RequestAlreadyProcessedException',
      errorMessage: 'Certificate with serial number 5e:b1 has already been revoked.',
    });
  });

  it('eventTime with a fraction or an offset becomes UTC; a time that is not an instant is invalid', () => {
    expect(norm(aRevokeRecord('01', '2026-11-19T14:03:11.250Z')).eventTime).toBe('2026-11-19T14:03:11.25Z');
    expect(norm(aRevokeRecord('01', '2026-11-20T01:03:11+11:00')).eventTime).toBe('2026-11-19T14:03:11Z');
    const rec = aRevokeRecord('01', '2026-11-19 14:03:11');
    expect(normalise(rec, ORIGIN)).toEqual({
      kind: 'invalid',
      why: `record ${rec.eventID}: eventTime "2026-11-19 14:03:11" is not a UTC instant`,
    });
    const noTime = aRevokeRecord('01', '2026-11-19T14:03:11Z');
    delete noTime.eventTime;
    expect(normalise(noTime, ORIGIN)).toEqual({
      kind: 'invalid',
      why: `record ${noTime.eventID}: eventTime null is not a UTC instant`,
    });
  });

  it('records without eventID, eventSource or eventName are invalid', () => {
    const rec = aRevokeRecord('01', '2026-11-19T14:03:11Z');
    expect(normalise({ ...rec, eventID: undefined }, ORIGIN)).toEqual({
      kind: 'invalid',
      why: 'record without an "eventID"',
    });
    expect(normalise({ ...rec, eventSource: 5 }, ORIGIN)).toEqual({
      kind: 'invalid',
      why: `record ${rec.eventID} without eventSource or eventName`,
    });
    expect(normalise({ ...rec, eventName: undefined }, ORIGIN).kind).toBe('invalid');
  });

  it('other APIs, and RevokeCertificate of other services, are skipped with their name', () => {
    const rec = aRevokeRecord('01', '2026-11-19T14:03:11Z');
    expect(normalise({ ...rec, eventName: 'GetCertificate' }, ORIGIN)).toEqual({
      kind: 'skip',
      why: 'acm-pca.amazonaws.com GetCertificate',
    });
    expect(normalise({ ...rec, eventSource: 'iot.amazonaws.com' }, ORIGIN)).toEqual({
      kind: 'skip',
      why: 'iot.amazonaws.com RevokeCertificate',
    });
    expect(normalise({ ...rec, eventSource: ACM_SOURCE, eventName: 'IssueCertificate' }, ORIGIN)).toEqual({
      kind: 'skip',
      why: 'acm.amazonaws.com IssueCertificate',
    });
  });
});

describe('normalise: actor and account', () => {
  const base = () => aRevokeRecord('01', '2026-11-19T14:03:11Z');

  it('userIdentity.arn first', () => {
    expect(norm(base()).actor).toBe(ALICE_ROLE_ARN);
  });

  it('an AWS service: invokedBy', () => {
    const rec = { ...base(), userIdentity: { type: 'AWSService', invokedBy: 'acm.amazonaws.com' } };
    const e = norm(rec);
    expect(e.actor).toBe('acm.amazonaws.com');
    expect(e.invokedBy).toBe('acm.amazonaws.com');
  });

  it('both arn and invokedBy: the arn is the actor, invokedBy kept', () => {
    const rec = { ...base(), userIdentity: { ...assumedRole(), invokedBy: 'cloudformation.amazonaws.com' } };
    const e = norm(rec);
    expect(e.actor).toBe(ALICE_ROLE_ARN);
    expect(e.invokedBy).toBe('cloudformation.amazonaws.com');
  });

  it('neither: type:principalId, then what there is, then "unknown"', () => {
    expect(norm({ ...base(), userIdentity: { type: 'Root', principalId: ACCOUNT } }).actor).toBe(
      `Root:${ACCOUNT}`,
    );
    expect(norm({ ...base(), userIdentity: { type: 'Unknown' } }).actor).toBe('Unknown');
    expect(norm({ ...base(), userIdentity: { principalId: 'AIDAEXAMPLE' } }).actor).toBe('AIDAEXAMPLE');
    expect(norm({ ...base(), userIdentity: {} }).actor).toBe('unknown');
    expect(norm({ ...base(), userIdentity: undefined }).actor).toBe('unknown');
  });

  it('account: recipientAccountId, else the identity account', () => {
    expect(norm({ ...base(), recipientAccountId: '444455556666' }).account).toBe('444455556666');
    expect(norm({ ...base(), recipientAccountId: undefined }).account).toBe(ACCOUNT);
    expect(norm({ ...base(), recipientAccountId: undefined, userIdentity: {} }).account).toBeUndefined();
  });
});

function assumedRole(): TrailRecord {
  return (aRevokeRecord('01', '2026-11-19T14:03:11Z').userIdentity as TrailRecord) ?? {};
}

/** A string as a literal part of a RegExp. */
function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('normalise: IssueCertificate and CreateCertificateAuthorityAuditReport', () => {
  it('IssueCertificate: the serial from the certificate ARN, the CA from the request', () => {
    const rec = anIssueRecord('7a:00:3c:91', '2026-11-19T09:38:12Z');
    expect(norm(rec)).toEqual({
      eventID: rec.eventID,
      eventTime: '2026-11-19T09:38:12Z',
      eventSource: PCA_SOURCE,
      eventName: 'IssueCertificate',
      kind: 'issue',
      actor: ALICE_ROLE_ARN,
      region: 'eu-west-1',
      account: ACCOUNT,
      caArn: CA_ARN,
      certificateArn: certificateArnOf('7a:00:3c:91'),
      serial: '7a003c91',
      origin: ORIGIN,
    });
  });

  it('IssueCertificate without the CA in the request: the CA of the certificate ARN', () => {
    const rec = anIssueRecord('7a:00:3c:91', '2026-11-19T09:38:12Z', { caArn: OTHER_CA_ARN });
    delete (rec.requestParameters as TrailRecord).certificateAuthorityArn;
    const e = norm(rec);
    expect(e.caArn).toBe(OTHER_CA_ARN);
    expect(e.serial).toBe('7a003c91');
  });

  it('an ARN serial in uppercase, or with a leading zero octet, is normalised', () => {
    const rec = anIssueRecord('01', '2026-11-19T09:38:12Z');
    (rec.responseElements as TrailRecord).certificateArn = `${CA_ARN}/certificate/008C958E`;
    const e = norm(rec);
    expect(e.serial).toBe('8c958e');
    expect(e.serialAsWritten).toBe('008C958E');
  });

  it('a certificateArn that is not a PCA certificate ARN: unmatchable', () => {
    const rec = anIssueRecord('01', '2026-11-19T09:38:12Z');
    const arn = 'arn:aws:acm:eu-west-1:111122223333:certificate/12345678-1234-1234-1234-123456789012';
    (rec.responseElements as TrailRecord).certificateArn = arn;
    const e = norm(rec);
    expect(e.serial).toBeUndefined();
    expect(e.unmatchable).toBe(`certificateArn ${arn} is not a PCA certificate ARN`);
  });

  it('a failed IssueCertificate: errorCode, no serial, not unmatchable; a successful one without ARN is', () => {
    const failed = norm(anIssueRecord('01', '2026-11-19T09:38:12Z', { errorCode: 'ThrottlingException' }));
    expect(failed).toMatchObject({ kind: 'issue', errorCode: 'ThrottlingException', caArn: CA_ARN });
    expect(failed.serial).toBeUndefined();
    expect(failed.unmatchable).toBeUndefined();
    const rec = anIssueRecord('01', '2026-11-19T09:38:12Z');
    rec.responseElements = null;
    expect(norm(rec).unmatchable).toBe('no responseElements.certificateArn: the serial is unknown');
  });

  it('CreateCertificateAuthorityAuditReport: report id, key, bucket, format', () => {
    const id = '8a9f3c2e-6d1b-4f7a-9e0c-2b5d8f1a4c6e';
    const rec = anAuditReportRecord(id, '2026-11-20T02:00:00Z', { format: 'CSV' });
    expect(norm(rec)).toMatchObject({
      kind: 'audit-report',
      caArn: CA_ARN,
      auditReportId: id,
      s3Bucket: 'example-pca-audit',
      s3Key: `audit-report/5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c35/${id}.csv`,
      reportFormat: 'CSV',
      eventTime: '2026-11-20T02:00:00Z',
    });
  });
});

describe('normalise: seed 000 ACM and ACME RevokeCertificate records', () => {
  it('ACM RevokeCertificate (seed 000, its unquoted arn value quoted): unmatchable, names the ACM ARN', () => {
    const rec = fixture('seed-000-acm-revoke.fixed.json');
    const e = norm(rec);
    const arn = 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';
    expect(e).toEqual({
      eventID: '01234567-89ab-cdef-0123-456789abcdef',
      eventTime: '2016-01-01T21:11:45Z',
      eventSource: ACM_SOURCE,
      eventName: 'RevokeCertificate',
      kind: 'revoke',
      actor: 'arn:aws:sts::111122223333:assumed-role/Role-Name/Role-Session-Name',
      region: 'us-east-1',
      account: '123456789012',
      revocationReason: 'UNSPECIFIED',
      certificateArn: arn,
      unmatchable: expect.stringContaining(
        `ACM's RevokeCertificate revokes a public, exported ACM certificate (${arn})`,
      ),
      origin: ORIGIN,
    });
  });

  it('the seed 000 ACM record as published is not JSON (the arn value is unquoted)', () => {
    expect(() => JSON.parse(readFileSync(join(FIX, 'seed-000-acm-revoke.json'), 'utf8'))).toThrow(
      SyntaxError,
    );
  });

  it('ACME RevokeCertificate data event (seed 000, certificate "EXAMPLE"): actor, invokedBy, unreadable', async () => {
    const rec = fixture('seed-000-acme-revoke.json');
    const decoder = await loadCertificateDecoder();
    const e = norm(rec, decoder);
    expect(e).toMatchObject({
      eventID: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE55555',
      eventTime: '2026-06-10T20:30:37Z',
      eventSource: ACME_SOURCE,
      kind: 'revoke',
      actor: 'arn:aws:sts::123456789012:assumed-role/example-role/example-session',
      invokedBy: 'acm-acme.amazonaws.com',
      account: '123456789012',
    });
    expect(e.serial).toBeUndefined();
    expect(e.caArn).toBeUndefined();
    expect(e.unmatchable).toMatch(/^requestParameters\.certificate cannot be read: not a DER certificate/);
    // without a decoder the event says so
    expect(norm(rec).unmatchable).toBe('the certificate was not decoded');
    // without the certificate at all
    const bare = { ...rec, requestParameters: { serverUuid: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111' } };
    expect(norm(bare, decoder).unmatchable).toBe('no requestParameters.certificate');
  });
});

describe('the ACME certificate decoder, against openssl', () => {
  let dir: string;
  const certs: Record<string, { der: Buffer; opensslSerial: string }> = {};
  let decode: CertificateDecoder;

  const make = (name: string, serial: string) => {
    const der = join(dir, `${name}.der`);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, `${name}.key`),
        '-out',
        der,
        '-outform',
        'DER',
        '-subj',
        '/C=IE/O=Example Corp/CN=acme.example.internal',
        '-set_serial',
        serial,
        '-days',
        '2',
      ],
      { stdio: 'pipe' },
    );
    const out = execFileSync('openssl', ['x509', '-inform', 'DER', '-in', der, '-serial', '-noout'], {
      encoding: 'utf8',
    });
    const m = /^serial=([0-9A-F]+)\s*$/.exec(out);
    if (!m) throw new Error(`openssl -serial printed ${out}`);
    certs[name] = { der: readFileSync(der), opensslSerial: m[1]! };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pca-audit-acme-'));
    make('high', '0x8c958e28c954a228286480318e8e34a7');
    make('short', '0x05');
    make('zero-led', '0x00a506cf87cdfeaf3dc123ed9a914577');
    decode = await loadCertificateDecoder();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const canonical = (opensslSerial: string) => {
    const p = parseSerial(opensslSerial);
    if (!p.ok) throw new Error(p.reason);
    return p.hex;
  };

  it('base64 DER with a high-bit serial: the serial openssl prints, normalised', () => {
    const c = certs.high!;
    const r = decode(c.der.toString('base64'));
    expect(r).toEqual({ ok: true, serial: canonical(c.opensslSerial), issuer: expect.any(String) });
    expect(r.ok && r.serial).toBe('8c958e28c954a228286480318e8e34a7');
    expect(r.ok && r.issuer).toContain('CN=acme.example.internal');
  });

  it('base64url DER without padding, and PEM, give the same', () => {
    for (const name of ['high', 'short', 'zero-led']) {
      const c = certs[name]!;
      const b64url = c.der.toString('base64url');
      expect(b64url).toMatch(/^[A-Za-z0-9_-]+$/);
      const pem = `-----BEGIN CERTIFICATE-----\n${c.der
        .toString('base64')
        .replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
      for (const text of [c.der.toString('base64'), b64url, pem]) {
        const r = decode(text);
        expect(r.ok, `${name}: ${text.slice(0, 20)}`).toBe(true);
        expect(r.ok && r.serial).toBe(canonical(c.opensslSerial));
      }
    }
    expect(canonical(certs.short!.opensslSerial)).toBe('05');
    expect(canonical(certs['zero-led']!.opensslSerial)).toBe('a506cf87cdfeaf3dc123ed9a914577');
  });

  it('an ACME event carrying the certificate (base64url): the serial and issuer on the event', () => {
    const rec = fixture('seed-000-acme-revoke.json');
    const c = certs.high!;
    const withCert = {
      ...rec,
      requestParameters: { serverUuid: 'a1b2c3d4', certificate: c.der.toString('base64url') },
    };
    const e = norm(withCert, decode);
    expect(e.serial).toBe('8c958e28c954a228286480318e8e34a7');
    expect(e.issuer).toContain('CN=acme.example.internal');
    expect(e.unmatchable).toBeUndefined();
  });

  it('not a certificate: the reason, never a throw', () => {
    const key = execFileSync('openssl', ['pkey', '-in', join(dir, 'high.key'), '-outform', 'DER']);
    expect(decode(key.toString('base64'))).toMatchObject({ ok: false, reason: /^not a DER certificate/ });
    expect(decode('EXAMPLE')).toMatchObject({ ok: false, reason: /^not a DER certificate/ });
    expect(decode('')).toEqual({ ok: false, reason: 'empty' });
    expect(decode('****')).toEqual({ ok: false, reason: 'not base64 or base64url' });
    expect(decode('A')).toEqual({ ok: false, reason: 'not base64 or base64url' });
    const truncated = certs.high!.der.subarray(0, 100).toString('base64');
    expect(decode(truncated).ok).toBe(false);
  });
});
