import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpGateway } from '../../src/gateway/http-gateway';
import { GatewayRejectedError, GatewayUnavailableError } from '../../src/gateway/port';
import { CARDS, rejectionOf, startHarness, type Harness } from '../dev/gateway-simulator/helpers';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.close();
});

/** A stand-in PSP answering every request with the given status and body. */
async function fakeGateway(status: number, body: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('HttpGateway', () => {
  it('ping is true against the simulator, false when nothing listens', async () => {
    expect(await h.gateway.ping()).toBe(true);
    expect(await new HttpGateway({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 500 }).ping()).toBe(false);
  });

  it('accepts a base URL with a trailing slash', async () => {
    const gateway = new HttpGateway({ baseUrl: `${h.sim.url}/` });
    expect(await gateway.ping()).toBe(true);
    const token = await gateway.createCardToken(h.card(CARDS.visa));
    expect(token.card.last4).toBe('4242');
  });

  it('connection refused is GatewayUnavailableError', async () => {
    const gateway = new HttpGateway({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 500 });
    const err = await rejectionOf(
      gateway.charge({ amount: 100, currency: 'KWD', capture: true, token: 'tok_x' }, 'k'),
    );
    expect(err).toBeInstanceOf(GatewayUnavailableError);
    expect(await rejectionOf(gateway.getCharge('ch_x'))).toBeInstanceOf(GatewayUnavailableError);
  });

  it.each([
    [500, '{"error":{"code":"boom","message":"x"}}'],
    [503, 'not json'],
    [409, '{"error":{"code":"idempotency_key_in_use","message":"busy"}}'],
    [200, 'not json'],
    [200, '{"unexpected":true}'],
  ])('HTTP %s with %s is GatewayUnavailableError', async (status, body) => {
    const fake = await fakeGateway(status, body);
    try {
      const gateway = new HttpGateway({ baseUrl: fake.url, timeoutMs: 2000 });
      const err = await rejectionOf(
        gateway.charge({ amount: 100, currency: 'KWD', capture: true, token: 'tok_x' }, 'k'),
      );
      expect(err).toBeInstanceOf(GatewayUnavailableError);
    } finally {
      await closeServer(fake.server);
    }
  });

  it('other 4xx are GatewayRejectedError with the code and status', async () => {
    const fake = await fakeGateway(402, '{"error":{"code":"payment_required","message":"pay up"}}');
    try {
      const gateway = new HttpGateway({ baseUrl: fake.url, timeoutMs: 2000 });
      const err = await rejectionOf(gateway.refund('ch_1', 100, 'k'));
      expect(err).toBeInstanceOf(GatewayRejectedError);
      expect(err).toMatchObject({ code: 'payment_required', httpStatus: 402, message: 'pay up' });
    } finally {
      await closeServer(fake.server);
    }
  });

  it('404 on a charge request is a rejection, on a lookup it is undefined', async () => {
    const err = await rejectionOf(h.gateway.capture('ch_does_not_exist', 100, h.key()));
    expect(err).toBeInstanceOf(GatewayRejectedError);
    expect(err).toMatchObject({ httpStatus: 404, code: 'charge_not_found' });
    expect(await h.gateway.getCharge('ch_does_not_exist')).toBeUndefined();
  });

  it('never puts card data into errors', async () => {
    const err = await rejectionOf(h.gateway.createCardToken(h.card('4242424242424241', { cvc: '987' })));
    expect(err).toBeInstanceOf(GatewayRejectedError);
    expect(String(err)).not.toContain('4242424242424241');
    expect(String(err)).not.toContain('987');
  });
});
