import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  buildWebhookPayload,
  deliverWebhookOnce,
  signedPayload,
  verifyWebhook,
  type SignedWebhookPayload,
} from '../../src/webhooks';
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
    expect(result.error).toBe(`HTTP ${status}: try later`);
  });

  it.each([400, 401, 404, 410])('%i → rejected (final)', async (status) => {
    handler = answer(status, '{"detail":"bad"}');
    const result = await deliverWebhookOnce({ url: baseUrl, body: body(), timeoutMs: 5000 });
    expect(result).toMatchObject({ outcome: 'rejected', status });
    expect(result.error).toContain('bad');
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

  it('keeps at most 500 characters of a response body in the error', async () => {
    handler = answer(500, `${'x'.repeat(10_000)}SECRET-TAIL`);
    const result = await deliverWebhookOnce({ url: baseUrl, body: body(), timeoutMs: 5000 });
    expect(result.outcome).toBe('retryable');
    const snippet = result.error!.replace(/^HTTP 500: /, '');
    expect(snippet.length).toBeLessThanOrEqual(500);
    expect(result.error).not.toContain('SECRET-TAIL');
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
      const fetchImpl = jest.fn() as unknown as typeof fetch;
      const result = await deliverWebhookOnce({ url, body: body(), timeoutMs: 5000, fetchImpl });
      expect(result.outcome).toBe('rejected');
      expect(result.error).toBeDefined();
      expect(fetchImpl).not.toHaveBeenCalled();
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

  it('uses the injected fetch with manual redirects', async () => {
    const fetchImpl = jest.fn(async () => new Response(null, { status: 202 })) as unknown as typeof fetch;
    const result = await deliverWebhookOnce({
      url: 'https://merchant.example/h',
      body: body(),
      timeoutMs: 5000,
      fetchImpl,
    });
    expect(result).toMatchObject({ outcome: 'delivered', status: 202 });
    const [url, init] = (fetchImpl as unknown as jest.Mock).mock.calls[0] as [string, RequestInit];
    expect(url).toBe('https://merchant.example/h');
    expect(init.redirect).toBe('manual');
    expect(init.method).toBe('POST');
  });
});
