/**
 * Issue 16 item 2: LookupEvents is asked by EventName, one pass per name (it takes one lookup
 * attribute a call), not for the whole acm-pca event source. The SDK client is real; a request
 * handler answers in place of CloudTrail and keeps the request bodies, which are checked against
 * botocore's model of LookupEvents.
 */
import { Readable } from 'node:stream';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { lookupEvents } from '../../src/aws/cloudtrail.js';
import { parseCaArn } from '../../src/core/ca-arn.js';
import { LOOKUP_EVENT_NAMES } from '../../src/core/reconcile/cloudtrail/event.js';
import { collectEvents } from '../../src/io/event-inputs.js';
import { loadBotocoreModel, validateShape } from '../support/botocore-model.js';

interface LookupBody {
  LookupAttributes?: Array<{ AttributeKey: string; AttributeValue: string }>;
  NextToken?: string;
  StartTime?: number;
  EndTime?: number;
}

/** Two pages for every name; each event's record names the pass it came from. */
function fakeCloudTrail(bodies: LookupBody[]) {
  return {
    handle: async (request: { body?: unknown }) => {
      const text =
        request.body instanceof Uint8Array ? new TextDecoder().decode(request.body) : String(request.body);
      const input = JSON.parse(text) as LookupBody;
      bodies.push(input);
      const name = input.LookupAttributes?.[0]?.AttributeValue ?? '?';
      const page = input.NextToken ? 1 : 0;
      return {
        response: {
          statusCode: 200,
          headers: {
            'content-type': 'application/x-amz-json-1.1',
            'x-amzn-requestid': `req-${bodies.length}`,
          },
          body: Readable.from([
            Buffer.from(
              JSON.stringify({
                Events: [{ EventId: `${name}-${page}`, CloudTrailEvent: JSON.stringify({ name, page }) }],
                ...(page === 0 ? { NextToken: 'next' } : {}),
              }),
            ),
          ]),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  };
}

describe('LookupEvents narrowed by EventName (issue 16 item 2)', () => {
  it('asks once per eventName (with its pages), never for the event source, in requests the botocore model accepts', async () => {
    const bodies: LookupBody[] = [];
    const client = new CloudTrailClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      requestHandler: fakeCloudTrail(bodies),
    });
    let clock = 1_800_000_000;
    const got: { name: string; page: number; index: number; eventName: string }[] = [];
    for await (const e of lookupEvents(client, {
      start: clock - 86400,
      end: clock,
      eventNames: LOOKUP_EVENT_NAMES,
      account: '111122220160',
      region: 'eu-west-1',
      now: () => clock,
      sleep: async (s) => {
        clock += s;
      },
    }))
      got.push({
        name: (JSON.parse(e.text) as { name: string }).name,
        page: e.page,
        index: e.index,
        eventName: e.eventName,
      });

    expect(LOOKUP_EVENT_NAMES).toEqual([
      'RevokeCertificate',
      'IssueCertificate',
      'IssueCertificateDetails',
      'CreateCertificateAuthorityAuditReport',
      'GenerateCRL',
    ]);
    // two requests per name (a page and its NextToken), each with exactly one EventName attribute
    expect(bodies).toHaveLength(2 * LOOKUP_EVENT_NAMES.length);
    for (const [i, b] of bodies.entries()) {
      expect(b.LookupAttributes).toEqual([
        { AttributeKey: 'EventName', AttributeValue: LOOKUP_EVENT_NAMES[Math.floor(i / 2)] },
      ]);
      expect(b.NextToken === undefined).toBe(i % 2 === 0);
    }
    // pages are numbered across the passes: (page, index) names one event of the whole lookup
    expect(got.map((g) => g.page)).toEqual(bodies.map((_, i) => i + 1));
    expect(got.every((g) => g.name === g.eventName)).toBe(true);

    const model = loadBotocoreModel('cloudtrail', '2013-11-01');
    expect(model.shapes.LookupAttributeKey?.enum).toContain('EventName');
    for (const b of bodies) expect(validateShape(model, 'LookupEventsRequest', b)).toEqual([]);
  });
});

describe('a lookup read through collectEvents', () => {
  it('covers issuance from the start it asked for, not only from the first record read; to the last record read', async () => {
    const ca =
      'arn:aws:acm-pca:eu-west-1:111122220161:certificate-authority/5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c35';
    const from = Date.parse('2026-12-01T02:00:00Z') / 1000;
    const to = Date.parse('2026-12-02T02:00:00Z') / 1000;
    const issuedAt = '2026-12-01T20:00:00Z';
    const record = {
      eventVersion: '1.08',
      eventID: '1b5c3f0e-6d2a-4c1b-9f8e-7a6d5c4b3a21',
      eventTime: issuedAt,
      eventSource: 'acm-pca.amazonaws.com',
      eventName: 'IssueCertificate',
      eventType: 'AwsApiCall',
      awsRegion: 'eu-west-1',
      recipientAccountId: '111122220161',
      userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122220161:assumed-role/issuer/x' },
      requestParameters: { certificateAuthorityArn: ca },
      responseElements: { certificateArn: `${ca}/certificate/0f18aba3e775655636af236d773629af` },
    };
    const bodies: LookupBody[] = [];
    const client = new CloudTrailClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      requestHandler: {
        handle: async (request: { body?: unknown }) => {
          const input = JSON.parse(
            request.body instanceof Uint8Array
              ? new TextDecoder().decode(request.body)
              : String(request.body),
          ) as LookupBody;
          bodies.push(input);
          const name = input.LookupAttributes?.[0]?.AttributeValue;
          return {
            response: {
              statusCode: 200,
              headers: { 'content-type': 'application/x-amz-json-1.1' },
              body: Readable.from([
                Buffer.from(
                  JSON.stringify({
                    Events: name === 'IssueCertificate' ? [{ CloudTrailEvent: JSON.stringify(record) }] : [],
                  }),
                ),
              ]),
            },
          };
        },
        updateHttpClientConfig() {},
        httpHandlerConfigs: () => ({}),
      },
    });
    let clock = to + 7200;
    const set = await collectEvents(['lookup'], {
      lenient: false,
      inputs: { aws: async () => ({ cloudtrail: () => client }) as unknown as AwsClients },
      ca: parseCaArn(ca)!,
      from,
      to,
      now: () => clock,
      sleep: async (s) => {
        clock += s;
      },
      progress: () => {},
    });
    expect(bodies.map((b) => b.LookupAttributes?.[0]?.AttributeValue)).toEqual([...LOOKUP_EVENT_NAMES]);
    expect(set.events.map((e) => e.eventName)).toEqual(['IssueCertificate']);
    const group = set.stats.groups.get('lookup')!;
    expect(group.issuance).toBe(true);
    // the hour before the window is asked for too
    expect(group.earliest).toBe(from - 3600);
    expect(group.latest).toBe(Date.parse(issuedAt) / 1000);
    expect(set.gaps).toEqual([]);
  });
});
