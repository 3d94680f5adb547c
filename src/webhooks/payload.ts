/**
 * The webhook payload (CONTRACT §4) with Ottu's field names, built from the MongoDB record of a
 * payment. Pure: the caller supplies the event id and timestamp, so a retried delivery carries
 * exactly the same body and `event_id`.
 */
import type { PaymentRecord, PaymentType, SavedCard } from '../domain/payment';
import { cvvRequired } from '../domain/saved-card';
import type { PaymentState } from '../domain/states';
import { ottuAmounts, type OttuAmounts } from '../ottu/amounts';
import { cardObject, paymentCard, type CardObject } from '../ottu/card';
import { signWebhook } from './signature';

export type WebhookResult = 'success' | 'failed' | 'pending' | 'canceled' | 'error';

export interface WebhookEvent {
  /** stable across retries of the same notification */
  eventId: string;
  timestampUtc: string;
  kind: 'payment' | 'operation' | 'card_deleted';
  /** required when kind is 'operation': refund, capture, void, cancel, expire */
  operation?: string;
  /** required when kind is 'card_deleted': the card the customer removed */
  card?: SavedCard;
  result: WebhookResult;
  /** the operation's amount (e.g. a partial refund); defaults to the payment's amount */
  amount?: string;
  /** defaults to the latest attempt's reference number */
  referenceNumber?: string;
  /** defaults to the name of the payment's gateway config */
  gatewayName?: string;
}

export type WebhookPayload = {
  session_id: string;
  order_no?: string;
  state: PaymentState;
  result: WebhookResult;
  operation?: string;
  amount: string;
  currency_code: string;
  gateway_account?: string;
  gateway_name?: string;
  reference_number?: string;
  customer_id?: string;
  customer_first_name?: string;
  customer_last_name?: string;
  customer_email?: string;
  customer_phone?: string;
  customer_address_line1?: string;
  customer_address_line2?: string;
  customer_address_city?: string;
  customer_address_state?: string;
  customer_address_country?: string;
  customer_address_postal_code?: string;
  payment_type: PaymentType;
  token?: CardObject;
  extra?: Record<string, unknown>;
  agreement?: Record<string, unknown>;
  /** the latest attempt's message (Ottu's `message`) */
  message: string;
  /** Ottu's gateway facts: what tokenpay may tell (never the card number, never the gateway's ids) */
  pg_params: Record<string, string>;
  gateway_response: Record<string, string>;
  timestamp_utc: string;
  event_id: string;
} & OttuAmounts;

export type SignedWebhookPayload = WebhookPayload & { signature: string };

export function buildWebhookPayload(record: PaymentRecord, event: WebhookEvent): WebhookPayload {
  if (event.kind === 'operation' && !event.operation) {
    throw new TypeError('An operation webhook needs the operation');
  }
  if (event.kind === 'card_deleted' && !event.card) {
    throw new TypeError('A card_deleted webhook needs the card');
  }
  const lastAttempt = record.attempts.at(-1);
  const gatewayAccount = record.pg_code ?? lastAttempt?.pg_code;
  const gatewayName = event.gatewayName ?? record.gateways.find((g) => g.pg_code === gatewayAccount)?.name;
  const address = record.billing_address;

  const payload: WebhookPayload = {
    session_id: record.session_id,
    order_no: record.order_no,
    state: record.state,
    result: event.result,
    operation:
      event.kind === 'operation' ? event.operation : event.kind === 'card_deleted' ? CARD_DELETED : undefined,
    amount: event.amount ?? record.amount,
    currency_code: record.currency_code,
    gateway_account: gatewayAccount,
    gateway_name: gatewayName,
    reference_number: event.referenceNumber ?? lastAttempt?.reference_number,
    customer_id: record.customer_id,
    customer_first_name: record.customer_first_name,
    customer_last_name: record.customer_last_name,
    customer_email: record.customer_email,
    customer_phone: record.customer_phone,
    customer_address_line1: address?.line1,
    customer_address_line2: address?.line2,
    customer_address_city: address?.city,
    customer_address_state: address?.state,
    customer_address_country: address?.country,
    customer_address_postal_code: address?.postal_code,
    payment_type: record.payment_type,
    // the event's own time decides is_expired, so every redelivery carries the same body
    token: event.card
      ? removedCard(record, event.card, new Date(event.timestampUtc))
      : paymentCard(record, new Date(event.timestampUtc)),
    extra: record.extra,
    agreement: record.agreement,
    message: lastAttempt?.message ?? stateMessage(record.state),
    pg_params: pgParams(record),
    gateway_response: definedStrings({
      result: lastAttempt?.result,
      message: lastAttempt?.message,
      decline_code: lastAttempt?.decline_code,
    }),
    ...ottuAmounts(record),
    timestamp_utc: event.timestampUtc,
    event_id: event.eventId,
  };
  return omitUndefined(payload);
}

function stateMessage(state: PaymentState): string {
  return `The payment is ${state}.`;
}

/** Ottu's `pg_params`: the card as merchants may see it, and the attempt's result. */
function pgParams(record: PaymentRecord): Record<string, string> {
  const last = record.attempts.at(-1);
  const card = record.token;
  return definedStrings({
    result: last?.result,
    ref: last?.reference_number,
    card_type: card?.brand,
    card_holder: card?.name_on_card,
    card_number: card ? `**** ${card.last4}` : undefined,
    card_expiry_month: card?.expiry_month,
    card_expiry_year: card?.expiry_year,
  });
}

function definedStrings(value: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** `operation` of the webhook telling the merchant that the customer removed a saved card. */
export const CARD_DELETED = 'card_deleted';

function removedCard(record: PaymentRecord, card: SavedCard, at: Date): CardObject {
  const config = record.gateways.find((g) => g.pg_code === card.pg_code);
  return cardObject(card, { cvvRequired: cvvRequired(config), preferred: false, now: at });
}

/** The payload with its `signature` (CONTRACT §4) added. */
export function signedPayload(payload: WebhookPayload, hmacKey: string): SignedWebhookPayload {
  return { ...payload, signature: signWebhook(payload, hmacKey) };
}

function omitUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
