/**
 * Activity proxies shared by the payment workflows, with the timeouts and retry policies that
 * fit each kind of work.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

import type { Activities } from '../activities';

/**
 * Gateway calls retry transport failures for as long as the gateway might still answer: the
 * activity reconciles unknown outcomes by idempotency key, so a retry never charges twice.
 */
export const gatewayActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * MongoDB reads and writes: short and idempotent, so they run as local activities in the worker
 * that runs the workflow — no task queue round trip and fewer workflow tasks per payment (a
 * local activity cut short by a crash simply runs again). Retried until the database is back.
 */
export const storeActivities = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});
