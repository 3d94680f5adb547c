/** What a webhook is, as far as the engine's rules care: its event ids and delivery outcomes. */

/** The webhook event of a payment reaching `state`: stable, so redeliveries share it. */
export const paymentEventId = (sessionId: string, state: string): string => `${sessionId}.${state}`;

/** The webhook event of the n-th operation on a payment (1-based, in the order they happened). */
export const operationEventId = (sessionId: string, n: number): string => `${sessionId}.operation.${n}`;

/** The webhook event of the session's customer removing a saved card (once per card). */
export const cardDeletedEventId = (sessionId: string, token: string): string =>
  `${sessionId}.card_deleted.${token}`;

/**
 * One delivery attempt's outcome: 2xx → delivered; 429, 5xx, timeout, connection error →
 * retryable; any other 4xx, a 3xx (redirects are never followed) or an unusable URL → rejected.
 */
export type DeliveryOutcome = 'delivered' | 'retryable' | 'rejected';

export function deliveryOutcomeOf(status: number): DeliveryOutcome {
  if (status >= 200 && status < 300) return 'delivered';
  return status === 429 || status >= 500 ? 'retryable' : 'rejected';
}
