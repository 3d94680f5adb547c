/**
 * What the long-lived faults need beyond the HTTP API (issue 12): the passing of time and an
 * operator's hand. Time is moved the way the product moves it — its own maintenance activities
 * (retention, reconciliation: src/activities/maintenance.ts, which the worker's Temporal Schedules
 * run) are given a clock ahead of the wall clock — and the operator's Cancel and Terminate go
 * through Temporal, as from its UI or CLI. Every call rides out a restart of Temporal or FerretDB.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Db } from 'mongodb';

import {
  createMaintenanceActivities,
  type ReconcileSummary,
  type RetentionSummary,
} from '../src/activities/maintenance';
import { loadConfig } from '../src/config';
import type { PaymentRecord } from '../src/domain/payment';
import { HttpGateway } from '../src/gateway/http-gateway';
import { createStore } from '../src/store';
import { sleep } from './log';

const IDEMPOTENCY_RETENTION_MS = 24 * 3600_000;
/** reconciliation looks at open payments whose record has not changed for this long */
const RECONCILE_QUIET_MS = 2 * 60_000;

export interface LongLivedHooks {
  /** the payment's record as MongoDB has it (null when there is none) */
  record(sessionId: string): Promise<PaymentRecord | null>;
  /** how many runs Temporal has of the payment's CheckoutWorkflow (closed ones too) */
  checkoutRuns(sessionId: string): Promise<number>;
  /** the latest run's status (RUNNING, COMPLETED, CANCELED, TERMINATED …) */
  checkoutStatus(sessionId: string): Promise<string | undefined>;
  /** events in the latest run's history */
  historyLength(sessionId: string): Promise<number>;
  /** whether MongoDB still holds an Idempotency-Key ending in `key` */
  keyStored(key: string): Promise<boolean>;
  /** the daily retention, run with a clock far enough ahead that keys made before `madeBefore` are past 24 h */
  retention(madeBefore: number): Promise<RetentionSummary>;
  /**
   * the reconciliation schedule's run, with a clock far enough ahead that records unchanged
   * since `unchangedBefore` are past its quiet period
   */
  reconcile(unchangedBefore: number): Promise<ReconcileSummary>;
  /** an operator's Cancel / Terminate of the payment's run through Temporal */
  cancel(sessionId: string): Promise<void>;
  terminate(sessionId: string, reason: string): Promise<void>;
}

/** Retries a call through a restart of Temporal or FerretDB (a few seconds), within `budgetMs`. */
async function patiently<T>(what: string, fn: () => Promise<T>, budgetMs = 60_000): Promise<T> {
  const until = Date.now() + budgetMs;
  for (let delay = 250; ; delay = Math.min(2_000, delay * 2)) {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw error;
      if (Date.now() > until) throw new Error(`${what}: ${(error as Error).message}`);
    }
    await sleep(delay);
  }
}

export function longLivedHooks(deps: {
  client: Client;
  db: Db;
  simulatorUrl: string;
  apiUrl: string;
  gatewayTimeoutMs: number;
}): LongLivedHooks {
  const { client, db } = deps;
  const store = createStore(db);
  const gateway = new HttpGateway({ baseUrl: deps.simulatorUrl, timeoutMs: deps.gatewayTimeoutMs });
  // The settings the maintenance activities read, as the run's worker has them.
  const config = loadConfig({
    PUBLIC_BASE_URL: deps.apiUrl,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: 'tokenpay',
  });
  const activities = (aheadMs: number) =>
    createMaintenanceActivities({
      store,
      gateway,
      temporal: client,
      config,
      now: () => new Date(Date.now() + aheadMs),
    });
  const payments = db.collection<PaymentRecord>('payments');
  const handle = (sid: string) => client.workflow.getHandle(`checkout-${sid}`);

  return {
    record: (sid) => patiently('read the record', () => payments.findOne({ _id: sid })),
    checkoutRuns: (sid) =>
      patiently('list the runs', async () => {
        let n = 0;
        for await (const _ of client.workflow.list({ query: `WorkflowId = 'checkout-${sid}'` })) n++;
        return n;
      }),
    checkoutStatus: (sid) =>
      patiently('describe the run', () => handle(sid).describe()).then(
        (d) => d.status.name,
        (error: unknown) => {
          if (error instanceof WorkflowNotFoundError) return undefined;
          throw error;
        },
      ),
    historyLength: (sid) =>
      patiently('describe the run', async () => (await handle(sid).describe()).historyLength),
    keyStored: (key) =>
      patiently(
        'read the keys',
        async () =>
          (await db
            .collection<{ _id: string }>('idempotency_keys')
            .countDocuments({ _id: { $regex: `:${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` } })) > 0,
      ),
    retention: (madeBefore) =>
      patiently('retention', () =>
        new MockActivityEnvironment().run(
          activities(IDEMPOTENCY_RETENTION_MS + madeBefore - Date.now()).purgeExpired,
        ),
      ),
    reconcile: (unchangedBefore) =>
      patiently('reconciliation', () =>
        new MockActivityEnvironment().run(
          activities(RECONCILE_QUIET_MS + unchangedBefore - Date.now()).reconcilePayments,
        ),
      ),
    cancel: (sid) => patiently('cancel', () => handle(sid).cancel()).then(() => undefined),
    terminate: (sid, reason) =>
      patiently('terminate', () => handle(sid).terminate(reason)).then(() => undefined),
  };
}
