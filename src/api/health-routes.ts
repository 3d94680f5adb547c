/** Liveness and readiness (CONTRACT §0). */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

import type { PaymentGateway } from '../gateway/port';
import type { Store } from '../store';

export interface HealthDeps {
  store: Pick<Store, 'ping'>;
  temporal: Client;
  gateway: PaymentGateway;
  namespace: string;
  taskQueue: string;
}

const within = <T>(ms: number, promise: Promise<T>): Promise<T> =>
  Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref()),
  ]);

async function check(name: string, probe: () => Promise<boolean>): Promise<[string, string | null]> {
  try {
    return [name, (await within(2000, probe())) ? null : 'not ready'];
  } catch (error) {
    return [name, (error as Error).message || 'unreachable'];
  }
}

export function healthRoutes(deps: HealthDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const results = await Promise.all([
      check('temporal', async () => !!(await deps.temporal.workflowService.getSystemInfo({}))),
      check('mongodb', () => deps.store.ping()),
      check('gateway', () => deps.gateway.ping()),
      check('worker', async () => {
        const queue = await deps.temporal.workflowService.describeTaskQueue({
          namespace: deps.namespace,
          taskQueue: { name: deps.taskQueue },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        });
        return (queue.pollers?.length ?? 0) > 0;
      }),
    ]);
    const failing = Object.fromEntries(results.filter(([, problem]) => problem !== null));
    if (Object.keys(failing).length === 0) res.json({ status: 'ready' });
    else res.status(503).json({ status: 'not_ready', detail: 'Dependencies are not ready.', failing });
  });
  return router;
}
