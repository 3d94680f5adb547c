/** Ottu's payment states (CONTRACT §3) and the only transitions the engine allows. */

export const PAYMENT_STATES = [
  'created',
  'pending',
  'attempted',
  'paid',
  'authorized',
  'failed',
  'expired',
  'canceled',
  'refunded',
  'voided',
] as const;
export type PaymentState = (typeof PAYMENT_STATES)[number];

/** States in which the customer may still pay. */
export const PAYABLE_STATES = ['created', 'pending', 'attempted'] as const;
export type PayableState = (typeof PAYABLE_STATES)[number];

/** The session ended with the money moved (captured) or held (authorized). */
export const SUCCESS_STATES = ['paid', 'authorized'] as const;
export type SuccessState = (typeof SUCCESS_STATES)[number];

/** Nothing can ever happen to the payment again. */
export const FINAL_STATES = ['failed', 'expired', 'canceled', 'refunded', 'voided'] as const;

const TRANSITIONS: Record<PaymentState, readonly PaymentState[]> = {
  created: ['pending', 'attempted', 'paid', 'authorized', 'failed', 'expired', 'canceled'],
  pending: ['attempted', 'paid', 'authorized', 'failed', 'expired', 'canceled'],
  attempted: ['attempted', 'paid', 'authorized', 'failed', 'expired', 'canceled'],
  paid: ['refunded'],
  authorized: ['paid', 'voided'],
  failed: [],
  expired: [],
  canceled: [],
  refunded: [],
  voided: [],
};

export function canTransition(from: PaymentState, to: PaymentState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** A move the table forbids is a bug in the engine, never a customer's doing. */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(
    readonly from: PaymentState,
    readonly to: PaymentState,
  ) {
    super(`A payment cannot move from ${from} to ${to}.`);
  }
}

/** Throws IllegalTransitionError unless the table allows `from` → `to`. */
export function assertTransition(from: PaymentState, to: PaymentState): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}

/**
 * The states a record may be in for a write that leaves it in `to`: those the table lets move to
 * `to`, and `to` itself (a rewrite of the same state). The store refuses any other write, so a
 * closed payment is never reopened, whoever writes late.
 */
export function statesThatMayBecome(to: PaymentState): PaymentState[] {
  return PAYMENT_STATES.filter((from) => from === to || canTransition(from, to));
}

export function isPaymentState(value: unknown): value is PaymentState {
  return (PAYMENT_STATES as readonly unknown[]).includes(value);
}

export function isPayable(state: PaymentState): state is PayableState {
  return (PAYABLE_STATES as readonly PaymentState[]).includes(state);
}

/** No further customer attempt is possible; a new session is needed to pay. */
export function isClosed(state: PaymentState): boolean {
  return !isPayable(state);
}

/** The session's payment succeeded: captured (`paid`) or held (`authorized`). */
export function isSuccess(state: PaymentState): state is SuccessState {
  return (SUCCESS_STATES as readonly PaymentState[]).includes(state);
}

/** Money moved (or is held) for this session, now or before a refund. */
export function isSuccessful(state: PaymentState): boolean {
  return isSuccess(state) || state === 'refunded';
}

export function isFinal(state: PaymentState): boolean {
  return (FINAL_STATES as readonly PaymentState[]).includes(state);
}

/** The `result` of a payment's webhook for a closed session. */
export function resultOf(state: PaymentState): 'success' | 'canceled' | 'failed' {
  if (isSuccess(state)) return 'success';
  return state === 'canceled' ? 'canceled' : 'failed';
}
