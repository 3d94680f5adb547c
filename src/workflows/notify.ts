/** Starting a merchant notification from a payment workflow without waiting for its delivery. */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, startChild } from '@temporalio/workflow';

import type { WebhookEventInput } from '../activities/types';
import { webhookWorkflowId } from './definitions';
import { paymentRunSearchAttributes } from './search-attributes';
import { WebhookDeliveryWorkflow } from './webhook-delivery';

export async function notifyMerchant(event: WebhookEventInput): Promise<void> {
  try {
    await startChild(WebhookDeliveryWorkflow, {
      workflowId: webhookWorkflowId(event.eventId),
      // an event is delivered by one run; re-sending one is an operator's reset, never a second start
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      args: [event],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: paymentRunSearchAttributes(event),
    });
  } catch (error) {
    // The same event is already being delivered: at-least-once, not twice at once.
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}

/** Deterministic "now" for event timestamps inside workflow code. */
export const workflowNowIso = (): string => new Date(Date.now()).toISOString();
