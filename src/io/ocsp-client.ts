/**
 * OCSP over HTTP (RFC 6960 appendix A): one POST of a DER request, the DER response back. Every
 * failure is a value, not a throw: a night with an unreachable responder still records its results.
 */
import type { OcspFailure } from '../core/reconcile/ocsp-check.js';

export interface OcspPostOptions {
  /** seconds for the whole exchange */
  timeout: number;
  /** a response larger than this is refused (a responder's answer is a few KiB) */
  maxBytes?: number;
}

export type OcspPostResult = { ok: true; body: Uint8Array } | ({ ok: false } & OcspFailure);

const fail = (cause: OcspFailure['cause'], detail: string): OcspPostResult => ({
  ok: false,
  status: 'unreachable',
  cause,
  detail,
});

export async function postOcsp(
  url: string,
  request: Uint8Array,
  options: OcspPostOptions,
): Promise<OcspPostResult> {
  const maxBytes = options.maxBytes ?? 1 << 20;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
      body: request,
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeout * 1000),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError')
      return fail('timeout', `POST ${url}: no answer within ${options.timeout} s`);
    return fail('network', `POST ${url}: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
  }
  try {
    if (res.status !== 200) {
      await res.body?.cancel();
      return fail('http', `POST ${url}: HTTP ${res.status}`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body ?? []) {
      size += chunk.byteLength;
      if (size > maxBytes) {
        await res.body?.cancel().catch(() => undefined);
        return fail('http', `POST ${url}: the response is larger than ${maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
    const body = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      body.set(c, at);
      at += c.byteLength;
    }
    return { ok: true, body };
  } catch (err) {
    const e = err as Error;
    if (e.name === 'TimeoutError' || e.name === 'AbortError')
      return fail('timeout', `POST ${url}: the response did not arrive within ${options.timeout} s`);
    return fail('network', `POST ${url}: reading the response: ${e.message}`);
  }
}
