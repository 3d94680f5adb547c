/**
 * Phase 1, bare Temporal: BaselineWorkflow (./baseline-workflow) with no-op activities, its own
 * worker on its own task queue, driven by a Temporal client in this process at the same
 * concurrency as the tokenpay phase. One operation = start the workflow + one update that
 * runs the three activities and answers; the workflow then completes on its own (checked after
 * the measured stage: every measured workflow must have completed with "paid").
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';

import { baselineSubmitUpdate, BaselineWorkflow, type BaselineActivities } from './baseline-workflow';
import { historyShape, type HistoryShape } from './history';
import { closedLoop, countCompleted, timed, type LoopOptions, type LoopResult, type Operation } from './loop';
import type { Stack } from './stack';

export interface BaselineResult {
  loop: LoopResult;
  /** measured workflows that had completed with "paid" when checked after the measured stage */
  completed: number;
  checked: number;
  workerStartMs: number;
  shape: HistoryShape;
}

const noopActivities: BaselineActivities = {
  async charge(input) {
    return { chargeId: `ch_${input.idempotencyKey.length}`, status: 'succeeded' };
  },
  async tokenize(input) {
    return { token: `tok_${input.customerId}` };
  },
  async record() {
    return undefined;
  },
};

/** The baseline's worker and client, ready to drive: one operation, then the post-run checks. */
export interface BaselineSide {
  op: Operation;
  /** checks the measured workflows completed and reads their history shape */
  finish(loop: LoopResult): Promise<BaselineResult>;
  close(): Promise<void>;
}

export async function startBaseline(stack: Stack, log: (line: string) => void): Promise<BaselineSide> {
  const suffix = randomBytes(4).toString('hex');
  const taskQueue = `bench-baseline-${suffix}`;
  const t0 = performance.now();
  const closers: Array<() => Promise<unknown>> = [];
  const close = async (): Promise<void> => {
    for (const fn of closers.reverse()) await fn().catch(() => undefined);
    closers.length = 0;
  };
  try {
    const nativeConnection = await NativeConnection.connect({ address: stack.temporalAddress });
    closers.push(() => nativeConnection.close());
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: stack.temporalNamespace,
      taskQueue,
      workflowsPath: require.resolve('./baseline-workflow'),
      activities: noopActivities,
    });
    const running = worker.run();
    closers.push(async () => {
      worker.shutdown();
      await running;
    });
    const connection = await Connection.connect({ address: stack.temporalAddress });
    closers.push(() => connection.close());
    const client = new Client({ connection, namespace: stack.temporalNamespace });
    const workerStartMs = performance.now() - t0;
    log(`baseline worker ready in ${Math.round(workerStartMs)} ms (task queue ${taskQueue})`);

    const measuredIds: string[] = [];
    const op: Operation = async (i, measured) => {
      const workflowId = `bench-baseline-${suffix}-${i}`;
      const [handle, startMs] = await timed(() =>
        client.workflow.start(BaselineWorkflow, {
          workflowId,
          taskQueue,
          args: [{ sessionId: `${suffix}${i}`, customerId: `cust-${suffix}-${i}` }],
        }),
      );
      const [outcome, roundtripMs] = await timed(() =>
        handle.executeUpdate(baselineSubmitUpdate, {
          args: [{ gatewayToken: `tok_${i}` }],
          updateId: `submit-${i}`,
        }),
      );
      if (outcome.state !== 'paid') throw new Error(`baseline update answered ${JSON.stringify(outcome)}`);
      if (measured) measuredIds.push(workflowId);
      return { start: startMs, roundtrip: roundtripMs, total: startMs + roundtripMs };
    };

    const finish = async (loop: LoopResult): Promise<BaselineResult> => {
      // Every measured workflow must have completed (it does so right after its update).
      const completed = await countCompleted(
        measuredIds,
        (id) => client.workflow.getHandle(id).result(),
        'paid',
      );
      const shape = await historyShape(client, measuredIds);
      return { loop, completed, checked: measuredIds.length, workerStartMs, shape };
    };
    return { op, finish, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export async function runBaseline(
  stack: Stack,
  loopOptions: LoopOptions,
  log: (line: string) => void,
): Promise<BaselineResult> {
  const side = await startBaseline(stack, log);
  try {
    return await side.finish(await closedLoop(loopOptions, side.op));
  } finally {
    await side.close();
  }
}
