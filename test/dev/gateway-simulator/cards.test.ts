import { GatewayRejectedError, type ChargeRequest, type RawCard } from '../../../src/gateway/port';
import { CARDS, rejectionOf, startHarness, type Harness } from './helpers';

let h: Harness;

/**
 * The simulator also takes a raw `card` in a charge (CONTRACT §6), but the port's ChargeRequest
 * deliberately has no such field: the engine only ever charges tokens.
 */
const withRawCard = (request: ChargeRequest & { card: RawCard }): ChargeRequest => request;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.close();
});

describe('test cards', () => {
  it.each([
    ['visa', CARDS.visa, 'visa'],
    ['mastercard', CARDS.mastercard, 'mastercard'],
    ['amex (4-digit CVC)', CARDS.amex, 'amex'],
  ])('%s succeeds', async (_label, number, brand) => {
    const charge = await h.chargeCard(number, { amount: 1250 });
    expect(charge).toMatchObject({
      status: 'succeeded',
      amount: 1250,
      currency: 'KWD',
      captured_amount: 1250,
      refunded_amount: 0,
      card: { brand, bin: number.slice(0, 6), last4: number.slice(-4), exp_month: '12', exp_year: '39' },
    });
    expect(charge.id).toMatch(/^ch_/);
    expect(charge.decline_code).toBeUndefined();
  });

  it.each([
    [CARDS.genericDecline, 'generic_decline'],
    [CARDS.insufficientFunds, 'insufficient_funds'],
    [CARDS.expiredCard, 'expired_card'],
    [CARDS.incorrectCvc, 'incorrect_cvc'],
    [CARDS.processingError, 'processing_error'],
  ])('%s declines with %s (HTTP 200, recorded in the ledger)', async (number, code) => {
    const charge = await h.chargeCard(number, { store_card: true });
    expect(charge).toMatchObject({ status: 'declined', decline_code: code, captured_amount: 0 });
    expect(charge.source_token).toBeUndefined();
    const entries = await h.chargeEntries(charge.idempotency_key);
    expect(entries).toEqual([
      expect.objectContaining({ charge_id: charge.id, status: 'declined', amount: 1000 }),
    ]);
  });

  it('the 3-D Secure card requires action', async () => {
    const charge = await h.chargeCard(CARDS.threeDs);
    expect(charge.status).toBe('requires_action');
    expect(charge.next_action).toEqual({ type: 'redirect_to_url', url: `${h.sim.url}/3ds/${charge.id}` });
  });

  it('card 0341 succeeds on its first charge and can be stored', async () => {
    const charge = await h.chargeCard(CARDS.declineOnReuse, { store_card: true });
    expect(charge.status).toBe('succeeded');
    expect(charge.source_token).toMatch(/^src_/);
  });

  it('any other Luhn-valid number succeeds, brand by prefix', async () => {
    expect((await h.chargeCard('4111111111111111')).card.brand).toBe('visa');
    expect((await h.chargeCard('2223003122003222')).card.brand).toBe('mastercard');
    expect((await h.chargeCard('371449635398431')).card.brand).toBe('amex');
    const other = await h.chargeCard('6011111111111117');
    expect(other).toMatchObject({ status: 'succeeded', card: { brand: 'unknown' } });
  });

  it('capture:false authorizes instead', async () => {
    const charge = await h.chargeCard(CARDS.visa, { capture: false });
    expect(charge).toMatchObject({ status: 'authorized', captured_amount: 0, voided: false });
  });
});

describe('tokens', () => {
  it('returns a single-use token with the card summary and a 15 minute expiry', async () => {
    const before = Date.now();
    const token = await h.gateway.createCardToken(h.card(CARDS.visa, { exp_month: '3', exp_year: '2039' }));
    expect(token.id).toMatch(/^tok_[A-Za-z0-9]{24,}$/);
    expect(token.card).toEqual({
      brand: 'visa',
      bin: '424242',
      last4: '4242',
      exp_month: '03',
      exp_year: '39',
    });
    const expiresIn = Date.parse(token.expires_at) - before;
    expect(expiresIn).toBeGreaterThan(14 * 60 * 1000);
    expect(expiresIn).toBeLessThanOrEqual(16 * 60 * 1000);
    expect(JSON.stringify(token)).not.toContain(CARDS.visa);
  });

  it.each([
    ['a number failing Luhn', { number: '4242424242424241' }, 'invalid_card'],
    ['a non-numeric number', { number: '4242abcd42424242' }, 'invalid_card'],
    ['a past expiry', { exp_month: '01', exp_year: '20' }, 'invalid_expiry'],
    ['month 13', { exp_month: '13' }, 'invalid_expiry'],
    ['a 4-digit CVC on visa', { cvc: '1234' }, 'invalid_cvc'],
    ['a non-numeric CVC', { cvc: '12a' }, 'invalid_cvc'],
    ['a 5-digit CVC', { cvc: '12345' }, 'invalid_cvc'],
    ['a 3-digit month', { exp_month: '012' }, 'invalid_expiry'],
    ['a 20-digit number', { number: '42424242424242424242' }, 'invalid_card'],
  ])('rejects %s', async (_label, overrides, code) => {
    const err = await rejectionOf(h.gateway.createCardToken(h.card(CARDS.visa, overrides)));
    expect(err).toBeInstanceOf(GatewayRejectedError);
    expect(err).toMatchObject({ code, httpStatus: 400 });
    expect((err as Error).message).not.toContain(CARDS.visa);
  });

  it('amex needs a 4-digit CVC', async () => {
    const err = await rejectionOf(h.gateway.createCardToken(h.card(CARDS.amex, { cvc: '123' })));
    expect(err).toMatchObject({ code: 'invalid_cvc', httpStatus: 400 });
  });

  it('accepts a number with spaces', async () => {
    const token = await h.gateway.createCardToken(h.card('4242 4242 4242 4242'));
    expect(token.card.last4).toBe('4242');
  });

  it('rejects an unknown source_token with 404', async () => {
    const err = await rejectionOf(h.gateway.createCvcToken('src_unknown', '123'));
    expect(err).toMatchObject({ code: 'source_token_not_found', httpStatus: 404 });
  });
});

describe('charge requests', () => {
  it('charges a raw card without a token', async () => {
    const charge = await h.gateway.charge(
      withRawCard({ amount: 700, currency: 'usd', capture: true, card: h.card(CARDS.mastercard) }),
      h.key(),
    );
    expect(charge).toMatchObject({
      status: 'succeeded',
      amount: 700,
      currency: 'USD',
      card: { last4: '0008' },
    });
  });

  it.each([
    ['a fraction', 10.5],
    ['a negative amount', -1],
    ['a string', '1000'],
    ['an unsafe integer', 2 ** 53],
  ])('rejects %s as amount', async (_label, amount) => {
    const token = await h.gateway.createCardToken(h.card(CARDS.visa));
    const err = await rejectionOf(
      h.gateway.charge(
        { amount: amount as number, currency: 'KWD', capture: true, token: token.id },
        h.key(),
      ),
    );
    expect(err).toMatchObject({ code: 'invalid_amount', httpStatus: 400 });
  });

  it('allows amount 0 only to verify a card being stored', async () => {
    const token = await h.gateway.createCardToken(h.card(CARDS.visa));
    const err = await rejectionOf(
      h.gateway.charge({ amount: 0, currency: 'KWD', capture: true, token: token.id }, h.key()),
    );
    expect(err).toMatchObject({ code: 'invalid_amount', httpStatus: 400 });
    // the rejected request did not use the token up
    const verified = await h.gateway.charge(
      { amount: 0, currency: 'KWD', capture: true, token: token.id, store_card: true },
      h.key(),
    );
    expect(verified).toMatchObject({ status: 'succeeded', amount: 0 });
    expect(verified.source_token).toMatch(/^src_/);
  });

  it('amounts are integers in every answer', async () => {
    const charge = await h.chargeCard(CARDS.visa, { amount: 123457 });
    expect(Number.isInteger(charge.amount)).toBe(true);
    expect(Number.isInteger(charge.captured_amount)).toBe(true);
    expect(Number.isInteger(charge.refunded_amount)).toBe(true);
    const refund = await h.gateway.refund(charge.id, 457, h.key());
    expect(Number.isInteger(refund.amount)).toBe(true);
    for (const entry of await h.ledger()) expect(Number.isInteger(entry.amount)).toBe(true);
  });

  it('needs exactly one of token, source_token, card', async () => {
    const token = await h.gateway.createCardToken(h.card(CARDS.visa));
    const both = await rejectionOf(
      h.gateway.charge(
        withRawCard({
          amount: 100,
          currency: 'KWD',
          capture: true,
          token: token.id,
          card: h.card(CARDS.visa),
        }),
        h.key(),
      ),
    );
    expect(both).toMatchObject({ code: 'invalid_request', httpStatus: 400 });
    const none = await rejectionOf(
      h.gateway.charge({ amount: 100, currency: 'KWD', capture: true }, h.key()),
    );
    expect(none).toMatchObject({ code: 'invalid_request', httpStatus: 400 });
  });

  it('takes cvc_token only with source_token, and merchant_initiated only without a CVC', async () => {
    const token = await h.gateway.createCardToken(h.card(CARDS.visa));
    const cvcWithToken = await rejectionOf(
      h.gateway.charge(
        { amount: 100, currency: 'KWD', capture: true, token: token.id, cvc_token: 'tok_x' },
        h.key(),
      ),
    );
    expect(cvcWithToken).toMatchObject({ code: 'invalid_request', httpStatus: 400 });
    const mitWithToken = await rejectionOf(
      h.gateway.charge(
        { amount: 100, currency: 'KWD', capture: true, token: token.id, merchant_initiated: true },
        h.key(),
      ),
    );
    expect(mitWithToken).toMatchObject({ code: 'invalid_request', httpStatus: 400 });
  });

  it('rejects an unknown token with 404 and a missing Idempotency-Key with 400', async () => {
    const err = await rejectionOf(
      h.gateway.charge({ amount: 100, currency: 'KWD', capture: true, token: 'tok_nope' }, h.key()),
    );
    expect(err).toMatchObject({ code: 'token_not_found', httpStatus: 404 });
    const response = await h.post('/v1/charges', {
      amount: 100,
      currency: 'KWD',
      capture: true,
      token: 'tok_x',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: 'missing_idempotency_key', message: expect.any(String) },
    });
  });

  it('answers malformed JSON with a 400 error object', async () => {
    const response = await fetch(`${h.sim.url}/v1/charges`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': h.key() },
      body: '{"amount": ',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });

  it('getCharge and findChargeByIdempotencyKey answer undefined for unknown ones', async () => {
    await expect(h.gateway.getCharge('ch_unknown')).resolves.toBeUndefined();
    await expect(h.gateway.findChargeByIdempotencyKey('no-such-key')).resolves.toBeUndefined();
  });
});
