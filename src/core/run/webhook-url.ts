/**
 * The webhook's URL: where it POSTs, and the credentials a `user:pass@` in it carried. The
 * credentials travel only as an Authorization header; every URL a message names (the webhook's,
 * a redirect's target) is shown without them, so they reach no terminal, summary or state file.
 */

export interface WebhookTarget {
  /** the URL without its userinfo */
  url: string;
  /** `Basic …` built from the URL's userinfo; absent when it had none */
  authorization?: string;
}

export type WebhookParse = { ok: true; target: WebhookTarget } | { ok: false; reason: string };

export function parseWebhookUrl(text: string): WebhookParse {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'is not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, reason: 'is not an http(s) URL' };
  if (url.username === '' && url.password === '') return { ok: true, target: { url: url.href } };
  // the URL keeps them percent-encoded; Basic auth wants them as written
  const user = decoded(url.username);
  const pass = decoded(url.password);
  url.username = '';
  url.password = '';
  return {
    ok: true,
    target: { url: url.href, authorization: `Basic ${base64(`${user}:${pass}`)}` },
  };
}

function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** RFC 7617: the user-pass is UTF-8, then base64. */
function base64(text: string): string {
  let binary = '';
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * A URL fit to print: its userinfo removed. Text that does not parse as a URL loses everything
 * between `//` and the last `@` of its authority, so a malformed one with credentials is safe too.
 */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.username === '' && url.password === '') return url.href;
    url.username = '';
    url.password = '';
    return url.href;
  } catch {
    return text.replace(/^([^:/?#]*:\/\/)[^/?#]*@/, '$1');
  }
}
