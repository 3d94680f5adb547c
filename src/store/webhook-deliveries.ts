/**
 * The log of webhook delivery attempts, kept in MongoDB so merchants can see what was sent where
 * and what came back. One document per (event, attempt): recording the same attempt again (a
 * retried activity) is a no-op, so the log never shows an attempt twice. FerretDB-compatible: no
 * transactions, no TTL indexes.
 */
import { MongoServerError, type Collection } from 'mongodb';

import type { DeliveryOutcome } from '../domain/webhook';

export const WEBHOOK_DELIVERIES_COLLECTION = 'webhook_deliveries';
const MAX_ERROR_LENGTH = 1000;
const DEFAULT_LIST_LIMIT = 1000;

export interface DeliveryAttemptEntry {
  event_id: string;
  session_id: string;
  merchant_id: string;
  url: string;
  /** 1-based, unique per event */
  attempt: number;
  outcome: DeliveryOutcome;
  status?: number;
  /** tokenpay's reason (e.g. `HTTP 503`, a timeout): never the receiver's answer body */
  error?: string;
  /** how long the attempt took */
  duration_ms?: number;
  at: Date;
}

/** `_id` is `${event_id}:${attempt}`: recording the same attempt twice is a no-op. */
export interface DeliveryAttemptDoc extends DeliveryAttemptEntry {
  _id: string;
}

export class WebhookDeliveryLog {
  constructor(private readonly deliveries: Collection<DeliveryAttemptDoc>) {}

  async record(entry: DeliveryAttemptEntry): Promise<void> {
    const doc: DeliveryAttemptDoc = {
      _id: `${entry.event_id}:${entry.attempt}`,
      event_id: entry.event_id,
      session_id: entry.session_id,
      merchant_id: entry.merchant_id,
      url: entry.url,
      attempt: entry.attempt,
      outcome: entry.outcome,
      ...(entry.status !== undefined ? { status: entry.status } : {}),
      ...(entry.error !== undefined ? { error: entry.error.slice(0, MAX_ERROR_LENGTH) } : {}),
      ...(entry.duration_ms !== undefined ? { duration_ms: entry.duration_ms } : {}),
      at: entry.at,
    };
    try {
      await this.deliveries.insertOne(doc);
    } catch (error) {
      if (error instanceof MongoServerError && error.code === 11000) return; // already recorded
      throw error;
    }
  }

  /** Retention: attempts older than `before` are deleted. */
  async purgeOlderThan(before: Date): Promise<number> {
    return (await this.deliveries.deleteMany({ at: { $lt: before } })).deletedCount;
  }

  /** One payment's delivery attempts, oldest first; only ever the given merchant's. */
  list(merchantId: string, sessionId: string, limit = DEFAULT_LIST_LIMIT): Promise<DeliveryAttemptEntry[]> {
    return this.deliveries
      .find({ merchant_id: merchantId, session_id: sessionId }, { projection: { _id: 0 } })
      .sort({ at: 1, attempt: 1 })
      .limit(limit)
      .toArray();
  }
}
