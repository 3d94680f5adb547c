/**
 * Idempotency keys (`Idempotency-Key`, Ottu's `Tracking-Key`): a claim per key while its request
 * runs, then the response it got. Uniqueness rides on the `_id` index, so two racing requests
 * cannot both claim a key.
 */
import { MongoServerError, type Collection } from 'mongodb';

import type { IdempotencyDoc } from './mongo';

const DUPLICATE_KEY = 11000;

export class IdempotencyKeys {
  constructor(private readonly keys: Collection<IdempotencyDoc>) {}

  /** Claims the key for a running request; resolves false when someone holds it already. */
  async claim(id: string, requestHash: string, now: Date): Promise<boolean> {
    try {
      await this.keys.insertOne({ _id: id, request_hash: requestHash, status: 'running', created_at: now });
      return true;
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  find(id: string): Promise<IdempotencyDoc | null> {
    return this.keys.findOne({ _id: id });
  }

  /** Drops a claim that is stale (a crashed request, or past retention), if it is still that claim. */
  async dropStale(claim: Pick<IdempotencyDoc, '_id' | 'created_at'>): Promise<void> {
    await this.keys.deleteOne({ _id: claim._id, created_at: claim.created_at });
  }

  /** A running request is still alive. */
  async heartbeat(id: string, now: Date): Promise<void> {
    await this.keys.updateOne({ _id: id, status: 'running' }, { $set: { heartbeat_at: now } });
  }

  /** The request answered: later requests with the key replay this. */
  async complete(id: string, response: { status: number; body: unknown }): Promise<void> {
    await this.keys.updateOne({ _id: id }, { $set: { status: 'done', response } });
  }

  /** Retention: keys older than `before` are forgotten (their 24 hours are over). */
  async purgeOlderThan(before: Date): Promise<number> {
    return (await this.keys.deleteMany({ created_at: { $lt: before } })).deletedCount;
  }

  /** The request failed on the server's side: the key may be retried. */
  async release(id: string): Promise<void> {
    await this.keys.deleteOne({ _id: id });
  }
}
