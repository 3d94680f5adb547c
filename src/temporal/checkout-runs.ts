/**
 * Starting a payment's CheckoutWorkflow from outside a workflow (the API at create, reconciliation
 * when a run is gone): one run per payment, started from its record.
 */
import type { Client } from '@temporalio/client';

import type { AppConfig } from '../config';
import type { PaymentRecord } from '../domain/payment';
import { CheckoutWorkflow } from '../workflows/checkout/workflow';
import { checkoutWorkflowId, type CheckoutInput } from '../workflows/definitions';
import { paymentSearchAttributes } from '../workflows/search-attributes';

/**
 * What the workflow is given: ids and money, never personal data beyond the customer id. A record
 * that has moved past `created` (a run that was terminated, a retried create) is resumed from.
 */
export function checkoutInputOf(record: PaymentRecord, publicBaseUrl: string): CheckoutInput {
  const agreementId = record.agreement?.id;
  const resume = record.state !== 'created' || record.attempts.length > 0 || record.revisions?.checkout;
  return {
    ...(resume ? { resume: resumeOf(record) } : {}),
    sessionId: record._id,
    merchantId: record.merchant_id,
    ...(record.customer_id ? { customerId: record.customer_id } : {}),
    ...(record.order_no ? { orderNo: record.order_no } : {}),
    amount: record.amount,
    currencyCode: record.currency_code,
    paymentType: record.payment_type,
    gateways: record.gateways,
    expiresAt: record.expires_at,
    returnUrl: `${publicBaseUrl}/checkout/${record._id}`,
    ...(typeof agreementId === 'string' ? { agreementId } : {}),
    ...(record.webhook_url ? { webhookUrl: record.webhook_url } : {}),
  };
}

/** Where a new run of a payment's workflow starts from: the record. */
function resumeOf(record: PaymentRecord): NonNullable<CheckoutInput['resume']> {
  return {
    state: record.state,
    attempts: record.attempts,
    revision: record.revisions?.checkout ?? 0,
    ...(record.token ? { token: record.token } : {}),
    ...(record.charge_id ? { chargeId: record.charge_id } : {}),
    ...(record.pg_code ? { paidWith: record.pg_code } : {}),
  };
}

/**
 * One run per payment: a completed run's id is never reused (a closed payment is never run
 * again); a run that failed or was terminated may be followed by one that resumes from the record
 * (reconciliation does that).
 */
export async function startCheckout(
  deps: { config: Pick<AppConfig, 'publicBaseUrl' | 'temporal'>; temporal: Client },
  record: PaymentRecord,
  merchantName: string,
): Promise<void> {
  await deps.temporal.workflow.start(CheckoutWorkflow, {
    workflowId: checkoutWorkflowId(record._id),
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    workflowIdConflictPolicy: 'FAIL',
    taskQueue: deps.config.temporal.taskQueue,
    args: [checkoutInputOf(record, deps.config.publicBaseUrl)],
    typedSearchAttributes: paymentSearchAttributes(
      {
        sessionId: record._id,
        merchantId: record.merchant_id,
        ...(record.customer_id ? { customerId: record.customer_id } : {}),
        ...(record.order_no ? { orderNo: record.order_no } : {}),
      },
      record.state,
    ),
    memo: {
      amount: record.amount,
      currency_code: record.currency_code,
      merchant: merchantName,
      order_no: record.order_no ?? null,
    },
  });
}
