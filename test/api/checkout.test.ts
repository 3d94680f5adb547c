/**
 * CheckoutWorkflow end to end through the HTTP API, on the real Temporal dev server, FerretDB and
 * the gateway simulator: the customer's submit returns the attempt's outcome in the same request.
 */
import { card, eventually, newPayment, startHarness, TEST_CARDS, type Harness } from '../support/harness';

const CREATE = '/b/checkout/v1/pymt-txn/';
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

async function create(overrides: Record<string, unknown> = {}) {
  const res = await h.merchant('POST', CREATE, newPayment(overrides));
  expect(res.status).toBe(201);
  return res.body as { session_id: string; customer_id?: string; pg_codes: string[] };
}

function submit(sessionId: string, body: Record<string, unknown>) {
  return h.request('POST', `/checkout/${sessionId}/submit`, { body });
}

function payWith(sessionId: string, number: string, extra: Record<string, unknown> = {}) {
  return submit(sessionId, {
    pg_code: 'ottu_pg_kwd_tkn',
    payment_method: 'card',
    card: card(number),
    ...extra,
  });
}

async function ledgerFor(
  sessionId: string,
): Promise<Array<{ type: string; status: string; idempotency_key: string }>> {
  const res = await fetch(`${h.simulatorUrl}/v1/ledger`);
  const { entries } = (await res.json()) as {
    entries: Array<{ type: string; status: string; idempotency_key: string }>;
  };
  return entries.filter((e) => e.idempotency_key.startsWith(sessionId));
}

async function finalState(sessionId: string): Promise<string> {
  return h.temporal.workflow.getHandle(`checkout-${sessionId}`).result();
}

it('opening the page moves created → pending', async () => {
  const { session_id } = await create();
  const page = await h.request('GET', `/checkout/${session_id}`);
  expect(page.status).toBe(200);
  expect(page.headers.get('cache-control')).toContain('no-store');
  const status = await h.temporal.workflow
    .getHandle(`checkout-${session_id}`)
    .query<{ state: string }>('status');
  expect(status.state).toBe('pending');
  await eventually(async () =>
    expect((await h.collections.payments.findOne({ _id: session_id }))?.state).toBe('pending'),
  );
});

it('pays with a new card: paid, one charge, record and search attributes current', async () => {
  const { session_id } = await create();
  const res = await payWith(session_id, TEST_CARDS.visa);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ result: 'success', state: 'paid', reference_number: expect.any(String) });
  expect(res.body.token).toBeUndefined();
  expect(await finalState(session_id)).toBe('paid');
  const ledger = await ledgerFor(session_id);
  expect(ledger.filter((e) => e.type === 'charge' && e.status === 'succeeded')).toHaveLength(1);

  const stored = await h.merchant('GET', `${CREATE}${session_id}/`);
  expect(stored.body.state).toBe('paid');
  expect(stored.body.attempts).toEqual([
    expect.objectContaining({
      result: 'success',
      pg_code: 'ottu_pg_kwd_tkn',
      reference_number: res.body.reference_number,
    }),
  ]);
  const description = await h.temporal.workflow.getHandle(`checkout-${session_id}`).describe();
  expect(description.typedSearchAttributes.getAll().find((p) => p.key.name === 'PaymentState')?.value).toBe(
    'paid',
  );
});

it('a decline leaves the session attempted, then a good card pays', async () => {
  const { session_id } = await create();
  const declined = await payWith(session_id, TEST_CARDS.insufficientFunds);
  expect(declined.status).toBe(200);
  expect(declined.body).toMatchObject({
    result: 'failed',
    state: 'attempted',
    message: expect.stringMatching(/insufficient/i),
  });
  const paid = await payWith(session_id, TEST_CARDS.mastercard);
  expect(paid.body).toMatchObject({ result: 'success', state: 'paid' });
  const ledger = await ledgerFor(session_id);
  expect(ledger.filter((e) => e.status === 'succeeded')).toHaveLength(1);
  expect(ledger.filter((e) => e.status === 'declined')).toHaveLength(1);
  const stored = await h.collections.payments.findOne({ _id: session_id });
  expect(stored?.attempts.map((a) => a.result)).toEqual(['failed', 'success']);
});

it('exhausted attempts fail the session; it cannot be paid afterwards', async () => {
  const { session_id } = await create();
  const results = [];
  for (const number of [TEST_CARDS.declined, TEST_CARDS.expiredCard, TEST_CARDS.processingError]) {
    results.push((await payWith(session_id, number)).body.state);
  }
  expect(results).toEqual(['attempted', 'attempted', 'failed']);
  expect(await finalState(session_id)).toBe('failed');
  const after = await payWith(session_id, TEST_CARDS.visa);
  expect(after.status).toBe(409);
  expect((await ledgerFor(session_id)).filter((e) => e.status === 'succeeded')).toHaveLength(0);
});

it('expires when expiration_time passes', async () => {
  const { session_id } = await create({ expiration_time: '00:00:02' });
  expect(await finalState(session_id)).toBe('expired');
  expect((await h.collections.payments.findOne({ _id: session_id }))?.state).toBe('expired');
  const res = await payWith(session_id, TEST_CARDS.visa);
  expect(res.status).toBe(409);
  expect(res.body.detail).toContain('expired');
});

describe('saving the card', () => {
  it('saves when asked, allowed and a customer is present', async () => {
    const { session_id, customer_id } = await create();
    const res = await payWith(session_id, TEST_CARDS.visa, { save_card: true });
    expect(res.body).toMatchObject({
      result: 'success',
      token: {
        token: expect.stringMatching(/^[0-9a-f]{40}$/),
        customer_id,
        brand: 'Visa',
        number: '**** 4242',
        expiry_month: '12',
        expiry_year: '39',
        pg_code: 'ottu_pg_kwd_tkn',
        cvv_required: true,
        name_on_card: 'Test Customer',
      },
    });
    const doc = await h.collections.cards.findOne({ _id: res.body.token.token });
    expect(doc).toMatchObject({ bin: '424242', last4: '4242', gateway_ref: expect.stringMatching(/^src_/) });
    const list = await h.merchant('POST', '/b/pbl/v2/card/', { type: 'sandbox', customer_id });
    expect(list.body).toEqual([
      expect.objectContaining({ token: res.body.token.token, is_preferred: true, is_expired: false }),
    ]);
  });

  it('does not save without the checkbox', async () => {
    const { session_id, customer_id } = await create();
    const res = await payWith(session_id, TEST_CARDS.visa, { save_card: false });
    expect(res.body.result).toBe('success');
    expect(await h.collections.cards.countDocuments({ customer_id })).toBe(0);
  });

  it('does not save without a customer_id or where the gateway disallows tokenization', async () => {
    const anonymous = await create({ customer_id: undefined });
    const a = await payWith(anonymous.session_id, TEST_CARDS.visa, { save_card: true });
    expect(a.body.result).toBe('success');
    expect(a.body.token).toBeUndefined();

    const { session_id, customer_id } = await create({ pg_codes: ['credit-card'] });
    const b = await submit(session_id, {
      pg_code: 'credit-card',
      payment_method: 'card',
      card: card(TEST_CARDS.visa),
      save_card: true,
    });
    expect(b.body.result).toBe('success');
    expect(b.body.token).toBeUndefined();
    expect(await h.collections.cards.countDocuments({ customer_id })).toBe(0);
  });

  it('does not save a declined card', async () => {
    const { session_id, customer_id } = await create();
    await payWith(session_id, TEST_CARDS.declined, { save_card: true });
    expect(await h.collections.cards.countDocuments({ customer_id })).toBe(0);
  });

  it('the same card saved twice by one customer yields one token', async () => {
    const first = await create();
    const customer = { customer_id: first.customer_id };
    const second = await create(customer);
    const a = await payWith(first.session_id, TEST_CARDS.mastercard, { save_card: true });
    const b = await payWith(second.session_id, TEST_CARDS.mastercard, { save_card: true });
    expect(b.body.token.token).toBe(a.body.token.token);
    expect(await h.collections.cards.countDocuments({ customer_id: first.customer_id })).toBe(1);
    // another customer saving the same card gets a token of their own
    const third = await create();
    const c = await payWith(third.session_id, TEST_CARDS.mastercard, { save_card: true });
    expect(c.body.token.token).not.toBe(a.body.token.token);
  });
});

it('a double-clicked Pay charges once', async () => {
  const { session_id } = await create();
  const results = await Promise.all([
    payWith(session_id, TEST_CARDS.visa),
    payWith(session_id, TEST_CARDS.visa),
  ]);
  const statuses = results.map((r) => r.status).sort();
  expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
  for (const r of results) {
    if (r.status === 200) expect(r.body.state).toBe('paid');
    else expect(r.status).toBe(409);
  }
  expect(await finalState(session_id)).toBe('paid');
  const charges = (await ledgerFor(session_id)).filter(
    (e) => e.type === 'charge' && e.status === 'succeeded',
  );
  expect(charges).toHaveLength(1);
});

it("the customer reads the outcome in the page's language; the merchant's record stays English", async () => {
  const { session_id } = await create({ language: 'ar' });
  const res = await payWith(session_id, TEST_CARDS.insufficientFunds);
  expect(res.body.message).toMatch(/[\u0600-\u06FF]/);
  expect(res.body.decline_code).toBe('insufficient_funds');
  const stored = await h.merchant('GET', `${CREATE}${session_id}/`);
  expect(stored.body.attempts[0].message).toMatch(/insufficient funds/);
});

it('authorize-only gateways end in authorized', async () => {
  const { session_id } = await create({ pg_codes: ['ottu_pg_kwd_auth'] });
  const res = await submit(session_id, {
    pg_code: 'ottu_pg_kwd_auth',
    payment_method: 'card',
    card: card(TEST_CARDS.visa),
  });
  expect(res.body).toMatchObject({ result: 'success', state: 'authorized' });
});

it('3-D Secure: waits for the challenge, then the return settles the attempt', async () => {
  const { session_id } = await create();
  const res = await payWith(session_id, TEST_CARDS.threeDs);
  expect(res.body).toMatchObject({
    result: 'pending',
    next_action: { type: 'redirect_to_url', url: expect.any(String) },
  });
  const challenge = await fetch(res.body.next_action.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'outcome=approve',
    redirect: 'manual',
  });
  expect(challenge.status).toBe(303);
  expect(challenge.headers.get('location')).toContain(`/checkout/${session_id}`);
  const page = await h.request('GET', `/checkout/${session_id}`);
  expect(page.status).toBe(200);
  expect(await finalState(session_id)).toBe('paid');
});

it('3-D Secure rejected: the attempt fails and the customer may try again', async () => {
  const { session_id } = await create();
  const res = await payWith(session_id, TEST_CARDS.threeDs);
  await fetch(res.body.next_action.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'outcome=reject',
    redirect: 'manual',
  });
  await h.request('GET', `/checkout/${session_id}`);
  const stored = await h.collections.payments.findOne({ _id: session_id });
  expect(stored?.state).toBe('attempted');
  expect((await payWith(session_id, TEST_CARDS.visa)).body.state).toBe('paid');
});

it('an abandoned 3-D Secure challenge fails at expiry and a late approval moves no money', async () => {
  const { session_id } = await create({ expiration_time: '00:00:03' });
  const res = await payWith(session_id, TEST_CARDS.threeDs);
  expect(res.body.result).toBe('pending');
  expect(await finalState(session_id)).toBe('expired');
  await fetch(res.body.next_action.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'outcome=approve',
    redirect: 'manual',
  });
  const charges = (await ledgerFor(session_id)).filter((e) => e.type === 'charge');
  expect(charges).toEqual([expect.objectContaining({ status: 'declined' })]);
  const stored = await h.collections.payments.findOne({ _id: session_id });
  expect(stored?.attempts.at(-1)?.result).toBe('failed');
});

describe('submit rejects bad input with a clear 4xx', () => {
  it('400 for invalid card data, per field', async () => {
    const { session_id } = await create();
    const res = await submit(session_id, {
      pg_code: 'ottu_pg_kwd_tkn',
      payment_method: 'card',
      card: {
        name_on_card: 'A',
        number: '4242424242424241',
        expiry_month: '13',
        expiry_year: '39',
        cvv: '12',
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.card).toMatchObject({
      number: [expect.any(String)],
      expiry_month: [expect.any(String)],
      cvv: [expect.any(String)],
    });
  });

  it('400 for an Amex with a 3-digit CVV', async () => {
    const { session_id } = await create();
    const res = await submit(session_id, {
      pg_code: 'ottu_pg_kwd_tkn',
      payment_method: 'card',
      card: card(TEST_CARDS.amex, '123'),
    });
    expect(res.status).toBe(400);
    expect(res.body.card.cvv[0]).toContain('4-digit');
  });

  it('400 for a pg_code not on this payment', async () => {
    const { session_id } = await create();
    const res = await submit(session_id, {
      pg_code: 'credit-card',
      payment_method: 'card',
      card: card(TEST_CARDS.visa),
    });
    expect(res.status).toBe(400);
    expect(res.body.pg_code).toBeDefined();
  });

  it('404 for an unknown session, 415 for a form post, 409 once paid', async () => {
    expect((await payWith('f'.repeat(64), TEST_CARDS.visa)).status).toBe(404);
    const { session_id } = await create();
    const form = await h.request('POST', `/checkout/${session_id}/submit`, {
      rawBody: 'pg_code=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    await payWith(session_id, TEST_CARDS.visa);
    const again = await payWith(session_id, TEST_CARDS.visa);
    expect(again.status).toBe(409);
    expect((await ledgerFor(session_id)).filter((e) => e.status === 'succeeded')).toHaveLength(1);
  });
});
