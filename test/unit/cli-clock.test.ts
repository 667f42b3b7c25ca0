import { describe, expect, it } from 'vitest';
import { makeContext } from '../../src/cli/context.js';
import { memoryStreams } from '../../src/cli/streams.js';

/**
 * PCA_AUDIT_NOW is the clock at the process's start (README): a CLI
 * started with the stand-in's time must not run behind it by the time its modules took to load.
 */
describe('PCA_AUDIT_NOW', () => {
  const options = { retryMode: 'standard' as const, maxAttempts: 1 };

  it("is the instant at the process's start, not at the context's making", () => {
    // this worker has been running for a while (at least a second, made sure of here)
    while (performance.now() < 1000) {
      /* wait */
    }
    const ctx = makeContext(options, memoryStreams({ PCA_AUDIT_NOW: '1000' }));
    const uptime = performance.now() / 1000;
    expect(ctx.now() - 1000).toBeGreaterThanOrEqual(uptime - 0.05);
    expect(ctx.now() - 1000).toBeLessThan(uptime + 0.5);
  });

  it('takes an instant in the report form too, and refuses what is not one', () => {
    const ctx = makeContext(options, memoryStreams({ PCA_AUDIT_NOW: '2026-11-20T02:00:00Z' }));
    expect(ctx.now()).toBeGreaterThanOrEqual(Date.parse('2026-11-20T02:00:00Z') / 1000);
    expect(() => makeContext(options, memoryStreams({ PCA_AUDIT_NOW: 'tomorrow' }))).toThrow(
      /PCA_AUDIT_NOW: "tomorrow" is not an instant/,
    );
  });

  it('unset: the system clock', () => {
    const ctx = makeContext(options, memoryStreams({}));
    expect(Math.abs(ctx.now() - Date.now() / 1000)).toBeLessThan(1);
  });
});
