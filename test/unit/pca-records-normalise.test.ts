/**
 * Issue 14 items 1-3: how IssueCertificateDetails, PCA's own EventBridge events and the service
 * events are normalised (what `pca-audit events` prints) and read from files.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CloudTrailEvent,
  type EventOrigin,
  normalise,
  PCA_EVENTBRIDGE_SOURCE,
  PCA_SOURCE,
  unwrap,
} from '../../src/core/reconcile/cloudtrail/event.js';
import { readEventSources } from '../../src/io/event-source.js';
import {
  ACCOUNT,
  anIssueDetailsRecord,
  aPcaEventBridgeEvent,
  aRecord,
  aRevokeRecord,
  aSerial,
  aServiceEventRecord,
  CA_ARN,
  certificateArnOf,
  jsonLines,
  type TrailRecord,
  trailLog,
} from '../builders.js';

const ORIGIN: EventOrigin = { source: 'events.jsonl', line: 1, byte: 0 };

function eventOf(value: TrailRecord): CloudTrailEvent {
  const u = unwrap(value);
  if (u.kind !== 'record') throw new Error(`not a record: ${JSON.stringify(u)}`);
  const n = normalise(u.record, ORIGIN);
  if (n.kind !== 'event') throw new Error(`not an event: ${JSON.stringify(n)}`);
  return n.event;
}

describe('issue 14 item 1: IssueCertificateDetails normalised', () => {
  it('ISSUED: the serial from serialNumber (upper-case colon hex), the CA from resources[], the fields as written', () => {
    const serial = aSerial(7);
    const row = aRecord({ serial });
    const e = eventOf(anIssueDetailsRecord(serial, '2026-11-19T09:00:01Z', { record: row }));
    expect(e).toMatchObject({
      eventSource: PCA_SOURCE,
      eventName: 'IssueCertificateDetails',
      kind: 'issue-details',
      actor: 'acm-pca.amazonaws.com',
      caArn: CA_ARN,
      serial: serial.replace(/:/g, ''),
      serialAsWritten: serial.toUpperCase(),
      certificateArn: certificateArnOf(serial),
      status: 'ISSUED',
      issued: {
        subject: row.subject,
        notBefore: '2026-02-26T17:39:57Z',
        notAfter: '2027-02-26T18:39:57Z',
        issuedAt: '2026-02-26T18:39:57Z',
        templateArn: row.templateArn,
      },
    });
    expect(e.unmatchable).toBeUndefined();
  });

  it('FAILED: its status and statusReason, no dates; without serialNumber the certificate ARN names it', () => {
    const serial = aSerial(8);
    const e = eventOf(
      anIssueDetailsRecord(serial, '2026-11-19T09:00:01Z', {
        status: 'FAILED',
        statusReason: 'name constraints violated',
        details: { serialNumber: undefined },
      }),
    );
    expect(e).toMatchObject({
      kind: 'issue-details',
      status: 'FAILED',
      statusReason: 'name constraints violated',
    });
    expect(e.serial).toBe(serial.replace(/:/g, ''));
    expect(e.issued?.notBefore).toBeUndefined();
  });
});

describe("issue 14 item 2: PCA's EventBridge events normalised", () => {
  it('a Certificate Revocation event: id and time, the serial from resources[1], no reason, no actor', () => {
    const serial = aSerial(9);
    const ev = aPcaEventBridgeEvent('ACM Private CA Certificate Revocation', '2026-11-19T14:03:12Z', {
      resource: certificateArnOf(serial),
      id: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    });
    const e = eventOf(ev);
    expect(e).toMatchObject({
      eventID: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
      eventTime: '2026-11-19T14:03:12Z',
      eventSource: PCA_EVENTBRIDGE_SOURCE,
      eventName: 'ACM Private CA Certificate Revocation',
      kind: 'revoke',
      actor: PCA_EVENTBRIDGE_SOURCE,
      region: 'eu-west-1',
      account: ACCOUNT,
      caArn: CA_ARN,
      serial: serial.replace(/:/g, ''),
      result: 'success',
    });
    expect(e.revocationReason).toBeUndefined();
  });

  it('CRL Generation failure: kind crl, result and reason; other detail-types of aws.acm-pca are service events', () => {
    const reason = 'Failed to write CRL to S3. Check your S3 bucket permissions.';
    expect(
      eventOf(
        aPcaEventBridgeEvent('ACM Private CA CRL Generation', '2026-11-19T12:00:00Z', {
          result: 'failure',
          reason,
        }),
      ),
    ).toMatchObject({ kind: 'crl', caArn: CA_ARN, result: 'failure', failureReason: reason });
    expect(
      eventOf(aPcaEventBridgeEvent('ACM Private CA Certificate Authority Creation', '2026-11-19T12:00:00Z'))
        .kind,
    ).toBe('service');
    expect(
      eventOf(
        aPcaEventBridgeEvent('ACM Private CA Audit Report Generation', '2026-11-19T12:00:00Z', {
          resource: '3b1c2a7e-0000-4c60-8a2e-9d4b7f0e1c35',
        }),
      ),
    ).toMatchObject({ kind: 'audit-report', auditReportId: '3b1c2a7e-0000-4c60-8a2e-9d4b7f0e1c35' });
  });
});

describe('issue 14 item 3: service events normalised', () => {
  it('GenerateCRL is crl; SignCRL, GenerateOCSPResponse, SignOCSPResponse, SignCACSR are service; the CA from resources[]', () => {
    const kinds = ['GenerateCRL', 'SignCRL', 'GenerateOCSPResponse', 'SignOCSPResponse', 'SignCACSR'].map(
      (name) => {
        const e = eventOf(aServiceEventRecord(name, '2026-11-19T12:00:00Z'));
        expect(e.caArn).toBe(CA_ARN);
        return e.kind;
      },
    );
    expect(kinds).toEqual(['crl', 'service', 'service', 'service', 'service']);
  });
});

describe('issue 14 items 1-3: read from files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pca-audit-pca-records-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('EventBridge events of aws.acm-pca are records (counted, kept); a details-only source records issuance', async () => {
    const native = aPcaEventBridgeEvent('ACM Private CA Certificate Revocation', '2026-11-19T14:03:12Z', {
      resource: certificateArnOf(aSerial(1)),
    });
    const s3Event = { ...native, id: 'x-1', source: 'aws.s3', 'detail-type': 'Object Created' };
    const natives = join(dir, 'eventbridge.jsonl');
    writeFileSync(natives, jsonLines([native, native, s3Event]));
    const details = join(dir, 'owner-trail.json');
    writeFileSync(
      details,
      trailLog([
        anIssueDetailsRecord(aSerial(2), '2026-11-19T09:00:00Z'),
        aServiceEventRecord('GenerateCRL', '2026-11-19T10:00:00Z'),
      ]),
    );
    const revokes = join(dir, 'revokes.json');
    writeFileSync(revokes, trailLog([aRevokeRecord(aSerial(3), '2026-11-19T11:00:00Z')]));
    const set = await readEventSources([natives, details, revokes], { lenient: false });
    expect(set.events.map((e) => e.kind)).toEqual(['issue-details', 'crl', 'revoke', 'revoke']);
    expect(set.stats.records).toBe(5);
    expect(set.stats.duplicates).toBe(1);
    expect(set.stats.groups.get(details)?.issuance).toBe(true);
    expect(set.stats.groups.get(revokes)?.issuance).toBe(false);
    expect(set.stats.groups.get(natives)?.issuance).toBe(false);
  });
});
