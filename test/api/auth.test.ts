/**
 * Brute-forcing `Api-Key` / `Admin-Key`: failed authentications are limited per client IP
 * (TOKENPAY_AUTH_FAILURES_PER_MINUTE, default 30). After the threshold the IP gets 429 `{detail}`
 * with `Retry-After` on every authenticated request — a correct key too, so a guess cannot be
 * confirmed while blocked — until its window ends. Other IPs are unaffected. Successful requests,
 * other 4xx and requests without credentials never count, however many arrive at once.
 *
 * Tests run on one machine, so other client IPs come from other loopback source addresses
 * (127.0.0.x, Linux routes all of 127/8 to lo).
 */
import http from 'node:http';
import express from 'express';

import { adminAuth, createAuthFailureGuard, merchantAuth } from '../../src/api/auth';
import { errorHandler } from '../../src/api/errors';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { hashApiKey } from '../../src/store/merchants';
import type { Store } from '../../src/store';
import { ADMIN_KEY, DEMO_API_KEY, newPayment, startHarness, type Harness } from '../support/harness';

jest.setTimeout(120_000);

const DEFAULT_LIMIT = 30;
/** The codec's own operator credential (never the admin key). */
const CODEC_OPERATOR_KEY = 'ops-codec-key-7hS2kq9Zx81mPq4Lr0Vw3Nb6';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** One request from a chosen loopback source address. */
function from(
  sourceIp: string,
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<Reply> {
  const url = new URL(path, baseUrl);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        localAddress: sourceIp,
        agent: false,
        headers: {
          ...headers,
          ...(payload !== undefined
            ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }
            : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : text;
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

const apiKey = (key: string) => ({ authorization: `Api-Key ${key}` });
const adminKey = (key: string) => ({ authorization: `Admin-Key ${key}` });
const GET_PAYMENT = `/b/checkout/v1/pymt-txn/${'0'.repeat(64)}/`;

describe('auth failure limit on a real stack (default policy)', () => {
  let h: Harness;
  const savedEnv = process.env.TOKENPAY_AUTH_FAILURES_PER_MINUTE;

  beforeAll(async () => {
    delete process.env.TOKENPAY_AUTH_FAILURES_PER_MINUTE; // the default applies
    h = await startHarness({ env: { TOKENPAY_CODEC_CREDENTIALS: `ops:${CODEC_OPERATOR_KEY}` } });
  });
  afterAll(async () => {
    if (savedEnv !== undefined) process.env.TOKENPAY_AUTH_FAILURES_PER_MINUTE = savedEnv;
    await h?.close();
  });

  const call = (ip: string, method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    from(ip, h.baseUrl, method, path, headers, body);

  it(`wrong Api-Keys: ${DEFAULT_LIMIT} × 401, then 429 with Retry-After for the IP; other IPs unaffected`, async () => {
    const ip = '127.0.0.11';
    for (let i = 0; i < DEFAULT_LIMIT; i++) {
      const res = await call(ip, 'GET', GET_PAYMENT, apiKey(`tp_wrong_${i}`));
      expect({ i, status: res.status }).toEqual({ i, status: 401 });
      expect(res.body).toEqual({ detail: expect.any(String) });
      expect(res.headers['ratelimit-policy']).toMatch(new RegExp(`q=${DEFAULT_LIMIT}; w=60`));
    }
    const blocked = await call(ip, 'GET', GET_PAYMENT, apiKey('tp_wrong_again'));
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual({ detail: expect.any(String) });
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // while blocked, a correct key from that IP is refused too: a hit cannot be told from a miss
    const correct = await call(ip, 'POST', '/b/checkout/v1/pymt-txn/', apiKey(DEMO_API_KEY), newPayment());
    expect(correct.status).toBe(429);
    expect(Number(correct.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // ...and so is a request without credentials, and a spoofed X-Forwarded-For changes nothing
    expect((await call(ip, 'GET', GET_PAYMENT, {})).status).toBe(429);
    expect(
      (await call(ip, 'GET', GET_PAYMENT, { ...apiKey(DEMO_API_KEY), 'x-forwarded-for': '203.0.113.9' }))
        .status,
    ).toBe(429);
    // the customer side has no key and is not affected
    expect((await call(ip, 'GET', '/healthz', {})).status).toBe(200);
    expect((await call(ip, 'GET', `/checkout/${'0'.repeat(64)}`, {})).status).toBe(404);

    // another client IP: the correct key works and wrong keys still get plain 401s
    const other = '127.0.0.12';
    expect(
      (await call(other, 'POST', '/b/checkout/v1/pymt-txn/', apiKey(DEMO_API_KEY), newPayment())).status,
    ).toBe(201);
    expect((await call(other, 'GET', GET_PAYMENT, apiKey('tp_wrong'))).status).toBe(401);
  });

  it(`wrong Admin-Keys: ${DEFAULT_LIMIT} × 401, then 429 with Retry-After; the right key from another IP works`, async () => {
    const ip = '127.0.0.21';
    for (let i = 0; i < DEFAULT_LIMIT; i++) {
      const res = await call(ip, 'POST', '/admin/v1/merchants', adminKey(`guess-${i}`), { name: 'x' });
      expect({ i, status: res.status }).toEqual({ i, status: 401 });
    }
    const blocked = await call(ip, 'POST', '/admin/v1/merchants', adminKey('guess-again'), { name: 'x' });
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual({ detail: expect.any(String) });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await call(ip, 'POST', '/admin/v1/merchants', adminKey(ADMIN_KEY), { name: 'x' })).status).toBe(
      429,
    );
    expect(
      (await call('127.0.0.22', 'POST', '/admin/v1/merchants', adminKey(ADMIN_KEY), { name: 'x' })).status,
    ).toBe(201);
    expect(await h.collections.merchants.countDocuments({ name: 'x' })).toBe(1);
  });

  it(`wrong codec credentials share the budget: ${DEFAULT_LIMIT} × 401, then 429 for /codec and /admin`, async () => {
    const ip = '127.0.0.25';
    const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
    const decode = (key: string) => call(ip, 'POST', '/codec/decode', bearer(key), { payloads: [] });
    for (let i = 0; i < DEFAULT_LIMIT; i++) {
      expect({ i, status: (await decode(`guess-${i}`)).status }).toEqual({ i, status: 401 });
    }
    const blocked = await decode('guess-again');
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual({ detail: expect.any(String) });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await decode(CODEC_OPERATOR_KEY)).status).toBe(429); // a right guess cannot be confirmed
    expect((await call(ip, 'POST', '/admin/v1/merchants', adminKey(ADMIN_KEY), { name: 'y' })).status).toBe(
      429,
    );
    const other = '127.0.0.26';
    expect(
      (await call(other, 'POST', '/codec/decode', bearer(CODEC_OPERATOR_KEY), { payloads: [] })).status,
    ).toBe(200);
    // the admin key administers merchants; it does not open the codec
    expect((await call(other, 'POST', '/codec/decode', adminKey(ADMIN_KEY), { payloads: [] })).status).toBe(
      401,
    );
  });

  it('only failed authentications count: successes, other 4xx and missing credentials never do', async () => {
    const ip = '127.0.0.31';
    // many correct-key requests, at once, most of them refused for other reasons (400, 404)
    const burst = await Promise.all(
      Array.from({ length: 3 * DEFAULT_LIMIT }, (_, i) =>
        i % 3 === 0
          ? call(ip, 'GET', GET_PAYMENT, apiKey(DEMO_API_KEY))
          : i % 3 === 1
            ? call(ip, 'POST', '/b/checkout/v1/pymt-txn/', apiKey(DEMO_API_KEY), { amount: 'nope' })
            : call(ip, 'POST', '/b/pbl/v2/card/', apiKey(DEMO_API_KEY), {
                type: 'sandbox',
                customer_id: 'c',
              }),
      ),
    );
    expect(burst.map((r) => r.status).filter((s) => s === 429)).toEqual([]);
    // no credentials / another scheme: 401, not counted (they reach no key lookup)
    for (let i = 0; i < 2 * DEFAULT_LIMIT; i++) {
      const headers: Record<string, string> = i % 2 ? {} : { authorization: `Bearer x${i}` };
      expect((await call(ip, 'GET', GET_PAYMENT, headers)).status).toBe(401);
    }
    // so the full budget of failures is still there
    for (let i = 0; i < DEFAULT_LIMIT - 1; i++) {
      expect((await call(ip, 'GET', GET_PAYMENT, apiKey(`tp_wrong_${i}`))).status).toBe(401);
    }
    expect((await call(ip, 'GET', GET_PAYMENT, apiKey(DEMO_API_KEY))).status).toBe(404);
    expect((await call(ip, 'GET', GET_PAYMENT, apiKey('tp_last_wrong'))).status).toBe(401);
    expect((await call(ip, 'GET', GET_PAYMENT, apiKey(DEMO_API_KEY))).status).toBe(429);
  });

  it('concurrent wrong keys cannot overshoot the budget', async () => {
    const ip = '127.0.0.41';
    const results = await Promise.all(
      Array.from({ length: 3 * DEFAULT_LIMIT }, (_, i) =>
        call(ip, 'GET', GET_PAYMENT, apiKey(`tp_race_${i}`)),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(DEFAULT_LIMIT);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2 * DEFAULT_LIMIT);
  });
});

describe('auth failure guard (unit: window, configuration)', () => {
  const fakeStore = {
    merchants: {
      findByApiKey: async (key: string) =>
        hashApiKey(key) === hashApiKey('right-key') ? { _id: 'm1', name: 'M' } : null,
    },
  } as unknown as Pick<Store, 'merchants'>;

  async function miniApp(
    guard: ReturnType<typeof createAuthFailureGuard>,
  ): Promise<{ url: string; close: () => Promise<void> }> {
    const app = express();
    app.use('/admin', adminAuth('the-admin-key', guard));
    app.use('/m', merchantAuth(fakeStore, guard));
    app.get(['/m/ok', '/admin/ok'], (_req, res) => {
      res.json({ ok: true });
    });
    app.use(errorHandler(createLogger({ level: 'silent' })));
    const server = await new Promise<http.Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const port = (server.address() as { port: number }).port;
    return {
      url: `http://127.0.0.1:${port}`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }

  it('the block lifts when the window ends', async () => {
    const app = await miniApp(createAuthFailureGuard({ failuresPerMinute: 3, windowMs: 1000 }));
    try {
      for (let i = 0; i < 3; i++)
        expect((await from('127.0.0.51', app.url, 'GET', '/m/ok', apiKey('bad'))).status).toBe(401);
      const blocked = await from('127.0.0.51', app.url, 'GET', '/m/ok', apiKey('right-key'));
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await from('127.0.0.51', app.url, 'GET', '/m/ok', apiKey('right-key'))).status).toBe(200);
      expect((await from('127.0.0.51', app.url, 'GET', '/m/ok', apiKey('bad'))).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('one guard shared by merchant and admin auth gives an IP one budget for both', async () => {
    const app = await miniApp(createAuthFailureGuard({ failuresPerMinute: 4 }));
    try {
      for (let i = 0; i < 2; i++)
        expect((await from('127.0.0.52', app.url, 'GET', '/m/ok', apiKey('bad'))).status).toBe(401);
      for (let i = 0; i < 2; i++) {
        expect((await from('127.0.0.52', app.url, 'GET', '/admin/ok', adminKey('bad'))).status).toBe(401);
      }
      expect((await from('127.0.0.52', app.url, 'GET', '/admin/ok', adminKey('the-admin-key'))).status).toBe(
        429,
      );
      expect((await from('127.0.0.52', app.url, 'GET', '/m/ok', apiKey('right-key'))).status).toBe(429);
      expect((await from('127.0.0.53', app.url, 'GET', '/admin/ok', adminKey('the-admin-key'))).status).toBe(
        200,
      );
    } finally {
      await app.close();
    }
  });

  it('TOKENPAY_AUTH_FAILURES_PER_MINUTE sets the threshold (default 30, positive integers only)', async () => {
    expect(loadConfig({}).rateLimits.authFailuresPerMinute).toBe(30);
    expect(loadConfig({ TOKENPAY_AUTH_FAILURES_PER_MINUTE: '5' }).rateLimits.authFailuresPerMinute).toBe(5);
    for (const bad of ['0', '-1', '1.5', 'lots']) {
      expect(() => loadConfig({ TOKENPAY_AUTH_FAILURES_PER_MINUTE: bad })).toThrow(
        /TOKENPAY_AUTH_FAILURES_PER_MINUTE/,
      );
    }
    // the guard takes its threshold from the parsed configuration (as createApp wires it)
    const config = loadConfig({ TOKENPAY_AUTH_FAILURES_PER_MINUTE: '2' });
    const app = await miniApp(
      createAuthFailureGuard({ failuresPerMinute: config.rateLimits.authFailuresPerMinute }),
    );
    try {
      for (let i = 0; i < 2; i++)
        expect((await from('127.0.0.54', app.url, 'GET', '/m/ok', apiKey('bad'))).status).toBe(401);
      expect((await from('127.0.0.54', app.url, 'GET', '/m/ok', apiKey('right-key'))).status).toBe(429);
    } finally {
      await app.close();
    }
  });
});
