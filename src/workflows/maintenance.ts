/**
 * The maintenance runs Temporal Schedules start (src/temporal/schedules.ts): reconciliation every
 * TOKENPAY_RECONCILE_INTERVAL, retention daily. A reconciliation that flagged payments carries
 * NeedsAttention itself, so operators find it (its result lists the payments and why).
 */
import { proxyActivities, setWorkflowOptions, upsertSearchAttributes } from '@temporalio/workflow';

import type { MaintenanceActivities, ReconcileSummary, RetentionSummary } from '../activities/maintenance';
import { NeedsAttention } from './search-attributes';

const { reconcilePayments, purgeExpired } = proxyActivities<MaintenanceActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '10 seconds', maximumAttempts: 3 },
});

export async function ReconciliationWorkflow(): Promise<ReconcileSummary> {
  const summary = await reconcilePayments();
  if (summary.flagged.length > 0) upsertSearchAttributes([{ key: NeedsAttention, value: true }]);
  return summary;
}

export async function RetentionWorkflow(): Promise<RetentionSummary> {
  return purgeExpired();
}

// Short runs started by schedules: they run on whichever version is current.
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, ReconciliationWorkflow);
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, RetentionWorkflow);
