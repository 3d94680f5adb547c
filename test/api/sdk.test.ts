/**
 * The Web Checkout SDK over HTTP (CONTRACT §9): public keys (issued once, stored hashed,
 * revocable, opening no REST endpoint), the SDK script with its integrity hash, and the frame: only
 * for a session of the key's merchant, only for an origin the key allows, and framable by exactly
 * those origins.
 */
import { createHash } from 'node:crypto';
import { BSON } from 'mongodb';

import { DEV_DEFAULTS } from '../../src/config';
import { ADMIN_KEY, newPayment, startHarness, type Harness } from '../support/harness';

jest.setTimeout(120_000);

const CREATE = '/b/checkout/v1/pymt-txn/';
const SHOP = 'https://shop.example';
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const admin = (method: string, path: string, body?: unknown, key: string = ADMIN_KEY) =>
  h.request(method, path, {
    ...(body !== undefined ? { body } : {}),
    headers: { authorization: `Admin-Key ${key}` },
  });

async function newMerchant(name = 'Frame shop'): Promise<{ merchant_id: string; api_key: string }> {
  const res = await admin('POST', '/admin/v1/merchants', { name });
  expect(res.status).toBe(201);
  const config = {
    currencies: ['KWD'],
    operation: 'purchase',
    tokenization_enabled: true,
    cvv_required: true,
    auto_debit_enabled: false,
    three_ds: 'never',
    max_attempts: 3,
  };
  expect(
    (await admin('PUT', `/admin/v1/merchants/${res.body.merchant_id}/gateways/ottu_pg_kwd_tkn`, config))
      .status,
  ).toBe(200);
  return res.body;
}

async function newKey(merchantId: string, origins: string[] = [SHOP]): Promise<string> {
  const res = await admin('POST', `/admin/v1/merchants/${merchantId}/public-keys`, {
    allowed_origins: origins,
  });
  expect(res.status).toBe(201);
  return res.body.public_key as string;
}

async function session(apiKey: string = DEV_DEFAULTS.demoApiKey): Promise<string> {
  const res = await h.merchant('POST', CREATE, newPayment(), { apiKey });
  expect(res.status).toBe(201);
  return res.body.session_id as string;
}

const frame = (sessionId: string, query: Record<string, string>, headers: Record<string, string> = {}) =>
  h.request('GET', `/checkout/v3/frame/${sessionId}?${new URLSearchParams(query).toString()}`, { headers });

const frameAncestors = (csp: string | null): string =>
  /frame-ancestors ([^;]+)/.exec(csp ?? '')?.[1]?.trim() ?? '(none given)';

describe('public keys (admin API)', () => {
  it('are issued once, stored only as a hash, listed without their secret and revoked by prefix', async () => {
    const merchant = await newMerchant();
    const created = await admin('POST', `/admin/v1/merchants/${merchant.merchant_id}/public-keys`, {
      allowed_origins: ['https://Shop.Example/', 'http://127.0.0.1:3080'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      public_key: expect.stringMatching(/^pk_[0-9a-f]{12}_[A-Za-z0-9_-]{32}$/),
      key_prefix: expect.stringMatching(/^pk_[0-9a-f]{12}$/),
      allowed_origins: ['https://shop.example', 'http://127.0.0.1:3080'],
      created_at: expect.any(String),
      revoked_at: null,
    });
    const key = created.body.public_key as string;
    expect(key.startsWith(`${created.body.key_prefix}_`)).toBe(true);

    // only its hash is stored
    const stored = await h.collections.publicKeys.findOne({ _id: created.body.key_prefix });
    expect(stored).toMatchObject({
      merchant_id: merchant.merchant_id,
      key_hash: createHash('sha256').update(key).digest('hex'),
    });
    for (const { name } of await h.mongo.db.listCollections().toArray()) {
      const docs = await h.mongo.db.collection(name).find({}).toArray();
      expect({ name, leaks: BSON.EJSON.stringify(docs).includes(key) }).toEqual({ name, leaks: false });
    }

    const second = await newKey(merchant.merchant_id, ['https://other.example']);
    const listed = await admin('GET', `/admin/v1/merchants/${merchant.merchant_id}/public-keys`);
    expect(listed.status).toBe(200);
    expect(listed.body.map((k: { key_prefix: string }) => k.key_prefix)).toEqual([
      created.body.key_prefix,
      second.slice(0, 15),
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(key);

    const revoked = await h.request(
      'DELETE',
      `/admin/v1/merchants/${merchant.merchant_id}/public-keys/${created.body.key_prefix}`,
      { headers: { authorization: `Admin-Key ${ADMIN_KEY}` } },
    );
    expect(revoked.status).toBe(204);
    const after = await admin('GET', `/admin/v1/merchants/${merchant.merchant_id}/public-keys`);
    expect(after.body[0]).toMatchObject({
      key_prefix: created.body.key_prefix,
      revoked_at: expect.any(String),
    });
    expect(after.body[1]).toMatchObject({ revoked_at: null });
  });

  it('answers 400 for origins that are not scheme://host[:port] (https off loopback), 404 for strangers', async () => {
    const merchant = await newMerchant();
    const path = `/admin/v1/merchants/${merchant.merchant_id}/public-keys`;
    const bad = await admin('POST', path, { allowed_origins: ['https://ok.example', 'http://shop.example'] });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ allowed_origins: { '1': [expect.stringMatching(/https/)] } });
    for (const body of [
      {},
      { allowed_origins: [] },
      { allowed_origins: 'https://shop.example' },
      { allowed_origins: ['https://shop.example/path'] },
      { allowed_origins: ['*'] },
    ]) {
      const res = await admin('POST', path, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
    }
    expect(
      (await admin('POST', '/admin/v1/merchants/nobody/public-keys', { allowed_origins: [SHOP] })).status,
    ).toBe(404);
    expect((await admin('GET', '/admin/v1/merchants/nobody/public-keys')).status).toBe(404);
    expect((await admin('DELETE', `${path}/pk_000000000000`)).status).toBe(404);
    expect((await admin('DELETE', `${path}/not-a-prefix`)).status).toBe(404);
    // another merchant's key cannot be revoked through this merchant
    const other = await newMerchant('Other');
    const otherKey = await newKey(other.merchant_id);
    expect((await admin('DELETE', `${path}/${otherKey.slice(0, 15)}`)).status).toBe(404);
    expect((await h.request('POST', path, { body: { allowed_origins: [SHOP] } })).status).toBe(401);
  });

  it('open no REST endpoint: refused as an API key and as an admin key everywhere', async () => {
    const merchant = await newMerchant();
    const pk = await newKey(merchant.merchant_id);
    const sessionId = await session(merchant.api_key);
    const merchantCalls: Array<[string, string, unknown?]> = [
      ['POST', CREATE, newPayment()],
      ['GET', `${CREATE}${sessionId}/`],
      ['GET', `${CREATE}${sessionId}/webhooks/`],
      ['POST', '/b/pbl/v2/card/', { type: 'sandbox', customer_id: 'c1' }],
      ['DELETE', '/b/pbl/v2/card/abc/?customer_id=c1'],
      ['POST', '/b/pbl/v2/auto-debit/', { session_id: sessionId, token: 'abc' }],
      ['POST', '/b/pbl/v2/operation/', { operation: 'cancel', session_id: sessionId }],
    ];
    for (const scheme of ['Api-Key', 'Bearer', 'Public-Key']) {
      for (const [method, path, body] of merchantCalls) {
        const res = await h.request(method, path, {
          ...(body !== undefined ? { body } : {}),
          headers: { authorization: `${scheme} ${pk}` },
        });
        expect({ scheme, call: `${method} ${path}`, status: res.status }).toEqual({
          scheme,
          call: `${method} ${path}`,
          status: 401,
        });
      }
    }
    for (const [method, path, body] of [
      ['POST', '/admin/v1/merchants', { name: 'x' }],
      ['GET', `/admin/v1/merchants/${merchant.merchant_id}/public-keys`],
      ['POST', '/codec/decode', { payloads: [] }],
    ] as Array<[string, string, unknown?]>) {
      const res = await admin(method, path, body, pk);
      expect({ call: `${method} ${path}`, status: res.status }).toEqual({
        call: `${method} ${path}`,
        status: 401,
      });
    }
    // the session is untouched
    expect(
      (await h.merchant('GET', `${CREATE}${sessionId}/`, undefined, { apiKey: merchant.api_key })).body.state,
    ).toBe('created');
  });
});

describe('the SDK script', () => {
  it('is served minified at a stable URL and, pinned by its integrity hash, at an immutable one', async () => {
    const stable = await h.request('GET', '/checkout/v3/checkout.min.js');
    expect(stable.status).toBe(200);
    expect(stable.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(stable.headers.get('cache-control')).toBe('public, max-age=300');
    expect(stable.headers.get('access-control-allow-origin')).toBe('*');
    expect(stable.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(stable.body).toContain('Checkout');
    expect(stable.body.split('\n').length).toBeLessThan(5); // minified

    const info = await h.request('GET', '/checkout/v3/integrity.json');
    expect(info.status).toBe(200);
    expect(info.body).toEqual({
      version: 'v3',
      url: expect.stringMatching(new RegExp(`^${h.baseUrl}/checkout/v3/checkout\\.[0-9a-f]{16}\\.min\\.js$`)),
      integrity: `sha384-${createHash('sha384').update(stable.body).digest('base64')}`,
      stable_url: `${h.baseUrl}/checkout/v3/checkout.min.js`,
    });
    const pinned = await h.request('GET', new URL(info.body.url).pathname);
    expect(pinned.status).toBe(200);
    expect(pinned.body).toBe(stable.body);
    expect(pinned.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await h.request('GET', '/checkout/v3/checkout.0123456789abcdef.min.js')).status).toBe(404);
    expect((await h.request('GET', '/checkout/v3/other.js')).status).toBe(404);
  });
});

describe('the frame', () => {
  it("renders for a session of the key's merchant, framable by exactly the key's origins", async () => {
    const sessionId = await session();
    const res = await frame(sessionId, {
      pk: DEV_DEFAULTS.demoPublicKey,
      origin: h.config.demoSdk.shopOrigins[0]!,
    });
    expect(res.status).toBe(200);
    expect(frameAncestors(res.headers.get('content-security-policy'))).toBe(
      h.config.demoSdk.shopOrigins.join(' '),
    );
    expect(res.headers.get('content-security-policy')).toMatch(
      /script-src 'self'; script-src-attr 'none'; style-src 'self'/,
    );
    expect(res.headers.get('x-frame-options')).toBeNull();
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toContain('/static/checkout.js');
    expect(res.body).toContain('/static/sdk-frame.js');
    expect(res.body).toContain('data-mount="manual"');
    expect(res.body).not.toMatch(/<script>|\sstyle=|\son[a-z]+=/i);
    // seeing the form moves the session to pending, as the hosted page does
    expect((await h.merchant('GET', `${CREATE}${sessionId}/`)).body.state).toBe('pending');
  });

  it('refuses (framable by nobody) an origin the key does not allow, a foreign or revoked key, an unknown session', async () => {
    const sessionId = await session();
    const shop = h.config.demoSdk.shopOrigins[0]!;
    const refused = async (query: Record<string, string>, id = sessionId, status = 403) => {
      const res = await frame(id, query);
      expect({
        query,
        status: res.status,
        ancestors: frameAncestors(res.headers.get('content-security-policy')),
      }).toEqual({
        query,
        status,
        ancestors: "'none'",
      });
      expect(res.body).not.toContain('checkout-data');
    };
    await refused({ pk: DEV_DEFAULTS.demoPublicKey, origin: 'https://evil.example' });
    await refused({ pk: DEV_DEFAULTS.demoPublicKey });
    await refused({ origin: shop });
    await refused({ pk: 'pk_000000000000_wrong-secret-wrong-secret-wrong-s', origin: shop });
    await refused({ pk: DEV_DEFAULTS.demoApiKey, origin: shop });
    // a key of another merchant does not open the demo merchant's session
    const other = await newMerchant();
    const otherKey = await newKey(other.merchant_id, [shop]);
    await refused({ pk: otherKey, origin: shop });
    // a revoked key opens nothing any more
    const own = await newKey('demo', ['https://revoked.example']);
    expect((await frame(sessionId, { pk: own, origin: 'https://revoked.example' })).status).toBe(200);
    await admin('DELETE', `/admin/v1/merchants/demo/public-keys/${own.slice(0, 15)}`);
    await refused({ pk: own, origin: 'https://revoked.example' });
    await refused({ pk: DEV_DEFAULTS.demoPublicKey, origin: shop }, 'f'.repeat(64), 404);
  });

  it("back from 3-D Secure: the gateway's page (inside the frame) returns to a page that tells the frame", async () => {
    const sessionId = await session();
    const origins = h.config.demoSdk.shopOrigins.join(' ');
    const inFrame = await fetch(`${h.baseUrl}/checkout/${sessionId}`, {
      headers: { 'sec-fetch-dest': 'iframe' },
    });
    expect(inFrame.status).toBe(200);
    const text = await inFrame.text();
    expect(text).toContain('/static/sdk-challenge-done.js');
    expect(text).not.toContain('checkout-data');
    // framed by the frame (tokenpay itself) inside the merchant's page, nobody else
    expect(frameAncestors(inFrame.headers.get('content-security-policy'))).toBe(`'self' ${origins}`);
    // the frame then reloads itself with the outcome, framable by the merchant's keys' origins
    const back = await frame(sessionId, { return: '1', origin: h.config.demoSdk.shopOrigins[0]! });
    expect(back.status).toBe(200);
    expect(frameAncestors(back.headers.get('content-security-policy'))).toBe(origins);
    expect(back.body).toContain('"returnedFromChallenge":true');
    // the hosted page itself stays unframable
    const page = await h.request('GET', `/checkout/${sessionId}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('/static/checkout.js');
    expect(frameAncestors(page.headers.get('content-security-policy'))).toBe("'none'");
    // a merchant without public keys: no frame at all, the hosted page as ever
    const other = await newMerchant();
    const otherSession = await session(other.api_key);
    const noKeys = await fetch(`${h.baseUrl}/checkout/${otherSession}`, {
      headers: { 'sec-fetch-dest': 'iframe' },
    });
    expect(noKeys.status).toBe(200);
    expect(frameAncestors(noKeys.headers.get('content-security-policy'))).toBe("'none'");
    expect((await frame(otherSession, { return: '1' })).status).toBe(403);
  });
});
