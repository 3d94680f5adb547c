import { CARDS, rejectionOf, startHarness, type Harness } from './helpers';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.close();
});

describe('refunds', () => {
  it('partial refunds add up and never exceed what remains', async () => {
    const charge = await h.chargeCard(CARDS.visa, { amount: 1000 });
    const first = await h.gateway.refund(charge.id, 300, h.key());
    expect(first).toMatchObject({ charge_id: charge.id, amount: 300, currency: 'KWD' });
    expect(first.id).toMatch(/^re_/);
    await h.gateway.refund(charge.id, 600, h.key());
    const tooMuch = await rejectionOf(h.gateway.refund(charge.id, 101, h.key()));
    expect(tooMuch).toMatchObject({ code: 'amount_too_large', httpStatus: 400 });
    await h.gateway.refund(charge.id, 100, h.key());
    expect(await h.gateway.getCharge(charge.id)).toMatchObject({
      refunded_amount: 1000,
      captured_amount: 1000,
    });
    expect(await rejectionOf(h.gateway.refund(charge.id, 1, h.key()))).toMatchObject({
      code: 'amount_too_large',
    });
    const refunds = (await h.ledger()).filter((e) => e.type === 'refund' && e.charge_id === charge.id);
    expect(refunds.map((e) => e.amount)).toEqual([300, 600, 100]);
  });

  it('a refund replays for the same key', async () => {
    const charge = await h.chargeCard(CARDS.visa, { amount: 1000 });
    const key = h.key();
    const first = await h.gateway.refund(charge.id, 400, key);
    const again = await h.gateway.refund(charge.id, 400, key);
    expect(again).toEqual(first);
    expect((await h.gateway.getCharge(charge.id))?.refunded_amount).toBe(400);
    expect(await rejectionOf(h.gateway.refund(charge.id, 401, key))).toMatchObject({
      code: 'idempotency_key_reused',
      httpStatus: 422,
    });
  });

  it('only succeeded charges can be refunded, and amounts must be positive', async () => {
    const authorized = await h.chargeCard(CARDS.visa, { capture: false });
    expect(await rejectionOf(h.gateway.refund(authorized.id, 100, h.key()))).toMatchObject({
      code: 'charge_not_refundable',
    });
    const declined = await h.chargeCard(CARDS.genericDecline);
    expect(await rejectionOf(h.gateway.refund(declined.id, 100, h.key()))).toMatchObject({
      code: 'charge_not_refundable',
    });
    const charge = await h.chargeCard(CARDS.visa);
    expect(await rejectionOf(h.gateway.refund(charge.id, 0, h.key()))).toMatchObject({
      code: 'invalid_amount',
    });
    expect(await rejectionOf(h.gateway.refund('ch_unknown', 1, h.key()))).toMatchObject({
      code: 'charge_not_found',
      httpStatus: 404,
    });
  });
});

describe('capture and void', () => {
  it('captures an authorization, partially, then refunds only what was captured', async () => {
    const charge = await h.chargeCard(CARDS.visa, { amount: 1000, capture: false });
    expect(await rejectionOf(h.gateway.capture(charge.id, 1001, h.key()))).toMatchObject({
      code: 'amount_too_large',
    });
    const key = h.key();
    const captured = await h.gateway.capture(charge.id, 800, key);
    expect(captured).toMatchObject({
      id: charge.id,
      status: 'succeeded',
      amount: 1000,
      captured_amount: 800,
    });
    expect(await h.gateway.capture(charge.id, 800, key)).toEqual(captured);
    expect(await rejectionOf(h.gateway.capture(charge.id, 800, h.key()))).toMatchObject({
      code: 'charge_not_capturable',
    });
    expect(await rejectionOf(h.gateway.refund(charge.id, 801, h.key()))).toMatchObject({
      code: 'amount_too_large',
    });
    const captures = (await h.ledger()).filter((e) => e.type === 'capture' && e.charge_id === charge.id);
    expect(captures).toEqual([
      expect.objectContaining({ amount: 800, idempotency_key: key, status: 'succeeded' }),
    ]);
  });

  it('capture without amount takes the full authorization', async () => {
    const charge = await h.chargeCard(CARDS.visa, { amount: 1000, capture: false });
    const response = await h.post(`/v1/charges/${charge.id}/capture`, {}, { 'Idempotency-Key': h.key() });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'succeeded', captured_amount: 1000 });
  });

  it('voids an authorization; a voided one can be neither captured nor voided again', async () => {
    const charge = await h.chargeCard(CARDS.visa, { amount: 1000, capture: false });
    const key = h.key();
    const voided = await h.gateway.void(charge.id, key);
    expect(voided).toMatchObject({ id: charge.id, status: 'authorized', voided: true, captured_amount: 0 });
    expect(await h.gateway.void(charge.id, key)).toEqual(voided);
    expect(await rejectionOf(h.gateway.void(charge.id, h.key()))).toMatchObject({
      code: 'charge_not_voidable',
    });
    expect(await rejectionOf(h.gateway.capture(charge.id, 1000, h.key()))).toMatchObject({
      code: 'charge_not_capturable',
    });
    const voids = (await h.ledger()).filter((e) => e.type === 'void' && e.charge_id === charge.id);
    expect(voids).toEqual([expect.objectContaining({ amount: 1000, idempotency_key: key })]);
  });

  it('a succeeded charge cannot be voided or captured', async () => {
    const charge = await h.chargeCard(CARDS.visa);
    expect(await rejectionOf(h.gateway.void(charge.id, h.key()))).toMatchObject({
      code: 'charge_not_voidable',
      httpStatus: 400,
    });
    expect(await rejectionOf(h.gateway.capture(charge.id, 1000, h.key()))).toMatchObject({
      code: 'charge_not_capturable',
      httpStatus: 400,
    });
  });

  it('operations need an Idempotency-Key', async () => {
    const charge = await h.chargeCard(CARDS.visa);
    const response = await h.post(`/v1/charges/${charge.id}/refund`, { amount: 1 });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'missing_idempotency_key' } });
  });
});
