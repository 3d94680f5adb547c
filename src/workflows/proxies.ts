/**
 * Activity proxies shared by the payment workflows, with the timeouts and retry policies that
 * fit each kind of work. Every activity is bounded (schedule-to-close): a call that runs out of
 * time ends in the workflow, which has a path for it (a lost charge answer is asked for by key, a
 * record write is tried again after a durable timer), so no session can be wedged by a retry loop.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

import type { Activities } from '../activities';
import { ActivityFailureType } from '../domain/activity-failures';

/**
 * Gateway calls retry transport failures while the gateway might still answer: the activity
 * reconciles unknown outcomes by idempotency key, so a retry never charges twice. After five
 * minutes the outcome is unknown to the workflow, which keeps asking the gateway by key.
 */
export const gatewayActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '5 minutes',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: [ActivityFailureType.InvalidRequest],
  },
});

/**
 * MongoDB reads and writes: short and idempotent, so they run as local activities in the worker
 * that runs the workflow — no task queue round trip and fewer workflow tasks per payment (a
 * local activity cut short by a crash simply runs again). Bounded; the workflow retries a record
 * write after a durable timer (record.ts).
 */
export const storeActivities = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  scheduleToCloseTimeout: '2 minutes',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});
