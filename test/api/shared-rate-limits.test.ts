/**
 * Behind a load balancer: the rate limits are shared by every API instance (kept in MongoDB —
 * FerretDB here — not per process) and keyed on the client's real address, which the API takes
 * from X-Forwarded-For only as far as TOKENPAY_TRUST_PROXY trusts the proxies.
 *
 * Two API instances on one database; clients come from distinct loopback addresses (Linux routes
 * all of 127/8 to lo) through tokenpay's proxy (src/edge/proxy.ts), as customers come through a
 * load balancer.
 */
import http from 'node:http';

import { loadConfig } from '../../src/config';
import { startProxy, type ProxyHandle } from '../../src/edge/proxy';
import { createLogger } from '../../src/logger';
import { startApi, type ApiHandle } from '../../src/server';
import { SharedRateLimitStore } from '../../src/api/rate-limit-store';
import { freePort } from '../../src/dev/process';
import { DEMO_API_KEY, startHarness, type Harness } from '../support/harness';

jest.setTimeout(120_000);

interface Reply {
  status: number;
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
        path: url.pathname,
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
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

const UNKNOWN_PAYMENT = `/b/checkout/v1/pymt-txn/${'0'.repeat(64)}/`;
/** A submit to a session that does not exist (404): each test its own, so per-session limits stay apart. */
const unknownSubmit = (n: number) => `/checkout/${String(n).repeat(64).slice(0, 64)}/submit`;
const wrongKey = (i: number) => ({ authorization: `Api-Key tp_wrong_${i}` });

describe('two API instances, one budget', () => {
  let h: Harness;
  let second: ApiHandle;
  let proxy: ProxyHandle;
  let urls: [string, string];

  beforeAll(async () => {
    h = await startHarness({
      env: {
        TOKENPAY_AUTH_FAILURES_PER_MINUTE: '10',
        TOKENPAY_SUBMIT_RATE_PER_IP: '12',
        TOKENPAY_TRUST_PROXY: '1',
      },
    });
    second = await startApi({ ...h.config, port: await freePort() }, createLogger({ level: 'silent' }));
    urls = [h.baseUrl, second.url];
    proxy = await startProxy({ port: 0, routes: [{ prefix: '/', backends: urls }] });
  });
  afterAll(async () => {
    await proxy?.close();
    await second?.close();
    await h?.close();
  });

  it('wrong keys from one client count once across instances: 10 × 401 spread over both, then 429 on both', async () => {
    const ip = '127.0.0.61';
    for (let i = 0; i < 10; i++) {
      const res = await from(ip, urls[i % 2]!, 'GET', UNKNOWN_PAYMENT, wrongKey(i));
      expect({ i, status: res.status }).toEqual({ i, status: 401 });
    }
    for (const url of urls) {
      expect((await from(ip, url, 'GET', UNKNOWN_PAYMENT, wrongKey(99))).status).toBe(429);
      // a correct key is refused too while blocked: a hit cannot be told from a miss
      expect(
        (await from(ip, url, 'GET', UNKNOWN_PAYMENT, { authorization: `Api-Key ${DEMO_API_KEY}` })).status,
      ).toBe(429);
    }
    // another client is not affected
    expect((await from('127.0.0.62', urls[1], 'GET', UNKNOWN_PAYMENT, wrongKey(1))).status).toBe(401);
  });

  it('concurrent wrong keys at both instances cannot overshoot the shared budget', async () => {
    const ip = '127.0.0.63';
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => from(ip, urls[i % 2]!, 'GET', UNKNOWN_PAYMENT, wrongKey(i))),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30);
  });

  it('through the proxy, each customer has its own submit budget, shared by both instances', async () => {
    // 12 submits per minute per client: customer A spends them, round-robined over both instances
    const a = '127.0.0.71';
    const statuses: number[] = [];
    for (let i = 0; i < 13; i++)
      statuses.push((await from(a, proxy.url, 'POST', unknownSubmit(2), {}, {})).status);
    expect(statuses.slice(0, 12).every((s) => s !== 429)).toBe(true);
    expect(statuses[12]).toBe(429);
    // customer B, through the same proxy, still has all of its own
    expect((await from('127.0.0.72', proxy.url, 'POST', unknownSubmit(2), {}, {})).status).not.toBe(429);
  });

  it('a client cannot pick its address with X-Forwarded-For: only the hop the proxy saw counts', async () => {
    const c = '127.0.0.81';
    for (let i = 0; i < 12; i++) {
      const spoofed = { 'x-forwarded-for': `203.0.113.${i}` };
      expect((await from(c, proxy.url, 'POST', unknownSubmit(3), spoofed, {})).status).not.toBe(429);
    }
    expect(
      (await from(c, proxy.url, 'POST', unknownSubmit(3), { 'x-forwarded-for': '203.0.113.200' }, {})).status,
    ).toBe(429);
  });

  it('the counters are tickets in MongoDB, one per hit, in windows that expire', async () => {
    const tickets = await h.collections.rateLimits.find({}).toArray();
    expect(tickets.length).toBeGreaterThan(0);
    for (const t of tickets) {
      expect(t._id).toMatch(/^(auth-failures|submit-ip|submit-session):.+:\d+#\d+$/);
      expect(t.expires_at.getTime()).toBeGreaterThan(Date.now() - 61_000);
    }
    expect(tickets.some((t) => t.key.includes('127.0.0.71'))).toBe(true);
    expect(tickets.some((t) => t.key.includes('203.0.113'))).toBe(false);
  });
});

describe('without a trusted proxy', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ env: { TOKENPAY_SUBMIT_RATE_PER_IP: '3' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('X-Forwarded-For is ignored: the address is the connection’s', async () => {
    const ip = '127.0.0.91';
    for (let i = 0; i < 3; i++) {
      expect(
        (await from(ip, h.baseUrl, 'POST', unknownSubmit(4), { 'x-forwarded-for': `198.51.100.${i}` }, {}))
          .status,
      ).not.toBe(429);
    }
    expect(
      (await from(ip, h.baseUrl, 'POST', unknownSubmit(4), { 'x-forwarded-for': '198.51.100.77' }, {}))
        .status,
    ).toBe(429);
  });
});

describe('SharedRateLimitStore windows', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a new window starts from zero, and expired windows are swept', async () => {
    let now = Date.UTC(2030, 0, 1, 12, 0, 0);
    const store = new SharedRateLimitStore(h.store.rateLimits, {
      prefix: 'unit',
      limit: 3,
      windowMs: 60_000,
      now: () => now,
    });
    expect((await store.increment('k')).totalHits).toBe(1);
    expect((await store.increment('k')).totalHits).toBe(2);
    expect((await store.increment('k')).totalHits).toBe(3);
    expect((await store.increment('k')).totalHits).toBe(4); // over the limit
    expect((await store.increment('k')).totalHits).toBe(4); // stays over, without more tickets
    expect((await store.get('k')).totalHits).toBe(3);
    // another instance (no local memory of the numbers taken) sees the same count
    const other = new SharedRateLimitStore(h.store.rateLimits, {
      prefix: 'unit',
      limit: 3,
      windowMs: 60_000,
      now: () => now,
    });
    expect((await other.increment('k')).totalHits).toBe(4);
    expect((await other.get('k')).totalHits).toBe(3);

    now += 60_000;
    expect((await store.increment('k')).totalHits).toBe(1);
    const removed = await h.store.rateLimits.removeExpired(new Date(now));
    expect(removed).toBe(4);
    expect(await h.collections.rateLimits.countDocuments({ key: 'unit:k' })).toBe(1);
    await store.resetKey('k');
    expect(await h.collections.rateLimits.countDocuments({ key: 'unit:k' })).toBe(0);
  });

  it('the default store is shared; TOKENPAY_RATE_LIMIT_STORE=memory keeps counters per process', () => {
    expect(loadConfig({}).rateLimitStore).toBe('mongodb');
    expect(loadConfig({ TOKENPAY_RATE_LIMIT_STORE: 'memory' }).rateLimitStore).toBe('memory');
  });
});
