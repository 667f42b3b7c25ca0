/** CloudTrail: LookupEvents over a window, within its 2 requests/s limit per account and Region. */
import { type CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { call } from './errors.js';

/** LookupEvents allows 2 requests a second per account and Region (aws-facts.md). */
export const LOOKUP_LIMIT = { requests: 2, seconds: 1 };
/**
 * Kept between a request and the one `requests` after it beyond the second itself: a request
 * granted now reaches AWS a little later, and not always by the same delay.
 */
const LOOKUP_MARGIN_SECONDS = 0.1;

/**
 * At most `limit` requests in any `window` seconds, for every caller sharing it. A slot is reserved
 * when asked for, in call order, so concurrent callers never take the same one: grants never
 * decrease, and each is at least `window` after the one `limit` before it.
 */
export class RequestLimiter {
  /** the last `limit` grants, epoch seconds, oldest first */
  private readonly grants: number[] = [];

  constructor(
    readonly limit: number,
    readonly window: number,
  ) {}

  /** Resolves when the caller may send one request. */
  async acquire(now: () => number, sleep: (seconds: number) => Promise<void>): Promise<void> {
    const t = now();
    const oldest = this.grants.length < this.limit ? undefined : this.grants[this.grants.length - this.limit];
    const at = oldest === undefined ? t : Math.max(t, oldest + this.window);
    this.grants.push(at);
    if (this.grants.length > this.limit) this.grants.shift();
    if (at > t) await sleep(at - t);
  }
}

/** One limiter per account and Region, shared by every lookup of the process (the CAs of a run). */
const LOOKUP_LIMITERS = new Map<string, RequestLimiter>();

export function lookupLimiter(account: string, region: string): RequestLimiter {
  const key = `${account}/${region}`;
  let limiter = LOOKUP_LIMITERS.get(key);
  if (!limiter) {
    limiter = new RequestLimiter(LOOKUP_LIMIT.requests, LOOKUP_LIMIT.seconds + LOOKUP_MARGIN_SECONDS);
    LOOKUP_LIMITERS.set(key, limiter);
  }
  return limiter;
}

export interface LookupOptions {
  /** epoch seconds */
  start: number;
  end: number;
  /**
   * one pass per eventName (LookupEvents takes one lookup attribute a call): only the records of
   * these APIs are read, whatever their event source
   */
  eventNames: readonly string[];
  /** whose limit the requests count against: the account and Region of the CA whose events are read */
  account: string;
  region: string;
  sleep(seconds: number): Promise<void>;
  now(): number;
}

/**
 * Every event of the names in [start, end], as the record JSON strings: the names one after the
 * other, each newest first. Pages are numbered across the passes, so (page, index) names one event.
 */
export async function* lookupEvents(
  client: CloudTrailClient,
  o: LookupOptions,
): AsyncGenerator<{ text: string; page: number; index: number; eventName: string }> {
  const limiter = lookupLimiter(o.account, o.region);
  let page = 0;
  for (const eventName of o.eventNames) {
    let token: string | undefined;
    do {
      const command = new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: eventName }],
        StartTime: new Date(o.start * 1000),
        EndTime: new Date(o.end * 1000),
        MaxResults: 50,
        ...(token ? { NextToken: token } : {}),
      });
      // inside the SDK's retry loop (finalizeRequest, after the retry middleware): every attempt,
      // retries of a throttled call included, waits for its own slot
      command.middlewareStack.add(
        (next) => async (args) => {
          await limiter.acquire(o.now, o.sleep);
          return next(args);
        },
        { step: 'finalizeRequest', priority: 'low', name: 'pcaAuditLookupLimit' },
      );
      const res = await call('LookupEvents', () => client.send(command));
      page++;
      let index = 0;
      for (const e of res.Events ?? []) {
        index++;
        if (typeof e.CloudTrailEvent === 'string') yield { text: e.CloudTrailEvent, page, index, eventName };
      }
      token = res.NextToken;
    } while (token);
  }
}
