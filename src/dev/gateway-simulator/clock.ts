/**
 * The simulator's notion of "now". Tests can move it forward (POST /_sim/clock, only with faults
 * enabled) to expire tokens without waiting.
 */
export class Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
