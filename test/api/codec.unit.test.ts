/**
 * The codec server protocol the Temporal Web UI speaks: CORS, its own credentials (operators'
 * keys, OIDC tokens; never the admin key), the audit line per decode, encode/decode of every kind
 * of payload (null and void results included).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { METADATA_ENCODING_KEY, defaultPayloadConverter } from '@temporalio/common';

import {
  anyOf,
  codecRoutes,
  devUiOriginAuthorizer,
  EMBEDDED_UI_ORIGINS,
  oidcAuthorizer,
  operatorKeyAuthorizer,
  workflowIdsFromReferer,
  type CodecAuditEntry,
} from '../../src/api/codec-routes';
import { EncryptionCodec } from '../../src/codec/encryption-codec';
import { generateCodecKey, loadCodecKeys } from '../../src/codec/keys';

const ADMIN_KEY = 'test-admin-key-123';
const OPERATOR_KEY = 'alice-codec-secret-0123456789abcdef';
const UI = 'http://127.0.0.1:8233';
const SECRET = 'bob.secret@example.com';
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

const codec = new EncryptionCodec(loadCodecKeys({ TOKENPAY_CODEC_KEYS: generateCodecKey('k1').entry }));
let server: Server;
let base: string;
const audited: CodecAuditEntry[] = [];

beforeAll(async () => {
  const app = express();
  app.use(
    codecRoutes({
      codec,
      authorize: anyOf(operatorKeyAuthorizer(new Map([['alice', OPERATOR_KEY]])), devUiOriginAuthorizer()),
      audit: (entry) => audited.push(entry),
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

it("accepts an operator's own key: Bearer (CLI --codec-auth) or Basic (a browser behind the front proxy)", async () => {
  const basic = (user: string, secret: string) =>
    `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
  for (const authorization of [`Bearer ${OPERATOR_KEY}`, basic('alice', OPERATOR_KEY)]) {
    const res = await post('/codec/decode', { payloads: [plainPayload] }, { Authorization: authorization });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  }
  // Basic names the operator: another name with alice's secret is not alice
  const wrongUser = await post(
    '/codec/decode',
    { payloads: [] },
    { Authorization: basic('bob', OPERATOR_KEY) },
  );
  expect(wrongUser.status).toBe(401);
});

it('answers 401 {detail} to unauthenticated callers (the admin key included), before reading the body', async () => {
  const attempts: Array<Record<string, string>> = [
    {},
    { Origin: 'https://evil.example' },
    { Authorization: `Admin-Key ${ADMIN_KEY}` },
    { Authorization: 'Admin-Key wrong-key' },
    { Authorization: `Bearer ${ADMIN_KEY}` },
    { Authorization: `Bearer ${OPERATOR_KEY}x` },
    { Authorization: `Bearer ${OPERATOR_KEY.slice(0, -1)}` },
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

it('decodes payloads that encode null and void results (no data): never a 500', async () => {
  // what the SDK writes for `return;` / `return null` and for an activity without a result
  // (decrypted, a void result's protobuf has no `data`: protobufjs leaves `[]`, not a Uint8Array)
  const nullPayload = defaultPayloadConverter.toPayload(null);
  const voidPayload = defaultPayloadConverter.toPayload(undefined);
  const encoded = await codec.encode([nullPayload, voidPayload]);
  const toJson = (p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }) => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  });
  const res = await post('/codec/decode', { payloads: encoded.map(toJson) });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
  expect(body.payloads).toHaveLength(2);
  expect(unb64(body.payloads[0]!.metadata[METADATA_ENCODING_KEY]!)).toBe('json/plain');
  expect(unb64(body.payloads[0]!.data)).toBe('null');
  expect(unb64(body.payloads[1]!.metadata[METADATA_ENCODING_KEY]!)).toBe('binary/null');
  expect(body.payloads[1]!.data).toBe('');
});

it('writes one audit line per decode: who, how, namespace, workflow id, how many payloads — never data', async () => {
  audited.length = 0;
  const encoded = (await (
    await post('/codec/encode', { payloads: [plainPayload, plainPayload] })
  ).json()) as any;
  audited.length = 0;
  const res = await post('/codec/decode', encoded, {
    Authorization: `Bearer ${OPERATOR_KEY}`,
    'X-Namespace': 'payments',
    Referer: 'https://temporal.example/namespaces/payments/workflows/checkout-abc123/run-1/history',
  });
  expect(res.status).toBe(200);
  expect(audited).toEqual([
    {
      operation: 'decode',
      outcome: 'ok',
      who: 'alice',
      method: 'operator-key',
      namespace: 'payments',
      workflow_ids: ['checkout-abc123'],
      payloads: 2,
      client_ip: expect.any(String),
    },
  ]);
  expect(JSON.stringify(audited)).not.toContain(SECRET);
  expect(JSON.stringify(audited)).not.toContain(OPERATOR_KEY);

  audited.length = 0;
  await post('/codec/decode', { payloads: [] }, { Authorization: 'Bearer nope' });
  expect(audited).toEqual([expect.objectContaining({ operation: 'decode', outcome: 'refused' })]);
  expect(audited[0]!.who).toBeUndefined();
});

it('reads the workflow id only from a UI page path', () => {
  expect(workflowIdsFromReferer('http://ui/namespaces/default/workflows/checkout-a%2Fb/r/history')).toEqual([
    'checkout-a/b',
  ]);
  expect(workflowIdsFromReferer('http://ui/namespaces/default/workflows')).toBeUndefined();
  expect(workflowIdsFromReferer('http://ui/')).toBeUndefined();
  expect(workflowIdsFromReferer('not a url')).toBeUndefined();
  expect(workflowIdsFromReferer(undefined)).toBeUndefined();
});

it('operatorKeyAuthorizer compares the whole key and names the operator', () => {
  const authorize = operatorKeyAuthorizer(
    new Map([
      ['alice', OPERATOR_KEY],
      ['bob', 'bob-secret-bob-secret-bob-secret-42'],
    ]),
  );
  const req = (authorization?: string) => ({ get: () => authorization }) as any;
  expect(authorize(req(`Bearer ${OPERATOR_KEY}`))).toEqual({ who: 'alice', method: 'operator-key' });
  expect(authorize(req('bearer bob-secret-bob-secret-bob-secret-42'))).toEqual({
    who: 'bob',
    method: 'operator-key',
  });
  expect(authorize(req(`Bearer ${OPERATOR_KEY}x`))).toBeUndefined();
  expect(authorize(req(`Bearer ${OPERATOR_KEY.slice(0, -1)}`))).toBeUndefined();
  expect(authorize(req(`Admin-Key ${OPERATOR_KEY}`))).toBeUndefined();
  expect(authorize(req(undefined))).toBeUndefined();
  expect(operatorKeyAuthorizer(new Map())(req(`Bearer ${OPERATOR_KEY}`))).toBeUndefined();
});

describe('OIDC bearer tokens, verified against the issuer', () => {
  let issuerServer: Server;
  let issuer: string;
  let privateKey: KeyLike;
  let strangerKey: KeyLike;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    strangerKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    issuerServer = createServer((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (req.url === '/.well-known/openid-configuration') {
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
      } else if (req.url === '/jwks') {
        res.end(JSON.stringify({ keys: [jwk] }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    await new Promise<void>((resolve) => issuerServer.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => issuerServer.close(resolve));
  });

  const token = (
    claims: Record<string, unknown>,
    options: { key?: KeyLike; iss?: string; exp?: string } = {},
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(options.iss ?? issuer)
      .setAudience('temporal-ui')
      .setIssuedAt()
      .setExpirationTime(options.exp ?? '5m')
      .sign(options.key ?? privateKey);
  const req = (authorization: string) => ({ get: () => authorization }) as any;

  it("accepts the issuer's token and names its subject", async () => {
    const authorize = oidcAuthorizer({ issuer, audience: 'temporal-ui' });
    const jwt = await token({ sub: 'u-1', email: 'ops@shop.example' });
    await expect(authorize(req(`Bearer ${jwt}`))).resolves.toEqual({
      who: 'ops@shop.example',
      method: 'oidc',
    });
    const noEmail = await token({ sub: 'u-2' });
    await expect(authorize(req(`Bearer ${noEmail}`))).resolves.toEqual({ who: 'u-2', method: 'oidc' });
  });

  it('refuses a token signed by another key, from another issuer, for another audience, or expired', async () => {
    const authorize = oidcAuthorizer({ issuer, audience: 'temporal-ui' });
    const other = oidcAuthorizer({ issuer, audience: 'something-else' });
    const claims = { sub: 'u-1' };
    await expect(authorize(req(`Bearer ${await token(claims, { key: strangerKey })}`))).rejects.toThrow();
    await expect(
      authorize(req(`Bearer ${await token(claims, { iss: 'https://evil.example' })}`)),
    ).rejects.toThrow();
    await expect(other(req(`Bearer ${await token(claims)}`))).rejects.toThrow();
    await expect(authorize(req(`Bearer ${await token(claims, { exp: '1s ago' })}`))).rejects.toThrow();
    await expect(authorize(req('Bearer not-a-jwt'))).resolves.toBeUndefined();
  });
});
