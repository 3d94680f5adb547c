/**
 * Customers manage their own saved cards (CONTRACT §9), through the session's capability and the
 * page's CSRF token: a removed card is neither listed nor charged, the merchant hears of it by a
 * signed webhook, a card paying an active auto-debit agreement is refused with 409 until another
 * card replaces it on that agreement, and nobody can remove another customer's card. Also the
 * SDK's setup object (`GET /checkout/{id}/sdk-setup`, `include_sdk_setup_preload` on create).
 */
import { csrfToken } from '../../src/api/checkout-session';
import { DEV_DEFAULTS } from '../../src/config';
import { toSavedCard } from '../../src/store/cards';
import { verifyWebhook } from '../../src/webhooks';
import {
  ADMIN_KEY,
  card,
  eventually,
  newPayment,
  startHarness,
  TEST_CARDS,
  type Harness,
} from '../support/harness';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

jest.setTimeout(120_000);

const CREATE = '/b/checkout/v1/pymt-txn/';
const KWD_CVV = 'ottu_pg_kwd_tkn';
const KWD_NO_CVV = 'ottu_pg_kwd_tkn_nocvv';
let h: Harness;
let receiver: WebhookReceiver;
let seq = 0;

beforeAll(async () => {
  [h, receiver] = await Promise.all([startHarness(), startWebhookReceiver()]);
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

const newCustomer = (): string => `cards-${Date.now()}-${++seq}`;

async function create(customerId: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await h.merchant(
    'POST',
    CREATE,
    newPayment({ customer_id: customerId, pg_codes: [KWD_CVV, KWD_NO_CVV], ...overrides }),
  );
  expect(res.status).toBe(201);
  return res.body.session_id as string;
}

async function saveCard(
  customerId: string,
  number: string = TEST_CARDS.visa,
  overrides: Record<string, unknown> = {},
  pgCode = KWD_CVV,
): Promise<string> {
  const sessionId = await create(customerId, overrides);
  const res = await h.request('POST', `/checkout/${sessionId}/submit`, {
    body: { pg_code: pgCode, payment_method: 'card', card: card(number), save_card: true },
  });
  expect(res.body).toMatchObject({ result: 'success' });
  return res.body.token.token as string;
}

const remove = (sessionId: string, token: string, csrf: string | null = csrfToken(h.config, sessionId)) =>
  h.request('DELETE', `/checkout/${sessionId}/cards/${token}`, {
    headers: csrf === null ? {} : { 'x-csrf-token': csrf },
  });

const listed = async (customerId: string): Promise<string[]> => {
  const res = await h.merchant('POST', '/b/pbl/v2/card/', { type: 'sandbox', customer_id: customerId });
  expect(res.status).toBe(200);
  return (res.body as Array<{ token: string }>).map((c) => c.token);
};

describe('a customer removes a saved card', () => {
  it('from their session: then it is neither listed, shown nor charged', async () => {
    const customer = newCustomer();
    const token = await saveCard(customer, TEST_CARDS.mastercard);
    const kept = await saveCard(customer, TEST_CARDS.visa);
    const sessionId = await create(customer);
    expect(await listed(customer)).toEqual(expect.arrayContaining([token, kept]));

    const res = await remove(sessionId, token);
    expect(res.status).toBe(204);
    expect(res.headers.get('cache-control')).toBe('no-store');

    expect(await listed(customer)).toEqual([kept]);
    const page = await h.request('GET', `/checkout/${sessionId}`);
    expect(page.body).not.toContain(token);
    expect(page.body).toContain(kept);
    const setup = await h.request('GET', `/checkout/${sessionId}/sdk-setup`);
    expect(setup.body.cards.map((c: { token: string }) => c.token)).toEqual([kept]);
    const charge = await h.request('POST', `/checkout/${sessionId}/submit`, {
      body: { pg_code: KWD_CVV, payment_method: 'token', token, cvv: '123' },
    });
    expect(charge.status).toBe(404);
    // removing it again: it is gone
    expect((await remove(sessionId, token)).status).toBe(404);
  });

  it("only with the page's CSRF token", async () => {
    const customer = newCustomer();
    const token = await saveCard(customer);
    const sessionId = await create(customer);
    const missing = await remove(sessionId, token, null);
    expect(missing.status).toBe(403);
    expect(missing.body).toEqual({ detail: expect.any(String) });
    expect((await remove(sessionId, token, 'x'.repeat(43))).status).toBe(403);
    // another session's token does not open this one
    const other = await create(customer);
    expect((await remove(sessionId, token, csrfToken(h.config, other))).status).toBe(403);
    expect(await listed(customer)).toContain(token);
  });

  it("never another customer's or another merchant's card", async () => {
    const alice = newCustomer();
    const bob = newCustomer();
    const alicesCard = await saveCard(alice);
    const bobsSession = await create(bob);
    const res = await remove(bobsSession, alicesCard);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: expect.any(String) });
    expect(await listed(alice)).toContain(alicesCard);

    // another merchant's session for a customer of the same id
    const merchant = await h.request('POST', '/admin/v1/merchants', {
      body: { name: 'Other shop' },
      headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
    });
    await h.request('PUT', `/admin/v1/merchants/${merchant.body.merchant_id}/gateways/${KWD_CVV}`, {
      headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
      body: {
        currencies: ['KWD'],
        operation: 'purchase',
        tokenization_enabled: true,
        cvv_required: true,
        auto_debit_enabled: false,
        three_ds: 'never',
        max_attempts: 3,
      },
    });
    const foreign = await h.merchant('POST', CREATE, newPayment({ customer_id: alice }), {
      apiKey: merchant.body.api_key,
    });
    expect(foreign.status).toBe(201);
    expect((await remove(foreign.body.session_id, alicesCard)).status).toBe(404);
    // a session without a customer has no cards
    const anonymous = await h.merchant('POST', CREATE, newPayment({ customer_id: undefined }));
    expect((await remove(anonymous.body.session_id, alicesCard)).status).toBe(404);
    expect((await remove(bobsSession, 'not-a-token')).status).toBe(404);
    expect(await listed(alice)).toContain(alicesCard);
  });

  it('not through a closed session', async () => {
    const customer = newCustomer();
    const token = await saveCard(customer);
    const sessionId = await create(customer);
    const cancel = await h.merchant('POST', '/b/pbl/v2/operation/', {
      operation: 'cancel',
      session_id: sessionId,
    });
    expect(cancel.status).toBe(200);
    const res = await remove(sessionId, token);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ detail: expect.any(String) });
    expect(await listed(customer)).toContain(token);
    expect((await remove('0'.repeat(64), token)).status).toBe(404);
  });

  it('tells the merchant with a signed webhook once the card is gone', async () => {
    const customer = newCustomer();
    const token = await saveCard(customer, TEST_CARDS.amex);
    const sessionId = await create(customer, { webhook_url: receiver.url });
    expect((await remove(sessionId, token)).status).toBe(204);
    const hooks = () => receiver.received.filter((r) => r.body.session_id === sessionId);
    await eventually(async () => expect(hooks()).toHaveLength(1), 20_000);
    const [hook] = hooks();
    expect(hook!.body).toMatchObject({
      session_id: sessionId,
      operation: 'card_deleted',
      result: 'success',
      customer_id: customer,
      event_id: `${sessionId}.card_deleted.${token}`,
      token: { token, number: '**** 0005', brand: 'American Express', customer_id: customer },
    });
    const { signature, ...payload } = hook!.body;
    expect(verifyWebhook(payload, DEV_DEFAULTS.demoWebhookKey, signature)).toBe(true);
    expect(JSON.stringify(hook!.body)).not.toContain(TEST_CARDS.amex);
  });

  it('a notice whose removal never happened (a crash in between) is not delivered', async () => {
    const customer = newCustomer();
    const token = await saveCard(customer);
    const sessionId = await create(customer, { webhook_url: receiver.url });
    const doc = (await h.store.cards.find('demo', token))!;
    const handle = await h.temporal.workflow.start('WebhookDeliveryWorkflow', {
      workflowId: `webhook-${sessionId}.card_deleted.${token}`,
      taskQueue: h.config.temporal.taskQueue,
      args: [
        {
          eventId: `${sessionId}.card_deleted.${token}`,
          sessionId,
          merchantId: 'demo',
          url: receiver.url,
          timestampUtc: new Date().toISOString(),
          kind: 'card_deleted',
          state: 'pending',
          result: 'success',
          card: toSavedCard(doc),
        },
      ],
    });
    expect(await handle.result()).toBe('gave_up');
    expect(receiver.received.filter((r) => r.body.session_id === sessionId)).toEqual([]);
    expect(await listed(customer)).toContain(token);
  });

  it('a refused removal tells the merchant nothing', async () => {
    const customer = newCustomer();
    const agreement = { id: `agr-${Date.now()}`, type: 'recurring', frequency: 'monthly' };
    const token = await saveCard(
      customer,
      TEST_CARDS.visa,
      { payment_type: 'auto_debit', agreement, pg_codes: [KWD_NO_CVV] },
      KWD_NO_CVV,
    );
    const sessionId = await create(customer, { webhook_url: receiver.url });
    expect((await remove(sessionId, token)).status).toBe(409);
    await new Promise((resolve) => setTimeout(resolve, 3_500)); // past the notice's delay
    expect(receiver.received.filter((r) => r.body.session_id === sessionId)).toEqual([]);
  });
});

describe('a card that pays an auto-debit agreement', () => {
  it('is locked against removal (409) until another card replaces it on the agreement', async () => {
    const customer = newCustomer();
    const agreement = { id: `agr-${Date.now()}`, type: 'recurring', frequency: 'monthly' };
    const autoDebit = { payment_type: 'auto_debit', agreement, pg_codes: [KWD_NO_CVV] };
    const first = await saveCard(customer, TEST_CARDS.visa, autoDebit, KWD_NO_CVV);
    const sessionId = await create(customer);

    const refused = await remove(sessionId, first);
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ detail: expect.stringMatching(/automatic payments/) });
    expect(await listed(customer)).toContain(first);
    const setup = await h.request('GET', `/checkout/${sessionId}/sdk-setup`);
    expect(setup.body.cards).toEqual([
      expect.objectContaining({
        token: first,
        is_locked: true,
        delete_url: null,
        locked_reason: expect.any(String),
      }),
    ]);

    // the customer puts another card on the agreement: the first is free, the new one is held
    const second = await saveCard(customer, TEST_CARDS.mastercard, autoDebit, KWD_NO_CVV);
    expect((await remove(sessionId, second)).status).toBe(409);
    expect((await remove(sessionId, first)).status).toBe(204);
    expect(await listed(customer)).toEqual([second]);
  });
});

describe("the SDK's setup object (Ottu's CheckoutSDK)", () => {
  it('comes with create (include_sdk_setup_preload) and from the session, the same', async () => {
    const customer = newCustomer();
    const token = await saveCard(customer, TEST_CARDS.amex);
    const created = await h.merchant(
      'POST',
      CREATE,
      newPayment({ customer_id: customer, pg_codes: [KWD_CVV, KWD_NO_CVV], include_sdk_setup_preload: true }),
    );
    expect(created.status).toBe(201);
    const sessionId = created.body.session_id as string;
    const preload = created.body.sdk_setup_preload_payload;
    expect(preload).toMatchObject({
      session_id: sessionId,
      type: 'e_commerce',
      state: 'created',
      amount: '20.230',
      currency_code: 'KWD',
      customer_id: customer,
      operation: 'purchase',
      payment_type: 'one_off',
      is_amount_editable: false,
      cancel_url: null,
      payment_services: [],
      flex_methods: [],
      sdk_studio: {},
      response: {},
      billing: { total: { amount: '20.230', currency_code: 'KWD' }, fee: { amount: '0.000' } },
    });
    expect(preload.payment_methods.map((m: { code: string }) => m.code)).toEqual([KWD_CVV, KWD_NO_CVV]);
    expect(preload.payment_methods[0]).toMatchObject({
      amount: '20.230',
      currency_code: 'KWD',
      can_save_card: true,
      redirect_url: created.body.checkout_url,
    });
    expect(preload.cards).toEqual([
      expect.objectContaining({
        token,
        brand: 'American Express',
        number: '**** 0005',
        cvv_required: true,
        is_preferred: true,
        is_locked: false,
        locked_reason: null,
        delete_url: `${h.config.publicBaseUrl}/checkout/${sessionId}/cards/${token}`,
      }),
    ]);
    // not stored, not echoed
    const fetched = await h.merchant('GET', `${CREATE}${sessionId}/`);
    expect(fetched.body).not.toHaveProperty('include_sdk_setup_preload');
    expect(fetched.body).not.toHaveProperty('sdk_setup_preload_payload');
    const plain = await h.merchant('POST', CREATE, newPayment({ customer_id: customer }));
    expect(plain.body).not.toHaveProperty('sdk_setup_preload_payload');

    const setup = await h.request('GET', `/checkout/${sessionId}/sdk-setup`);
    expect(setup.status).toBe(200);
    expect(setup.body).toEqual(preload);
    expect((await h.request('GET', `/checkout/${'f'.repeat(64)}/sdk-setup`)).status).toBe(404);
  });

  it('hides saved cards for a save_card session (Ottu) and reports the latest attempt', async () => {
    const customer = newCustomer();
    await saveCard(customer);
    const saving = await h.merchant(
      'POST',
      CREATE,
      newPayment({
        customer_id: customer,
        amount: '0',
        payment_type: 'save_card',
        include_sdk_setup_preload: true,
      }),
    );
    expect(saving.status).toBe(201);
    expect(saving.body.sdk_setup_preload_payload.cards).toEqual([]);

    const sessionId = await create(customer);
    await h.request('POST', `/checkout/${sessionId}/submit`, {
      body: { pg_code: KWD_CVV, payment_method: 'card', card: card(TEST_CARDS.declined) },
    });
    const setup = await h.request('GET', `/checkout/${sessionId}/sdk-setup`);
    expect(setup.body.state).toBe('attempted');
    expect(setup.body.response).toMatchObject({ status: 'failed', reference_number: expect.any(String) });
  });
});
