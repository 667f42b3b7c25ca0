/**
 * A run's summary as an SNS message: an ASCII subject of at most 100 characters (SNS refuses
 * others), the Markdown or JSON summary as the body, and message attributes a subscription's
 * filter policy can match (exitCode, runId, newAlerts). SNS takes at most 256 KiB a message,
 * attributes included: a longer body is cut, and says so.
 */
import { type RunSummary, renderRunMarkdown } from './run-model.js';

export type SnsFormat = 'markdown' | 'json';

export interface SnsMessage {
  subject: string;
  body: string;
  attributes: Record<string, { DataType: 'Number' | 'String'; StringValue: string }>;
  /** the body was cut to fit */
  truncated: boolean;
}

/** SNS's limit for a message, body and attributes together (bytes). */
export const SNS_MAX_BYTES = 262_144;
/** room kept for the attributes (names, types, values) and SNS's own accounting */
const ATTRIBUTE_ALLOWANCE = 1024;

const encoder = new TextEncoder();
const utf8 = (s: string) => encoder.encode(s).length;

/** Printable ASCII only (SNS: "must be ASCII text that begins with a letter, number, or punctuation"). */
function asciiSubject(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?').trim();
  return ascii.length > 100 ? `${ascii.slice(0, 99)}~` : ascii;
}

export function snsSubject(s: RunSummary): string {
  if (s.test) return asciiSubject(`pca-audit test notification ${s.runId}`);
  const alerts = s.cas.reduce((n, c) => n + c.newAlerts.length, 0);
  const failed = s.cas.filter((c) => c.status === 'failed').length;
  const parts = [`${alerts} new alert${alerts === 1 ? '' : 's'}`];
  if (failed > 0) parts.push(`${failed} CA${failed === 1 ? '' : 's'} failed`);
  return asciiSubject(
    `pca-audit run ${s.runId}${s.dryRun ? ' (dry run)' : ''}: ${parts.join(', ')}, exit ${s.exitCode}`,
  );
}

/** The longest prefix of whole lines of `text` that fits in `bytes` UTF-8 bytes. */
function cutLines(text: string, bytes: number): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let size = 0;
  for (const line of lines) {
    const n = utf8(line) + 1;
    if (size + n > bytes) break;
    out.push(line);
    size += n;
  }
  return out.join('\n');
}

/**
 * The message for a summary. `limit` is SNS's (a test passes a smaller one). A cut Markdown body
 * ends with a line saying so; a JSON body that does not fit drops the alert lists (each CA's counts
 * stay) and says so in `truncated`, so it is still JSON.
 */
export function snsMessage(s: RunSummary, format: SnsFormat, limit = SNS_MAX_BYTES): SnsMessage {
  const alerts = s.cas.reduce((n, c) => n + c.newAlerts.length, 0);
  const attributes: SnsMessage['attributes'] = {
    exitCode: { DataType: 'Number', StringValue: String(s.exitCode) },
    runId: { DataType: 'String', StringValue: s.runId },
    newAlerts: { DataType: 'Number', StringValue: String(alerts) },
  };
  const room = limit - ATTRIBUTE_ALLOWANCE;
  const subject = snsSubject(s);
  const full = format === 'json' ? `${JSON.stringify(s, null, 2)}\n` : renderRunMarkdown(s);
  if (utf8(full) <= room) return { subject, body: full, attributes, truncated: false };
  const why = `truncated: the summary is ${utf8(full)} bytes, over SNS's ${Math.floor(limit / 1024)} KiB limit; the whole summary is runs/${s.runId}/summary.${format === 'json' ? 'json' : 'md'} in the state`;
  if (format === 'markdown') {
    const tail = `\n\n**${why}**\n`;
    return { subject, body: `${cutLines(full, room - utf8(tail))}${tail}`, attributes, truncated: true };
  }
  const slim = {
    ...s,
    truncated: why,
    cas: s.cas.map((c) => ({ ...c, newAlerts: [], persistentAlerts: [], notes: [] })),
  };
  let body = `${JSON.stringify(slim, null, 2)}\n`;
  if (utf8(body) > room) body = `${JSON.stringify({ ...slim, cas: [] })}\n`;
  return { subject, body, attributes, truncated: true };
}
