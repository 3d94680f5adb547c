/**
 * GET /openapi.json: a valid OpenAPI 3.1 document, generated from the request schemas that
 * validate the routes, covering every route Express has, and describing what the routes really
 * answer (real responses of a whole payment's life validated against it).
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { z } from 'zod';

import { createApp } from '../../src/api/app';
import { buildOpenApiDocument, type OpenApiDocument } from '../../src/api/openapi/document';
import { loadConfig } from '../../src/config';
import { createPaymentSchema } from '../../src/domain/schemas';
import { createLogger } from '../../src/logger';
import {
  ADMIN_KEY,
  DEMO_API_KEY,
  card,
  newPayment,
  startHarness,
  TEST_CARDS,
  type Harness,
  type HttpResult,
} from '../support/harness';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { NOTIFICATIONS_PATH, notification, nowS, signedHeaders } from '../support/gateway-notifications';
import { responseValidator } from '../support/openapi';

const CREATE = '/b/checkout/v1/pymt-txn/';

describe('the document', () => {
  const document = buildOpenApiDocument({ publicBaseUrl: 'http://127.0.0.1:3000' });

  it('is valid OpenAPI 3.1 (swagger-parser: schema of the spec, every $ref resolves)', async () => {
    const api = await SwaggerParser.validate(structuredClone(document) as never);
    expect((api as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('takes request bodies from the zod schemas that validate them', () => {
    const generated = z.toJSONSchema(createPaymentSchema, { io: 'input' }) as {
      properties: Record<string, unknown>;
      required: string[];
    };
    const documented = document.components.schemas.CreatePaymentRequest as typeof generated;
    expect(Object.keys(documented.properties).sort()).toEqual(Object.keys(generated.properties).sort());
    expect(documented.required.sort()).toEqual(['amount', 'currency_code', 'pg_codes', 'type']);
    const body = (document.paths['/b/checkout/v1/pymt-txn/']!.post!.requestBody as any).content[
      'application/json'
    ].schema;
    expect(body).toEqual({ $ref: '#/components/schemas/CreatePaymentRequest' });
  });

  it('declares the Api-Key and Admin-Key schemes and uses them', () => {
    expect(document.components.securitySchemes).toMatchObject({
      ApiKey: { type: 'apiKey', in: 'header', name: 'Authorization' },
      AdminKey: { type: 'apiKey', in: 'header', name: 'Authorization' },
    });
    expect(document.paths['/b/pbl/v2/card/']!.post!.security).toEqual([{ ApiKey: [] }]);
    expect(document.paths['/admin/v1/merchants']!.post!.security).toEqual([{ AdminKey: [] }]);
    expect(document.paths['/checkout/{session_id}/submit']!.post!.security).toEqual([]);
  });

  it('documents every route registered in Express, with the same methods', () => {
    const app = createApp({
      // no database here: rate-limit counters in memory
      config: loadConfig({ TOKENPAY_RATE_LIMIT_STORE: 'memory' }),
      store: {} as never,
      temporal: {} as never,
      gateway: {} as never,
      logger: createLogger({ level: 'silent' }),
    });
    const routes = expressRoutes(app);
    expect(routes.length).toBeGreaterThan(15);
    const normalize = (path: string): string =>
      path
        .replace(/\{[^}]+\}|:\w+/g, '{}')
        .replace(/\/$/, '')
        .toLowerCase();
    const documented = new Set(
      Object.entries(document.paths).flatMap(([path, item]) =>
        Object.keys(item).map((method) => `${method.toUpperCase()} ${normalize(path)}`),
      ),
    );
    const missing = routes.map((r) => `${r.method} ${normalize(r.path)}`).filter((r) => !documented.has(r));
    expect(missing).toEqual([]);
    // and nothing documented that Express does not serve
    const served = new Set(routes.map((r) => `${r.method} ${normalize(r.path)}`));
    expect([...documented].filter((d) => !served.has(d))).toEqual([]);
  });

  it('covers the contract: merchant, customer, admin, health', () => {
    expect(Object.keys(document.paths).sort()).toEqual(
      expect.arrayContaining([
        '/b/checkout/v1/pymt-txn/',
        '/b/checkout/v1/pymt-txn/{session_id}/',
        '/b/checkout/v1/pymt-txn/{session_id}/webhooks/',
        '/b/pbl/v2/card/',
        '/b/pbl/v2/card/{token}/',
        '/b/pbl/v2/auto-debit/',
        '/b/pbl/v2/operation/',
        '/checkout/{session_id}',
        '/checkout/{session_id}/submit',
        '/admin/v1/merchants',
        '/admin/v1/merchants/{merchant_id}/gateways/{pg_code}',
        '/healthz',
        '/readyz',
      ]),
    );
  });
});

/** Method + full path of every route in an Express 5 app, through mounted routers. */
function expressRoutes(app: any): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  const walk = (stack: any[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route) {
        const paths: string[] = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all')) {
          for (const path of paths) out.push({ method: method.toUpperCase(), path: prefix + path });
        }
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk(app.router.stack, '');
  return out;
}

const CODEC_OPERATOR_KEY = 'openapi-test-operator-secret-5b8a1f0c';

describe('real responses match the document', () => {
  let h: Harness;
  let document: OpenApiDocument;
  let check: ReturnType<typeof responseValidator>;
  let receiver: WebhookReceiver;
  const seen: string[] = [];

  beforeAll(async () => {
    h = await startHarness({ env: { TOKENPAY_CODEC_CREDENTIALS: `ops:${CODEC_OPERATOR_KEY}` } });
    receiver = await startWebhookReceiver();
    const res = await h.request('GET', '/openapi.json');
    expect(res.status).toBe(200);
    document = res.body;
    check = responseValidator(document);
  });
  afterAll(async () => {
    await receiver.close();
    await h.close();
  });

  /** Every call of these tests goes through here: undocumented answers fail the test. */
  async function call(
    method: string,
    path: string,
    options: { body?: unknown; merchant?: boolean; headers?: Record<string, string>; apiKey?: string } = {},
  ): Promise<HttpResult> {
    const res =
      options.merchant === false
        ? await h.request(method, path, {
            ...(options.body !== undefined ? { body: options.body } : {}),
            headers: options.headers ?? {},
          })
        : await h.merchant(method, path, options.body, {
            headers: options.headers ?? {},
            ...(options.apiKey ? { apiKey: options.apiKey } : {}),
          });
    const { template, status } = check(method, path, res);
    seen.push(`${method} ${template} ${status}`);
    return res;
  }

  it('a payment from creation to refund, a saved card, auto-debit and errors', async () => {
    const customer = `cust-oa-${Date.now()}`;
    const created = await call('POST', CREATE, {
      body: newPayment({
        customer_id: customer,
        customer_email: 'a@example.com',
        billing_address: { line1: 'Street 1', country: 'KW' },
        webhook_url: receiver.url,
        redirect_url: 'https://merchant.example/done',
        extra: { cart: [1, 2] },
      }),
      headers: { 'Idempotency-Key': `oa-${Date.now()}` },
    });
    expect(created.status).toBe(201);
    const sessionId = created.body.session_id as string;

    const page = await call('GET', `/checkout/${sessionId}`, { merchant: false });
    expect(page.status).toBe(200);

    const declined = await call('POST', `/checkout/${sessionId}/submit`, {
      merchant: false,
      body: { pg_code: 'ottu_pg_kwd_tkn', payment_method: 'card', card: card(TEST_CARDS.declined) },
    });
    expect(declined.body.result).toBe('failed');
    const badCard = await call('POST', `/checkout/${sessionId}/submit`, {
      merchant: false,
      body: { pg_code: 'ottu_pg_kwd_tkn', payment_method: 'card', card: card('4242424242424241') },
    });
    expect(badCard.status).toBe(400);
    const paid = await call('POST', `/checkout/${sessionId}/submit`, {
      merchant: false,
      body: {
        pg_code: 'ottu_pg_kwd_tkn',
        payment_method: 'card',
        card: card(TEST_CARDS.visa),
        save_card: true,
      },
    });
    expect(paid.body).toMatchObject({ result: 'success', state: 'paid' });
    const again = await call('POST', `/checkout/${sessionId}/submit`, {
      merchant: false,
      body: { pg_code: 'ottu_pg_kwd_tkn', payment_method: 'card', card: card(TEST_CARDS.visa) },
    });
    expect(again.status).toBe(409);

    const fetched = await call('GET', `${CREATE}${sessionId}/`);
    expect(fetched.body.attempts).toHaveLength(2);
    const refund = await call('POST', '/b/pbl/v2/operation/', {
      body: { operation: 'refund', session_id: sessionId, amount: '1' },
    });
    expect(refund.body.result).toBe('success');
    const overRefund = await call('POST', '/b/pbl/v2/operation/', {
      body: { operation: 'refund', session_id: sessionId, amount: '1000' },
    });
    expect(overRefund.status).toBe(400);
    const afterRefund = await call('GET', `${CREATE}${sessionId}/`);
    expect(afterRefund.body.operations).toHaveLength(1);

    await waitFor(() => receiver.received.length >= 2);
    const deliveries = await call('GET', `${CREATE}${sessionId}/webhooks/`);
    expect(deliveries.body.deliveries.length).toBeGreaterThanOrEqual(1);

    const cards = await call('POST', '/b/pbl/v2/card/', { body: { type: 'sandbox', customer_id: customer } });
    expect(cards.body).toHaveLength(1);
    const deleted = await call('DELETE', `/b/pbl/v2/card/${cards.body[0].token}/?customer_id=${customer}`);
    expect(deleted.status).toBe(204);
    expect(
      (await call('DELETE', `/b/pbl/v2/card/${cards.body[0].token}/?customer_id=${customer}`)).status,
    ).toBe(404);

    // auto-debit: a card saved on the no-CVV config, then charged by the merchant
    const agreement = { id: `agr-${Date.now()}`, type: 'recurring', frequency: 'monthly' };
    const link = await call('POST', CREATE, {
      body: newPayment({
        customer_id: customer,
        pg_codes: ['ottu_pg_kwd_tkn_nocvv'],
        payment_type: 'auto_debit',
        agreement,
      }),
    });
    const saved = await call('POST', `/checkout/${link.body.session_id}/submit`, {
      merchant: false,
      body: { pg_code: 'ottu_pg_kwd_tkn_nocvv', payment_method: 'card', card: card(TEST_CARDS.visa) },
    });
    const next = await call('POST', CREATE, {
      body: newPayment({
        customer_id: customer,
        pg_codes: ['ottu_pg_kwd_tkn_nocvv'],
        payment_type: 'auto_debit',
        agreement,
      }),
    });
    const charged = await call('POST', '/b/pbl/v2/auto-debit/', {
      body: { session_id: next.body.session_id, token: saved.body.token.token },
    });
    expect(charged.body).toMatchObject({ result: 'success', state: 'paid' });
    const oneStep = await call('POST', CREATE, {
      body: newPayment({
        customer_id: customer,
        pg_codes: ['ottu_pg_kwd_tkn_nocvv'],
        payment_type: 'auto_debit',
        agreement,
        payment_instrument: { instrument_type: 'token', payload: { token: saved.body.token.token } },
      }),
    });
    expect(oneStep.body).toMatchObject({ result: 'success', signature: expect.any(String) });

    // cancel an open one
    const open = await call('POST', CREATE, { body: newPayment() });
    const canceled = await call('POST', '/b/pbl/v2/operation/', {
      body: { operation: 'cancel', session_id: open.body.session_id },
    });
    expect(canceled.body.state).toBe('canceled');

    // errors
    expect(
      (await call('POST', CREATE, { body: { type: 'bogus', billing_address: { country: 'x' } } })).status,
    ).toBe(400);
    expect((await call('GET', `${CREATE}${'0'.repeat(64)}/`)).status).toBe(404);
    expect((await call('GET', `${CREATE}${sessionId}/`, { apiKey: 'nope-nope-nope' })).status).toBe(401);
    expect((await call('GET', `/checkout/${'0'.repeat(64)}`, { merchant: false })).status).toBe(404);
  });

  it("Ottu's update, payment methods, inquiry, attachments and the second auto-debit path", async () => {
    const customer = `cust-oa2-${Date.now()}`;
    const agreement = { id: `agr-oa2-${Date.now()}`, type: 'recurring', frequency: 'monthly' };
    const open = await call('POST', CREATE, { body: newPayment({ customer_id: customer }) });
    const sessionId = open.body.session_id as string;
    const patched = await call('PATCH', `${CREATE}${sessionId}/`, {
      body: { amount: '7.5', customer_email: 'b@example.com' },
    });
    expect(patched.body).toMatchObject({ amount: '7.500', customer_email: 'b@example.com' });
    const put = await call('PUT', `${CREATE}${sessionId}/`, {
      body: { type: 'e_commerce', amount: '8', currency_code: 'KWD', pg_codes: ['ottu_pg_kwd_tkn'] },
    });
    expect(put.body).toMatchObject({ amount: '8.000', pg_codes: ['ottu_pg_kwd_tkn'] });
    expect(
      (await call('PATCH', `${CREATE}${sessionId}/`, { body: { payment_type: 'save_card' } })).status,
    ).toBe(400);
    expect((await call('PATCH', `${CREATE}${'0'.repeat(64)}/`, { body: { amount: '1' } })).status).toBe(404);

    const methods = await call('POST', '/b/pbl/v2/payment-methods/', {
      body: { plugin: 'e_commerce', currencies: ['KWD'], customer_id: customer },
    });
    expect(methods.body.payment_methods.length).toBeGreaterThan(0);

    const inquiry = await call('POST', '/b/pbl/v2/inquiry/', { body: { session_id: sessionId } });
    expect(inquiry.body).toMatchObject({ session_id: sessionId, state: 'created' });
    expect((await call('POST', '/b/pbl/v2/inquiry/', { body: { order_no: 'no-such-order' } })).status).toBe(
      404,
    );

    // multipart: the file part is what this call is about, so it goes around `call`'s JSON client
    const form = new FormData();
    form.append('file', new Blob(['a note for the customer']), 'note.txt');
    form.append('session_id', sessionId);
    const raw = await fetch(`${h.baseUrl}/b/checkout/v1/upload-attachment/`, {
      method: 'POST',
      headers: { authorization: `Api-Key ${DEMO_API_KEY}` },
      body: form,
    });
    const uploaded = { status: raw.status, headers: raw.headers, body: await raw.json() };
    seen.push(`POST ${check('POST', '/b/checkout/v1/upload-attachment/', uploaded).template} ${raw.status}`);
    expect(uploaded.body).toMatchObject({ original_filename: 'note.txt' });
    const fileRes = await fetch(uploaded.body.file_url, {
      headers: { authorization: `Api-Key ${DEMO_API_KEY}` },
    });
    const file = { status: fileRes.status, headers: fileRes.headers, body: await fileRes.text() };
    seen.push(`GET ${check('GET', uploaded.body.file_url, { ...file, body: undefined }).template} 200`);
    expect(file.body).toBe('a note for the customer');

    const link = await call('POST', CREATE, {
      body: newPayment({
        customer_id: customer,
        pg_codes: ['ottu_pg_kwd_tkn_nocvv'],
        payment_type: 'auto_debit',
        agreement,
      }),
    });
    const saved = await call('POST', `/checkout/${link.body.session_id}/submit`, {
      merchant: false,
      body: { pg_code: 'ottu_pg_kwd_tkn_nocvv', payment_method: 'card', card: card(TEST_CARDS.visa) },
    });
    const next = await call('POST', CREATE, {
      body: newPayment({
        customer_id: customer,
        pg_codes: ['ottu_pg_kwd_tkn_nocvv'],
        payment_type: 'auto_debit',
        agreement,
      }),
    });
    const charged = await call('POST', '/b/pbl/v2/payment/auto-debit/', {
      body: { session_id: next.body.session_id, token: saved.body.token.token },
    });
    expect(charged.body).toMatchObject({ result: 'success', state: 'paid' });
  });

  it('admin, health and operations endpoints', async () => {
    const adminHeaders = { authorization: `Admin-Key ${ADMIN_KEY}` };
    const merchant = await call('POST', '/admin/v1/merchants', {
      merchant: false,
      body: { name: 'OpenAPI Shop' },
      headers: adminHeaders,
    });
    expect(merchant.status).toBe(201);
    const config = await call('PUT', `/admin/v1/merchants/${merchant.body.merchant_id}/gateways/kwd-card`, {
      merchant: false,
      headers: adminHeaders,
      body: {
        currencies: ['KWD'],
        operation: 'purchase',
        tokenization_enabled: true,
        cvv_required: true,
        auto_debit_enabled: false,
        three_ds: 'never',
        max_attempts: 3,
      },
    });
    expect(config.status).toBe(200);
    expect((await call('POST', '/admin/v1/merchants', { merchant: false, body: { name: 'x' } })).status).toBe(
      401,
    );
    expect((await call('GET', '/healthz', { merchant: false })).status).toBe(200);
    expect((await call('GET', '/readyz', { merchant: false })).status).toBe(200);
    const metrics = await call('GET', '/metrics', { merchant: false });
    expect(metrics.status).toBe(200);
    expect((await call('GET', '/docs', { merchant: false })).status).toBe(200);
    expect((await call('GET', '/openapi.json', { merchant: false })).status).toBe(200);
  });

  it('the Web Checkout SDK: public keys, script, frame, setup object, customers removing cards', async () => {
    const adminHeaders = { authorization: `Admin-Key ${ADMIN_KEY}` };
    const keys = '/admin/v1/merchants/demo/public-keys';
    const key = await call('POST', keys, {
      merchant: false,
      headers: adminHeaders,
      body: { allowed_origins: ['https://shop.example'] },
    });
    expect(key.status).toBe(201);
    expect(
      (await call('POST', keys, { merchant: false, headers: adminHeaders, body: { allowed_origins: [] } }))
        .status,
    ).toBe(400);
    expect(
      (
        await call('POST', '/admin/v1/merchants/nobody/public-keys', {
          merchant: false,
          headers: adminHeaders,
          body: { allowed_origins: ['https://shop.example'] },
        })
      ).status,
    ).toBe(404);
    expect((await call('GET', keys, { merchant: false, headers: adminHeaders })).status).toBe(200);
    expect((await call('GET', keys, { merchant: false })).status).toBe(401);

    expect((await call('GET', '/checkout/v3/checkout.min.js', { merchant: false })).status).toBe(200);
    const integrity = await call('GET', '/checkout/v3/integrity.json', { merchant: false });
    expect((await call('GET', new URL(integrity.body.url).pathname, { merchant: false })).status).toBe(200);
    expect(
      (await call('GET', '/checkout/v3/checkout.0000000000000000.min.js', { merchant: false })).status,
    ).toBe(404);

    const customer = `cust-sdk-${Date.now()}`;
    const first = await call('POST', CREATE, { body: newPayment({ customer_id: customer }) });
    await call('POST', `/checkout/${first.body.session_id}/submit`, {
      merchant: false,
      body: {
        pg_code: 'ottu_pg_kwd_tkn',
        payment_method: 'card',
        card: card(TEST_CARDS.visa),
        save_card: true,
      },
    });
    const created = await call('POST', CREATE, {
      body: newPayment({ customer_id: customer, include_sdk_setup_preload: true }),
    });
    expect(created.status).toBe(201);
    const sessionId = created.body.session_id as string;
    const [saved] = created.body.sdk_setup_preload_payload.cards;
    const frameUrl = `/checkout/v3/frame/${sessionId}?pk=${key.body.public_key}&origin=https://shop.example`;
    expect((await call('GET', frameUrl, { merchant: false })).status).toBe(200);
    expect((await call('GET', `${frameUrl}.evil`, { merchant: false })).status).toBe(403);
    expect((await call('GET', `/checkout/v3/frame/${'0'.repeat(64)}`, { merchant: false })).status).toBe(404);
    expect((await call('GET', `/checkout/${sessionId}/sdk-setup`, { merchant: false })).status).toBe(200);
    expect((await call('GET', `/checkout/${'0'.repeat(64)}/sdk-setup`, { merchant: false })).status).toBe(
      404,
    );

    const cardUrl = `/checkout/${sessionId}/cards/${saved.token}`;
    expect((await call('DELETE', cardUrl, { merchant: false })).status).toBe(403);
    const csrf = /"csrfToken":"([^"]+)"/.exec((await h.request('GET', frameUrl)).body)![1]!;
    const headers = { 'x-csrf-token': csrf };
    expect((await call('DELETE', cardUrl, { merchant: false, headers })).status).toBe(204);
    expect((await call('DELETE', cardUrl, { merchant: false, headers })).status).toBe(404);
    await call('POST', '/b/pbl/v2/operation/', { body: { operation: 'cancel', session_id: sessionId } });
    expect((await call('DELETE', cardUrl, { merchant: false, headers })).status).toBe(409);

    const revoke = `${keys}/${key.body.key_prefix}`;
    expect((await call('DELETE', revoke, { merchant: false, headers: adminHeaders })).status).toBe(204);
    expect(
      (await call('DELETE', `${keys}/pk_ffffffffffff`, { merchant: false, headers: adminHeaders })).status,
    ).toBe(404);
  });

  it('the codec endpoint', async () => {
    const decoded = await call('POST', '/codec/decode', {
      merchant: false,
      headers: { authorization: `Bearer ${CODEC_OPERATOR_KEY}` },
      body: { payloads: [] },
    });
    expect(decoded.body).toEqual({ payloads: [] });
    expect((await call('POST', '/codec/encode', { merchant: false, body: { payloads: [] } })).status).toBe(
      401,
    );
  });

  it('the gateway notification endpoint', async () => {
    const created = await call('POST', CREATE, { body: newPayment() });
    const body = JSON.stringify(notification(created.body.session_id));
    const post = async (headers: Record<string, string>, raw = body): Promise<HttpResult> => {
      const res = await h.request('POST', NOTIFICATIONS_PATH, { rawBody: raw, headers });
      const { template, status } = check('POST', NOTIFICATIONS_PATH, res);
      seen.push(`POST ${template} ${status}`);
      return res;
    };
    expect((await post(signedHeaders(body))).body).toEqual({ received: true });
    expect((await post(signedHeaders(body))).body).toEqual({ received: true, duplicate: true });
    expect((await post({ 'content-type': 'application/json' })).status).toBe(401);
    expect((await post(signedHeaders(body, { t: nowS() - 3600 }))).status).toBe(400);
    expect((await post(signedHeaders('{}'), '{}')).status).toBe(400);
    expect((await post(signedHeaders('{'), '{')).status).toBe(400);
    expect((await post({ ...signedHeaders(body), 'content-type': 'text/plain' })).status).toBe(415);
  });

  it('exercised every documented operation (CORS preflights aside)', () => {
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => method !== 'options')
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    const exercised = new Set(seen.map((s) => s.split(' ').slice(0, 2).join(' ')));
    expect(operations.filter((o) => !exercised.has(o))).toEqual([]);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
