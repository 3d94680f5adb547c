/**
 * Activity proxies shared by the payment workflows, with the timeouts and retry policies that
 * fit each kind of work.
 */
import { proxyActivities } from '@temporalio/workflow';

import type { Activities } from '../activities';

/**
 * Gateway calls retry transport failures for as long as the gateway might still answer: the
 * activity reconciles unknown outcomes by idempotency key, so a retry never charges twice.
 */
export const gatewayActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** MongoDB writes: idempotent, retried until the database is back. */
export const storeActivities = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});
