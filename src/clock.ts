/** The one source of "now": deadlines use the server clock, and tests inject their own. */
export interface Clock { now(): Date }
export const systemClock: Clock = { now: () => new Date() };

/** A clock tests can set and move. */
export class ManualClock implements Clock {
  constructor(private t: Date = new Date('2026-01-01T00:00:00Z')) {}
  now(): Date { return new Date(this.t.getTime()); }
  set(t: Date | string): void { this.t = new Date(t); }
  advance(ms: number): void { this.t = new Date(this.t.getTime() + ms); }
}
