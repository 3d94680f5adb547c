/**
 * Payments that stay correct for days, on the real Temporal dev server, FerretDB and the gateway
 * simulator (issue 12): a key retried after its retention, an absurd amount, a page-load storm on
 * a pending challenge, an abandoned challenge followed by another card, and an operator's Cancel
 * and Terminate sent through Temporal. Time is moved by giving the maintenance activities a clock
 * ahead of the wall clock, never by waiting.
 */
import { MockActivityEnvironment } from '@temporalio/testing';

import {
  createMaintenanceActivities,
  type ReconcileSummary,
  type RetentionSummary,
} from '../../src/activities/maintenance';
import { HttpGateway } from '../../src/gateway/http-gateway';
import { card, eventually, newPayment, startHarness, TEST_CARDS, type Harness } from '../support/harness';

const CREATE = '/b/checkout/v1/pymt-txn/';
const HOUR = 3600_000;
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

/** The maintenance activities as the schedules run them, with a clock `aheadMs` in the future. */
function maintenance(aheadMs: number) {
  return createMaintenanceActivities({
    store: h.store,
    gateway: new HttpGateway({ baseUrl: h.simulatorUrl, timeoutMs: 5_000 }),
    temporal: h.temporal,
    config: h.config,
    now: () => new Date(Date.now() + aheadMs),
  });
}

async function create(overrides: Record<string, unknown> = {}) {
  const res = await h.merchant('POST', CREATE, newPayment(overrides));
  expect(res.status).toBe(201);
  return res.body as { session_id: string; state: string };
}

function payWith(sessionId: string, number: string) {
  return h.request('POST', `/checkout/${sessionId}/submit`, {
    body: { pg_code: 'ottu_pg_kwd_tkn', payment_method: 'card', card: card(number) },
  });
}

function approveAtGateway(url: string) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'outcome=approve',
    redirect: 'manual',
  });
}

async function charges(sessionId: string): Promise<Array<{ status: string }>> {
  const { entries } = (await (await fetch(`${h.simulatorUrl}/v1/ledger`)).json()) as {
    entries: Array<{ type: string; status: string; idempotency_key: string }>;
  };
  return entries.filter((e) => e.type === 'charge' && e.idempotency_key.startsWith(sessionId));
}

async function recordState(sessionId: string): Promise<string | undefined> {
  return (await h.collections.payments.findOne({ _id: sessionId }))?.state;
}

/** Every run Temporal has of this payment's checkout workflow, closed ones included. */
async function checkoutRuns(sessionId: string): Promise<string[]> {
  const runs: string[] = [];
  for await (const run of h.temporal.workflow.list({ query: `WorkflowId = 'checkout-${sessionId}'` })) {
    runs.push(run.runId);
  }
  return runs;
}

it('a paid payment re-created with its key a day later is answered as recorded: no second run, nothing rewritten', async () => {
  const key = `long-lived-${Date.now()}`;
  const body = newPayment();
  const first = await h.merchant('POST', CREATE, body, { headers: { 'Idempotency-Key': key } });
  expect(first.status).toBe(201);
  const { session_id } = first.body as { session_id: string };
  expect((await payWith(session_id, TEST_CARDS.visa)).body.state).toBe('paid');

  // the daily retention, a day and an hour later, forgets the key
  const purged = (await new MockActivityEnvironment().run(
    maintenance(25 * HOUR).purgeExpired,
  )) as RetentionSummary;
  expect(purged.idempotencyKeys).toBeGreaterThanOrEqual(1);

  // the merchant's retry: the same request with the same key
  const again = await h.merchant('POST', CREATE, body, { headers: { 'Idempotency-Key': key } });
  expect(again.status).toBeLessThan(300);
  expect(again.body).toMatchObject({ session_id, state: 'paid' });
  await eventually(async () => expect(await checkoutRuns(session_id)).toHaveLength(1));
  expect(await recordState(session_id)).toBe('paid');
  expect(await charges(session_id)).toEqual([expect.objectContaining({ status: 'succeeded' })]);
});

it('an amount above the currency maximum is refused at create with a 400 naming the field', async () => {
  const res = await h.merchant('POST', CREATE, newPayment({ amount: '999999999999999999' }));
  expect(res.status).toBe(400);
  expect(res.body).toHaveProperty('amount');
});

it('100 page loads on a pending challenge add at most a few dozen events to its history', async () => {
  const { session_id } = await create();
  expect((await payWith(session_id, TEST_CARDS.threeDs)).body.result).toBe('pending');
  const handle = h.temporal.workflow.getHandle(`checkout-${session_id}`);
  const before = (await handle.describe()).historyLength;
  const loads = await Promise.all(
    Array.from({ length: 100 }, () => h.request('GET', `/checkout/${session_id}`)),
  );
  expect(loads.every((r) => r.status === 200 || r.status === 429)).toBe(true);
  const after = (await handle.describe()).historyLength;
  console.log(`100 page loads on a pending challenge: +${after - before} history events`);
  expect(after - before).toBeLessThanOrEqual(40);
  // and the workflow still answers: the customer pays with another card
  expect((await payWith(session_id, TEST_CARDS.visa)).body.state).toBe('paid');
});

it('an abandoned challenge, then another card: the new attempt pays and the old approval moves no money', async () => {
  const { session_id } = await create();
  const first = await payWith(session_id, TEST_CARDS.threeDs);
  expect(first.body.result).toBe('pending');
  // the customer closed the challenge window and comes back with a Visa: not "in progress"
  const second = await payWith(session_id, TEST_CARDS.visa);
  expect(second.status).toBe(200);
  expect(second.body.state).toBe('paid');
  await approveAtGateway(first.body.next_action.url);
  await eventually(async () =>
    expect((await charges(session_id)).map((c) => c.status).sort()).toEqual(['declined', 'succeeded']),
  );
  expect(await recordState(session_id)).toBe('paid');
});

it('a Cancel sent through Temporal during a challenge voids it and records canceled', async () => {
  const { session_id } = await create();
  const first = await payWith(session_id, TEST_CARDS.threeDs);
  expect(first.body.result).toBe('pending');
  await h.temporal.workflow.getHandle(`checkout-${session_id}`).cancel();
  await eventually(async () => expect(await recordState(session_id)).toBe('canceled'), 20_000);
  await approveAtGateway(first.body.next_action.url);
  await eventually(async () =>
    expect(await charges(session_id)).toEqual([expect.objectContaining({ status: 'declined' })]),
  );
  expect(await recordState(session_id)).toBe('canceled');
});

it('a Terminate during a challenge approved meanwhile is repaired by reconciliation: paid once', async () => {
  const { session_id } = await create();
  const first = await payWith(session_id, TEST_CARDS.threeDs);
  expect(first.body.result).toBe('pending');
  await h.temporal.workflow.getHandle(`checkout-${session_id}`).terminate('operator test');
  // the customer approves; the gateway's notification finds no running workflow
  await approveAtGateway(first.body.next_action.url);
  expect(await recordState(session_id)).not.toBe('paid');

  // the next reconciliation (its clock past the quiet period) restarts the run from the record
  const summary = (await new MockActivityEnvironment().run(
    maintenance(10 * 60_000).reconcilePayments,
  )) as ReconcileSummary;
  expect(summary.restarted).toContain(session_id);
  await eventually(async () => expect(await recordState(session_id)).toBe('paid'), 30_000);
  expect(await charges(session_id)).toEqual([expect.objectContaining({ status: 'succeeded' })]);
  expect(await checkoutRuns(session_id)).toHaveLength(2);
});
