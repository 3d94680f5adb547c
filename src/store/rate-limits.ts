/**
 * Rate-limit counters shared by every API instance, in MongoDB — on FerretDB too, which has no
 * TTL indexes and whose `$inc` is not atomic under concurrent updates (measured: 300 concurrent
 * increments of one document left it at 3). So a hit is not an increment: it is the insert of a
 * numbered ticket, `{prefix}:{key}:{window start}#{n}`, and the unique `_id` index decides which
 * request got which number. The window start in the id makes counters expire by time window; old
 * tickets are swept by `removeExpired`.
 */
import { MongoServerError, type Collection } from 'mongodb';

export interface RateLimitTicketDoc {
  /** `${counter}#${n}` */
  _id: string;
  /** `${prefix}:${client key}` (every window), for resetting one client */
  key: string;
  expires_at: Date;
}

const DUPLICATE_KEY = 11000;

export class RateLimitTickets {
  constructor(private readonly tickets: Collection<RateLimitTicketDoc>) {}

  /** Takes ticket `id`; false when another request (in any instance) already holds it. */
  async take(id: string, key: string, expiresAt: Date): Promise<boolean> {
    try {
      await this.tickets.insertOne({ _id: id, key, expires_at: expiresAt });
      return true;
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  async taken(id: string): Promise<boolean> {
    return (await this.tickets.findOne({ _id: id }, { projection: { _id: 1 } })) !== null;
  }

  async release(id: string): Promise<void> {
    await this.tickets.deleteOne({ _id: id });
  }

  /** Forgets one client's counters (every window). */
  async removeKey(key: string): Promise<void> {
    await this.tickets.deleteMany({ key });
  }

  /** Removes the tickets of windows that ended before `now`. */
  async removeExpired(now: Date): Promise<number> {
    return (await this.tickets.deleteMany({ expires_at: { $lte: now } })).deletedCount;
  }
}
