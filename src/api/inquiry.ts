/**
 * `POST /b/pbl/v2/inquiry/` (Ottu's Check Status-Inquiry): the payment as its webhook would tell
 * it, after re-checking with the gateway where the engine could still be waiting for it. A
 * `pending`, `attempted`, `failed` or `expired` payment whose latest attempt waits for the
 * gateway (a 3-D Secure challenge) is settled with the gateway's answer first, through its
 * CheckoutWorkflow, as the customer's return would; other states answer at once. With
 * `notify_webhook_url` the same notification is also sent to `webhook_url` (or the payment's),
 * signed and retried like every webhook.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';

import type { PaymentRecord } from '../domain/payment';
import { isPayable, resultOf, type PaymentState } from '../domain/states';
import { paymentEventId } from '../domain/webhook';
import type { MerchantDoc } from '../store/mongo';
import { buildWebhookPayload, signedPayload, type SignedWebhookPayload } from '../webhooks';
import { resolveChallengeUpdate, webhookWorkflowId } from '../workflows/definitions';
import { WebhookDeliveryWorkflow } from '../workflows/webhook-delivery';
import { ATTEMPT_WAIT_MS, checkoutHandle, withTimeout } from './attempts';
import type { CheckoutDeps } from './checkout-session';
import { fieldErrors } from './errors';
import { assertAllowedTargets } from './outbound-targets';

/**
 * The states Ottu re-confirms with the gateway (pending, attempted, failed, expired), plus
 * `created`: here a customer may pay through the API without opening the page, so an attempt can
 * wait for the gateway while the session still reads `created`. Paid and authorized ones are
 * final as they are.
 */
const RECHECKED: readonly PaymentState[] = ['created', 'pending', 'attempted', 'failed', 'expired'];

export async function inquire(
  deps: CheckoutDeps,
  merchant: MerchantDoc,
  found: PaymentRecord,
  options: { notify: boolean; webhookUrl?: string; requestKey?: string },
): Promise<SignedWebhookPayload> {
  await assertAllowedTargets({ webhook_url: options.webhookUrl }, deps.config.targets);
  let record = found;
  const last = record.attempts.at(-1);
  if (RECHECKED.includes(record.state) && last?.result === 'pending' && last.charge_id) {
    await withTimeout(
      checkoutHandle(deps.temporal, record._id).executeUpdate(resolveChallengeUpdate),
      ATTEMPT_WAIT_MS,
    ).catch(() => undefined); // closed meanwhile, or no challenge any more: the record says what is
    record = (await deps.store.payments.find(record._id)) ?? record;
  }
  const url = options.webhookUrl ?? record.webhook_url;
  if (options.notify && !url) {
    throw fieldErrors({ webhook_url: ['The payment has no webhook_url: give one to notify.'] });
  }
  // an open payment (or one whose latest attempt still waits) is pending; a closed one its outcome
  const result =
    isPayable(record.state) || record.attempts.at(-1)?.result === 'pending'
      ? 'pending'
      : resultOf(record.state);
  const payload = buildWebhookPayload(record, {
    eventId: paymentEventId(record._id, record.state),
    timestampUtc: new Date().toISOString(),
    kind: 'payment',
    result,
  });
  if (options.notify && url) {
    // its own event id: a re-sent notification, not a retry of the first one
    const eventId = `inquiry-${record._id}-${options.requestKey ?? randomUUID()}`;
    try {
      await deps.temporal.workflow.start(WebhookDeliveryWorkflow, {
        workflowId: webhookWorkflowId(eventId),
        taskQueue: deps.config.temporal.taskQueue,
        args: [
          {
            eventId,
            sessionId: record._id,
            merchantId: merchant._id,
            url,
            timestampUtc: payload.timestamp_utc,
            kind: 'payment',
            state: record.state,
            result,
            ...(payload.reference_number ? { referenceNumber: payload.reference_number } : {}),
          },
        ],
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }
  return signedPayload(payload, merchant.webhook_hmac_key);
}
