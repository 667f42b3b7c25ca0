/**
 * Issue 13 item 17: LookupEvents allows 2 requests a second per account and Region, and pca-audit
 * sent 3 to 5 in one second when several CAs were read at once. N lookups at once, over many pages,
 * with throttled answers the SDK retries, must never put more than 2 requests (attempts, retries
 * included) in any 1-second window. The clock is vitest's fake one; the SDK client is real, with a
 * request handler that answers in place of CloudTrail and logs when each attempt reached it.
 */
import { Readable } from 'node:stream';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lookupEvents, RequestLimiter } from '../../src/aws/cloudtrail.js';
import { parseCaArn } from '../../src/core/ca-arn.js';
import { EventPasses } from '../../src/run/event-passes.js';

interface Attempt {
  at: number;
  lookup: string;
  throttled: boolean;
}

/** A stand-in for CloudTrail: `pages` pages per lookup (told apart by the attribute value), every `throttleEvery`th attempt throttled. */
function fakeCloudTrail(pages: number, log: Attempt[], throttleEvery: number) {
  let calls = 0;
  const answer = (status: number, body: unknown) => ({
    response: {
      statusCode: status,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${calls}` },
      body: Readable.from([Buffer.from(JSON.stringify(body))]),
    },
  });
  return {
    handle: async (request: { body?: unknown }) => {
      calls++;
      const body =
        request.body instanceof Uint8Array ? new TextDecoder().decode(request.body) : String(request.body);
      const input = JSON.parse(body) as {
        NextToken?: string;
        LookupAttributes: Array<{ AttributeValue: string }>;
      };
      const lookup = input.LookupAttributes[0]!.AttributeValue;
      const throttled = calls % throttleEvery === 0;
      log.push({ at: Date.now(), lookup, throttled });
      if (throttled) return answer(400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
      const page = input.NextToken ? Number(input.NextToken) : 0;
      return answer(200, {
        Events: [{ EventId: `${lookup}-${page}`, CloudTrailEvent: JSON.stringify({ lookup, page }) }],
        ...(page + 1 < pages ? { NextToken: String(page + 1) } : {}),
      });
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  };
}

/** The most attempts that fall in any half-open window [t, t + 1 s). */
function busiestSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j]! < sorted[i]! - 999) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

beforeEach(() => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(new Date('2026-12-03T01:00:00Z'));
});
afterEach(() => vi.useRealTimers());

/** Runs the promise to its end, moving the fake clock on whenever everything waits on it. */
async function drive<T>(work: Promise<T>): Promise<T> {
  let done = false;
  const result = work.finally(() => {
    done = true;
  });
  while (!done) {
    await new Promise((r) => setImmediate(r)); // real: lets the SDK's streams and promises settle
    await vi.advanceTimersByTimeAsync(10);
  }
  return result;
}

describe('LookupEvents request rate (issue 13 item 17)', () => {
  it('issue 13 item 17: 4 CAs of one account and Region at once, 6 pages each, throttled retries included: never more than 2 requests in any second', async () => {
    const log: Attempt[] = [];
    const client = new CloudTrailClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 5,
      requestHandler: fakeCloudTrail(6, log, 5),
    });
    const lookup = async (name: string) => {
      const out: string[] = [];
      for await (const e of lookupEvents(client, {
        start: 0,
        end: 1,
        eventNames: [name],
        account: '111122220017',
        region: 'eu-west-1',
        now: () => Date.now() / 1000,
        sleep: (s) => new Promise((r) => setTimeout(r, s * 1000)),
      }))
        out.push(e.text);
      return out;
    };
    const results = await drive(Promise.all(['ca-1', 'ca-2', 'ca-3', 'ca-4'].map(lookup)));
    // every page of every lookup arrived, after the throttled attempts were retried
    expect(results.map((r) => r.length)).toEqual([6, 6, 6, 6]);
    expect(log.filter((a) => a.throttled).length).toBeGreaterThan(0);
    expect(log.filter((a) => !a.throttled)).toHaveLength(24);
    expect(busiestSecond(log.map((a) => a.at))).toBeLessThanOrEqual(2);
  });

  it("issue 16 item 2: 4 CAs of one account and Region through a run's shared passes: one pass (5 names × 6 pages), still never more than 2 requests in any second", async () => {
    const log: Attempt[] = [];
    const client = new CloudTrailClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 5,
      requestHandler: fakeCloudTrail(6, log, 5),
    });
    const now = () => Date.now() / 1000;
    const passes = new EventPasses({ now, sleep: (s) => new Promise((r) => setTimeout(r, s * 1000)) });
    const read = async (n: number) => {
      const ca = parseCaArn(
        `arn:aws:acm-pca:eu-west-1:111122220162:certificate-authority/0000000${n}-1111-4222-8333-444455556666`,
      )!;
      const out: string[] = [];
      for await (const e of passes.lookup(
        { account: ca.account, region: ca.region, cloudtrail: client },
        ca,
        {
          start: now() - 86400,
          end: now(),
          to: now(),
        },
      ))
        out.push(e.text);
      return out;
    };
    try {
      const results = await drive(Promise.all([1, 2, 3, 4].map(read)));
      // the stand-in's records name no CA: every CA reads all 30 of the one pass
      expect(results.map((r) => r.length)).toEqual([30, 30, 30, 30]);
      expect(log.filter((a) => !a.throttled)).toHaveLength(5 * 6);
      expect(new Set(log.map((a) => a.lookup)).size).toBe(5);
      expect(log.filter((a) => a.throttled).length).toBeGreaterThan(0);
      expect(busiestSecond(log.map((a) => a.at))).toBeLessThanOrEqual(2);
    } finally {
      await passes.dispose();
    }
  });

  it('issue 13 item 17: a limiter grants in call order, at most `limit` in any window, to concurrent callers', async () => {
    const limiter = new RequestLimiter(2, 1);
    const granted: number[] = [];
    const now = () => Date.now() / 1000;
    const sleep = (s: number) => new Promise<void>((r) => setTimeout(r, s * 1000));
    await drive(
      Promise.all(
        Array.from({ length: 9 }, async () => {
          await limiter.acquire(now, sleep);
          granted.push(Date.now());
        }),
      ),
    );
    expect(granted).toHaveLength(9);
    expect(busiestSecond(granted)).toBe(2);
    // 9 requests at 2 a second: the last one 4 seconds after the first, not later
    expect(granted.at(-1)! - granted[0]!).toBe(4000);
  });
});
