/**
 * Deploying new workflow code with payments in flight (issue 13, DEPLOYING.md), on the real
 * Temporal dev server: two worker builds of one Worker Deployment on one task queue. A payment
 * started on the old build stays on it (pinned) while the new build takes every new payment; an
 * old build restarting after a roll-forward takes nothing back.
 */
import { randomBytes } from 'node:crypto';

import type { AppConfig } from '../../src/config';
import { runningOnOtherVersions, versionOfRun } from '../../src/temporal/deployment';
import { startWorker, type WorkerHandle } from '../../src/worker';
import { card, eventually, newPayment, startHarness, TEST_CARDS, type Harness } from '../support/harness';

const CREATE = '/b/checkout/v1/pymt-txn/';
let h: Harness;
const workers: WorkerHandle[] = [];
const deploymentName = `tp-versioning-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  h = await startHarness({ worker: false });
}, 60_000);
afterAll(async () => {
  await Promise.all(workers.map((w) => w.shutdown().catch(() => undefined)));
  await h.close();
});

/** A worker process's worker as `npm start` runs it, polling as build `buildId`. */
async function workerOfBuild(buildId: string): Promise<WorkerHandle> {
  const config: AppConfig = {
    ...h.config,
    maintenance: { ...h.config.maintenance, schedules: false },
    deployment: {
      name: deploymentName,
      buildId,
      promotion: 'auto',
      shutdownGraceMs: 5_000,
    },
  };
  const handle = await startWorker(config);
  workers.push(handle);
  return handle;
}

async function create(): Promise<string> {
  const res = await h.merchant('POST', CREATE, newPayment());
  expect(res.status).toBe(201);
  return (res.body as { session_id: string }).session_id;
}

function payWith(sessionId: string, number: string) {
  return h.request('POST', `/checkout/${sessionId}/submit`, {
    body: { pg_code: 'ottu_pg_kwd_tkn', payment_method: 'card', card: card(number) },
  });
}

const runVersion = (sessionId: string) =>
  versionOfRun(h.temporal.connection, h.config.temporal.namespace, `checkout-${sessionId}`);

async function currentBuildId(): Promise<string | undefined> {
  const { workerDeploymentInfo } = await h.temporal.connection.workflowService.describeWorkerDeployment({
    namespace: h.config.temporal.namespace,
    deploymentName,
  });
  return workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId ?? undefined;
}

it('a payment in a challenge stays on the build that started it while a new build takes new payments', async () => {
  const a = await workerOfBuild('build-a');
  expect(await a.promotion).toBe('promoted');
  expect(await currentBuildId()).toBe('build-a');

  const inChallenge = await create();
  const pending = await payWith(inChallenge, TEST_CARDS.threeDs);
  expect(pending.body.result).toBe('pending');
  expect(await runVersion(inChallenge)).toEqual({ buildId: 'build-a', behavior: 'PINNED' });

  // the deploy: build b starts beside a and, being newer, becomes current
  const b = await workerOfBuild('build-b');
  expect(await b.promotion).toBe('promoted');
  expect(await currentBuildId()).toBe('build-b');

  const fresh = await create();
  expect((await payWith(fresh, TEST_CARDS.visa)).body.state).toBe('paid');
  expect(await runVersion(fresh)).toEqual({ buildId: 'build-b', behavior: 'PINNED' });
  // what b's worker warns about at start: a run still on a, to be drained before a stops
  await eventually(async () =>
    expect(await runningOnOtherVersions(h.temporal, b.version!)).toEqual([
      { version: `${deploymentName}:build-a`, running: 1 },
    ]),
  );

  // the customer comes back from the challenge: the old build finishes what it started
  const approved = await fetch(pending.body.next_action.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'outcome=approve',
    redirect: 'manual',
  });
  expect(approved.status).toBeLessThan(400);
  await eventually(async () => {
    expect((await h.collections.payments.findOne({ _id: inChallenge }))?.state).toBe('paid');
  }, 20_000);
  expect(await runVersion(inChallenge)).toEqual({ buildId: 'build-a', behavior: 'PINNED' });

  // what DEPLOYING.md tells the operator to ask before stopping the old build's workers
  const onA = (status: string) =>
    `TemporalWorkerDeploymentVersion="${deploymentName}:build-a" AND ExecutionStatus="${status}"`;
  await eventually(async () => {
    expect((await h.temporal.workflow.count(onA('Completed'))).count).toBeGreaterThanOrEqual(1);
    expect((await h.temporal.workflow.count(onA('Running'))).count).toBe(0);
  }, 20_000);
}, 90_000);

it('the old build restarting after the roll-forward takes nothing back; an operator would roll back by hand', async () => {
  const old = workers.find((w) => w.version?.buildId === 'build-a')!;
  await old.shutdown();
  workers.splice(workers.indexOf(old), 1);
  const again = await workerOfBuild('build-a');
  expect(await again.promotion).toBe('was-active-before');
  expect(await currentBuildId()).toBe('build-b');

  const fresh = await create();
  expect((await payWith(fresh, TEST_CARDS.visa)).body.state).toBe('paid');
  expect(await runVersion(fresh)).toMatchObject({ buildId: 'build-b' });
}, 90_000);
