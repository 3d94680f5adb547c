/** The codec server protocol the Temporal Web UI speaks: CORS, authentication, encode/decode. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';

import {
  adminKeyAuthorizer,
  codecRoutes,
  devCodecAuthorizer,
  EMBEDDED_UI_ORIGINS,
} from '../../src/api/codec-routes';
import { EncryptionCodec } from '../../src/codec/encryption-codec';
import { generateCodecKey, loadCodecKeys } from '../../src/codec/keys';

const ADMIN_KEY = 'test-admin-key-123';
const UI = 'http://127.0.0.1:8233';
const SECRET = 'bob.secret@example.com';
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

const codec = new EncryptionCodec(loadCodecKeys({ TOKENPAY_CODEC_KEYS: generateCodecKey('k1').entry }));
let server: Server;
let base: string;

beforeAll(async () => {
  const app = express();
  app.use(
    codecRoutes({
      codec,
      authorize: devCodecAuthorizer({ adminKey: ADMIN_KEY }),
      allowedOrigins: EMBEDDED_UI_ORIGINS,
    }),
  );
  app.use((_req, res) => {
    res.status(404).json({ detail: 'Not found.' });
  });
  await new Promise<void>((resolve) => {
    server = app.listen(0, '127.0.0.1', () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = { Origin: UI },
): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const plainPayload = {
  metadata: { encoding: b64('json/plain') },
  data: b64(JSON.stringify({ email: SECRET })),
};

it('encodes and decodes in the UI protocol shape', async () => {
  const encoded = await post('/codec/encode', { payloads: [plainPayload] });
  expect(encoded.status).toBe(200);
  expect(encoded.headers.get('access-control-allow-origin')).toBe(UI);
  expect(encoded.headers.get('access-control-allow-credentials')).toBe('true');
  expect(encoded.headers.get('cache-control')).toBe('no-store');
  const encodedBody = (await encoded.json()) as any;
  expect(encodedBody.payloads).toHaveLength(1);
  expect(unb64(encodedBody.payloads[0].metadata.encoding)).toBe('binary/encrypted');
  expect(unb64(encodedBody.payloads[0].metadata['encryption-key-id'])).toBe('k1');
  expect(JSON.stringify(encodedBody)).not.toContain(b64(SECRET).slice(0, 12));
  expect(unb64(encodedBody.payloads[0].data)).not.toContain(SECRET);

  const decoded = await post('/codec/decode', encodedBody);
  expect(decoded.status).toBe(200);
  expect(await decoded.json()).toEqual({ payloads: [plainPayload] });
});

it('passes unencrypted payloads through decode and accepts empty lists', async () => {
  const res = await post('/codec/decode', { payloads: [plainPayload, { metadata: {} }] });
  expect(await res.json()).toEqual({ payloads: [plainPayload, { metadata: {}, data: '' }] });
  const empty = await post('/codec/decode', { payloads: [] });
  expect(await empty.json()).toEqual({ payloads: [] });
});

it('accepts the admin key without a UI origin (CLI --codec-auth)', async () => {
  const res = await post(
    '/codec/decode',
    { payloads: [plainPayload] },
    { Authorization: `Admin-Key ${ADMIN_KEY}` },
  );
  expect(res.status).toBe(200);
  expect(res.headers.get('access-control-allow-origin')).toBeNull();
});

it('answers 401 {detail} to unauthenticated callers, before reading the body', async () => {
  const attempts: Array<Record<string, string>> = [
    {},
    { Origin: 'https://evil.example' },
    { Authorization: 'Admin-Key wrong-key' },
    { Authorization: `Bearer ${ADMIN_KEY}` },
  ];
  for (const headers of attempts) {
    const res = await post('/codec/decode', 'not even json', headers);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ detail: expect.stringContaining('Authentication') });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  }
});

it('answers 401 when the policy throws', async () => {
  const app = express();
  app.use(
    codecRoutes({
      codec,
      authorize: () => {
        throw new Error('policy down');
      },
      allowedOrigins: [],
    }),
  );
  const s = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => s.once('listening', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/codec/decode`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"payloads":[]}',
    });
    expect(res.status).toBe(401);
  } finally {
    await new Promise((resolve) => s.close(resolve));
  }
});

it('answers CORS preflights with 204 for the UI origin only', async () => {
  for (const path of ['/codec/decode', '/codec/encode']) {
    const res = await fetch(`${base}${path}`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://localhost:8233',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,authorization,x-namespace',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(res.headers.get('access-control-allow-headers')).toBe('Content-Type, Authorization, X-Namespace');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('vary')).toContain('Origin');
  }
  const foreign = await fetch(`${base}/codec/decode`, {
    method: 'OPTIONS',
    headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
  });
  expect(foreign.status).toBe(204);
  expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  expect(foreign.headers.get('access-control-allow-credentials')).toBeNull();
});

it.each([
  ['not json', '{"payloads": ['],
  ['no payloads', {}],
  ['payloads not an array', { payloads: 'x' }],
  ['a payload not an object', { payloads: [42] }],
  ['data not base64', { payloads: [{ metadata: {}, data: 'not base64!' }] }],
  ['metadata value not a string', { payloads: [{ metadata: { encoding: 1 }, data: '' }] }],
  ['a JSON string', '"payloads"'],
  ['null', 'null'],
])('answers 400 {detail} to garbage: %s', async (_name, body) => {
  const res = await post('/codec/decode', body);
  expect(res.status).toBe(400);
  expect(await res.json()).toEqual({ detail: expect.any(String) });
  expect(res.headers.get('access-control-allow-origin')).toBe(UI);
});

it('answers 400 naming the key id for payloads it cannot decrypt', async () => {
  const tampered = {
    metadata: { encoding: b64('binary/encrypted'), 'encryption-key-id': b64('k0') },
    data: Buffer.alloc(40).toString('base64'),
  };
  const res = await post('/codec/decode', { payloads: [tampered] });
  expect(res.status).toBe(400);
  expect(((await res.json()) as any).detail).toContain('Unknown encryption key id "k0"');
});

it('answers 415 to non-JSON bodies and 413 to bodies over 2 MB', async () => {
  const text = await fetch(`${base}/codec/decode`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', Origin: UI },
    body: '{"payloads":[]}',
  });
  expect(text.status).toBe(415);
  const big = await post('/codec/decode', { payloads: [{ metadata: {}, data: 'A'.repeat(2_200_000) }] });
  expect(big.status).toBe(413);
  expect(await big.json()).toEqual({ detail: expect.any(String) });
});

it('leaves other paths to the app', async () => {
  const res = await fetch(`${base}/codec/other`, { method: 'POST', headers: { Origin: UI } });
  expect(res.status).toBe(404);
  expect(res.headers.get('access-control-allow-origin')).toBeNull();
});

it('adminKeyAuthorizer compares the whole key', () => {
  const authorize = adminKeyAuthorizer(ADMIN_KEY);
  const req = (authorization?: string) => ({ get: () => authorization }) as any;
  expect(authorize(req(`Admin-Key ${ADMIN_KEY}`))).toBe(true);
  expect(authorize(req(`admin-key ${ADMIN_KEY}`))).toBe(true);
  expect(authorize(req(`Admin-Key ${ADMIN_KEY}x`))).toBe(false);
  expect(authorize(req(`Admin-Key ${ADMIN_KEY.slice(0, -1)}`))).toBe(false);
  expect(authorize(req(undefined))).toBe(false);
});
