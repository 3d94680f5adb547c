/**
 * The rules of a checkout session: who may attempt a payment and when, whether a card is kept on
 * file, what a gateway's answer makes of an attempt and of the session, and when a merchant may
 * close it. The API's pre-checks and CheckoutWorkflow both decide with these functions.
 */
import { isApproved, type ChargeAnswer } from './charge';
import { declineMessage, statusMessage } from './decline-messages';
import type { GatewayConfig } from './gateway-config';
import type { Attempt, OperationKind, PaymentType } from './payment';
import { refusal, type Refusal } from './refusals';
import { isPayable, type PaymentState } from './states';

/**
 * How long a 3-D Secure challenge may stay open. After it the authentication is voided at the
 * gateway, the attempt fails and the session takes attempts again.
 */
export const CHALLENGE_TIME_LIMIT_MS = 15 * 60_000;

/**
 * While the gateway has not decided a charge (a challenge, or an answer lost in transit), the
 * engine asks it itself: 5 s after the last check, doubling to once a minute. The customer's
 * return and the gateway's notification only make it ask sooner.
 */
export function gatewayCheckDelayMs(checksDone: number): number {
  return Math.min(60_000, 5_000 * 2 ** Math.min(checksDone, 10));
}

/** Two checks of one charge are at least this far apart: page loads are not a clock. */
export const MIN_GATEWAY_CHECK_INTERVAL_MS = 2_000;

/** May a payment be attempted on this session at `now` (epoch ms)? */
export function payabilityRefusal(
  session: { state: PaymentState; expiresAt: string },
  now: number,
): Refusal | undefined {
  if (!isPayable(session.state)) return refusal('not_payable', { state: session.state });
  if (now >= Date.parse(session.expiresAt)) return refusal('not_payable', { state: 'expired' });
  return undefined;
}

export interface AttemptContext {
  state: PaymentState;
  expiresAt: string;
  customerId?: string;
  gateways: readonly GatewayConfig[];
  /** attempts already made (each reached the gateway) */
  attemptsMade: number;
  /** an attempt is running or waits for 3-D Secure */
  busy: boolean;
}

/** Everything that refuses an attempt before any card is looked at, in the order it is told. */
export function attemptRefusal(
  session: AttemptContext,
  attempt: { pgCode: string; method: 'card' | 'token' },
  now: number,
): Refusal | undefined {
  const closed = payabilityRefusal(session, now);
  if (closed) return closed;
  if (session.busy) return refusal('attempt_in_progress');
  const config = session.gateways.find((g) => g.pg_code === attempt.pgCode);
  if (!config) return refusal('payment_method_unavailable');
  if (session.attemptsMade >= config.max_attempts) return refusal('attempts_exhausted');
  if (attempt.method === 'token' && !session.customerId) return refusal('token_not_found');
  return undefined;
}

/** save_card and auto_debit links exist to store the card: the link itself is the consent. */
export function consentsToStoreCard(paymentType: PaymentType, saveCardRequested: boolean): boolean {
  return saveCardRequested || paymentType === 'save_card' || paymentType === 'auto_debit';
}

/** Is the card of a new-card attempt to be kept on file (asked for, a customer, allowed)? */
export function shouldStoreCard(input: {
  paymentType: PaymentType;
  saveCardRequested: boolean;
  customerId?: string;
  config: Pick<GatewayConfig, 'tokenization_enabled'>;
}): boolean {
  return (
    !!input.customerId &&
    input.config.tokenization_enabled &&
    consentsToStoreCard(input.paymentType, input.saveCardRequested)
  );
}

/** A reference the customer and merchant can quote: a prefix and 14 hex digits of a UUID. */
export function referenceNumber(uuid: string, prefix: 'TP' | 'OP' = 'TP'): string {
  return `${prefix}${uuid.replace(/-/g, '').slice(0, 14).toUpperCase()}`;
}

/** An attempt that reached the gateway and waits for its answer. */
export function pendingAttempt(input: {
  referenceNumber: string;
  pgCode: string;
  method: 'card' | 'token';
  createdAt: string;
}): Attempt {
  return {
    reference_number: input.referenceNumber,
    result: 'pending',
    message: 'Processing.',
    pg_code: input.pgCode,
    created_at: input.createdAt,
    payment_method: input.method,
  };
}

/** The gateway wants the customer to authenticate (3-D Secure): the attempt waits for it. */
export function challengedAttempt(attempt: Attempt, chargeId: string): Attempt {
  return { ...attempt, charge_id: chargeId, message: statusMessage('authentication_required') };
}

/** The customer never completed 3-D Secure and the gateway never decided: nothing was charged. */
export function abandonedAttempt(attempt: Attempt): Attempt {
  return {
    ...attempt,
    result: 'failed',
    message: declineMessage('authentication_abandoned'),
    decline_code: 'authentication_abandoned',
  };
}

/**
 * The session ended while the gateway had still not said what it did with an attempt (it did not
 * answer at all): recorded as failed-unconfirmed, for reconciliation to check by its key.
 */
export function unconfirmedAttempt(attempt: Attempt): Attempt {
  return {
    ...attempt,
    result: 'failed',
    message: declineMessage('unconfirmed'),
    decline_code: 'unconfirmed',
  };
}

export interface Settlement {
  attempt: Attempt;
  /** the session's state once this answer is applied */
  next: PaymentState;
}

/**
 * A final gateway answer (approved or declined, not requires_action) applied to an attempt: the
 * settled attempt and the state the session moves to. `attemptsMade` counts this attempt.
 */
export function settleAttempt(
  attempt: Attempt,
  answer: ChargeAnswer,
  limits: { attemptsMade: number; maxAttempts: number },
): Settlement {
  if (isApproved(answer.status)) {
    return {
      attempt: {
        ...attempt,
        result: 'success',
        message: statusMessage('success'),
        charge_id: answer.chargeId,
      },
      next: answer.status === 'authorized' ? 'authorized' : 'paid',
    };
  }
  return {
    attempt: {
      ...attempt,
      result: 'failed',
      message: declineMessage(answer.declineCode),
      ...(answer.chargeId ? { charge_id: answer.chargeId } : {}),
      ...(answer.declineCode ? { decline_code: answer.declineCode } : {}),
    },
    next: limits.attemptsMade >= limits.maxAttempts ? 'failed' : 'attempted',
  };
}

/** After a session closed by itself (expiry) or by an attempt: its state. */
export function expiredState(state: PaymentState): PaymentState {
  return isPayable(state) ? 'expired' : state;
}

export type ClosingOperation = Extract<OperationKind, 'cancel' | 'expire'>;

export function isClosingOperation(operation: OperationKind): operation is ClosingOperation {
  return operation === 'cancel' || operation === 'expire';
}

/** The state a merchant's cancel or expire leaves the session in. */
export function closedState(operation: ClosingOperation): PaymentState {
  return operation === 'cancel' ? 'canceled' : 'expired';
}

const PAST_TENSE: Record<OperationKind, string> = {
  refund: 'refunded',
  capture: 'captured',
  void: 'voided',
  cancel: 'canceled',
  expire: 'expired',
};

export function operationNotAllowed(operation: OperationKind, state: PaymentState): Refusal {
  return refusal('operation_not_allowed', { operation, state, done: PAST_TENSE[operation] });
}

/** May the merchant cancel or expire the session now? (Refunds and friends: see operations.ts.) */
export function closeRefusal(
  operation: OperationKind,
  state: PaymentState,
  busy: boolean,
): Refusal | undefined {
  if (!isClosingOperation(operation) || !isPayable(state)) return operationNotAllowed(operation, state);
  if (busy) return refusal('attempt_in_progress');
  return undefined;
}

/** Fields of a payment the merchant may change whatever its state: its own metadata. */
export const ANYTIME_UPDATABLE_FIELDS: readonly string[] = ['extra'];
/** Fixed when the payment is created (a different value in an update is refused). */
export const FIXED_FIELDS: readonly string[] = ['payment_type'];

/**
 * May the merchant change these fields of a payment in this state (PUT/PATCH)? What the customer
 * pays, where and until when, and who they are can change only while the payment is unpaid (open:
 * created, pending, attempted); `extra` can change at any time; `payment_type` never.
 */
export function updateRefusal(state: PaymentState, changed: readonly string[]): Refusal | undefined {
  const fixed = changed.find((f) => FIXED_FIELDS.includes(f));
  if (fixed)
    return refusal('update_not_allowed', {
      field: fixed,
      reason: 'it is fixed when the payment is created.',
    });
  const unpaidOnly = changed.filter((f) => !ANYTIME_UPDATABLE_FIELDS.includes(f));
  if (unpaidOnly.length > 0 && !isPayable(state)) {
    return refusal('update_needs_unpaid', { state, fields: unpaidOnly.join(', ') });
  }
  return undefined;
}

/**
 * May an open session's terms (amount, expiry, gateways, customer) change now? Not once it is
 * closed or its expiry has passed (it is about to close), nor while an attempt runs or a 3-D
 * Secure challenge waits: that attempt was made for the terms it started with. The new expiry must
 * still be ahead.
 */
export function amendRefusal(
  session: { state: PaymentState; busy: boolean; expiresAt: string },
  newExpiresAt: string | undefined,
  now: number,
): Refusal | undefined {
  const closing = payabilityRefusal(session, now);
  if (closing) return closing;
  if (session.busy) return refusal('attempt_in_progress');
  if (newExpiresAt !== undefined && Date.parse(newExpiresAt) <= now) {
    return refusal('update_not_allowed', {
      field: 'expiration_time',
      reason: 'the new expiry has already passed.',
    });
  }
  return undefined;
}
