/**
 * Ottu's answers to `POST /b/pbl/v2/operation/`: `InternalOperation` for the operations tokenpay
 * settles by itself (cancel, expire, delete) and `ExternalOperation` for the ones the gateway
 * makes (refund, capture, void), signed like a webhook. Both keep tokenpay's own fields too
 * (`state`, `message`, `currency_code`), which Ottu's schemas allow.
 */
import type { PaymentRecord } from '../domain/payment';
import { signWebhook } from '../webhooks/signature';

export interface OperationAnswerFields {
  operation: string;
  result: 'success' | 'failed';
  state: string;
  message: string;
  amount?: string;
  reference_number?: string;
  session_id: string;
  order_no?: string;
  currency_code: string;
}

export type InternalOperationKind = 'cancel' | 'expire' | 'delete';
export type ExternalOperationKind = 'refund' | 'capture' | 'void';

export type InternalOperationAnswer = OperationAnswerFields & {
  detail: string;
  operation: InternalOperationKind;
};

export function internalOperation(
  fields: OperationAnswerFields & { operation: InternalOperationKind },
): InternalOperationAnswer {
  return { detail: fields.message, ...fields };
}

/** The child transaction an external operation made (Ottu's `ChildPayment.state`). */
const CHILD_STATE: Record<string, string> = { capture: 'paid', refund: 'refunded', void: 'voided' };

export type ExternalOperationAnswer = OperationAnswerFields & {
  operation: ExternalOperationKind;
  amount: string;
  order_no: string;
  success: boolean;
  source: 'pg';
  pg_code?: string;
  pg_params: Record<string, string>;
  pg_response: Record<string, string>;
  txn: { amount: string; currency_code: string; order_no: string | null; session_id: string; state: string };
  timestamp_utc: string;
  signature: string;
};

export function externalOperation(
  record: Pick<PaymentRecord, 'amount' | 'order_no' | 'pg_code'>,
  fields: OperationAnswerFields & { operation: ExternalOperationKind },
  hmacKey: string,
  now: Date,
): ExternalOperationAnswer {
  // void always acts on the whole amount (Ottu: "ignoring the amount value if provided")
  const amount = fields.amount ?? record.amount;
  const answer = {
    ...fields,
    amount,
    order_no: record.order_no ?? '',
    success: fields.result === 'success',
    source: 'pg' as const,
    ...(record.pg_code ? { pg_code: record.pg_code } : {}),
    pg_params: {
      result: fields.result,
      ...(fields.reference_number ? { ref: fields.reference_number } : {}),
    },
    pg_response: { result: fields.result, message: fields.message },
    txn: {
      amount,
      currency_code: fields.currency_code,
      order_no: record.order_no ?? null,
      session_id: fields.session_id,
      state: CHILD_STATE[fields.operation] ?? fields.state,
    },
    timestamp_utc: now.toISOString(),
  };
  return { ...answer, signature: signWebhook(answer, hmacKey) };
}
