import { UsageError } from '../core/errors.js';
import { parseInstant } from '../core/instant.js';

/** `2026-11-19T02:00:00Z`, `…+0000`, `…+00:00`, or a date `2026-11-19` (midnight UTC). */
export function parseInstantFlag(flag: string, value: string): number {
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const t = parseInstant(text);
  if (Number.isNaN(t)) {
    throw new UsageError(`--${flag}: "${value}" is not a UTC instant`, 'write it like 2026-11-19T02:00:00Z');
  }
  return t;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** `30d`, `12h`, `90m`, `45s`, `2w`, or plain seconds. */
export function parseDurationFlag(flag: string, value: string): number {
  const m = /^(\d+)([smhdw]?)$/.exec(value.trim());
  if (!m)
    throw new UsageError(`--${flag}: "${value}" is not a duration`, 'write it like 30d, 12h, 90m or 3600');
  return Number(m[1]) * UNITS[m[2] || 's']!;
}
