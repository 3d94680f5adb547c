/**
 * The reverse proxy of the cluster and compose (src/edge/proxy.ts): routes by prefix, balances,
 * tells the backend who the client is, skips a backend that refuses connections, never retries a
 * request a backend may have seen, and guards a front door with HTTP Basic.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  parseCredentials,
  parseRoutes,
  routeMatches,
  startProxy,
  type ProxyHandle,
} from '../../src/edge/proxy';
import { freePort } from '../../src/dev/process';

interface Backend {
  url: string;
  seen: Array<{ method?: string; url?: string; xff?: string; host?: string; body: string }>;
  close(): Promise<void>;
}

async function backend(
  name: string,
  onRequest?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean,
): Promise<Backend> {
  const seen: Backend['seen'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({
        method: req.method,
        url: req.url,
        xff: req.headers['x-forwarded-for'] as string,
        host: req.headers.host,
        body,
      });
      if (onRequest?.(req, res)) return;
      res.writeHead(200, { 'content-type': 'application/json', 'x-backend': name });
      res.end(JSON.stringify({ backend: name }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const get = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.text(), headers: res.headers };
};

it('matches prefixes on path boundaries and parses its settings', () => {
  expect(routeMatches('/codec', '/codec/decode')).toBe(true);
  expect(routeMatches('/codec', '/codec')).toBe(true);
  expect(routeMatches('/codec', '/codecs')).toBe(false);
  expect(routeMatches('/', '/anything')).toBe(true);
  expect(parseRoutes('/codec=http://a:1,http://b:2;/=http://c:3')).toEqual([
    { prefix: '/codec', backends: ['http://a:1', 'http://b:2'] },
    { prefix: '/', backends: ['http://c:3'] },
  ]);
  expect(() => parseRoutes('/x')).toThrow(/must be/);
  expect(parseCredentials('alice:s1,bob:s:2')).toEqual(
    new Map([
      ['alice', 's1'],
      ['bob', 's:2'],
    ]),
  );
});

describe('balancing', () => {
  let a: Backend;
  let b: Backend;
  let proxy: ProxyHandle;

  beforeAll(async () => {
    [a, b] = await Promise.all([backend('a'), backend('b')]);
    proxy = await startProxy({ port: 0, routes: [{ prefix: '/', backends: [a.url, b.url] }] });
  });
  afterAll(async () => {
    await proxy.close();
    await Promise.all([a.close(), b.close()]);
  });

  it('alternates between the backends and passes the client address on, after what the client sent', async () => {
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push((await get(`${proxy.url}/x?i=${i}`, { 'x-forwarded-for': '203.0.113.9' })).body);
    expect(answers.map((t) => JSON.parse(t).backend).sort()).toEqual(['a', 'a', 'b', 'b']);
    for (const r of [...a.seen, ...b.seen]) {
      expect(r.xff).toBe('203.0.113.9, 127.0.0.1'); // the hop the proxy saw is the last one
      expect(r.host).toBe(new URL(proxy.url).host);
    }
  });

  it('posts bodies through', async () => {
    const res = await fetch(`${proxy.url}/p`, {
      method: 'POST',
      body: '{"k":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect([...a.seen, ...b.seen].some((r) => r.method === 'POST' && r.body === '{"k":1}')).toBe(true);
  });
});

it('skips a backend that refuses connections; 503 when none is left', async () => {
  const up = await backend('up');
  const down = `http://127.0.0.1:${await freePort()}`;
  const proxy = await startProxy({ port: 0, routes: [{ prefix: '/', backends: [down, up.url] }] });
  try {
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${proxy.url}/x`, { method: 'POST', body: `n=${i}` });
      expect(res.status).toBe(200);
    }
    expect(up.seen.map((r) => r.body)).toEqual(['n=0', 'n=1', 'n=2', 'n=3']);
  } finally {
    await proxy.close();
    await up.close();
  }
  const none = await startProxy({ port: 0, routes: [{ prefix: '/', backends: [down] }] });
  try {
    expect((await get(`${none.url}/x`)).status).toBe(503);
  } finally {
    await none.close();
  }
});

it('answers 502, without retrying elsewhere, when a backend dies with the request', async () => {
  const dying = await backend('dying', (req) => {
    req.socket.destroy();
    return true;
  });
  const other = await backend('other');
  const proxy = await startProxy({ port: 0, routes: [{ prefix: '/', backends: [dying.url, other.url] }] });
  try {
    // the first request goes to `dying` (round robin starts with the first backend)
    const res = await fetch(`${proxy.url}/pay`, { method: 'POST', body: 'once' });
    expect(res.status).toBe(502);
    expect(other.seen.filter((r) => r.body === 'once')).toHaveLength(0);
  } finally {
    await proxy.close();
    await Promise.all([dying.close(), other.close()]);
  }
});

it('a front door with HTTP Basic: 401 with a challenge, then through with the right credentials', async () => {
  const ui = await backend('ui');
  const codec = await backend('codec');
  const proxy = await startProxy({
    port: 0,
    routes: [
      { prefix: '/codec', backends: [codec.url] },
      { prefix: '/', backends: [ui.url] },
    ],
    basicAuth: parseCredentials('alice:wonder-land-secret'),
  });
  const basic = (user: string, secret: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`,
  });
  try {
    const denied = await get(`${proxy.url}/namespaces/default`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await get(`${proxy.url}/`, basic('alice', 'wrong'))).status).toBe(401);
    expect((await get(`${proxy.url}/`, basic('mallory', 'wonder-land-secret'))).status).toBe(401);
    expect(
      JSON.parse((await get(`${proxy.url}/namespaces/default`, basic('alice', 'wonder-land-secret'))).body)
        .backend,
    ).toBe('ui');
    expect(
      JSON.parse((await get(`${proxy.url}/codec/decode`, basic('alice', 'wonder-land-secret'))).body).backend,
    ).toBe('codec');
    // the credentials go on to the backend (the codec verifies them itself)
    expect(codec.seen).toHaveLength(1);
    expect(ui.seen.every((r) => r.url !== '/codec/decode')).toBe(true);
  } finally {
    await proxy.close();
    await Promise.all([ui.close(), codec.close()]);
  }
});
