import { CARDS, rejectionOf, startHarness, type Harness } from './helpers';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.close();
});

/** Stores the card with a first successful charge presenting `cvc`; returns its source_token. */
async function store(number: string, cvc = '123'): Promise<string> {
  const charge = await h.chargeCard(number, { store_card: true }, cvc);
  expect(charge.status).toBe('succeeded');
  expect(charge.source_token).toMatch(/^src_/);
  return charge.source_token!;
}

async function chargeOnFile(sourceToken: string, cvc?: string, extra: Record<string, unknown> = {}) {
  const cvcToken = cvc === undefined ? undefined : await h.gateway.createCvcToken(sourceToken, cvc);
  return h.gateway.charge(
    {
      amount: 500,
      currency: 'KWD',
      capture: true,
      source_token: sourceToken,
      ...(cvcToken ? { cvc_token: cvcToken.id } : {}),
      ...extra,
    },
    h.key(),
  );
}

describe('cards on file', () => {
  it('a cvc token carries the card summary of the card on file', async () => {
    const src = await store(CARDS.mastercard);
    const token = await h.gateway.createCvcToken(src, '123');
    expect(token.id).toMatch(/^tok_/);
    expect(token.card).toEqual({
      brand: 'mastercard',
      bin: '512345',
      last4: '0008',
      exp_month: '12',
      exp_year: '39',
    });
  });

  it('the issuer CVV is the one of the first successful charge', async () => {
    const src = await store(CARDS.visa, '321');
    const ok = await chargeOnFile(src, '321');
    expect(ok).toMatchObject({ status: 'succeeded', source_token: src, card: { last4: '4242' } });
    const wrong = await chargeOnFile(src, '999');
    expect(wrong).toMatchObject({ status: 'declined', decline_code: 'incorrect_cvc', source_token: src });
    const merchantInitiated = await chargeOnFile(src);
    expect(merchantInitiated).toMatchObject({ status: 'succeeded' });
  });

  it('amex cards on file take 4-digit CVCs', async () => {
    const src = await store(CARDS.amex, '4321');
    expect((await chargeOnFile(src, '4321')).status).toBe('succeeded');
    expect((await chargeOnFile(src, '1234')).decline_code).toBe('incorrect_cvc');
    const err = await rejectionOf(h.gateway.createCvcToken(src, '432'));
    expect(err).toMatchObject({ code: 'invalid_cvc', httpStatus: 400 });
  });

  it('card 0341 declines every later charge with its source_token', async () => {
    const src = await store(CARDS.declineOnReuse);
    expect(await chargeOnFile(src, '123')).toMatchObject({
      status: 'declined',
      decline_code: 'generic_decline',
    });
    expect(await chargeOnFile(src)).toMatchObject({ status: 'declined', decline_code: 'generic_decline' });
  });

  it('cvc tokens are single-use and bound to their source_token', async () => {
    const src = await store(CARDS.visa);
    const other = await store(CARDS.mastercard);
    const cvcToken = await h.gateway.createCvcToken(src, '123');
    const mismatch = await rejectionOf(
      h.gateway.charge(
        { amount: 100, currency: 'KWD', capture: true, source_token: other, cvc_token: cvcToken.id },
        h.key(),
      ),
    );
    expect(mismatch).toMatchObject({ code: 'cvc_token_mismatch', httpStatus: 400 });
    const request = {
      amount: 100,
      currency: 'KWD',
      capture: true,
      source_token: src,
      cvc_token: cvcToken.id,
    };
    expect((await h.gateway.charge(request, h.key())).status).toBe('succeeded');
    expect(await rejectionOf(h.gateway.charge(request, h.key()))).toMatchObject({
      code: 'token_already_used',
    });
  });

  it('a card token cannot be used as cvc_token', async () => {
    const src = await store(CARDS.visa);
    const cardToken = await h.gateway.createCardToken(h.card(CARDS.visa));
    const err = await rejectionOf(
      h.gateway.charge(
        { amount: 100, currency: 'KWD', capture: true, source_token: src, cvc_token: cardToken.id },
        h.key(),
      ),
    );
    expect(err).toMatchObject({ code: 'cvc_token_not_found', httpStatus: 404 });
  });

  it('an unknown source_token is 404', async () => {
    const err = await rejectionOf(
      h.gateway.charge({ amount: 100, currency: 'KWD', capture: true, source_token: 'src_nope' }, h.key()),
    );
    expect(err).toMatchObject({ code: 'source_token_not_found', httpStatus: 404 });
  });

  it('store_card with a source_token keeps the same card on file', async () => {
    const src = await store(CARDS.visa);
    const again = await chargeOnFile(src, '123', { store_card: true });
    expect(again.source_token).toBe(src);
  });

  it('a card verification (amount 0) stores the card', async () => {
    const token = await h.gateway.createCardToken(h.card(CARDS.visa, { cvc: '555' }));
    const verification = await h.gateway.charge(
      { amount: 0, currency: 'KWD', capture: false, token: token.id, store_card: true },
      h.key(),
    );
    expect(verification).toMatchObject({ status: 'authorized', amount: 0 });
    expect((await chargeOnFile(verification.source_token!, '555')).status).toBe('succeeded');
    expect((await chargeOnFile(verification.source_token!, '556')).decline_code).toBe('incorrect_cvc');
  });
});
