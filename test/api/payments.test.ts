/** Merchant and admin API against real services: every contract status code of §1.1, §1.2, §5. */
import { ADMIN_KEY, DEMO_API_KEY, newPayment, startHarness, type Harness } from '../support/harness';

const CREATE = '/b/checkout/v1/pymt-txn/';
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('POST /b/checkout/v1/pymt-txn/', () => {
  it('creates a payment, normalises money and starts its workflow', async () => {
    const res = await h.merchant('POST', CREATE, newPayment({ amount: '20.23', extra: { cart: [1, 2] } }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      amount: '20.230',
      currency_code: 'KWD',
      state: 'created',
      operation: 'purchase',
      expiration_time: '1 00:00:00',
      extra: { cart: [1, 2] },
      payment_methods: [
        { code: 'ottu_pg_kwd_tkn', amount: '20.230', currency_code: 'KWD', can_save_card: true },
      ],
    });
    expect(res.body.session_id).toMatch(/^[0-9a-f]{64}$/);
    expect(res.body.checkout_url).toBe(`${h.config.publicBaseUrl}/checkout/${res.body.session_id}`);
    const description = await h.temporal.workflow.getHandle(`checkout-${res.body.session_id}`).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(
      description.typedSearchAttributes
        .getAll()
        .map((p) => p.key.name)
        .sort(),
    ).toEqual(['CustomerId', 'MerchantId', 'OrderNo', 'PaymentState', 'SessionId']); // CONTRACT §8, §9
  });

  it('uses the operation of the gateway config', async () => {
    const res = await h.merchant('POST', CREATE, newPayment({ pg_codes: ['ottu_pg_kwd_auth'] }));
    expect(res.status).toBe(201);
    expect(res.body.operation).toBe('authorize');
  });

  it('401 without or with a wrong key', async () => {
    expect((await h.request('POST', CREATE, { body: newPayment() })).status).toBe(401);
    const wrong = await h.merchant('POST', CREATE, newPayment(), { apiKey: 'nope-nope-nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ detail: expect.any(String) });
  });

  it('400 with field errors, nested like the request', async () => {
    const res = await h.merchant('POST', CREATE, {
      type: 'bogus',
      amount: '1.2345',
      currency_code: 'KWD',
      pg_codes: ['ottu_pg_kwd_tkn'],
      billing_address: { country: 'Kuwait' },
      customer_email: 'not-an-email',
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      type: [expect.any(String)],
      customer_email: [expect.any(String)],
      billing_address: { country: [expect.any(String)] },
    });
  });

  it('400 when the amount has more decimals than the currency allows', async () => {
    const res = await h.merchant(
      'POST',
      CREATE,
      newPayment({ amount: '10.001', currency_code: 'USD', pg_codes: ['credit-card'] }),
    );
    expect(res.status).toBe(400);
    expect(res.body.amount[0]).toContain('2 decimal places');
  });

  it('400 for a pg_code the merchant does not have or that does not take the currency', async () => {
    const unknown = await h.merchant('POST', CREATE, newPayment({ pg_codes: ['nope'] }));
    expect(unknown.status).toBe(400);
    expect(unknown.body.pg_codes[0]).toContain('not configured');
    const currency = await h.merchant('POST', CREATE, newPayment({ currency_code: 'USD', amount: '1.00' }));
    expect(currency.status).toBe(400);
    expect(currency.body.pg_codes[0]).toContain('does not accept USD');
  });

  it('400 for malformed JSON or an incomplete form, 415 for another content type, never 500', async () => {
    const malformed = await h.request('POST', CREATE, {
      rawBody: '{"amount": ',
      headers: { 'content-type': 'application/json' },
      apiKey: DEMO_API_KEY,
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ detail: expect.any(String) });
    // Ottu's API takes forms too (CONTRACT §9): an incomplete one gets its field errors
    const form = await h.request('POST', CREATE, {
      rawBody: 'amount=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      apiKey: DEMO_API_KEY,
    });
    expect(form.status).toBe(400);
    expect(form.body).toHaveProperty('currency_code');
    const text = await h.request('POST', CREATE, {
      rawBody: 'amount=1',
      headers: { 'content-type': 'text/plain' },
      apiKey: DEMO_API_KEY,
    });
    expect(text.status).toBe(415);
    const array = await h.merchant('POST', CREATE, [1, 2, 3]);
    expect(array.status).toBe(400);
  });

  it('ignores operator injection and prototype pollution in string fields', async () => {
    const res = await h.request('POST', CREATE, {
      rawBody:
        '{"type":"e_commerce","amount":{"$gt":""},"currency_code":"KWD","pg_codes":["ottu_pg_kwd_tkn"],"__proto__":{"admin":true}}',
      headers: { 'content-type': 'application/json' },
      apiKey: DEMO_API_KEY,
    });
    expect(res.status).toBe(400);
    expect(res.body.amount).toBeDefined();
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});

describe('Idempotency-Key', () => {
  it('replays the first response for the same key and body', async () => {
    const body = newPayment();
    const first = await h.merchant('POST', CREATE, body, { headers: { 'Idempotency-Key': 'k-replay' } });
    const second = await h.merchant('POST', CREATE, body, { headers: { 'Idempotency-Key': 'k-replay' } });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.session_id).toBe(first.body.session_id);
    expect(await h.collections.payments.countDocuments({ order_no: body.order_no })).toBe(1);
  });

  it('422 for the same key with a different body', async () => {
    await h.merchant('POST', CREATE, newPayment(), { headers: { 'Idempotency-Key': 'k-diff' } });
    const res = await h.merchant('POST', CREATE, newPayment(), { headers: { 'Idempotency-Key': 'k-diff' } });
    expect(res.status).toBe(422);
  });

  it('never creates two payments for concurrent requests with one key', async () => {
    const body = newPayment();
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        h.merchant('POST', CREATE, body, { headers: { 'Idempotency-Key': 'k-race' } }),
      ),
    );
    for (const r of results) expect([201, 409]).toContain(r.status);
    expect(results.some((r) => r.status === 201)).toBe(true);
    const sessions = new Set(results.filter((r) => r.status === 201).map((r) => r.body.session_id));
    expect(sessions.size).toBe(1);
    expect(await h.collections.payments.countDocuments({ order_no: body.order_no })).toBe(1);
  });

  it('a create retried after a crash lands on the same session, not a second one', async () => {
    const body = newPayment();
    const first = await h.merchant('POST', CREATE, body, { headers: { 'Idempotency-Key': 'k-crash' } });
    // the process died before the idempotency record got its response
    await h.collections.idempotency.deleteMany({ _id: { $regex: ':k-crash$' } });
    const retry = await h.merchant('POST', CREATE, body, { headers: { 'Idempotency-Key': 'k-crash' } });
    expect(retry.status).toBe(201);
    expect(retry.body.session_id).toBe(first.body.session_id);
    expect(await h.collections.payments.countDocuments({ order_no: body.order_no })).toBe(1);
    const description = await h.temporal.workflow.getHandle(`checkout-${first.body.session_id}`).describe();
    expect(description.status.name).toBe('RUNNING');
  });

  it('a claim a crashed request left "running" is taken over once its heartbeat is 15 s old, not before', async () => {
    const body = newPayment();
    const first = await h.merchant('POST', CREATE, body, { headers: { 'Idempotency-Key': 'k-hb' } });
    const claim = { _id: { $regex: ':k-hb$' } };
    // the process died mid-request: the record still says running, without its response
    const ago = (s: number) => new Date(Date.now() - s * 1000);
    await h.collections.idempotency.updateMany(claim, {
      $set: { status: 'running', created_at: ago(120), heartbeat_at: ago(3) },
      $unset: { response: '' },
    });
    const whileAlive = await h.merchant('POST', CREATE, body, { headers: { 'Idempotency-Key': 'k-hb' } });
    expect(whileAlive.status).toBe(409); // a recent heartbeat: the first request may still be running
    await h.collections.idempotency.updateMany(claim, { $set: { heartbeat_at: ago(20) } });
    const afterCrash = await h.merchant('POST', CREATE, body, { headers: { 'Idempotency-Key': 'k-hb' } });
    expect(afterCrash.status).toBe(201);
    expect(afterCrash.body.session_id).toBe(first.body.session_id);
    expect(await h.collections.payments.countDocuments({ order_no: body.order_no })).toBe(1);
  });

  it('keys are per merchant', async () => {
    const other = await h.request('POST', '/admin/v1/merchants', {
      body: { name: 'Other' },
      headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
    });
    await h.request('PUT', `/admin/v1/merchants/${other.body.merchant_id}/gateways/ottu_pg_kwd_tkn`, {
      body: gatewayConfig(),
      headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
    });
    const body = newPayment();
    const mine = await h.merchant('POST', CREATE, body, { headers: { 'Idempotency-Key': 'k-shared' } });
    const theirs = await h.merchant('POST', CREATE, body, {
      apiKey: other.body.api_key,
      headers: { 'Idempotency-Key': 'k-shared' },
    });
    expect(theirs.status).toBe(201);
    expect(theirs.body.session_id).not.toBe(mine.body.session_id);
  });
});

describe('GET /b/checkout/v1/pymt-txn/{session_id}/', () => {
  it('returns the payment with its state and attempts', async () => {
    const created = await h.merchant('POST', CREATE, newPayment());
    const res = await h.merchant('GET', `${CREATE}${created.body.session_id}/`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ session_id: created.body.session_id, state: 'created', attempts: [] });
  });

  it("404 for an unknown session and for another merchant's", async () => {
    expect((await h.merchant('GET', `${CREATE}${'0'.repeat(64)}/`)).status).toBe(404);
    const created = await h.merchant('POST', CREATE, newPayment());
    const other = await h.request('POST', '/admin/v1/merchants', {
      body: { name: 'Nosy' },
      headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
    });
    const res = await h.merchant('GET', `${CREATE}${created.body.session_id}/`, undefined, {
      apiKey: other.body.api_key,
    });
    expect(res.status).toBe(404);
  });
});

describe('admin API', () => {
  it('creates merchants whose key is stored only as a hash', async () => {
    const res = await h.request('POST', '/admin/v1/merchants', {
      body: { name: 'Shop' },
      headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      merchant_id: expect.any(String),
      name: 'Shop',
      api_key: expect.any(String),
      webhook_hmac_key: expect.any(String),
    });
    const stored = JSON.stringify(await h.collections.merchants.findOne({ _id: res.body.merchant_id }));
    expect(stored).not.toContain(res.body.api_key);
    const created = await h.merchant('POST', CREATE, newPayment(), { apiKey: res.body.api_key });
    expect(created.status).toBe(400); // authenticated, but has no gateways yet
  });

  it('configures gateways and validates them', async () => {
    const merchant = await h.request('POST', '/admin/v1/merchants', {
      body: { name: 'Configured' },
      headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
    });
    const path = `/admin/v1/merchants/${merchant.body.merchant_id}/gateways/my-pg`;
    const ok = await h.request('PUT', path, {
      body: gatewayConfig(),
      headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ pg_code: 'my-pg', currencies: ['KWD'], max_attempts: 3 });
    const bad = await h.request('PUT', path, {
      body: { ...gatewayConfig(), three_ds: 'always' },
      headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.three_ds).toBeDefined();
    const missing = await h.request('PUT', '/admin/v1/merchants/nobody/gateways/x', {
      body: gatewayConfig(),
      headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
    });
    expect(missing.status).toBe(404);
  });

  it('401 without the admin key', async () => {
    expect((await h.request('POST', '/admin/v1/merchants', { body: { name: 'x' } })).status).toBe(401);
    const wrong = await h.request('POST', '/admin/v1/merchants', {
      body: { name: 'x' },
      headers: { authorization: 'Admin-Key wrong-key' },
    });
    expect(wrong.status).toBe(401);
  });
});

describe('health', () => {
  it('is live and ready when every dependency and a worker are up', async () => {
    expect((await h.request('GET', '/healthz')).status).toBe(200);
    const ready = await h.request('GET', '/readyz');
    expect(ready.status).toBe(200);
  });
});

function gatewayConfig() {
  return {
    currencies: ['KWD'],
    operation: 'purchase',
    tokenization_enabled: true,
    cvv_required: true,
    auto_debit_enabled: false,
    three_ds: 'challenge_if_required',
    max_attempts: 3,
  };
}
