/**
 * express-rate-limit's Store on the shared ticket collection (store/rate-limits.ts), so every API
 * instance counts against the same limit: N instances behind a load balancer do not multiply it.
 *
 * Fixed windows of `windowMs`. A hit takes the next free ticket of the client's current window;
 * each instance remembers the last number it took, so a hit normally costs one insert; when
 * another instance took that number meanwhile, the first free one is found by galloping and
 * bisecting over `_id` lookups (cheap on MongoDB and FerretDB alike). Tickets are taken up to
 * limit + 1: the client is over the limit once that one is taken, and later hits cost one lookup.
 */
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';

import type { RateLimitTickets } from '../store/rate-limits';

export interface SharedStoreOptions {
  /** separates the limiters sharing the collection ("submit-ip", "auth-failures", …) */
  prefix: string;
  limit: number;
  windowMs: number;
  now?: () => number;
}

const HINTS_LIMIT = 50_000;

export class SharedRateLimitStore implements Store {
  readonly localKeys = false;
  readonly prefix: string;
  private windowMs: number;
  private readonly limit: number;
  private readonly now: () => number;
  /** counter → highest ticket number this instance took */
  private readonly hints = new Map<string, number>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly tickets: RateLimitTickets,
    options: SharedStoreOptions,
  ) {
    this.prefix = options.prefix;
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.now = options.now ?? Date.now;
  }

  init(options: Options): void {
    this.windowMs = options.windowMs;
    // Old windows are swept by every instance: cheap, and no instance has to be "the" sweeper.
    this.sweeper ??= setInterval(() => {
      Promise.resolve()
        .then(() => this.tickets.removeExpired(new Date(this.now())))
        .catch(() => undefined); // the database briefly away: the next sweep takes them
    }, this.windowMs);
    this.sweeper.unref();
  }

  private window(key: string) {
    const start = Math.floor(this.now() / this.windowMs) * this.windowMs;
    const client = `${this.prefix}:${key}`;
    return { client, counter: `${client}:${start}`, resetTime: new Date(start + this.windowMs) };
  }

  private ticket = (counter: string, n: number): string => `${counter}#${n}`;

  async get(key: string): Promise<ClientRateLimitInfo> {
    const { counter, resetTime } = this.window(key);
    const over = await this.tickets.taken(this.ticket(counter, this.limit));
    return { totalHits: over ? this.limit : (this.hints.get(counter) ?? 0), resetTime };
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const { client, counter, resetTime } = this.window(key);
    const cap = this.limit + 1;
    let n = (this.hints.get(counter) ?? 0) + 1;
    for (;;) {
      if (n > cap) return { totalHits: cap, resetTime };
      if (await this.tickets.take(this.ticket(counter, n), client, resetTime)) {
        if (this.hints.size >= HINTS_LIMIT) this.hints.clear();
        this.hints.set(counter, n);
        return { totalHits: n, resetTime };
      }
      n = await this.firstFree(counter, n, cap);
    }
  }

  /** The lowest free ticket above `taken` (tickets are taken in order), or cap + 1. */
  private async firstFree(counter: string, taken: number, cap: number): Promise<number> {
    let present = taken;
    let step = 1;
    let probe = taken + 1;
    while (probe <= cap && (await this.tickets.taken(this.ticket(counter, probe)))) {
      present = probe;
      step *= 2;
      probe = present + step;
    }
    let absent = Math.min(probe, cap + 1);
    while (absent - present > 1) {
      const mid = (present + absent) >> 1;
      if (await this.tickets.taken(this.ticket(counter, mid))) present = mid;
      else absent = mid;
    }
    return absent;
  }

  /** Gives back the last ticket this instance took for the client (express-rate-limit's skip options). */
  async decrement(key: string): Promise<void> {
    const { counter } = this.window(key);
    const n = this.hints.get(counter);
    if (n) await this.tickets.release(this.ticket(counter, n));
  }

  async resetKey(key: string): Promise<void> {
    const { client, counter } = this.window(key);
    this.hints.delete(counter);
    await this.tickets.removeKey(client);
  }

  shutdown(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }
}

/** The store of one limiter: shared in MongoDB (`TOKENPAY_RATE_LIMIT_STORE=mongodb`), else per process. */
export function limiterStore(
  kind: 'mongodb' | 'memory',
  tickets: RateLimitTickets,
  options: SharedStoreOptions,
): { store?: Store } {
  return kind === 'mongodb' ? { store: new SharedRateLimitStore(tickets, options) } : {};
}
