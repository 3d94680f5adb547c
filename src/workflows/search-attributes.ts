/** The custom search attributes operators filter payments by in the Temporal UI (CONTRACT §8). */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

export const MerchantId = defineSearchAttributeKey('MerchantId', SearchAttributeType.KEYWORD);
export const CustomerId = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const OrderNo = defineSearchAttributeKey('OrderNo', SearchAttributeType.KEYWORD);
export const PaymentStateAttr = defineSearchAttributeKey('PaymentState', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_NAMES = ['MerchantId', 'CustomerId', 'OrderNo', 'PaymentState'] as const;

/** The attributes a payment's workflows start with (the checkout and its saved-card charges). */
export function paymentSearchAttributes(
  payment: { merchantId: string; customerId?: string; orderNo?: string },
  state: string,
): SearchAttributePair[] {
  return [
    { key: MerchantId, value: payment.merchantId },
    { key: PaymentStateAttr, value: state },
    ...(payment.customerId ? [{ key: CustomerId, value: payment.customerId }] : []),
    ...(payment.orderNo ? [{ key: OrderNo, value: payment.orderNo }] : []),
  ];
}
