import type { DiffOutput, InspectOutput } from '../report/report-model.js';

/** Deterministic: the model is built in a fixed key order and sorted; no run timestamps. */
export function renderJson(out: DiffOutput | InspectOutput): string {
  return `${JSON.stringify(out, null, 2)}\n`;
}
