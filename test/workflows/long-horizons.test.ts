/**
 * What happens over hours and days, in seconds (time-skipping test server, scripted activities):
 * a 30-day link that expires, a challenge nobody completes, a gateway that never answers, a
 * notification that settles a challenge without the customer, a new attempt that supersedes an
 * abandoned challenge, an operator's Cancel through Temporal, a run resumed from its record, a
 * webhook that retries for 48 hours, and history that page loads cannot grow.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

import { MIN_GATEWAY_CHECK_INTERVAL_MS } from '../../src/domain/checkout';
import {
  gatewayNoticeUpdate,
  pageOpenedUpdate,
  paymentOperationUpdate,
  resolveChallengeUpdate,
  statusQuery,
  submitPaymentUpdate,
  type CheckoutInput,
} from '../../src/workflows/definitions';
import { PaymentOperationsWorkflow } from '../../src/workflows/operations';
import { WebhookDeliveryWorkflow } from '../../src/workflows/webhook-delivery';
import {
  answer,
  checkoutInput,
  fakeActivities,
  newCard,
  refusalOf,
  startCheckout,
  timeSkippingEnv,
  withWorker,
} from './support';

let env: TestWorkflowEnvironment;

// A test server of its own per test: days skipped by one test (and its leftovers) never reach another.
beforeEach(async () => {
  env = await timeSkippingEnv();
});
afterEach(async () => {
  await env?.teardown();
});

const DAY = 24 * 3600_000;

const start = (taskQueue: string, input: CheckoutInput) => startCheckout(env, taskQueue, input);

const challenge = (id = 'ch_3ds') =>
  answer('requires_action', { chargeId: id, nextActionUrl: `http://psp/3ds/${id}` });

/** How long a run lasted, by the test server's clock. */
async function runMs(handle: {
  describe(): Promise<{ startTime: Date; closeTime?: Date }>;
}): Promise<number> {
  const { startTime, closeTime } = await handle.describe();
  return closeTime!.getTime() - startTime.getTime();
}

it('a 30-day link nobody pays expires after 30 days, and the merchant hears of it', async () => {
  const fake = fakeActivities({});
  await withWorker(env, fake.activities, async (taskQueue) => {
    const now = await env.currentTimeMs();
    const input = await checkoutInput(env, {
      expiresAt: new Date(now + 30 * DAY).toISOString(),
      webhookUrl: 'https://merchant.example/hooks',
    });
    const handle = await start(taskQueue, input);
    expect(await handle.result()).toBe('expired');
    expect(await runMs(handle)).toBeGreaterThanOrEqual(30 * DAY);
    expect(await runMs(handle)).toBeLessThan(30 * DAY + 60_000);
    const webhook = env.client.workflow.getHandle(`webhook-${input.sessionId}.expired`);
    expect(await webhook.result()).toBe('delivered');
  });
  expect(fake.records.at(-1)).toMatchObject({ state: 'expired', attempts: [] });
});

it('a challenge nobody completes ends at its time limit: voided, the attempt failed, the session open again', async () => {
  const fake = fakeActivities({ charges: [challenge()], lookups: [challenge()] });
  await withWorker(env, fake.activities, async (taskQueue) => {
    const now = await env.currentTimeMs();
    // the link lives an hour; the challenge may stay open for 15 minutes of it
    const input = await checkoutInput(env, { expiresAt: new Date(now + 3600_000).toISOString() });
    const handle = await start(taskQueue, input);
    await handle.executeUpdate(submitPaymentUpdate, { args: [newCard('tok_1')] });
    expect(await handle.result()).toBe('expired');
  });
  // at the limit: voided, the attempt failed, and the session took attempts again (attempted)
  expect(fake.called('gatewayOperation')).toEqual([
    [expect.objectContaining({ kind: 'void', chargeId: 'ch_3ds' })],
  ]);
  const reopened = fake.records.find((r) => r.state === 'attempted');
  expect(reopened?.attempts).toEqual([
    expect.objectContaining({ result: 'failed', decline_code: 'authentication_abandoned' }),
  ]);
  // checks on a backoff schedule, not a busy loop: a handful in 15 minutes
  const checks = fake.called('getCharge').length;
  expect(checks).toBeGreaterThan(5);
  expect(checks).toBeLessThan(30);
});

it('the gateway’s notification settles an approved challenge without the customer coming back', async () => {
  const fake = fakeActivities({
    charges: [challenge()],
    lookups: [answer('succeeded', { chargeId: 'ch_3ds' })],
  });
  await withWorker(env, fake.activities, async (taskQueue) => {
    const handle = await start(taskQueue, await checkoutInput(env));
    await handle.executeUpdate(submitPaymentUpdate, { args: [newCard('tok_1')] });
    // a notice about another charge is refused before it reaches history
    expect(
      await refusalOf(
        handle.executeUpdate(gatewayNoticeUpdate, {
          args: [{ eventId: 'evt_x', chargeId: 'ch_other', status: 'succeeded' }],
        }),
      ),
    ).toEqual({ code: 'no_challenge' });
    await handle.executeUpdate(gatewayNoticeUpdate, {
      args: [{ eventId: 'evt_1', chargeId: 'ch_3ds', status: 'succeeded' }],
    });
    expect(await handle.result()).toBe('paid');
  });
  // one check, made because of the notice (the scheduled one would come 5 s later)
  expect(fake.called('getCharge')).toEqual([['ch_3ds']]);
});

it('without notifications the workflow’s own checks settle an approved challenge within two minutes', async () => {
  const fake = fakeActivities({
    charges: [challenge()],
    lookups: [challenge(), challenge(), answer('succeeded', { chargeId: 'ch_3ds' })],
  });
  await withWorker(env, fake.activities, async (taskQueue) => {
    const handle = await start(taskQueue, await checkoutInput(env));
    await handle.executeUpdate(submitPaymentUpdate, { args: [newCard('tok_1')] });
    expect(await handle.result()).toBe('paid');
    // the run's own clock: the test server's may run on to timers the run canceled
    expect(await runMs(handle)).toBeLessThan(2 * 60_000);
  });
});

it('a new attempt supersedes an abandoned challenge: voided first, then the new card is charged', async () => {
  const fake = fakeActivities({
    charges: [challenge(), answer('succeeded', { chargeId: 'ch_new' })],
    // the gateway's answer after the void: the authentication failed
    lookups: [answer('declined', { chargeId: 'ch_3ds', declineCode: 'authentication_failed' })],
  });
  const input = await checkoutInput(env);
  await withWorker(env, fake.activities, async (taskQueue) => {
    const handle = await start(taskQueue, input);
    await handle.executeUpdate(submitPaymentUpdate, { args: [newCard('tok_1')] });
    const second = await handle.executeUpdate(submitPaymentUpdate, { args: [newCard('tok_2')] });
    expect(second).toMatchObject({ result: 'success', state: 'paid' });
    expect(await handle.result()).toBe('paid');
  });
  // the void went out before the second charge, under its own key
  const order = fake.calls
    .map((c) => c.name)
    .filter((n) => n === 'chargeGateway' || n === 'gatewayOperation');
  expect(order).toEqual(['chargeGateway', 'gatewayOperation', 'chargeGateway']);
  expect(fake.called('gatewayOperation')[0]![0]).toMatchObject({
    kind: 'void',
    idempotencyKey: `${input.sessionId}:abandon:1`,
  });
  expect(fake.records.at(-1)!.attempts!.map((a) => [a.result, a.decline_code])).toEqual([
    ['failed', 'authentication_failed'],
    ['success', undefined],
  ]);
});

it('a challenge approved before the new attempt voided it makes the session paid; the new attempt is refused', async () => {
  const fake = fakeActivities({
    charges: [challenge()],
    lookups: [answer('succeeded', { chargeId: 'ch_3ds' })],
  });
  await withWorker(env, fake.activities, async (taskQueue) => {
    const handle = await start(taskQueue, await checkoutInput(env));
    await handle.executeUpdate(submitPaymentUpdate, { args: [newCard('tok_1')] });
    expect(await refusalOf(handle.executeUpdate(submitPaymentUpdate, { args: [newCard('tok_2')] }))).toEqual({
      code: 'not_payable',
      params: { state: 'paid' },
    });
    expect(await handle.result()).toBe('paid');
  });
  expect(fake.called('chargeGateway')).toHaveLength(1); // never charged twice
});

it('a charge the gateway never answered is asked for by key, and settled by what the gateway did', async () => {
  let gatewayBack = false;
  const fake = fakeActivities({
    charges: [
      async () => {
        throw new Error('connection reset'); // every try, until the activity's five minutes run out
      },
    ],
  });
  fake.activities.lookupCharge = async () => {
    if (!gatewayBack) throw new Error('gateway still away');
    return answer('succeeded', { chargeId: 'ch_late' });
  };
  const input = await checkoutInput(env);
  await withWorker(env, fake.activities, async (taskQueue) => {
    const handle = await start(taskQueue, input);
    const first = handle.executeUpdate(submitPaymentUpdate, { args: [newCard('tok_1')] });
    const done = handle.result(); // lets the test server's clock run while the charge retries
    expect(await first).toMatchObject({ result: 'pending', state: 'created' });
    // another attempt could charge twice: refused while the first is unknown
    expect(await refusalOf(handle.executeUpdate(submitPaymentUpdate, { args: [newCard('tok_2')] }))).toEqual({
      code: 'attempt_in_progress',
    });
    gatewayBack = true;
    expect(await done).toBe('paid');
  });
  expect(fake.records.at(-1)).toMatchObject({ state: 'paid', charge_id: 'ch_late' });
});

it('a payment whose gateway never answers by expiry is recorded unconfirmed and flagged NeedsAttention', async () => {
  const fake = fakeActivities({
    charges: [
      async () => {
        throw new Error('connection reset');
      },
    ],
  });
  fake.activities.lookupCharge = async () => {
    throw new Error('gateway down');
  };
  await withWorker(env, fake.activities, async (taskQueue) => {
    const now = await env.currentTimeMs();
    const handle = await start(
      taskQueue,
      await checkoutInput(env, { expiresAt: new Date(now + 3600_000).toISOString() }),
    );
    void handle.executeUpdate(submitPaymentUpdate, { args: [newCard('tok_1')] }).catch(() => undefined);
    expect(await handle.result()).toBe('expired');
    const described = await handle.describe();
    expect(described.searchAttributes.NeedsAttention).toEqual([true]);
  });
  expect(fake.records.at(-1)!.attempts![0]).toMatchObject({ result: 'failed', decline_code: 'unconfirmed' });
});

describe('an operator cancels the run through Temporal', () => {
  it('with a charge in flight: the gateway is asked by key, the session recorded canceled, the merchant told', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const fake = fakeActivities({
      charges: [
        async () => {
          await held;
          throw new Error('cut short');
        },
      ],
      keyLookups: [null],
    });
    const input = await checkoutInput(env, { webhookUrl: 'https://merchant.example/hooks' });
    await withWorker(env, fake.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input);
      void handle.executeUpdate(submitPaymentUpdate, { args: [newCard('tok_1')] }).catch(() => undefined);
      for (let i = 0; i < 100 && !(await handle.query(statusQuery)).attemptInFlight; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await handle.cancel();
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      release();
      const webhook = env.client.workflow.getHandle(`webhook-${input.sessionId}.operation.1`);
      expect(await webhook.result()).toBe('delivered');
    });
    expect(fake.called('lookupCharge')).toEqual([[`${input.sessionId}:attempt:1`]]);
    expect(fake.records.at(-1)).toMatchObject({
      state: 'canceled',
      operations: [expect.objectContaining({ operation: 'cancel', request_key: 'temporal-cancel' })],
    });
  });

  it('with a challenge pending that was approved meanwhile: the payment is paid, not lost', async () => {
    const fake = fakeActivities({
      charges: [challenge()],
      lookups: [answer('succeeded', { chargeId: 'ch_3ds' })],
    });
    await withWorker(env, fake.activities, async (taskQueue) => {
      const handle = await start(taskQueue, await checkoutInput(env));
      await handle.executeUpdate(submitPaymentUpdate, { args: [newCard('tok_1')] });
      await handle.cancel();
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    });
    expect(fake.called('gatewayOperation')[0]![0]).toMatchObject({ kind: 'void', chargeId: 'ch_3ds' });
    expect(fake.records.at(-1)).toMatchObject({ state: 'paid', charge_id: 'ch_3ds' });
  });
});

it('a run resumed from its record asks the gateway about the attempt it found pending', async () => {
  const fake = fakeActivities({ lookups: [answer('succeeded', { chargeId: 'ch_3ds' })] });
  await withWorker(env, fake.activities, async (taskQueue) => {
    const input = await checkoutInput(env, {
      resume: {
        state: 'pending',
        revision: 7,
        attempts: [
          {
            reference_number: 'TP1',
            result: 'pending',
            message: 'Authentication required.',
            pg_code: 'ottu_pg_kwd_tkn',
            created_at: '2026-01-01T00:00:00.000Z',
            payment_method: 'card',
            charge_id: 'ch_3ds',
          },
        ],
      },
    });
    expect(await (await start(taskQueue, input)).result()).toBe('paid');
  });
  // it writes on from the revision the earlier run reached
  expect(fake.records[0]!.revision).toBe(8);
  expect(fake.records.at(-1)).toMatchObject({ state: 'paid', charge_id: 'ch_3ds' });
});

it('page loads cannot grow history: a hundred returns to a pending challenge add a few dozen events', async () => {
  // (the API lets one page load per session through at a time: tested in test/api/checkout.test.ts)
  const fake = fakeActivities({ charges: [challenge()], lookups: [challenge()] });
  await withWorker(env, fake.activities, async (taskQueue) => {
    const handle = await start(taskQueue, await checkoutInput(env));
    await handle.executeUpdate(pageOpenedUpdate);
    await handle.executeUpdate(submitPaymentUpdate, { args: [newCard('tok_1')] });
    const before = (await handle.fetchHistory()).events!.length;
    let refused = 0;
    const loopStart = Date.now();
    for (let i = 0; i < 100; i++) {
      for (const update of [pageOpenedUpdate, resolveChallengeUpdate] as const) {
        await handle.executeUpdate(update as typeof resolveChallengeUpdate).catch(() => refused++);
      }
    }
    expect(refused).toBeGreaterThan(150); // no-ops refused by validators, before they reach history
    // Temporal's test server writes a workflow task for every update, refused or not; the real
    // server drops the speculative task of a refused update (test/api/checkout.test.ts counts the
    // whole history there). What the workflow itself adds is everything else.
    const E = temporal.api.enums.v1.EventType;
    const taskEvents = new Set([
      E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      E.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    ]);
    const added = (await handle.fetchHistory())
      .events!.slice(before)
      .filter((e) => !taskEvents.has(e.eventType!));
    // A page load may ask the gateway at most once per MIN_GATEWAY_CHECK_INTERVAL_MS (an accepted
    // update and a lookup: a handful of events), so what is added depends on how long the loop
    // ran, never on how many loads there were (before the limit: 1,107 events for 100 loads).
    const windows = 1 + Math.ceil((Date.now() - loopStart) / MIN_GATEWAY_CHECK_INTERVAL_MS);
    expect(added.length).toBeLessThanOrEqual(8 * windows);
    await handle.terminate('test done');
  });
});

it('a webhook the merchant never takes is retried for 48 hours, then gives up flagged NeedsAttention', async () => {
  const fake = fakeActivities({
    deliver: async () => {
      throw new Error('503 from the merchant');
    },
  });
  await withWorker(env, fake.activities, async (taskQueue) => {
    const t0 = await env.currentTimeMs();
    const handle = await env.client.workflow.start(WebhookDeliveryWorkflow, {
      taskQueue,
      workflowId: `webhook-evt-${t0}`,
      args: [
        {
          eventId: `evt-${t0}`,
          sessionId: 's1',
          merchantId: 'demo',
          url: 'https://merchant.example/hooks',
          timestampUtc: new Date(t0).toISOString(),
          kind: 'payment',
          state: 'paid',
          result: 'success',
        },
      ],
    });
    expect(await handle.result()).toBe('gave_up');
    const elapsed = await runMs(handle);
    expect(elapsed).toBeGreaterThanOrEqual(47 * 3600_000);
    expect(elapsed).toBeLessThan(49 * 3600_000);
    expect((await handle.describe()).searchAttributes.NeedsAttention).toEqual([true]);
  });
  // exponential backoff up to 30 minutes: about a hundred attempts in two days, not thousands
  expect(fake.called('deliverWebhook').length).toBeGreaterThan(90);
  expect(fake.called('deliverWebhook').length).toBeLessThan(130);
});

it('a refund leaves PaymentState "refunded" on the operations run, beside its SessionId', async () => {
  const fake = fakeActivities({});
  await withWorker(env, fake.activities, async (taskQueue) => {
    const handle = await env.client.workflow.start(PaymentOperationsWorkflow, {
      taskQueue,
      workflowId: 'operations-s1',
      args: [{ sessionId: 's1' }],
      typedSearchAttributes: [],
    });
    const outcome = await handle.executeUpdate(paymentOperationUpdate, { args: [{ operation: 'refund' }] });
    expect(outcome).toMatchObject({ result: 'success', state: 'refunded', amount: '20.230' });
    expect((await handle.describe()).searchAttributes.PaymentState).toEqual(['refunded']);
    await handle.terminate('test done');
  });
  expect(fake.records.at(-1)).toMatchObject({ writer: 'operations', revision: 1, state: 'refunded' });
});
