/**
 * CheckoutWorkflow's branches on their own, with scripted activities in the time-skipping test
 * environment: what a decline, a success, a challenge and a closing merchant do to the session.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

import {
  closeSessionUpdate,
  resolveChallengeUpdate,
  statusQuery,
  submitPaymentUpdate,
  type CheckoutInput,
} from '../../src/workflows/definitions';
import {
  answer,
  checkoutInput,
  CVV_CONFIG,
  fakeActivities,
  newCard,
  refusalOf,
  savedCard,
  startCheckout,
  timeSkippingEnv,
  withWorker,
} from './support';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const start = (taskQueue: string, input: CheckoutInput) => startCheckout(env, taskQueue, input);

it('a decline leaves the session open; the next attempt pays it', async () => {
  const fake = fakeActivities({
    charges: [
      answer('declined', { declineCode: 'generic_decline' }),
      answer('succeeded', { chargeId: 'ch_ok' }),
    ],
  });
  await withWorker(env, fake.activities, async (taskQueue) => {
    const handle = await start(taskQueue, await checkoutInput(env));
    const first = await handle.executeUpdate(submitPaymentUpdate, { args: [newCard('tok_1')] });
    expect(first).toMatchObject({ result: 'failed', state: 'attempted', decline_code: 'generic_decline' });
    const second = await handle.executeUpdate(submitPaymentUpdate, { args: [newCard('tok_2')] });
    expect(second).toMatchObject({ result: 'success', state: 'paid' });
    expect(await handle.result()).toBe('paid');
  });
  // one gateway key per persisted attempt number
  expect(
    fake.called('chargeGateway').map(([input]) => (input as { idempotencyKey: string }).idempotencyKey),
  ).toEqual([expect.stringMatching(/:attempt:1$/), expect.stringMatching(/:attempt:2$/)]);
  const last = fake.records.at(-1)!;
  expect(last).toMatchObject({ state: 'paid', charge_id: 'ch_ok', pg_code: 'ottu_pg_kwd_tkn' });
  expect(last.attempts!.map((a) => a.result)).toEqual(['failed', 'success']);
});

it('the last allowed attempt declined fails the session; another attempt is refused', async () => {
  const fake = fakeActivities({
    charges: [answer('declined', { declineCode: 'insufficient_funds' }), answer('declined')],
  });
  const input = await checkoutInput(env, { gateways: [{ ...CVV_CONFIG, max_attempts: 2 }] });
  await withWorker(env, fake.activities, async (taskQueue) => {
    const handle = await start(taskQueue, input);
    await handle.executeUpdate(submitPaymentUpdate, { args: [newCard('tok_1')] });
    const second = await handle.executeUpdate(submitPaymentUpdate, { args: [newCard('tok_2')] });
    expect(second).toMatchObject({ result: 'failed', state: 'failed' });
    expect(await handle.result()).toBe('failed');
  });
  expect(fake.called('chargeGateway')).toHaveLength(2);
  expect(fake.records.at(-1)!.state).toBe('failed');
});

it('a session whose only allowed attempt declined closes as failed: nothing more reaches the gateway', async () => {
  const fake = fakeActivities({ charges: [answer('declined')] });
  const input = await checkoutInput(env, { gateways: [{ ...CVV_CONFIG, max_attempts: 1 }] });
  await withWorker(env, fake.activities, async (taskQueue) => {
    const handle = await start(taskQueue, input);
    await handle.executeUpdate(submitPaymentUpdate, { args: [newCard('tok_1')] });
    // the session closed: the workflow has finished, so the update cannot even be delivered
    await expect(handle.result()).resolves.toBe('failed');
  });
  expect(fake.called('chargeGateway')).toHaveLength(1);
});

describe('3-D Secure', () => {
  const challenge = answer('requires_action', { chargeId: 'ch_3ds', nextActionUrl: 'http://psp/3ds/ch_3ds' });

  it('approved: the customer comes back and the payment is paid', async () => {
    const fake = fakeActivities({
      charges: [challenge],
      lookups: [answer('succeeded', { chargeId: 'ch_3ds' })],
    });
    await withWorker(env, fake.activities, async (taskQueue) => {
      const handle = await start(taskQueue, await checkoutInput(env));
      const pending = await handle.executeUpdate(submitPaymentUpdate, { args: [newCard()] });
      expect(pending).toMatchObject({
        result: 'pending',
        next_action: { type: 'redirect_to_url', url: 'http://psp/3ds/ch_3ds' },
      });
      expect((await handle.query(statusQuery)).challengePending).toBe(true);
      const settled = await handle.executeUpdate(resolveChallengeUpdate);
      expect(settled).toMatchObject({ result: 'success', state: 'paid' });
      expect(await handle.result()).toBe('paid');
    });
  });

  it('rejected: the attempt fails and the session stays open', async () => {
    const fake = fakeActivities({
      charges: [challenge],
      lookups: [answer('declined', { chargeId: 'ch_3ds', declineCode: 'authentication_failed' })],
    });
    await withWorker(env, fake.activities, async (taskQueue) => {
      const handle = await start(taskQueue, await checkoutInput(env));
      await handle.executeUpdate(submitPaymentUpdate, { args: [newCard()] });
      const settled = await handle.executeUpdate(resolveChallengeUpdate);
      expect(settled).toMatchObject({
        result: 'failed',
        state: 'attempted',
        decline_code: 'authentication_failed',
      });
      expect((await handle.query(statusQuery)).challengePending).toBe(false);
      await handle.terminate('test done');
    });
  });

  it('abandoned: at expiry the authentication is voided, the attempt fails, the session expires', async () => {
    const fake = fakeActivities({ charges: [challenge], lookups: [challenge] });
    const input = await checkoutInput(env);
    await withWorker(env, fake.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input);
      await handle.executeUpdate(submitPaymentUpdate, { args: [newCard()] });
      // nobody comes back: a day passes in the test server's clock
      expect(await handle.result()).toBe('expired');
    });
    expect(fake.called('gatewayOperation')).toEqual([
      [
        expect.objectContaining({
          kind: 'void',
          chargeId: 'ch_3ds',
          idempotencyKey: `${input.sessionId}:abandon:1`,
        }),
      ],
    ]);
    const last = fake.records.at(-1)!;
    expect(last.state).toBe('expired');
    expect(last.attempts).toEqual([
      expect.objectContaining({ result: 'failed', decline_code: 'authentication_abandoned' }),
    ]);
  });

  it('approved while the session expired: the payment is paid, not lost', async () => {
    const fake = fakeActivities({
      charges: [challenge],
      lookups: [challenge, answer('succeeded', { chargeId: 'ch_3ds' })],
    });
    await withWorker(env, fake.activities, async (taskQueue) => {
      const handle = await start(taskQueue, await checkoutInput(env));
      await handle.executeUpdate(submitPaymentUpdate, { args: [newCard()] });
      expect(await handle.result()).toBe('paid');
    });
  });
});

it('a saved card the rules refuse is not an attempt: the update fails with the refusal', async () => {
  const fake = fakeActivities({
    savedCard: {
      facts: {
        customerId: 'cust-1',
        pgCode: 'ottu_pg_kwd_tkn',
        locked: true,
        expiry: { month: '12', year: '39' },
      },
      card: {
        token: 'tok_saved',
        customer_id: 'cust-1',
        brand: 'visa',
        name_on_card: 'T',
        last4: '4242',
        expiry_month: '12',
        expiry_year: '39',
        pg_code: 'ottu_pg_kwd_tkn',
        agreements: [],
      },
      gatewayRef: 'src_1',
    },
  });
  await withWorker(env, fake.activities, async (taskQueue) => {
    const handle = await start(taskQueue, await checkoutInput(env));
    const refused = await refusalOf(
      handle.executeUpdate(submitPaymentUpdate, { args: [savedCard('cvc_1')] }),
    );
    expect(refused).toEqual({ code: 'token_locked' });
    const status = await handle.query(statusQuery);
    expect(status).toMatchObject({ state: 'created', attempts: [], attemptInFlight: false });
    await handle.terminate('test done');
  });
  expect(fake.called('chargeGateway')).toHaveLength(0);
});

it('a saved-card charge the gateway refuses (a cvc_token made for the card before it was saved again) is a decline with a message, and the session stays open', async () => {
  const fake = fakeActivities({
    savedCard: {
      facts: {
        customerId: 'cust-1',
        pgCode: 'ottu_pg_kwd_tkn',
        locked: false,
        expiry: { month: '12', year: '39' },
      },
      card: {
        token: 'tok_saved',
        customer_id: 'cust-1',
        brand: 'visa',
        name_on_card: 'T',
        last4: '4242',
        expiry_month: '12',
        expiry_year: '39',
        pg_code: 'ottu_pg_kwd_tkn',
        agreements: [],
      },
      gatewayRef: 'src_2',
    },
    charges: [
      async () => {
        throw ApplicationFailure.create({
          type: 'GatewayRejected',
          message: 'the cvc_token was made for another source_token',
          nonRetryable: true,
          details: [{ code: 'cvc_token_mismatch' }],
        });
      },
      answer('succeeded', { chargeId: 'ch_retry' }),
    ],
  });
  await withWorker(env, fake.activities, async (taskQueue) => {
    const handle = await start(taskQueue, await checkoutInput(env, { customerId: 'cust-1' }));
    const first = await handle.executeUpdate(submitPaymentUpdate, { args: [savedCard('cvc_old')] });
    expect(first).toMatchObject({ result: 'failed', state: 'attempted', decline_code: 'cvc_token_mismatch' });
    expect(first.message).toMatch(/security code/i);
    const second = await handle.executeUpdate(submitPaymentUpdate, { args: [savedCard('cvc_new')] });
    expect(second).toMatchObject({ result: 'success', state: 'paid' });
  });
});

it('a cancel while an attempt is in flight is refused; the attempt then completes', async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const fake = fakeActivities({
    charges: [
      async () => {
        await held;
        return answer('succeeded', { chargeId: 'ch_slow' });
      },
    ],
  });
  await withWorker(env, fake.activities, async (taskQueue) => {
    const handle = await start(taskQueue, await checkoutInput(env));
    const paying = handle.executeUpdate(submitPaymentUpdate, { args: [newCard()] });
    // wait until the attempt is in flight
    for (let i = 0; i < 100 && !(await handle.query(statusQuery)).attemptInFlight; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const refused = await refusalOf(
      handle.executeUpdate(closeSessionUpdate, { args: [{ operation: 'cancel' }] }),
    );
    expect(refused).toEqual({ code: 'attempt_in_progress' });
    release();
    expect(await paying).toMatchObject({ result: 'success', state: 'paid' });
    expect(await handle.result()).toBe('paid');
  });
});

it('a cancel on an open session closes it as canceled', async () => {
  const fake = fakeActivities({});
  await withWorker(env, fake.activities, async (taskQueue) => {
    const handle = await start(taskQueue, await checkoutInput(env));
    const outcome = await handle.executeUpdate(closeSessionUpdate, { args: [{ operation: 'cancel' }] });
    expect(outcome).toMatchObject({ operation: 'cancel', result: 'success', state: 'canceled' });
    expect(await handle.result()).toBe('canceled');
  });
  expect(fake.records.at(-1)).toMatchObject({
    state: 'canceled',
    operations: [expect.objectContaining({ operation: 'cancel', result: 'success' })],
  });
});
