import { getSystemErrorMap } from 'node:util';
import type { SystemErrorShape } from '../core/errors.js';

/** "no space left on device (ENOSPC)": the system's words for the code, else the message without its prefix. */
export function systemReason(e: SystemErrorShape): string {
  let text: string | undefined;
  for (const [name, description] of getSystemErrorMap().values()) {
    if (name === e.code) {
      text = description;
      break;
    }
  }
  text ??= e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return `${text} (${e.code})`;
}
