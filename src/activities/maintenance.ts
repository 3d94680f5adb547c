/**
 * Maintenance activities, run by Temporal Schedules (src/temporal/schedules.ts):
 * reconciliation compares open payments with their workflows and the gateway and repairs what it
 * can; retention forgets what the contract no longer needs (idempotency keys past 24 h, old
 * webhook delivery attempts). FerretDB has no TTL indexes, so retention is a job, not an index.
 */
import { log } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';

import type { AppConfig } from '../config';
import { isApproved } from '../domain/charge';
import type { PaymentGateway } from '../gateway/port';
import { countReconciliation } from '../metrics/payments';
import type { Store } from '../store';
import { startCheckout } from '../temporal/checkout-runs';
import { checkoutWorkflowId } from '../workflows/definitions';

/** An open payment whose record has not changed for this long is worth a look. */
const QUIET_FOR_MS = 2 * 60_000;
const BATCH = 500;
const IDEMPOTENCY_RETENTION_MS = 24 * 3600_000;

export interface ReconcileSummary {
  /** open payments looked at */
  checked: number;
  /** their run was gone (terminated, failed, never started): restarted from the record */
  restarted: string[];
  /** what reconciliation cannot repair: an operator looks (NeedsAttention) */
  flagged: { sessionId: string; reason: string }[];
  /** closed payments whose unconfirmed attempts were asked about again */
  unconfirmedChecked: number;
}

export interface RetentionSummary {
  idempotencyKeys: number;
  webhookDeliveries: number;
  gatewayEvents: number;
}

/** Gateway notifications are deduplicated for a week: far longer than the gateway retries one. */
const GATEWAY_EVENT_RETENTION_MS = 7 * 24 * 3600_000;

export interface MaintenanceDeps {
  store: Store;
  gateway: PaymentGateway;
  temporal: Client;
  config: Pick<AppConfig, 'publicBaseUrl' | 'temporal' | 'maintenance'>;
  now?: () => Date;
}

export function createMaintenanceActivities(deps: MaintenanceDeps) {
  const { store, temporal } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    async reconcilePayments(): Promise<ReconcileSummary> {
      const summary: ReconcileSummary = { checked: 0, restarted: [], flagged: [], unconfirmedChecked: 0 };
      const open = await store.payments.listOpenUnchangedSince(
        new Date(now().getTime() - QUIET_FOR_MS),
        BATCH,
      );
      for (const record of open) {
        summary.checked++;
        let status: string;
        try {
          status = (await temporal.workflow.getHandle(checkoutWorkflowId(record._id)).describe()).status.name;
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
          status = 'NOT_FOUND';
        }
        if (status === 'RUNNING') continue;
        if (status === 'COMPLETED' || status === 'CONTINUED_AS_NEW') {
          // the run finished but the record says open: its last write never landed
          const reason = `the record is ${record.state} but its workflow has ${status.toLowerCase()}`;
          await store.payments.flag(record._id, reason, now());
          summary.flagged.push({ sessionId: record._id, reason });
          continue;
        }
        // Terminated, failed, timed out, canceled before it cleaned up, or never started: a new run
        // continues from the record (and asks the gateway about an attempt it finds pending).
        const merchantName = (await store.merchants.nameOf(record.merchant_id)) ?? '';
        try {
          await startCheckout(deps, record, merchantName);
          summary.restarted.push(record._id);
          log.warn('Restarted a payment whose workflow was gone', { sessionId: record._id, status });
        } catch (error) {
          const reason = `could not restart its workflow (${(error as Error).name}: ${(error as Error).message})`;
          await store.payments.flag(record._id, reason, now());
          summary.flagged.push({ sessionId: record._id, reason });
        }
      }
      // Closed payments with an attempt the gateway never answered: did money move after all?
      for (const record of await store.payments.listUnconfirmed(BATCH)) {
        summary.unconfirmedChecked++;
        const moved: string[] = [];
        for (const [i, attempt] of record.attempts.entries()) {
          if (attempt.decline_code !== 'unconfirmed') continue;
          const charge = await deps.gateway.findChargeByIdempotencyKey(`${record._id}:attempt:${i + 1}`);
          if (charge && isApproved(charge.status)) moved.push(charge.id);
        }
        const reason = moved.length
          ? `the gateway took money (${moved.join(', ')}) for a ${record.state} payment: refund or void it`
          : undefined;
        await store.payments.markUnconfirmedChecked(record._id, now(), reason);
        if (reason) summary.flagged.push({ sessionId: record._id, reason });
      }
      countReconciliation(summary);
      return summary;
    },

    async purgeExpired(): Promise<RetentionSummary> {
      const at = now().getTime();
      return {
        idempotencyKeys: await store.idempotencyKeys.purgeOlderThan(new Date(at - IDEMPOTENCY_RETENTION_MS)),
        webhookDeliveries: await store.webhookDeliveries.purgeOlderThan(
          new Date(at - deps.config.maintenance.deliveryLogRetentionMs),
        ),
        gatewayEvents: await store.gatewayEvents.deleteReceivedBefore(
          new Date(at - GATEWAY_EVENT_RETENTION_MS),
        ),
      };
    },
  };
}

export type MaintenanceActivities = ReturnType<typeof createMaintenanceActivities>;
