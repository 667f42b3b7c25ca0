/**
 * The emulated clock: real time plus an offset the tests move. It drives every time the emulator
 * hands out (eventTime, issuedAt, revokedAt, CreatedAt) and the 30-minute report rule; rate limits
 * and the report delay stay in real time.
 */
export class EmulatedClock {
  private offsetMs = 0;

  /** epoch seconds, whole */
  now(): number {
    return Math.floor((Date.now() + this.offsetMs) / 1000);
  }

  set(epochSeconds: number): void {
    this.offsetMs = epochSeconds * 1000 - Date.now();
  }

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }

  reset(): void {
    this.offsetMs = 0;
  }
}
