/**
 * The Temporal Schedules of tokenpay's maintenance, created by the worker at start (or updated to
 * the current settings): reconciliation every TOKENPAY_RECONCILE_INTERVAL, retention daily. A run
 * still going when the next is due is not doubled (overlap: skip); after an outage one catch-up
 * run is enough (catch-up window: one interval).
 */
import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
} from '@temporalio/client';

import type { AppConfig } from '../config';

const DAY_MS = 24 * 3600_000;

export function maintenanceSchedules(config: Pick<AppConfig, 'temporal' | 'maintenance'>): ScheduleOptions[] {
  const queue = config.temporal.taskQueue;
  const schedule = (name: string, workflowType: string, everyMs: number): ScheduleOptions => ({
    scheduleId: `tokenpay-${name}-${queue}`,
    spec: { intervals: [{ every: everyMs }] },
    action: { type: 'startWorkflow', workflowType, taskQueue: queue, workflowId: `${name}-${queue}` },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: everyMs },
  });
  return [
    schedule('reconcile', 'ReconciliationWorkflow', config.maintenance.reconcileIntervalMs),
    schedule('retention', 'RetentionWorkflow', DAY_MS),
  ];
}

export async function ensureMaintenanceSchedules(
  client: Client,
  config: Pick<AppConfig, 'temporal' | 'maintenance'>,
): Promise<void> {
  for (const options of maintenanceSchedules(config)) {
    try {
      await client.schedule.create(options);
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await client.schedule.getHandle(options.scheduleId).update((previous) => ({
        ...previous,
        spec: options.spec,
        action: options.action,
        policies: { ...previous.policies, ...options.policies },
      }));
    }
  }
}
