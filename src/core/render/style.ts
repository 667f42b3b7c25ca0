import type { Severity } from '../finding.js';

/** Colour is decided by the CLI (a TTY, no NO_COLOR); renderers only apply it. */
export interface TextStyle {
  color: boolean;
}

const CODES: Record<Severity | 'bold' | 'dim', [number, number]> = {
  error: [31, 39],
  warning: [33, 39],
  info: [36, 39],
  bold: [1, 22],
  dim: [2, 22],
};

export function paint(style: TextStyle, kind: keyof typeof CODES, text: string): string {
  if (!style.color) return text;
  const [on, off] = CODES[kind];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching colour codes is the point
const ANSI = /\u001b\[\d+m/g;

/** Aligns columns; cells may carry colour codes, which take no width. */
export function table(rows: string[][], indent = '  '): string[] {
  const width = (s: string) => s.replace(ANSI, '').length;
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, width(c));
    });
  }
  return rows.map((r) =>
    (
      indent + r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - width(c)))).join('  ')
    ).trimEnd(),
  );
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Report text is untrusted: a subject may carry terminal control sequences (JSON allows \u001b).
 * Control characters (C0, DEL, C1) are shown as \xNN so they can neither clear nor forge output.
 */
export function safeText(value: string): string {
  return value.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The SGR codes this program writes itself (paint's, and doctor's and bootstrap's colours). */
const OWN_SGR = '\\u001b\\[(?:1|2|22|31|32|33|36|39)m';
const OUTPUT_CONTROL = new RegExp(`${OWN_SGR}|[\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f]`, 'g');

/**
 * The last pass over text bound for a terminal (or a Markdown file): every control character but the
 * line feed becomes \xNN, so a field a renderer forgot to pass through safeText still cannot move the
 * cursor, clear the screen or forge a line. With colour on, the colour codes we write ourselves are kept
 * (fields are escaped one by one, so report text cannot supply one); with colour off, none survives.
 */
export function safeOutput(text: string, style: TextStyle = { color: false }): string {
  return text.replace(OUTPUT_CONTROL, (m) => (m.length > 1 && style.color ? m : safeText(m)));
}
