import { HttpGateway } from '../../../src/gateway/http-gateway';
import { GatewayUnavailableError, type ChargeRequest } from '../../../src/gateway/port';
import { startSimulator } from '../../../src/dev/gateway-simulator';
import { CARDS, rejectionOf, startHarness, type Harness } from './helpers';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ timeoutMs: 500 });
});

afterEach(async () => {
  await fetch(`${h.sim.url}/_sim/faults`, { method: 'DELETE' });
});

afterAll(async () => {
  await h.close();
});

async function tokenRequest(number: string = CARDS.visa): Promise<ChargeRequest> {
  const token = await h.gateway.createCardToken(h.card(number));
  return { amount: 1000, currency: 'KWD', capture: true, token: token.id };
}

describe('fault injection', () => {
  it('error_500: unavailable, nothing committed, a retry with the same key charges once', async () => {
    await h.injectFault({ mode: 'error_500', count: 1 });
    const request = await tokenRequest();
    const key = h.key();
    expect(await rejectionOf(h.gateway.charge(request, key))).toBeInstanceOf(GatewayUnavailableError);
    expect(await h.chargeEntries(key)).toHaveLength(0);
    expect(await h.gateway.findChargeByIdempotencyKey(key)).toBeUndefined();
    const charge = await h.gateway.charge(request, key);
    expect(charge.status).toBe('succeeded');
    expect(await h.chargeEntries(key)).toHaveLength(1);
  });

  it('timeout: unavailable, nothing committed; the key is busy (409) until the hold ends', async () => {
    await h.injectFault({ mode: 'timeout', count: 1, latency_ms: 2000 });
    const request = await tokenRequest();
    const key = h.key();
    expect(await rejectionOf(h.gateway.charge(request, key))).toBeInstanceOf(GatewayUnavailableError);
    expect(await h.chargeEntries(key)).toHaveLength(0);
    expect(await h.gateway.findChargeByIdempotencyKey(key)).toBeUndefined();

    // retry like an engine would: 409 (still "processing") is unavailable too, until the hold ends
    let charge;
    for (let attempt = 0; attempt < 50 && !charge; attempt++) {
      try {
        charge = await h.gateway.charge(request, key);
      } catch (err) {
        expect(err).toBeInstanceOf(GatewayUnavailableError);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    expect(charge?.status).toBe('succeeded');
    expect(await h.chargeEntries(key)).toHaveLength(1);
  });

  it('a request with the key of a held request answers 409', async () => {
    await h.injectFault({ mode: 'timeout', count: 1, latency_ms: 600_000 });
    const request = await tokenRequest();
    const key = h.key();
    expect(await rejectionOf(h.gateway.charge(request, key))).toBeInstanceOf(GatewayUnavailableError);
    const response = await h.post('/v1/charges', request, { 'Idempotency-Key': key });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: { code: 'idempotency_key_in_use' } });
    expect(await rejectionOf(h.gateway.charge(request, key))).toBeInstanceOf(GatewayUnavailableError);
    expect(await h.chargeEntries(key)).toHaveLength(0);
  });

  it('drop_response_after_commit: unavailable, but committed; reconcile and replay without a second charge', async () => {
    await h.injectFault({ mode: 'drop_response_after_commit', count: 1 });
    const request = await tokenRequest();
    const key = h.key();
    expect(await rejectionOf(h.gateway.charge(request, key))).toBeInstanceOf(GatewayUnavailableError);
    const found = await h.gateway.findChargeByIdempotencyKey(key);
    expect(found).toMatchObject({ status: 'succeeded', idempotency_key: key, amount: 1000 });
    const retried = await h.gateway.charge(request, key);
    expect(retried.id).toBe(found!.id);
    expect(await h.chargeEntries(key)).toHaveLength(1);
  });

  it('faults apply to the next `count` charges only', async () => {
    await h.injectFault({ mode: 'error_500', count: 2 });
    const queue = (await (await fetch(`${h.sim.url}/_sim/faults`)).json()) as { queue: unknown[] };
    expect(queue.queue).toEqual([
      expect.objectContaining({ mode: 'error_500', remaining: 2, target: 'charge' }),
    ]);
    for (let i = 0; i < 2; i++) {
      expect(await rejectionOf(h.gateway.charge(await tokenRequest(), h.key()))).toBeInstanceOf(
        GatewayUnavailableError,
      );
    }
    expect((await h.gateway.charge(await tokenRequest(), h.key())).status).toBe('succeeded');
  });

  it('the default target leaves operations alone; DELETE clears the queue', async () => {
    const charge = await h.gateway.charge(await tokenRequest(), h.key());
    await h.injectFault({ mode: 'error_500', count: 1 });
    expect((await h.gateway.refund(charge.id, 100, h.key())).amount).toBe(100);
    const cleared = await fetch(`${h.sim.url}/_sim/faults`, { method: 'DELETE' });
    expect(cleared.status).toBe(200);
    expect((await h.gateway.charge(await tokenRequest(), h.key())).status).toBe('succeeded');
  });

  it('drop_response_after_commit on a refund: committed once, replayed on retry', async () => {
    const charge = await h.gateway.charge(await tokenRequest(), h.key());
    await h.injectFault({ mode: 'drop_response_after_commit', count: 1, target: 'refund' });
    const key = h.key();
    expect(await rejectionOf(h.gateway.refund(charge.id, 250, key))).toBeInstanceOf(GatewayUnavailableError);
    expect((await h.gateway.getCharge(charge.id))?.refunded_amount).toBe(250);
    const refund = await h.gateway.refund(charge.id, 250, key);
    expect((await h.gateway.getCharge(charge.id))?.refunded_amount).toBe(250);
    const entries = (await h.ledger()).filter((e) => e.type === 'refund' && e.idempotency_key === key);
    expect(entries).toEqual([expect.objectContaining({ id: refund.id, amount: 250 })]);
  });

  it('target "any" hits captures and voids too', async () => {
    const first = await h.gateway.charge({ ...(await tokenRequest()), capture: false }, h.key());
    const second = await h.gateway.charge({ ...(await tokenRequest()), capture: false }, h.key());
    await h.injectFault({ mode: 'error_500', count: 2, target: 'any' });
    expect(await rejectionOf(h.gateway.capture(first.id, 1000, h.key()))).toBeInstanceOf(
      GatewayUnavailableError,
    );
    expect(await rejectionOf(h.gateway.void(second.id, h.key()))).toBeInstanceOf(GatewayUnavailableError);
    expect((await h.gateway.getCharge(first.id))?.status).toBe('authorized');
    expect((await h.gateway.getCharge(second.id))?.voided).toBe(false);
    expect((await h.gateway.capture(first.id, 1000, h.key())).status).toBe('succeeded');
  });

  it('rejects malformed fault requests', async () => {
    expect((await h.post('/_sim/faults', { mode: 'explode', count: 1 })).status).toBe(400);
    expect((await h.post('/_sim/faults', { mode: 'error_500', count: 0 })).status).toBe(400);
  });

  it('without faults enabled the /_sim routes do not exist', async () => {
    const sim = await startSimulator({ port: 0 });
    try {
      const response = await fetch(`${sim.url}/_sim/faults`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ mode: 'error_500', count: 1 }),
      });
      expect(response.status).toBe(404);
      expect(await new HttpGateway({ baseUrl: sim.url }).ping()).toBe(true);
    } finally {
      await sim.close();
    }
  });
});
