/**
 * The returning customer: saved cards on the page, TokenChargeWorkflow with the CVV rule of the
 * gateway config, the CVC lockout, isolation between merchants and customers, the User Cards
 * API, merchant-initiated charges and save_card links — all on real services.
 */
import { ADMIN_KEY, card, newPayment, startHarness, TEST_CARDS, type Harness } from '../support/harness';

const CREATE = '/b/checkout/v1/pymt-txn/';
const KWD_CVV = 'ottu_pg_kwd_tkn';
const KWD_NO_CVV = 'ottu_pg_kwd_tkn_nocvv';
let h: Harness;
let customerSeq = 0;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const newCustomer = (): string => `saved-${Date.now()}-${++customerSeq}`;

async function create(customerId: string, overrides: Record<string, unknown> = {}, apiKey?: string) {
  const res = await h.merchant(
    'POST',
    CREATE,
    newPayment({ customer_id: customerId, pg_codes: [KWD_CVV, KWD_NO_CVV], ...overrides }),
    apiKey ? { apiKey } : {},
  );
  expect(res.status).toBe(201);
  return res.body.session_id as string;
}

const submit = (sessionId: string, body: Record<string, unknown>) =>
  h.request('POST', `/checkout/${sessionId}/submit`, { body });

/** Pays once with a new card and saves it; returns the token. */
async function saveCard(
  customerId: string,
  number: string = TEST_CARDS.visa,
  pgCode = KWD_CVV,
  cvv?: string,
) {
  const sessionId = await create(customerId);
  const res = await submit(sessionId, {
    pg_code: pgCode,
    payment_method: 'card',
    card: card(number, cvv),
    save_card: true,
  });
  expect(res.body).toMatchObject({ result: 'success' });
  return res.body.token.token as string;
}

const payWithToken = (sessionId: string, token: string, extra: Record<string, unknown> = {}) =>
  submit(sessionId, { pg_code: KWD_CVV, payment_method: 'token', token, ...extra });

async function ledger(): Promise<
  Array<{ type: string; status: string; idempotency_key: string; amount: number }>
> {
  const res = await fetch(`${h.simulatorUrl}/v1/ledger`);
  return ((await res.json()) as { entries: [] }).entries;
}

const chargesFor = async (sessionId: string) =>
  (await ledger()).filter((e) => e.type === 'charge' && e.idempotency_key.startsWith(sessionId));

describe('the checkout page of a returning customer', () => {
  it("lists this customer's saved cards, brand + last 4 + expiry only", async () => {
    const customer = newCustomer();
    await saveCard(customer, TEST_CARDS.mastercard);
    await saveCard(newCustomer(), TEST_CARDS.amex); // someone else's card
    const sessionId = await create(customer);
    const page = await h.request('GET', `/checkout/${sessionId}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('0008');
    expect(page.body).not.toContain('0005');
    expect(page.body).not.toContain(TEST_CARDS.mastercard);
  });
});

describe('paying with a saved card (TokenChargeWorkflow)', () => {
  it('charges the card on file with the CVV, as a child workflow', async () => {
    const customer = newCustomer();
    const token = await saveCard(customer);
    const sessionId = await create(customer);
    const res = await payWithToken(sessionId, token, { cvv: '123' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      result: 'success',
      state: 'paid',
      token: { token, number: '**** 4242' },
    });
    const child = await h.temporal.workflow.getHandle(`token-charge-${sessionId}-1`).describe();
    expect(child.status.name).toBe('COMPLETED');
    expect(child.parentExecution?.workflowId).toBe(`checkout-${sessionId}`);
    expect(await chargesFor(sessionId)).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    const stored = await h.collections.payments.findOne({ _id: sessionId });
    expect(stored?.attempts).toEqual([
      expect.objectContaining({ payment_method: 'token', result: 'success' }),
    ]);
  });

  it('400 without the CVV where the config requires it, or with the wrong length', async () => {
    const customer = newCustomer();
    const token = await saveCard(customer);
    const sessionId = await create(customer);
    const missing = await payWithToken(sessionId, token);
    expect(missing.status).toBe(400);
    expect(missing.body.cvv).toEqual([expect.any(String)]);
    const short = await payWithToken(sessionId, token, { cvv: '12' });
    expect(short.status).toBe(400);
    expect(await chargesFor(sessionId)).toHaveLength(0);
  });

  it('needs no CVV where the config says so', async () => {
    const customer = newCustomer();
    const token = await saveCard(customer, TEST_CARDS.visa, KWD_NO_CVV);
    const sessionId = await create(customer);
    const res = await submit(sessionId, { pg_code: KWD_NO_CVV, payment_method: 'token', token });
    expect(res.body).toMatchObject({ result: 'success', state: 'paid', token: { cvv_required: false } });
  });

  it('a card the issuer declines later is a failed attempt', async () => {
    const customer = newCustomer();
    const token = await saveCard(customer, TEST_CARDS.laterDeclines);
    const sessionId = await create(customer);
    const res = await payWithToken(sessionId, token, { cvv: '123' });
    expect(res.body).toMatchObject({ result: 'failed', state: 'attempted' });
  });

  it('3-D Secure on a saved card waits for the challenge', async () => {
    const customer = newCustomer();
    const first = await create(customer);
    const pending = await submit(first, {
      pg_code: KWD_CVV,
      payment_method: 'card',
      card: card(TEST_CARDS.threeDs),
      save_card: true,
    });
    await approve(pending.body.next_action.url);
    await h.request('GET', `/checkout/${first}`);
    const [saved] = (await h.merchant('POST', '/b/pbl/v2/card/', { type: 'sandbox', customer_id: customer }))
      .body;
    expect(saved.number).toBe('**** 3184');

    const second = await create(customer);
    const res = await payWithToken(second, saved.token, { cvv: '123' });
    expect(res.body).toMatchObject({ result: 'pending', next_action: { url: expect.any(String) } });
    await approve(res.body.next_action.url);
    await h.request('GET', `/checkout/${second}`);
    expect(await h.temporal.workflow.getHandle(`checkout-${second}`).result()).toBe('paid');
  });
});

describe('CVC lockout', () => {
  it('three wrong CVCs lock the token (423, gateway untouched) until the full card pays again', async () => {
    const customer = newCustomer();
    const token = await saveCard(customer, TEST_CARDS.visa, KWD_CVV, '123');
    for (let i = 0; i < 3; i++) {
      const sessionId = await create(customer);
      const res = await payWithToken(sessionId, token, { cvv: '999' });
      expect(res.body).toMatchObject({ result: 'failed', message: expect.stringMatching(/security code/i) });
    }
    const sessionId = await create(customer);
    const before = (await ledger()).length;
    const locked = await payWithToken(sessionId, token, { cvv: '123' });
    expect(locked.status).toBe(423);
    expect((await ledger()).length).toBe(before);

    // paying once with the full card lifts the lock
    const full = await submit(sessionId, {
      pg_code: KWD_CVV,
      payment_method: 'card',
      card: card(TEST_CARDS.visa, '123'),
    });
    expect(full.body.result).toBe('success');
    const next = await create(customer);
    expect((await payWithToken(next, token, { cvv: '123' })).body).toMatchObject({ result: 'success' });
  });

  it('a correct CVC in between resets the count', async () => {
    const customer = newCustomer();
    const token = await saveCard(customer, TEST_CARDS.mastercard, KWD_CVV, '321');
    for (const cvv of ['999', '999', '321', '999', '999']) {
      const sessionId = await create(customer);
      await payWithToken(sessionId, token, { cvv });
    }
    const doc = await h.collections.cards.findOne({ _id: token });
    expect(doc?.locked_at ?? null).toBeNull();
  });
});

describe('isolation', () => {
  it("another customer's token is 404 and never charged", async () => {
    const token = await saveCard(newCustomer());
    const sessionId = await create(newCustomer());
    const res = await payWithToken(sessionId, token, { cvv: '123' });
    expect(res.status).toBe(404);
    expect(await chargesFor(sessionId)).toHaveLength(0);
  });

  it("another merchant's token is 404 on submit, list, delete and auto-debit", async () => {
    const other = await h.request('POST', '/admin/v1/merchants', {
      body: { name: 'Other shop' },
      headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
    });
    const otherKey = other.body.api_key as string;
    await h.request('PUT', `/admin/v1/merchants/${other.body.merchant_id}/gateways/${KWD_NO_CVV}`, {
      body: {
        currencies: ['KWD'],
        operation: 'purchase',
        tokenization_enabled: true,
        cvv_required: false,
        auto_debit_enabled: true,
        three_ds: 'never',
        max_attempts: 3,
      },
      headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
    });
    const customer = newCustomer();
    const token = await saveCard(customer, TEST_CARDS.visa, KWD_NO_CVV); // the demo merchant's card
    const theirSession = await create(customer, { pg_codes: [KWD_NO_CVV] }, otherKey);

    const submitRes = await submit(theirSession, { pg_code: KWD_NO_CVV, payment_method: 'token', token });
    expect(submitRes.status).toBe(404);
    const list = await h.merchant(
      'POST',
      '/b/pbl/v2/card/',
      { type: 'sandbox', customer_id: customer },
      { apiKey: otherKey },
    );
    expect(list.body).toEqual([]);
    const del = await h.merchant(
      'DELETE',
      `/b/pbl/v2/card/${token}/?customer_id=${customer}&type=sandbox`,
      undefined,
      {
        apiKey: otherKey,
      },
    );
    expect(del.status).toBe(404);
    const debit = await h.merchant(
      'POST',
      '/b/pbl/v2/auto-debit/',
      { session_id: theirSession, token },
      { apiKey: otherKey },
    );
    expect(debit.status).toBe(404);
    expect(await chargesFor(theirSession)).toHaveLength(0);
  });

  it('a token used with a gateway it was not saved for is 400', async () => {
    const customer = newCustomer();
    const token = await saveCard(customer, TEST_CARDS.visa, KWD_CVV);
    const sessionId = await create(customer);
    const res = await submit(sessionId, { pg_code: KWD_NO_CVV, payment_method: 'token', token });
    expect(res.status).toBe(400);
    expect(res.body.token).toBeDefined();
  });
});

describe('User Cards API', () => {
  it('lists most recently used first with is_preferred, is_expired and cvv_required', async () => {
    const customer = newCustomer();
    const visa = await saveCard(customer, TEST_CARDS.visa, KWD_CVV);
    const master = await saveCard(customer, TEST_CARDS.mastercard, KWD_NO_CVV);
    // a card saved long ago that has expired since (saved through the store: no gateway would
    // accept an expired card today)
    const expired = await h.store.cards.save(
      {
        merchantId: 'demo',
        customerId: customer,
        pgCode: KWD_CVV,
        gatewayRef: 'src_expired',
        fingerprint: `fp-${customer}`,
        card: {
          brand: 'visa',
          bin: '400000',
          last4: '1111',
          exp_month: '01',
          exp_year: '20',
          name_on_card: 'Old Card',
        },
      },
      new Date('2019-01-01'),
    );
    const list = await h.merchant('POST', '/b/pbl/v2/card/', { type: 'sandbox', customer_id: customer });
    expect(list.status).toBe(200);
    expect(list.body.map((c: { token: string }) => c.token)).toEqual([master, visa, expired._id]);
    expect(list.body.map((c: { is_preferred: boolean }) => c.is_preferred)).toEqual([true, false, false]);
    expect(list.body.map((c: { cvv_required: boolean }) => c.cvv_required)).toEqual([false, true, true]);
    expect(list.body[2]).toMatchObject({
      is_expired: true,
      number: '**** 1111',
      expiry_month: '01',
      expiry_year: '20',
    });

    // using the visa makes it preferred
    const sessionId = await create(customer);
    await payWithToken(sessionId, visa, { cvv: '123' });
    const again = await h.merchant('POST', '/b/pbl/v2/card/', {
      type: 'sandbox',
      customer_id: customer,
      pg_codes: [KWD_CVV],
    });
    expect(again.body.map((c: { token: string }) => c.token)).toEqual([visa, expired._id]);
    expect(again.body[0].is_preferred).toBe(true);
  });

  it('400 on a bad body; an expired card cannot be charged', async () => {
    expect((await h.merchant('POST', '/b/pbl/v2/card/', { type: 'nope' })).status).toBe(400);
    const customer = newCustomer();
    await h.collections.cards.insertOne({
      _id: `old-${customer}`,
      merchant_id: 'demo',
      customer_id: customer,
      pg_code: KWD_NO_CVV,
      gateway_ref: 'src_old',
      fingerprint: `fp-old-${customer}`,
      brand: 'visa',
      bin: '400000',
      last4: '1111',
      exp_month: '01',
      exp_year: '20',
      name_on_card: 'Old',
      agreements: [],
      created_at: new Date(),
      last_used_at: new Date(),
    });
    const sessionId = await create(customer);
    const res = await submit(sessionId, {
      pg_code: KWD_NO_CVV,
      payment_method: 'token',
      token: `old-${customer}`,
    });
    expect(res.status).toBe(400);
    expect(await chargesFor(sessionId)).toHaveLength(0);
  });

  it('deletes: the token is then neither listed nor chargeable', async () => {
    const customer = newCustomer();
    const token = await saveCard(customer, TEST_CARDS.visa, KWD_NO_CVV);
    const del = await h.merchant('DELETE', `/b/pbl/v2/card/${token}/?customer_id=${customer}&type=sandbox`);
    expect(del.status).toBe(204);
    expect(
      (await h.merchant('POST', '/b/pbl/v2/card/', { type: 'sandbox', customer_id: customer })).body,
    ).toEqual([]);
    const sessionId = await create(customer);
    expect((await submit(sessionId, { pg_code: KWD_NO_CVV, payment_method: 'token', token })).status).toBe(
      404,
    );
    const again = await h.merchant('DELETE', `/b/pbl/v2/card/${token}/?customer_id=${customer}&type=sandbox`);
    expect(again.status).toBe(404);
  });
});

describe('merchant-initiated charges', () => {
  async function autoDebitCard(customer: string, agreementId: string) {
    const sessionId = await create(customer, {
      pg_codes: [KWD_NO_CVV],
      payment_type: 'auto_debit',
      agreement: { id: agreementId, type: 'recurring', frequency: 'monthly' },
    });
    const res = await submit(sessionId, {
      pg_code: KWD_NO_CVV,
      payment_method: 'card',
      card: card(TEST_CARDS.visa),
    });
    expect(res.body.result).toBe('success');
    return res.body.token as { token: string; agreements: string[] };
  }

  it('an auto_debit link saves the card under the agreement', async () => {
    const customer = newCustomer();
    const saved = await autoDebitCard(customer, 'agr-1');
    expect(saved.agreements).toEqual(['agr-1']);
  });

  it('POST /b/pbl/v2/auto-debit/ charges without CVV and answers with the signed result', async () => {
    const customer = newCustomer();
    const saved = await autoDebitCard(customer, 'agr-2');
    const sessionId = await create(customer, {
      pg_codes: [KWD_NO_CVV],
      payment_type: 'auto_debit',
      agreement: { id: 'agr-2' },
      amount: '5.5',
    });
    const res = await h.merchant('POST', '/b/pbl/v2/auto-debit/', {
      session_id: sessionId,
      token: saved.token,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      session_id: sessionId,
      result: 'success',
      state: 'paid',
      amount: '5.500',
      gateway_account: KWD_NO_CVV,
      token: { token: saved.token },
      signature: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(await chargesFor(sessionId)).toEqual([
      expect.objectContaining({ status: 'succeeded', amount: 5500 }),
    ]);
    const again = await h.merchant('POST', '/b/pbl/v2/auto-debit/', {
      session_id: sessionId,
      token: saved.token,
    });
    expect(again.status).toBe(409);
  });

  it('refused where the config requires a CVV or disables auto-debit', async () => {
    const customer = newCustomer();
    const token = await saveCard(customer, TEST_CARDS.visa, KWD_CVV);
    const sessionId = await create(customer, { pg_codes: [KWD_CVV] });
    const res = await h.merchant('POST', '/b/pbl/v2/auto-debit/', { session_id: sessionId, token });
    expect(res.status).toBe(422);
    expect(await chargesFor(sessionId)).toHaveLength(0);
  });

  it('payment_instrument charges in one step', async () => {
    const customer = newCustomer();
    const saved = await autoDebitCard(customer, 'agr-3');
    const res = await h.merchant(
      'POST',
      CREATE,
      newPayment({
        customer_id: customer,
        pg_codes: [KWD_NO_CVV],
        payment_type: 'auto_debit',
        agreement: { id: 'agr-3' },
        payment_instrument: { instrument_type: 'token', payload: { token: saved.token } },
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ result: 'success', state: 'paid', token: { token: saved.token } });
  });

  it('save_card verifies and saves without charging', async () => {
    const customer = newCustomer();
    const sessionId = await create(customer, { amount: '0', payment_type: 'save_card', pg_codes: [KWD_CVV] });
    const res = await submit(sessionId, {
      pg_code: KWD_CVV,
      payment_method: 'card',
      card: card(TEST_CARDS.mastercard),
    });
    expect(res.body).toMatchObject({ result: 'success', token: { number: '**** 0008' } });
    expect(await chargesFor(sessionId)).toEqual([expect.objectContaining({ amount: 0 })]);
    const nonZero = await h.merchant(
      'POST',
      CREATE,
      newPayment({ customer_id: customer, payment_type: 'save_card' }),
    );
    expect(nonZero.status).toBe(400);
  });
});

describe('abuse controls and durability', () => {
  it('per-session submit rate limit answers 429', async () => {
    const limited = await startHarness({ env: { TOKENPAY_SUBMIT_RATE_PER_SESSION: '3' } });
    try {
      const created = await limited.merchant('POST', CREATE, newPayment());
      const bad = { pg_code: KWD_CVV, payment_method: 'card', card: card('4242424242424241') };
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        statuses.push(
          (await limited.request('POST', `/checkout/${created.body.session_id}/submit`, { body: bad }))
            .status,
        );
      }
      expect(statuses).toEqual([400, 400, 400, 429]);
    } finally {
      await limited.close();
    }
  });

  it('a 3-D Secure challenge survives a worker restart', async () => {
    const sessionId = await create(newCustomer());
    const res = await submit(sessionId, {
      pg_code: KWD_CVV,
      payment_method: 'card',
      card: card(TEST_CARDS.threeDs),
    });
    expect(res.body.result).toBe('pending');
    await h.restartWorker();
    await approve(res.body.next_action.url);
    await h.request('GET', `/checkout/${sessionId}`);
    expect(await h.temporal.workflow.getHandle(`checkout-${sessionId}`).result()).toBe('paid');
    expect((await chargesFor(sessionId)).filter((c) => c.status === 'succeeded')).toHaveLength(1);
  });
});

async function approve(url: string): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'outcome=approve',
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
}
