/** CloudTrail: LookupEvents over a window, within its 2 requests/s limit. */
import { type CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { call } from './errors.js';

export interface LookupOptions {
  /** epoch seconds */
  start: number;
  end: number;
  eventSource: string;
  /** minimal seconds between two requests (LookupEvents allows 2 a second per account and Region) */
  interval?: number;
  sleep(seconds: number): Promise<void>;
  now(): number;
}

/** Every event of the source in [start, end], newest first, as the record JSON strings. */
export async function* lookupEvents(
  client: CloudTrailClient,
  o: LookupOptions,
): AsyncGenerator<{ text: string; page: number; index: number }> {
  const interval = o.interval ?? 0.5;
  let token: string | undefined;
  let page = 0;
  let last = Number.NEGATIVE_INFINITY;
  do {
    const wait = last + interval - o.now();
    if (wait > 0) await o.sleep(wait);
    last = o.now();
    const res = await call('LookupEvents', () =>
      client.send(
        new LookupEventsCommand({
          LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: o.eventSource }],
          StartTime: new Date(o.start * 1000),
          EndTime: new Date(o.end * 1000),
          MaxResults: 50,
          ...(token ? { NextToken: token } : {}),
        }),
      ),
    );
    page++;
    let index = 0;
    for (const e of res.Events ?? []) {
      index++;
      if (typeof e.CloudTrailEvent === 'string') yield { text: e.CloudTrailEvent, page, index };
    }
    token = res.NextToken;
  } while (token);
}
