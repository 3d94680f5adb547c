/**
 * Merchant isolation on every merchant endpoint (CONTRACT §1: "404 also for another merchant's
 * objects"; §1.3 "only this merchant's cards, ever"). Merchant A is the demo merchant; merchant B
 * is configured with the same pg_codes and uses the same customer_id and order_no values as A, so
 * only the merchant scoping can keep them apart. Every refused request must also leave A's
 * payments and card exactly as they were; a positive control shows A itself can do each thing.
 */
import { ADMIN_KEY, card, newPayment, startHarness, TEST_CARDS, type Harness } from '../support/harness';

const CREATE = '/b/checkout/v1/pymt-txn/';
const NO_CVV = 'ottu_pg_kwd_tkn_nocvv';
const SHARED_CUSTOMER = 'shared-customer';

let h: Harness;
let keyB: string;
/** A: the payment that saved the card (paid), an open payment, the saved card */
let paidA: string;
let openA: string;
let tokenA: string;
let orderA: string;
/** B: an open payment of its own for the same customer id */
let openB: string;

const asB = (method: string, path: string, body?: unknown) =>
  h.merchant(method, path, body, { apiKey: keyB });

async function snapshotA(): Promise<unknown> {
  const [paid, open, saved] = await Promise.all([
    h.collections.payments.findOne({ _id: paidA }),
    h.collections.payments.findOne({ _id: openA }),
    h.collections.cards.findOne({ _id: tokenA }),
  ]);
  return {
    paid: [paid?.state, paid?.attempts.length, paid?.operations ?? [], paid?.refunded_amount ?? null],
    open: [open?.state, open?.attempts.length, open?.operations ?? []],
    card: [saved?._id, saved?.merchant_id, saved?.customer_id, saved?.locked_at ?? null, saved?.cvc_failures],
  };
}

beforeAll(async () => {
  h = await startHarness();
  const b = await h.request('POST', '/admin/v1/merchants', {
    body: { name: 'Merchant B' },
    headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
  });
  keyB = b.body.api_key;
  for (const [pg, cvv] of [
    [NO_CVV, false],
    ['ottu_pg_kwd_tkn', true],
  ] as const) {
    const put = await h.request('PUT', `/admin/v1/merchants/${b.body.merchant_id}/gateways/${pg}`, {
      body: {
        currencies: ['KWD'],
        operation: 'purchase',
        tokenization_enabled: true,
        cvv_required: cvv,
        auto_debit_enabled: !cvv,
        three_ds: 'challenge_if_required',
        max_attempts: 3,
      },
      headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
    });
    expect(put.status).toBe(200);
  }

  const first = await h.merchant(
    'POST',
    CREATE,
    newPayment({ customer_id: SHARED_CUSTOMER, pg_codes: [NO_CVV] }),
  );
  paidA = first.body.session_id;
  const paid = await h.request('POST', `/checkout/${paidA}/submit`, {
    body: { pg_code: NO_CVV, payment_method: 'card', card: card(TEST_CARDS.visa), save_card: true },
  });
  expect(paid.body).toMatchObject({ result: 'success', state: 'paid' });
  tokenA = paid.body.token.token;

  orderA = `shared-order-${Date.now()}`;
  const open = await h.merchant(
    'POST',
    CREATE,
    newPayment({ customer_id: SHARED_CUSTOMER, pg_codes: [NO_CVV], order_no: orderA }),
  );
  openA = open.body.session_id;
  const mine = await asB('POST', CREATE, newPayment({ customer_id: SHARED_CUSTOMER, pg_codes: [NO_CVV] }));
  expect(mine.status).toBe(201);
  openB = mine.body.session_id;
});

afterAll(async () => {
  await h?.close();
});

describe("merchant B cannot see or touch merchant A's objects", () => {
  let before: unknown;
  beforeEach(async () => {
    before = await snapshotA();
  });
  afterEach(async () => {
    expect(await snapshotA()).toEqual(before);
  });

  it.each([
    ['GET payment', (s: string) => `${CREATE}${s}/`],
    ['GET webhooks', (s: string) => `${CREATE}${s}/webhooks/`],
  ])("%s: 404 for A's open and paid sessions", async (_name, path) => {
    for (const session of [openA, paidA]) {
      const res = await asB('GET', path(session));
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: expect.any(String) });
      expect(JSON.stringify(res.body)).not.toContain(session);
      // positive control: A sees it
      expect((await h.merchant('GET', path(session))).status).toBe(200);
    }
  });

  it.each([
    ['cancel', () => ({ session_id: openA })],
    ['expire', () => ({ session_id: openA })],
    ['refund', () => ({ session_id: paidA, amount: '1.000' })],
    ['refund', () => ({ session_id: paidA })],
    ['capture', () => ({ session_id: paidA })],
    ['void', () => ({ session_id: paidA })],
    ['cancel', () => ({ order_no: orderA })],
    ['expire', () => ({ order_no: orderA })],
  ] as const)("operation %s on A's payment: 404", async (operation, target) => {
    const res = await asB('POST', '/b/pbl/v2/operation/', { operation, ...target() });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: expect.any(String) });
  });

  it('operation by an order_no both merchants use reaches only the caller’s own payment', async () => {
    const orderNo = `same-order-${Date.now()}`;
    const theirs = await asB('POST', CREATE, newPayment({ order_no: orderNo, pg_codes: [NO_CVV] }));
    // A's payment with the same order_no is the most recent one
    const mine = await h.merchant('POST', CREATE, newPayment({ order_no: orderNo, pg_codes: [NO_CVV] }));
    const res = await asB('POST', '/b/pbl/v2/operation/', { operation: 'cancel', order_no: orderNo });
    expect(res.status).toBe(200);
    expect(res.body.session_id).toBe(theirs.body.session_id);
    expect((await h.collections.payments.findOne({ _id: mine.body.session_id }))?.state).toBe('created');
    expect((await h.collections.payments.findOne({ _id: theirs.body.session_id }))?.state).toBe('canceled');
  });

  it("auto-debit: A's session with A's token, and B's session with A's token: 404", async () => {
    for (const body of [
      { session_id: openA, token: tokenA },
      { session_id: openB, token: tokenA },
    ]) {
      const res = await asB('POST', '/b/pbl/v2/auto-debit/', body);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: expect.any(String) });
    }
    expect((await h.collections.payments.findOne({ _id: openB }))?.attempts).toEqual([]);
  });

  it("one-step payment_instrument with A's token: refused, nothing charged", async () => {
    const ledger = async () => (await (await fetch(`${h.simulatorUrl}/v1/ledger`)).json()) as unknown;
    const beforeLedger = JSON.stringify(await ledger());
    const res = await asB(
      'POST',
      CREATE,
      newPayment({
        customer_id: SHARED_CUSTOMER,
        pg_codes: [NO_CVV],
        payment_instrument: { instrument_type: 'token', payload: { token: tokenA } },
      }),
    );
    expect(res.status).toBe(404);
    expect(JSON.stringify(await ledger())).toBe(beforeLedger);
  });

  it("cards list: B sees none of A's cards for the same customer_id", async () => {
    for (const pg_codes of [undefined, [NO_CVV], [NO_CVV, 'ottu_pg_kwd_tkn']]) {
      const res = await asB('POST', '/b/pbl/v2/card/', {
        type: 'sandbox',
        customer_id: SHARED_CUSTOMER,
        ...(pg_codes ? { pg_codes } : {}),
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual([]);
    }
    // positive control
    const mine = await h.merchant('POST', '/b/pbl/v2/card/', {
      type: 'sandbox',
      customer_id: SHARED_CUSTOMER,
    });
    expect(mine.body.map((c: any) => c.token)).toEqual([tokenA]);
  });

  it("cards delete: 404 for A's token, and the card stays", async () => {
    for (const query of [`customer_id=${SHARED_CUSTOMER}&type=sandbox`, `customer_id=${SHARED_CUSTOMER}`]) {
      const res = await asB('DELETE', `/b/pbl/v2/card/${tokenA}/?${query}`);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: expect.any(String) });
    }
    expect(await h.collections.cards.countDocuments({ _id: tokenA })).toBe(1);
  });

  it("checkout: a customer on B's page cannot pay with A's saved card", async () => {
    const res = await h.request('POST', `/checkout/${openB}/submit`, {
      body: { pg_code: NO_CVV, payment_method: 'token', token: tokenA },
    });
    expect(res.status).toBe(404);
    const page = await h.request('GET', `/checkout/${openB}`);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain(tokenA);
  });
});
