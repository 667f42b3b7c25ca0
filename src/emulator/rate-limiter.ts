/** At most `limit` calls in any sliding window of `windowMs` (real time); refused calls do not count. */
export class RateLimiter {
  private readonly accepted: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** true when the call at `nowMs` is within the limit (and counts it). */
  tryAcquire(nowMs: number): boolean {
    while (this.accepted.length > 0 && this.accepted[0]! <= nowMs - this.windowMs) this.accepted.shift();
    if (this.accepted.length >= this.limit) return false;
    this.accepted.push(nowMs);
    return true;
  }

  reset(): void {
    this.accepted.length = 0;
  }
}
