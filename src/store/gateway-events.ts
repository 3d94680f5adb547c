/**
 * The gateway's notifications the engine received, one document per event id: `_id` is the
 * gateway's event id, inserted once (the unique `_id` index decides a race between two
 * deliveries of one event). A document records what the engine did with the event (`outcome`,
 * `handled_at`); one without `handled_at` was received but not yet passed on (a delivery that
 * failed half-way), so a redelivery passes it on again. FerretDB has no TTL indexes:
 * `received_at` is kept for a retention job (`deleteReceivedBefore`).
 */
import { MongoServerError, type Collection } from 'mongodb';

export const GATEWAY_EVENTS_COLLECTION = 'gateway_events';
const DUPLICATE_KEY = 11000;

/** What the engine did with a notification (also the metric's `outcome` label). */
export type GatewayEventOutcome =
  /** the payment's workflow accepted the notice */
  | 'forwarded'
  /** the workflow waits for nothing this notice is about (its validator refused it) */
  | 'not_waiting'
  /** the payment's workflow has closed */
  | 'workflow_closed'
  /** no payment has this session id */
  | 'unknown_payment'
  /** the payment's record is closed: nothing was sent to its workflow */
  | 'payment_closed'
  /** the record's attempt with this charge is already settled: nothing was sent */
  | 'attempt_settled'
  /** the charge's idempotency key is not one the engine makes */
  | 'unknown_charge';

export interface GatewayEventDoc {
  /** the gateway's event id */
  _id: string;
  type: string;
  charge_id: string;
  status: string;
  session_id?: string;
  received_at: Date;
  handled_at?: Date;
  outcome?: GatewayEventOutcome;
}

export class GatewayEvents {
  constructor(private readonly events: Collection<GatewayEventDoc>) {}

  /**
   * Records a notification; resolves with `first: false` and the stored document when its event
   * id was received before.
   */
  async receive(doc: GatewayEventDoc): Promise<{ first: boolean; doc: GatewayEventDoc }> {
    try {
      await this.events.insertOne(doc);
      return { first: true, doc };
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
      return { first: false, doc: (await this.events.findOne({ _id: doc._id })) ?? doc };
    }
  }

  /** The notification was dealt with: a redelivery of it is acknowledged without passing it on. */
  async handled(eventId: string, outcome: GatewayEventOutcome, now: Date): Promise<void> {
    await this.events.updateOne({ _id: eventId }, { $set: { outcome, handled_at: now } });
  }

  find(eventId: string): Promise<GatewayEventDoc | null> {
    return this.events.findOne({ _id: eventId });
  }

  /** Retention: forgets notifications received before `cutoff`; resolves with how many. */
  async deleteReceivedBefore(cutoff: Date): Promise<number> {
    return (await this.events.deleteMany({ received_at: { $lt: cutoff } })).deletedCount;
  }
}
