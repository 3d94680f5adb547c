/**
 * The state of one checkout session inside CheckoutWorkflow, and the only way to change it:
 * `moveTo` asserts the domain's transition table, keeps the `PaymentState` search attribute
 * current and writes the record. Records are written one at a time, each with the latest state,
 * so a slow write can never overwrite a newer one in MongoDB.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';

import type { AttemptContext } from '../../domain/checkout';
import type { GatewayConfig } from '../../domain/gateway-config';
import type { Attempt, OperationRecord, SavedCard } from '../../domain/payment';
import { assertTransition, type PaymentState } from '../../domain/states';
import { storeActivities } from '../proxies';
import type { AttemptOutcome, CheckoutInput, CheckoutStatus, SubmitAttempt } from '../definitions';
import { PaymentStateAttr } from '../search-attributes';

/** A 3-D Secure challenge the customer has not completed yet. */
export interface PendingChallenge {
  chargeId: string;
  attempt: SubmitAttempt;
  /** the saved card used, for token attempts */
  savedCard?: SavedCard;
  /** the attempt's index in `attempts` */
  index: number;
  url: string;
}

export class CheckoutSession {
  private current: PaymentState = 'created';
  readonly attempts: Attempt[] = [];
  /** the card saved or charged by the successful attempt */
  token?: SavedCard;
  chargeId?: string;
  /** the pg_code of the successful attempt */
  paidWith?: string;
  /** the merchant's cancel / expire that closed the session */
  closedBy?: OperationRecord;
  attemptInFlight = false;
  challenge?: PendingChallenge;
  /** saved-card charges so far: numbers their child workflows */
  tokenCharges = 0;
  private recording: Promise<void> = Promise.resolve();

  constructor(readonly input: CheckoutInput) {}

  get state(): PaymentState {
    return this.current;
  }

  get expiresAtMs(): number {
    return Date.parse(this.input.expiresAt);
  }

  /** An attempt runs, or waits for the customer's 3-D Secure. */
  get busy(): boolean {
    return this.attemptInFlight || !!this.challenge;
  }

  config(pgCode: string): GatewayConfig | undefined {
    return this.input.gateways.find((g) => g.pg_code === pgCode);
  }

  attemptContext(): AttemptContext {
    return {
      state: this.current,
      expiresAt: this.input.expiresAt,
      ...(this.input.customerId ? { customerId: this.input.customerId } : {}),
      gateways: this.input.gateways,
      attemptsMade: this.attempts.length,
      busy: this.busy,
    };
  }

  async moveTo(next: PaymentState): Promise<void> {
    assertTransition(this.current, next);
    this.current = next;
    upsertSearchAttributes([{ key: PaymentStateAttr, value: next }]);
    await this.persist();
  }

  /** Writes the record as it is now, after every write queued before. */
  persist(): Promise<void> {
    this.recording = this.recording.then(() =>
      storeActivities.recordPayment(this.input.sessionId, {
        state: this.current,
        attempts: this.attempts,
        ...(this.token ? { token: this.token } : {}),
        ...(this.chargeId ? { charge_id: this.chargeId } : {}),
        ...(this.paidWith ? { pg_code: this.paidWith } : {}),
        ...(this.closedBy ? { operations: [this.closedBy] } : {}),
      }),
    );
    return this.recording;
  }

  /** Resolves once every record write queued so far is done. */
  written(): Promise<void> {
    return this.recording;
  }

  outcomeOf(attempt: Attempt): AttemptOutcome {
    return {
      result: attempt.result,
      state: this.current,
      message: attempt.message,
      reference_number: attempt.reference_number,
      ...(attempt.decline_code ? { decline_code: attempt.decline_code } : {}),
      ...(this.token && attempt.result === 'success' ? { token: this.token } : {}),
    };
  }

  status(): CheckoutStatus {
    return {
      state: this.current,
      attempts: this.attempts,
      attemptInFlight: this.attemptInFlight,
      challengePending: !!this.challenge,
    };
  }
}
