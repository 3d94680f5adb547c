/**
 * Ottu's Checkout API on tokenpay (CONTRACT §9), what the ottu-py run does not pin down: the
 * trailing-slash guard, updates reaching the CheckoutWorkflow (the next attempt charges the new
 * amount; the expiry timer re-arms), update rules, delete, agreement limits, body types, and
 * isolation and exactly-once on the new paths. Money is read back from the gateway's ledger.
 */
import { DEV_DEFAULTS } from '../../src/config';
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
import { startWebhookReceiver } from '../support/webhook-receiver';

const CREATE = '/b/checkout/v1/pymt-txn/';
const NO_CVV = 'ottu_pg_kwd_tkn_nocvv';
let h: Harness;
let keyB: string;

beforeAll(async () => {
  h = await startHarness();
  const b = await h.request('POST', '/admin/v1/merchants', {
    body: { name: 'Merchant B' },
    headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
  });
  keyB = b.body.api_key;
});
afterAll(async () => {
  await h.close();
});

async function chargesFor(sessionId: string): Promise<{ status: string; amount: number }[]> {
  const res = await fetch(`${h.simulatorUrl}/v1/ledger`);
  const { entries } = (await res.json()) as {
    entries: { type: string; status: string; amount: number; idempotency_key: string }[];
  };
  return entries.filter((e) => e.type === 'charge' && e.idempotency_key.startsWith(sessionId));
}

const pay = (sessionId: string, pgCode = 'ottu_pg_kwd_tkn', number: string = TEST_CARDS.visa) =>
  h.request('POST', `/checkout/${sessionId}/submit`, {
    body: { pg_code: pgCode, payment_method: 'card', card: card(number), save_card: true },
  });

async function open(overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await h.merchant('POST', CREATE, newPayment(overrides));
  expect(res.status).toBe(201);
  return res.body.session_id;
}

describe('retrieve and update, with and without the trailing slash', () => {
  it('GET and PATCH answer the same payment either way (ottu-py sends no slash)', async () => {
    const sessionId = await open();
    const withSlash = await h.merchant('GET', `${CREATE}${sessionId}/`);
    const without = await h.merchant('GET', `${CREATE}${sessionId}`);
    expect(without.status).toBe(200);
    expect(without.body.session_id).toBe(withSlash.body.session_id);
    expect((await h.merchant('PATCH', `${CREATE}${sessionId}`, { extra: { a: 1 } })).status).toBe(200);
    expect((await h.merchant('PATCH', `${CREATE}${sessionId}/`, { extra: { a: 2 } })).body.extra).toEqual({
      a: 2,
    });
  });
});

describe('updates reach the CheckoutWorkflow', () => {
  it('the next attempt charges the new amount, exactly, through the new gateways', async () => {
    const sessionId = await open({ amount: '10', pg_codes: ['ottu_pg_kwd_tkn'] });
    const declined = await pay(sessionId, 'ottu_pg_kwd_tkn', TEST_CARDS.declined);
    expect(declined.body.state).toBe('attempted');
    const patched = await h.merchant('PATCH', `${CREATE}${sessionId}/`, {
      amount: '12.345',
      pg_codes: [NO_CVV],
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ amount: '12.345', pg_codes: [NO_CVV], settled_pg_code: '' });
    // the old gateway is no longer offered to the customer
    expect((await pay(sessionId, 'ottu_pg_kwd_tkn')).status).toBe(400);
    const paid = await pay(sessionId, NO_CVV);
    expect(paid.body).toMatchObject({ result: 'success', state: 'paid' });
    expect((await chargesFor(sessionId)).map((c) => [c.status, c.amount])).toEqual([
      ['declined', 10_000],
      ['succeeded', 12_345],
    ]);
    const after = await h.merchant('GET', `${CREATE}${sessionId}/`);
    expect(after.body).toMatchObject({ state: 'paid', amount: '12.345', settled_pg_code: NO_CVV });
  });

  it('a shorter expiration_time re-arms the expiry timer; a longer one keeps the session open', async () => {
    const soon = await open({ expiration_time: '1 00:00:00' });
    // counted from creation: 3 seconds after it was created
    expect((await h.merchant('PATCH', `${CREATE}${soon}/`, { expiration_time: '00:00:03' })).status).toBe(
      200,
    );
    expect(await h.temporal.workflow.getHandle(`checkout-${soon}`).result()).toBe('expired');
    expect((await h.merchant('GET', `${CREATE}${soon}/`)).body.state).toBe('expired');

    const later = await open({ expiration_time: '00:00:02' });
    expect((await h.merchant('PATCH', `${CREATE}${later}/`, { expiration_time: '00:10:00' })).status).toBe(
      200,
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await pay(later)).body).toMatchObject({ result: 'success', state: 'paid' });
  });

  it('refuses what Ottu refuses: paid payments keep their terms, payment_type is fixed, past expiries', async () => {
    const sessionId = await open();
    expect((await h.merchant('PATCH', `${CREATE}${sessionId}/`, { payment_type: 'save_card' })).status).toBe(
      400,
    );
    expect(
      (await h.merchant('PATCH', `${CREATE}${sessionId}/`, { expiration_time: '00:00:00' })).body,
    ).toHaveProperty('expiration_time');
    expect((await h.merchant('PATCH', `${CREATE}${sessionId}/`, { amount: '1.0001' })).status).toBe(400);
    expect((await h.merchant('PUT', `${CREATE}${sessionId}/`, { amount: '3' })).status).toBe(400);
    await pay(sessionId);
    const late = await h.merchant('PATCH', `${CREATE}${sessionId}/`, { amount: '1' });
    expect(late.status).toBe(400);
    expect(late.body).toEqual({ detail: expect.stringMatching(/paid/), state: 'paid' });
    // the merchant's own metadata may still change
    expect((await h.merchant('PATCH', `${CREATE}${sessionId}/`, { extra: { shipped: true } })).status).toBe(
      200,
    );
    expect((await chargesFor(sessionId)).map((c) => c.amount)).toEqual([20_230]);
  });

  it('is exactly-once under an Idempotency-Key and isolated between merchants', async () => {
    const sessionId = await open();
    const key = { headers: { 'Idempotency-Key': `upd-${sessionId}` } };
    const first = await h.merchant('PATCH', `${CREATE}${sessionId}/`, { amount: '5' }, key);
    const again = await h.merchant('PATCH', `${CREATE}${sessionId}/`, { amount: '5' }, key);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await h.merchant('PATCH', `${CREATE}${sessionId}/`, { amount: '6' }, key)).status).toBe(422);
    const asB = { apiKey: keyB };
    expect((await h.merchant('PATCH', `${CREATE}${sessionId}/`, { amount: '1' }, asB)).status).toBe(404);
    expect((await h.merchant('POST', '/b/pbl/v2/inquiry/', { session_id: sessionId }, asB)).status).toBe(404);
    expect(
      (await h.merchant('POST', '/b/pbl/v2/operation/', { operation: 'delete', session_id: sessionId }, asB))
        .status,
    ).toBe(404);
    expect((await h.merchant('GET', `${CREATE}${sessionId}/`)).body.amount).toBe('5.000');
  });
});

describe('inquiry', () => {
  it('settles a payment still waiting for the gateway with the gateway’s answer', async () => {
    const sessionId = await open({ pg_codes: ['ottu_pg_kwd_tkn'] });
    const pending = await pay(sessionId, 'ottu_pg_kwd_tkn', TEST_CARDS.threeDs);
    expect(pending.body.result).toBe('pending');
    // the customer approves at the gateway and never comes back to the checkout page
    const approved = await fetch(pending.body.next_action.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'outcome=approve',
      redirect: 'manual',
    });
    expect(approved.status).toBe(303);
    const inquiry = await h.merchant('POST', '/b/pbl/v2/inquiry/', { session_id: sessionId });
    expect(inquiry.status).toBe(200);
    expect(inquiry.body).toMatchObject({ session_id: sessionId, state: 'paid', result: 'success' });
    expect(inquiry.body.signature).toMatch(/^[0-9a-f]{64}$/);
    expect((await chargesFor(sessionId)).filter((c) => c.status === 'succeeded')).toHaveLength(1);
  });

  it('notify_webhook_url re-sends the answer as a signed webhook', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const sessionId = await open();
      await pay(sessionId);
      const inquiry = await h.merchant('POST', '/b/pbl/v2/inquiry/', {
        session_id: sessionId,
        notify_webhook_url: true,
        webhook_url: receiver.url,
      });
      expect(inquiry.status).toBe(200);
      await eventually(async () => {
        expect(receiver.received.map((r) => r.body.session_id)).toContain(sessionId);
      });
      const sent = receiver.received.find((r) => r.body.session_id === sessionId)!.body;
      expect(sent).toMatchObject({ state: 'paid', result: 'success', amount: inquiry.body.amount });
      expect(verifyWebhook(sent, DEV_DEFAULTS.demoWebhookKey, sent.signature)).toBe(true);
    } finally {
      await receiver.close();
    }
  });
});

describe('delete', () => {
  it('an open payment is canceled, then gone from the merchant API; it can no longer be paid', async () => {
    const sessionId = await open({ order_no: `del-${Date.now()}` });
    const deleted = await h.merchant('POST', '/b/pbl/v2/operation/', {
      operation: 'delete',
      session_id: sessionId,
    });
    expect(deleted.body).toMatchObject({
      operation: 'delete',
      result: 'success',
      detail: expect.any(String),
    });
    expect((await h.merchant('GET', `${CREATE}${sessionId}/`)).status).toBe(404);
    expect((await pay(sessionId)).status).toBe(409);
    expect(await chargesFor(sessionId)).toEqual([]);
    expect(await h.temporal.workflow.getHandle(`checkout-${sessionId}`).result()).toBe('canceled');
  });

  it('a paid payment is hidden, its record kept', async () => {
    const sessionId = await open();
    await pay(sessionId);
    expect(
      (await h.merchant('POST', '/b/pbl/v2/operation/', { operation: 'delete', session_id: sessionId }))
        .status,
    ).toBe(200);
    expect(
      (await h.merchant('POST', '/b/pbl/v2/operation/', { operation: 'refund', session_id: sessionId }))
        .status,
    ).toBe(404);
    expect((await h.store.payments.find(sessionId))?.state).toBe('paid');
  });
});

describe('agreement limits bind merchant-initiated charges, with no gateway call when refused', () => {
  async function linkedCard(
    customer: string,
    agreement: Record<string, unknown>,
    number: string = TEST_CARDS.visa,
  ): Promise<string> {
    const first = await open({
      customer_id: customer,
      pg_codes: [NO_CVV],
      payment_type: 'auto_debit',
      agreement,
    });
    const res = await pay(first, NO_CVV, number);
    expect(res.body.result).toBe('success');
    return res.body.token.token;
  }
  const charge = async (
    customer: string,
    agreement: Record<string, unknown>,
    token: string,
    amount = '5',
  ) => {
    const sessionId = await open({
      customer_id: customer,
      pg_codes: [NO_CVV],
      payment_type: 'auto_debit',
      agreement,
      amount,
    });
    const res = await h.merchant('POST', '/b/pbl/v2/auto-debit/', { session_id: sessionId, token });
    return { res, sessionId };
  };

  it('max_amount_per_cycle, total_cycles and expiry_date', async () => {
    const customer = `agr-limits-${Date.now()}`;
    const agreement = { id: `agr-l-${Date.now()}`, max_amount_per_cycle: '5', total_cycles: 1 };
    const token = await linkedCard(customer, agreement);
    const over = await charge(customer, agreement, token, '5.001');
    expect(over.res.status).toBe(400);
    expect(over.res.body.detail).toMatch(/max_amount_per_cycle/);
    expect(await chargesFor(over.sessionId)).toEqual([]);
    expect((await charge(customer, agreement, token, '5')).res.body).toMatchObject({ result: 'success' });
    const second = await charge(customer, agreement, token, '1');
    expect(second.res.status).toBe(400);
    expect(second.res.body.detail).toMatch(/cycles/);
    expect(await chargesFor(second.sessionId)).toEqual([]);

    const expired = { id: `agr-e-${Date.now()}`, expiry_date: '2020-01-01' };
    const token2 = await linkedCard(customer, expired);
    const late = await charge(customer, expired, token2);
    expect(late.res.status).toBe(400);
    expect(late.res.body).toMatchObject({ agreement_id: expired.id });
    // an expired agreement no longer locks its card
    expect(
      (await h.merchant('DELETE', `/b/pbl/v2/card/${token2}/?customer_id=${customer}&type=sandbox`)).status,
    ).toBe(204);
  });

  it('the one-step payment_instrument may link a card only to an agreement that has none', async () => {
    const customer = `agr-one-${Date.now()}`;
    const agreement = { id: `agr-o-${Date.now()}` };
    const token = await linkedCard(customer, { id: `agr-other-${Date.now()}` });
    const fresh = { id: `agr-fresh-${Date.now()}` };
    const oneStep = await h.merchant(
      'POST',
      CREATE,
      newPayment({
        customer_id: customer,
        pg_codes: [NO_CVV],
        payment_type: 'auto_debit',
        agreement: fresh,
        payment_instrument: { instrument_type: 'token', payload: { token } },
      }),
    );
    expect(oneStep.body).toMatchObject({ result: 'success' });
    const listed = await h.merchant('POST', '/b/pbl/v2/card/', {
      type: 'sandbox',
      customer_id: customer,
      agreement_id: fresh.id,
    });
    expect(listed.body.map((c: { token: string }) => c.token)).toEqual([token]);
    const other = await linkedCard(customer, agreement, TEST_CARDS.mastercard);
    const refused = await h.merchant(
      'POST',
      CREATE,
      newPayment({
        customer_id: customer,
        pg_codes: [NO_CVV],
        payment_type: 'auto_debit',
        agreement,
        payment_instrument: { instrument_type: 'token', payload: { token } },
      }),
    );
    expect(refused.status).toBe(400);
    expect(other).not.toBe(token);
  });
});

describe('bodies', () => {
  it('form-urlencoded and multipart on the merchant API; JSON only on the customer submit', async () => {
    const form = new URLSearchParams({ type: 'e_commerce', amount: '1.5', currency_code: 'KWD' });
    form.append('pg_codes', 'ottu_pg_kwd_tkn');
    const auth = { authorization: `Api-Key ${(await import('../support/harness')).DEMO_API_KEY}` };
    const created = await fetch(`${h.baseUrl}${CREATE}`, { method: 'POST', headers: auth, body: form });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { session_id: string; amount: string; pg_codes: string[] };
    expect(body).toMatchObject({ amount: '1.500', pg_codes: ['ottu_pg_kwd_tkn'] });

    const multipart = new FormData();
    multipart.append('amount', '2');
    const patched = await fetch(`${h.baseUrl}${CREATE}${body.session_id}/`, {
      method: 'PATCH',
      headers: auth,
      body: multipart,
    });
    expect(((await patched.json()) as { amount: string }).amount).toBe('2.000');

    const text = await fetch(`${h.baseUrl}${CREATE}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'amount=1',
    });
    expect(text.status).toBe(415);
    const submitForm = await fetch(`${h.baseUrl}/checkout/${body.session_id}/submit`, {
      method: 'POST',
      body: new URLSearchParams({ pg_code: 'ottu_pg_kwd_tkn', payment_method: 'card' }),
    });
    expect(submitForm.status).toBe(415);
    // no key, no body parsed: a multipart upload without a key is refused before it is read
    const anonymous = await fetch(`${h.baseUrl}/b/checkout/v1/upload-attachment/`, {
      method: 'POST',
      body: multipart,
    });
    expect(anonymous.status).toBe(401);
  });

  it('attachments: type checked by content, size limited, served to their merchant only', async () => {
    const { DEMO_API_KEY } = await import('../support/harness');
    const upload = async (name: string, bytes: string, apiKey = DEMO_API_KEY) => {
      const form = new FormData();
      form.append('file', new Blob([bytes]), name);
      const res = await fetch(`${h.baseUrl}/b/checkout/v1/upload-attachment/`, {
        method: 'POST',
        headers: { authorization: `Api-Key ${apiKey}` },
        body: form,
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    expect((await upload('evil.pdf', 'MZ this is not a pdf')).status).toBe(400);
    expect((await upload('archive.zip', 'PK\u0003\u0004')).status).toBe(400);
    expect((await upload('big.txt', 'x'.repeat(2 * 1024 * 1024 + 1))).status).toBe(413);
    const ok = await upload('note.txt', 'hello');
    expect(ok.status).toBe(200);
    const mine = await fetch(ok.body.file_url, { headers: { authorization: `Api-Key ${DEMO_API_KEY}` } });
    expect(await mine.text()).toBe('hello');
    const theirs = await fetch(ok.body.file_url, { headers: { authorization: `Api-Key ${keyB}` } });
    expect(theirs.status).toBe(404);
  });

  it('Ottu-only services answer 501 with what is missing', async () => {
    const res = await h.merchant('POST', '/b/pbl/v2/payment/apple-pay/', { session_id: 'x' });
    expect(res.status).toBe(501);
    expect(res.body.detail).toMatch(/Apple Pay/);
    expect((await h.merchant('POST', '/b/pbl/v2/no-such-thing/', {})).status).toBe(404);
  });
});
