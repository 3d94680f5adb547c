/**
 * WebhookDeliveryWorkflow (`webhook-{event_id}`): delivers one notification at least once,
 * retrying timeouts, connection errors, 429 and 5xx with exponential backoff for two days. It
 * runs on its own (abandoned by its parent), so a slow merchant endpoint never holds a payment.
 * A webhook the merchant refused (4xx) or that gave up after two days is marked NeedsAttention, so
 * operators find what to re-send (runbook: reset the workflow).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  log,
  proxyActivities,
  setWorkflowOptions,
  upsertSearchAttributes,
} from '@temporalio/workflow';

import type { Activities } from '../activities';
import type { WebhookEventInput } from '../activities/types';
import { ActivityFailureType } from '../domain/activity-failures';
import { NeedsAttention } from './search-attributes';

const { deliverWebhook } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '48 hours',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 minutes',
    nonRetryableErrorTypes: [ActivityFailureType.WebhookRejected, ActivityFailureType.WebhookOrphan],
  },
});

export type WebhookDeliveryResult = 'delivered' | 'rejected' | 'gave_up';

export async function WebhookDeliveryWorkflow(event: WebhookEventInput): Promise<WebhookDeliveryResult> {
  try {
    await deliverWebhook(event);
    return 'delivered';
  } catch (error) {
    if (error instanceof ActivityFailure) {
      const rejected =
        error.cause instanceof ApplicationFailure && error.cause.type === ActivityFailureType.WebhookRejected;
      log.warn('Webhook not delivered', { eventId: event.eventId, rejected });
      upsertSearchAttributes([{ key: NeedsAttention, value: true }]);
      return rejected ? 'rejected' : 'gave_up';
    }
    throw error;
  }
}

// One activity retried for two days: it may move to a newer worker version at its next task
// (DEPLOYING.md), so a deploy need not keep old workers for the two days of a retrying webhook.
// That makes every change to this file a change old histories must replay (the replay gate).
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, WebhookDeliveryWorkflow);
