import { describe, expect, it } from 'vitest';
import { EventSpill } from '../../src/io/event-spill.js';

/** Issue 16 item 3: `events` streams its output through sorted runs on disk, in the order result() gives. */
describe('issue 16 item 3: EventSpill', () => {
  const entries = (n: number) =>
    Array.from({ length: n }, (_, k) => {
      const t = `2026-11-19T${String((k * 7) % 24).padStart(2, '0')}:00:00Z`;
      // an eventID may hold anything, a tab or a newline too
      const id = `id-${(k * 13) % 5}${k % 2 ? '\t\n' : ''}`;
      return { t, id, identity: JSON.stringify([id, 's', 'n', t, k]), line: `{"k":${k}}` };
    });
  const sorted = (es: ReturnType<typeof entries>) =>
    [...es]
      .sort((a, b) =>
        a.t !== b.t
          ? a.t < b.t
            ? -1
            : 1
          : a.id !== b.id
            ? a.id < b.id
              ? -1
              : 1
            : a.identity < b.identity
              ? -1
              : 1,
      )
      .map((e) => `${e.line}\n`)
      .join('');

  for (const [events, run] of [
    [0, 3],
    [1, 3],
    [7, 3],
    [2500, 7],
    [2500, 100_000],
  ] as const) {
    it(`${events} events, runs of ${run}: oldest first, then eventID, then identity`, async () => {
      const spill = new EventSpill(run);
      const es = entries(events);
      try {
        for (const e of es) await spill.add(e.t, e.id, e.identity, e.line);
        let out = '';
        for await (const part of spill.text()) out += part;
        expect(out).toBe(sorted(es));
        expect(spill.count).toBe(events);
      } finally {
        await spill.dispose();
      }
    });
  }
});
