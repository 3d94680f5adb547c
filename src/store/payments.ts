/**
 * The `payments` collection: the system of record of every payment, outliving Temporal's
 * retention. Inserted by the API at create; afterwards written only by the payment's workflows
 * (one writer per phase), so no transactions are needed.
 */
import { MongoServerError, type Collection } from 'mongodb';

import type { PaymentPatch, PaymentRecord } from '../domain/payment';
import { PAYABLE_STATES, statesThatMayBecome } from '../domain/states';

const DUPLICATE_KEY = 11000;

export class PaymentsRepository {
  constructor(private readonly payments: Collection<PaymentRecord>) {}

  /** Inserts the record; resolves with the one already stored when its session id exists. */
  async insert(record: PaymentRecord): Promise<PaymentRecord> {
    try {
      await this.payments.insertOne(record);
      return record;
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
      return (await this.payments.findOne({ _id: record._id })) ?? record;
    }
  }

  /** Undoes an insert whose workflow never started (an unkeyed create that failed). */
  async remove(sessionId: string): Promise<void> {
    await this.payments.deleteOne({ _id: sessionId });
  }

  /** By its session id alone: the customer's capability, or the engine's own lookups. */
  find(sessionId: string): Promise<PaymentRecord | null> {
    return this.payments.findOne({ _id: sessionId });
  }

  /** Only ever the given merchant's payment, and never one the merchant deleted. */
  findForMerchant(merchantId: string, sessionId: string): Promise<PaymentRecord | null> {
    return this.payments.findOne({ _id: sessionId, merchant_id: merchantId, deleted_at: { $exists: false } });
  }

  async existsForMerchant(merchantId: string, sessionId: string): Promise<boolean> {
    return !!(await this.payments.findOne(
      { _id: sessionId, merchant_id: merchantId, deleted_at: { $exists: false } },
      { projection: { _id: 1 } },
    ));
  }

  /** The merchant's latest (not deleted) payment with this order_no. */
  findByOrderNo(merchantId: string, orderNo: string): Promise<PaymentRecord | null> {
    return this.payments.findOne(
      { order_no: orderNo, merchant_id: merchantId, deleted_at: { $exists: false } },
      { sort: { created_at: -1 } },
    );
  }

  /**
   * The merchant's change of a payment's own fields (PUT/PATCH, attachments, the auto-debit
   * marker): never the state, attempts or money movements, which only its workflows write.
   */
  async amend(
    merchantId: string,
    sessionId: string,
    set: Partial<PaymentRecord>,
    unset: readonly string[] = [],
    now = new Date(),
  ): Promise<PaymentRecord | null> {
    return this.payments.findOneAndUpdate(
      { _id: sessionId, merchant_id: merchantId, deleted_at: { $exists: false } },
      {
        $set: { ...set, updated_at: now.toISOString() },
        ...(unset.length ? { $unset: Object.fromEntries(unset.map((f) => [f, ''])) } : {}),
      },
      { returnDocument: 'after' },
    );
  }

  /**
   * Ottu's `delete` operation: the payment disappears from the merchant's API (404 from now on)
   * but its record stays, since money may have moved (operators still find it by session id).
   */
  async markDeleted(merchantId: string, sessionId: string, now: Date): Promise<boolean> {
    const result = await this.payments.updateOne(
      { _id: sessionId, merchant_id: merchantId, deleted_at: { $exists: false } },
      { $set: { deleted_at: now.toISOString() } },
    );
    return result.modifiedCount === 1;
  }

  /** A customer's payments under one auto-debit agreement, oldest first (agreement limits). */
  underAgreement(merchantId: string, customerId: string, agreementId: string): Promise<PaymentRecord[]> {
    return this.payments
      .find({ merchant_id: merchantId, customer_id: customerId, 'agreement.id': agreementId })
      .sort({ created_at: 1 })
      .limit(5000)
      .toArray();
  }

  /** Open payments (payable states) last written before `before`: what reconciliation looks at. */
  listOpenUnchangedSince(before: Date, limit: number): Promise<PaymentRecord[]> {
    return this.payments
      .find({ state: { $in: [...PAYABLE_STATES] }, updated_at: { $lt: before.toISOString() } })
      .limit(limit)
      .toArray();
  }

  /** Closed payments with an attempt the gateway never confirmed, not yet looked at again. */
  listUnconfirmed(limit: number): Promise<PaymentRecord[]> {
    return this.payments
      .find({ 'attempts.decline_code': 'unconfirmed', unconfirmed_checked_at: { $exists: false } })
      .limit(limit)
      .toArray();
  }

  /** Reconciliation looked again at a payment's unconfirmed attempts (and what it found). */
  async markUnconfirmedChecked(sessionId: string, now: Date, attention?: string): Promise<void> {
    await this.payments.updateOne(
      { _id: sessionId },
      {
        $set: {
          unconfirmed_checked_at: now.toISOString(),
          ...(attention ? { needs_attention: { reason: attention, at: now.toISOString() } } : {}),
        },
      },
    );
  }

  /** Marks a payment for an operator (reconciliation found something it cannot repair). */
  async flag(sessionId: string, reason: string, now: Date): Promise<void> {
    await this.payments.updateOne(
      { _id: sessionId },
      { $set: { needs_attention: { reason, at: now.toISOString() } } },
    );
  }

  /**
   * Applies a workflow's change, unless the record already has a newer (or the same) revision from
   * that writer or cannot move to the written state (a closed payment is never reopened). Resolves
   * with the record as it was before, or null when the write was not applied.
   */
  async record(sessionId: string, patch: PaymentPatch, now: Date): Promise<PaymentRecord | null> {
    const { writer, revision, ...fields } = patch;
    const seen = `revisions.${writer}`;
    return this.payments.findOneAndUpdate(
      {
        _id: sessionId,
        state: { $in: statesThatMayBecome(fields.state) },
        $or: [{ [seen]: { $lt: revision } }, { [seen]: { $exists: false } }],
      },
      { $set: { ...fields, [seen]: revision, updated_at: now.toISOString() } },
      { returnDocument: 'before' }, // (FerretDB: no projection on findAndModify)
    );
  }
}
