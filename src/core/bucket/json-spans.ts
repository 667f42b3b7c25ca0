/**
 * Where each value of a JSON text lies, so a caller can replace one value and keep every other byte.
 * The text must already be known to be valid JSON (JSON.parse accepted it): this scanner checks
 * nothing, it only measures.
 */

export type JsonSpan =
  | { kind: 'object'; start: number; end: number; members: JsonMember[] }
  | { kind: 'array'; start: number; end: number; elements: JsonSpan[] }
  | { kind: 'scalar'; start: number; end: number };

export interface JsonMember {
  /** the decoded key */
  key: string;
  value: JsonSpan;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/** The spans of a valid JSON text's top-level value (end is exclusive). */
export function jsonSpans(text: string): JsonSpan {
  let i = 0;
  const skip = () => {
    while (i < text.length && WHITESPACE.has(text[i]!)) i++;
  };
  const stringEnd = (from: number): number => {
    let j = from + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    return j + 1;
  };
  const value = (): JsonSpan => {
    skip();
    const start = i;
    const c = text[i];
    if (c === '{') {
      i++;
      const members: JsonMember[] = [];
      skip();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', start, end: i, members };
      }
      for (;;) {
        skip();
        const keyEnd = stringEnd(i);
        const key = JSON.parse(text.slice(i, keyEnd)) as string;
        i = keyEnd;
        skip();
        i++; // ':'
        members.push({ key, value: value() });
        skip();
        if (text[i++] === '}') return { kind: 'object', start, end: i, members };
      }
    }
    if (c === '[') {
      i++;
      const elements: JsonSpan[] = [];
      skip();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', start, end: i, elements };
      }
      for (;;) {
        elements.push(value());
        skip();
        if (text[i++] === ']') return { kind: 'array', start, end: i, elements };
      }
    }
    if (c === '"') {
      i = stringEnd(i);
      return { kind: 'scalar', start, end: i };
    }
    while (i < text.length && !WHITESPACE.has(text[i]!) && !',]}'.includes(text[i]!)) i++;
    return { kind: 'scalar', start, end: i };
  };
  return value();
}
