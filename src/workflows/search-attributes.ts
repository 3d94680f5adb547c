/**
 * The custom search attributes operators filter payments by in the Temporal UI (CONTRACT §8, §9):
 * every run of a payment (checkout, saved-card charges, operations, webhooks) carries SessionId
 * and MerchantId; PaymentState follows the payment; NeedsAttention marks what an operator must see.
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

export const MerchantId = defineSearchAttributeKey('MerchantId', SearchAttributeType.KEYWORD);
export const CustomerId = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const OrderNo = defineSearchAttributeKey('OrderNo', SearchAttributeType.KEYWORD);
export const PaymentStateAttr = defineSearchAttributeKey('PaymentState', SearchAttributeType.KEYWORD);
export const SessionId = defineSearchAttributeKey('SessionId', SearchAttributeType.KEYWORD);
export const NeedsAttention = defineSearchAttributeKey('NeedsAttention', SearchAttributeType.BOOL);

/** Every custom search attribute tokenpay uses: what temporal/setup.ts registers on a namespace. */
export const SEARCH_ATTRIBUTE_KEYS = [
  MerchantId,
  CustomerId,
  OrderNo,
  PaymentStateAttr,
  SessionId,
  NeedsAttention,
] as const;

/** The attributes a payment's workflows start with (the checkout and its saved-card charges). */
export function paymentSearchAttributes(
  payment: { sessionId: string; merchantId: string; customerId?: string; orderNo?: string },
  state: string,
): SearchAttributePair[] {
  return [
    { key: SessionId, value: payment.sessionId },
    { key: MerchantId, value: payment.merchantId },
    { key: PaymentStateAttr, value: state },
    ...(payment.customerId ? [{ key: CustomerId, value: payment.customerId }] : []),
    ...(payment.orderNo ? [{ key: OrderNo, value: payment.orderNo }] : []),
  ];
}

/** The attributes of a payment's other runs (operations, webhooks): whose payment they serve. */
export function paymentRunSearchAttributes(payment: {
  sessionId: string;
  merchantId: string;
}): SearchAttributePair[] {
  return [
    { key: SessionId, value: payment.sessionId },
    { key: MerchantId, value: payment.merchantId },
  ];
}
