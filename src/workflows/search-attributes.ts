/** The custom search attributes operators filter payments by in the Temporal UI (CONTRACT §8). */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const MerchantId = defineSearchAttributeKey('MerchantId', SearchAttributeType.KEYWORD);
export const CustomerId = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const OrderNo = defineSearchAttributeKey('OrderNo', SearchAttributeType.KEYWORD);
export const PaymentStateAttr = defineSearchAttributeKey('PaymentState', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_NAMES = ['MerchantId', 'CustomerId', 'OrderNo', 'PaymentState'] as const;
