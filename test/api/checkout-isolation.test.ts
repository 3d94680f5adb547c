/**
 * Customer isolation within one merchant: a saved card belongs to the customer who saved it. Its
 * token cannot be charged on another customer's session (checkout submit, auto-debit, one-step
 * payment_instrument), on a session without a customer, listed or deleted under another customer.
 * The gateway's ledger proves that nothing was charged; a positive control shows the owner can.
 */
import { card, newPayment, startHarness, TEST_CARDS, type Harness } from '../support/harness';

const CREATE = '/b/checkout/v1/pymt-txn/';
const NO_CVV = 'ottu_pg_kwd_tkn_nocvv';
const CVV = 'ottu_pg_kwd_tkn';

let h: Harness;
let tokenNoCvv: string;
let tokenCvv: string;
const owner = `owner-${Date.now()}`;
const other = `other-${Date.now()}`;

const ledger = async (): Promise<string> =>
  JSON.stringify(await (await fetch(`${h.simulatorUrl}/v1/ledger`)).json());

/** The owner's auto-debit agreement: merchant-initiated charges are bound to one (CONTRACT §9). */
const AGREEMENT = { id: 'agr-owner' };

async function saveCard(pg: string, agreement: { id: string }): Promise<string> {
  const created = await h.merchant(
    'POST',
    CREATE,
    newPayment({ customer_id: owner, pg_codes: [pg], payment_type: 'auto_debit', agreement }),
  );
  const res = await h.request('POST', `/checkout/${created.body.session_id}/submit`, {
    body: { pg_code: pg, payment_method: 'card', card: card(TEST_CARDS.visa, '123'), save_card: true },
  });
  expect(res.body).toMatchObject({ result: 'success' });
  return res.body.token.token;
}

const session = async (fields: Record<string, unknown>): Promise<string> => {
  const res = await h.merchant('POST', CREATE, newPayment(fields));
  expect(res.status).toBe(201);
  return res.body.session_id;
};

beforeAll(async () => {
  h = await startHarness();
  tokenNoCvv = await saveCard(NO_CVV, AGREEMENT);
  tokenCvv = await saveCard(CVV, { id: 'agr-owner-cvv' });
});
afterAll(async () => {
  await h?.close();
});

describe("a customer's saved card cannot be used by another customer", () => {
  it("checkout submit on another customer's session: 404, no attempt, nothing charged", async () => {
    const before = await ledger();
    for (const [pg, token, extra] of [
      [NO_CVV, tokenNoCvv, {}],
      [CVV, tokenCvv, { cvv: '123' }],
      [NO_CVV, tokenCvv, {}],
    ] as const) {
      const sessionId = await session({ customer_id: other, pg_codes: [NO_CVV, CVV] });
      const res = await h.request('POST', `/checkout/${sessionId}/submit`, {
        body: { pg_code: pg, payment_method: 'token', token, ...extra },
      });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: expect.any(String) });
      expect((await h.collections.payments.findOne({ _id: sessionId }))?.attempts).toEqual([]);
    }
    expect(await ledger()).toBe(before);
  });

  it('checkout submit on a session without customer_id: 404', async () => {
    const sessionId = await session({ customer_id: undefined, pg_codes: [NO_CVV] });
    const res = await h.request('POST', `/checkout/${sessionId}/submit`, {
      body: { pg_code: NO_CVV, payment_method: 'token', token: tokenNoCvv },
    });
    expect(res.status).toBe(404);
  });

  it("the other customer's checkout page does not show the card", async () => {
    const sessionId = await session({ customer_id: other, pg_codes: [NO_CVV, CVV] });
    const page = await h.request('GET', `/checkout/${sessionId}`);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain(tokenNoCvv);
    expect(page.body).not.toContain(tokenCvv);
    expect(page.body).not.toContain('4242');
  });

  it("auto-debit on another customer's session: 404, nothing charged", async () => {
    const before = await ledger();
    const sessionId = await session({ customer_id: other, pg_codes: [NO_CVV] });
    const res = await h.merchant('POST', '/b/pbl/v2/auto-debit/', {
      session_id: sessionId,
      token: tokenNoCvv,
    });
    expect(res.status).toBe(404);
    expect((await h.collections.payments.findOne({ _id: sessionId }))?.attempts).toEqual([]);
    expect(await ledger()).toBe(before);
  });

  it('one-step payment_instrument for another customer: 404, nothing charged', async () => {
    const before = await ledger();
    const res = await h.merchant(
      'POST',
      CREATE,
      newPayment({
        customer_id: other,
        pg_codes: [NO_CVV],
        payment_instrument: { instrument_type: 'token', payload: { token: tokenNoCvv } },
      }),
    );
    expect(res.status).toBe(404);
    expect(await ledger()).toBe(before);
  });

  it('listing and deleting under another customer_id: not there, not deleted', async () => {
    const list = await h.merchant('POST', '/b/pbl/v2/card/', { type: 'sandbox', customer_id: other });
    expect(list.status).toBe(200);
    expect(list.body).toEqual([]);
    for (const token of [tokenNoCvv, tokenCvv]) {
      const res = await h.merchant('DELETE', `/b/pbl/v2/card/${token}/?customer_id=${other}&type=sandbox`);
      expect(res.status).toBe(404);
      expect(await h.collections.cards.countDocuments({ _id: token })).toBe(1);
    }
  });

  it('positive control: the owner can charge the card (so the refusals above are about ownership)', async () => {
    const sessionId = await session({
      customer_id: owner,
      pg_codes: [NO_CVV],
      payment_type: 'auto_debit',
      agreement: AGREEMENT,
    });
    const res = await h.merchant('POST', '/b/pbl/v2/auto-debit/', {
      session_id: sessionId,
      token: tokenNoCvv,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ result: 'success', state: 'paid' });
    const list = await h.merchant('POST', '/b/pbl/v2/card/', { type: 'sandbox', customer_id: owner });
    expect(list.body.map((c: any) => c.token).sort()).toEqual([tokenNoCvv, tokenCvv].sort());
  });
});
