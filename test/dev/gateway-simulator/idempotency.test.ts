import { GatewayRejectedError } from '../../../src/gateway/port';
import { CARDS, rejectionOf, startHarness, type Harness } from './helpers';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.close();
});

describe('idempotent charges', () => {
  it('replays the same charge for the same key and body, with one ledger entry', async () => {
    const token = await h.gateway.createCardToken(h.card(CARDS.visa));
    const key = h.key();
    const request = { amount: 2500, currency: 'KWD', capture: true, token: token.id };
    const first = await h.gateway.charge(request, key);
    const second = await h.gateway.charge(request, key);
    expect(second.id).toBe(first.id);
    expect(second).toEqual(first);
    expect(first.idempotency_key).toBe(key);
    expect(await h.chargeEntries(key)).toHaveLength(1);
  });

  it('marks a replay with Idempotent-Replayed: true', async () => {
    const token = await h.gateway.createCardToken(h.card(CARDS.visa));
    const key = h.key();
    const body = { amount: 100, currency: 'KWD', capture: true, token: token.id };
    const first = await h.post('/v1/charges', body, { 'Idempotency-Key': key });
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const second = await h.post('/v1/charges', body, { 'Idempotency-Key': key });
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(((await second.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
  });

  it('replays a decline too, never a second authorization', async () => {
    const token = await h.gateway.createCardToken(h.card(CARDS.insufficientFunds));
    const key = h.key();
    const request = { amount: 100, currency: 'KWD', capture: true, token: token.id };
    const first = await h.gateway.charge(request, key);
    const again = await h.gateway.charge(request, key);
    expect(again).toEqual(first);
    expect(again.decline_code).toBe('insufficient_funds');
    expect(await h.chargeEntries(key)).toHaveLength(1);
  });

  it('rejects the same key with a different body (422)', async () => {
    const token = await h.gateway.createCardToken(h.card(CARDS.visa));
    const key = h.key();
    await h.gateway.charge({ amount: 100, currency: 'KWD', capture: true, token: token.id }, key);
    const err = await rejectionOf(
      h.gateway.charge({ amount: 101, currency: 'KWD', capture: true, token: token.id }, key),
    );
    expect(err).toBeInstanceOf(GatewayRejectedError);
    expect(err).toMatchObject({ code: 'idempotency_key_reused', httpStatus: 422 });
    expect(await h.chargeEntries(key)).toHaveLength(1);
  });

  it('rejects a charge key reused for a refund (422)', async () => {
    const charge = await h.chargeCard(CARDS.visa);
    const err = await rejectionOf(h.gateway.refund(charge.id, 100, charge.idempotency_key));
    expect(err).toMatchObject({ code: 'idempotency_key_reused', httpStatus: 422 });
  });

  it('passes the Idempotency-Key through unchanged', async () => {
    const token = await h.gateway.createCardToken(h.card(CARDS.visa));
    const key = `checkout-${h.key()}:attempt/1`;
    const charge = await h.gateway.charge(
      { amount: 100, currency: 'KWD', capture: true, token: token.id },
      key,
    );
    expect(charge.idempotency_key).toBe(key);
    expect((await h.gateway.findChargeByIdempotencyKey(key))?.id).toBe(charge.id);
    expect(await h.chargeEntries(key)).toHaveLength(1);
  });
});

describe('single-use tokens', () => {
  it('rejects a second charge with the same token', async () => {
    const token = await h.gateway.createCardToken(h.card(CARDS.visa));
    await h.gateway.charge({ amount: 100, currency: 'KWD', capture: true, token: token.id }, h.key());
    const err = await rejectionOf(
      h.gateway.charge({ amount: 100, currency: 'KWD', capture: true, token: token.id }, h.key()),
    );
    expect(err).toMatchObject({ code: 'token_already_used', httpStatus: 400 });
  });

  it('uses a token up even when the charge is declined', async () => {
    const token = await h.gateway.createCardToken(h.card(CARDS.genericDecline));
    await h.gateway.charge({ amount: 100, currency: 'KWD', capture: true, token: token.id }, h.key());
    const err = await rejectionOf(
      h.gateway.charge({ amount: 100, currency: 'KWD', capture: true, token: token.id }, h.key()),
    );
    expect(err).toMatchObject({ code: 'token_already_used' });
  });

  it('rejects an expired token', async () => {
    const token = await h.gateway.createCardToken(h.card(CARDS.visa));
    const key = h.key();
    const advanced = await h.post('/_sim/clock', { advance_ms: 15 * 60 * 1000 + 1000 });
    expect(advanced.status).toBe(200);
    const err = await rejectionOf(
      h.gateway.charge({ amount: 100, currency: 'KWD', capture: true, token: token.id }, key),
    );
    expect(err).toMatchObject({ code: 'token_expired', httpStatus: 400 });
    expect(await h.chargeEntries(key)).toHaveLength(0);
  });
});
