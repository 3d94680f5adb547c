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
export type PayableState = Extract<PaymentState, 'created' | 'pending' | 'attempted'>;

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

export function isPayable(state: PaymentState): state is PayableState {
  return state === 'created' || state === 'pending' || state === 'attempted';
}

/** No further customer attempt is possible; a new session is needed to pay. */
export function isClosed(state: PaymentState): boolean {
  return !isPayable(state);
}

/** Money moved (or is held) for this session. */
export function isSuccessful(state: PaymentState): boolean {
  return state === 'paid' || state === 'authorized' || state === 'refunded';
}
