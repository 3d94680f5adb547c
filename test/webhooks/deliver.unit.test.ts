import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  buildWebhookPayload,
  deliverWebhookOnce,
  signedPayload,
  verifyWebhook,
  type SignedWebhookPayload,
} from '../../src/webhooks';
import { parseAllowedTargets, type TargetPolicy } from '../../src/webhooks/targets';
import { paymentRecord } from './fixtures';

const HMAC_KEY = 'merchant-hmac-key';

interface Received {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A receiver on 127.0.0.1 whose answer each test chooses; records what arrived. */
let server: Server;
let baseUrl: string;
let handler: Handler = (_req, res) => res.end();
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received.length = 0;
});

function body(eventId = 'evt_deliver_1'): SignedWebhookPayload {
  const payload = buildWebhookPayload(paymentRecord(), {
    eventId,
    timestampUtc: '2026-01-01T00:01:00.000Z',
    kind: 'payment',
    result: 'success',
  });
  return signedPayload(payload, HMAC_KEY);
}

function answer(status: number, text = '', headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, headers);
    res.end(text);
  };
}

describe('deliverWebhookOnce', () => {
  it('200 → delivered, with the JSON body and headers the receiver can verify', async () => {
    handler = answer(200, 'ok');
    const sent = body();
    const result = await deliverWebhookOnce({ url: `${baseUrl}/hooks/pay?x=1`, body: sent, timeoutMs: 5000 });
    expect(result).toEqual({ outcome: 'delivered', status: 200, durationMs: expect.any(Number) });
    expect(result.error).toBeUndefined();

    expect(received).toHaveLength(1);
    const req = received[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/hooks/pay?x=1');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toBe('tokenpay-webhooks/1');
    expect(req.headers['x-tokenpay-event-id']).toBe('evt_deliver_1');
    expect(req.headers['x-tokenpay-signature']).toBe(sent.signature);

    const parsed = JSON.parse(req.body) as Record<string, unknown>;
    expect(parsed).toEqual(sent);
    expect(verifyWebhook(parsed, HMAC_KEY, parsed.signature as string)).toBe(true);
    expect(verifyWebhook(parsed, HMAC_KEY, req.headers['x-tokenpay-signature'] as string)).toBe(true);
    expect(verifyWebhook(parsed, 'another-key', parsed.signature as string)).toBe(false);
  });

  it('any 2xx is delivered', async () => {
    handler = answer(204);
    await expect(deliverWebhookOnce({ url: baseUrl, body: body(), timeoutMs: 5000 })).resolves.toMatchObject({
      outcome: 'delivered',
      status: 204,
    });
  });

  it.each([500, 503, 429])('%i → retryable', async (status) => {
    handler = answer(status, 'try later');
    const result = await deliverWebhookOnce({ url: baseUrl, body: body(), timeoutMs: 5000 });
    expect(result).toMatchObject({ outcome: 'retryable', status });
    expect(result.error).toBe(`HTTP ${status}`);
  });

  it.each([400, 401, 404, 410])('%i → rejected (final)', async (status) => {
    handler = answer(status, '{"detail":"bad"}');
    const result = await deliverWebhookOnce({ url: baseUrl, body: body(), timeoutMs: 5000 });
    expect(result).toMatchObject({ outcome: 'rejected', status });
    expect(result.error).toBe(`HTTP ${status}`);
  });

  it('302 → rejected and the redirect is not followed', async () => {
    handler = (req, res, _body) => {
      if (req.url === '/elsewhere') {
        res.writeHead(200);
        res.end('followed');
        return;
      }
      res.writeHead(302, { Location: `${baseUrl}/elsewhere` });
      res.end();
    };
    const result = await deliverWebhookOnce({ url: `${baseUrl}/hook`, body: body(), timeoutMs: 5000 });
    expect(result).toMatchObject({ outcome: 'rejected', status: 302 });
    expect(received.map((r) => r.url)).toEqual(['/hook']);
  });

  it("never keeps the receiver's answer: status and timing only", async () => {
    handler = answer(500, `INTERNAL-SECRET ${'x'.repeat(100_000)}`);
    const result = await deliverWebhookOnce({ url: baseUrl, body: body(), timeoutMs: 5000 });
    expect(result).toEqual({
      outcome: 'retryable',
      status: 500,
      error: 'HTTP 500',
      durationMs: expect.any(Number),
    });
    expect(JSON.stringify(result)).not.toContain('INTERNAL-SECRET');
  });

  it('answers as soon as the status arrives, whatever the receiver still streams', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('x'.repeat(1024)); // and never ends
    };
    const result = await deliverWebhookOnce({ url: baseUrl, body: body(), timeoutMs: 3000 });
    expect(result).toMatchObject({ outcome: 'delivered', status: 200 });
    expect(result.durationMs).toBeLessThan(2000);
  });

  it('a receiver that never answers → retryable after the timeout', async () => {
    handler = () => undefined; // holds the request open
    const result = await deliverWebhookOnce({ url: baseUrl, body: body(), timeoutMs: 300 });
    expect(result.outcome).toBe('retryable');
    expect(result.status).toBeUndefined();
    expect(result.error).toMatch(/timed out/i);
    expect(result.durationMs).toBeGreaterThanOrEqual(250);
    expect(result.durationMs).toBeLessThan(5000);
  });

  it('a closed port → retryable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const result = await deliverWebhookOnce({
      url: `http://127.0.0.1:${port}/`,
      body: body(),
      timeoutMs: 5000,
    });
    expect(result.outcome).toBe('retryable');
    expect(result.status).toBeUndefined();
    expect(result.error).toMatch(/ECONNREFUSED/);
  });

  it.each(['ftp://127.0.0.1/hook', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url', ''])(
    'refuses %p without sending anything',
    async (url) => {
      const result = await deliverWebhookOnce({ url, body: body(), timeoutMs: 5000 });
      expect(result.outcome).toBe('rejected');
      expect(result.error).toBeDefined();
      expect(received).toHaveLength(0);
    },
  );

  it('refuses a URL with credentials', async () => {
    const result = await deliverWebhookOnce({
      url: baseUrl.replace('http://', 'http://user:pass@'),
      body: body(),
      timeoutMs: 5000,
    });
    expect(result.outcome).toBe('rejected');
    expect(received).toHaveLength(0);
  });
});

describe('deliverWebhookOnce in production: private targets refused at every attempt', () => {
  const production = (allow = ''): TargetPolicy => ({ refusePrivate: true, ...parseAllowedTargets(allow) });
  /** DNS as a test controls it: `merchant.example` answers what the test says, now. */
  const dnsAnswering = (address: string) => async () => [{ address, family: address.includes(':') ? 6 : 4 }];

  it.each([
    ['http://127.0.0.1:1/hook', 'loopback'],
    ['http://169.254.169.254/latest/meta-data/', 'cloud metadata'],
    ['http://10.0.0.5/hook', 'private'],
    ['http://[::1]:1/hook', 'loopback'],
    ['http://[::ffff:192.168.1.1]/hook', 'private'],
    ['http://100.100.100.200/hook', 'cloud metadata'],
    ['http://0.0.0.0/hook', 'unspecified'],
  ])('%s is refused without connecting (%s)', async (url, what) => {
    const result = await deliverWebhookOnce({ url, body: body(), timeoutMs: 5000, policy: production() });
    expect(result.outcome).toBe('rejected');
    expect(result.error).toContain(what);
  });

  it('a host that resolves privately at delivery time is refused (DNS re-checked, no rebinding)', async () => {
    const port = new URL(baseUrl).port;
    const result = await deliverWebhookOnce({
      url: `http://merchant.example:${port}/hook`,
      body: body(),
      timeoutMs: 5000,
      policy: production(),
      resolver: dnsAnswering('127.0.0.1'),
    });
    expect(result).toMatchObject({ outcome: 'rejected' });
    expect(result.error).toMatch(
      /refused to connect to merchant\.example: 127\.0\.0\.1 is a loopback address/,
    );
    expect(received).toHaveLength(0);
  });

  it('the allow-list lets a private receiver through (by CIDR or by host name)', async () => {
    handler = answer(200);
    const byCidr = await deliverWebhookOnce({
      url: `${baseUrl}/hook`,
      body: body(),
      timeoutMs: 5000,
      policy: production('127.0.0.0/8'),
    });
    expect(byCidr).toMatchObject({ outcome: 'delivered', status: 200 });
    const port = new URL(baseUrl).port;
    const byHost = await deliverWebhookOnce({
      url: `http://receiver.internal:${port}/hook`,
      body: body(),
      timeoutMs: 5000,
      policy: production('receiver.internal'),
      resolver: dnsAnswering('127.0.0.1'),
    });
    expect(byHost).toMatchObject({ outcome: 'delivered', status: 200 });
    expect(received).toHaveLength(2);
  });
});
