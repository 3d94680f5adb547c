/**
 * The API in production (TOKENPAY_ENV=production): webhook and redirect targets inside a private
 * network are refused at create (400, naming the field) and again at every delivery (a URL the
 * API accepted is still refused by the worker when it points inside: DNS is checked again where
 * the connection is made); the delivery log keeps status and timing, never the receiver's body;
 * /metrics needs its token; the codec takes the operators' credentials, not the admin key.
 */
import { parseAllowedTargets } from '../../src/webhooks/targets';
import { card, eventually, newPayment, startHarness, TEST_CARDS, type Harness } from '../support/harness';
import { productionEnv, type ProductionSecrets } from '../support/production';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

jest.setTimeout(90_000);

const CREATE = '/b/checkout/v1/pymt-txn/';

async function pay(h: Harness, apiKey: string, overrides: Record<string, unknown>): Promise<string> {
  const created = await h.request('POST', CREATE, { apiKey, body: newPayment(overrides) });
  expect(created.status).toBe(201);
  const sessionId = created.body.session_id as string;
  const paid = await h.request('POST', `/checkout/${sessionId}/submit`, {
    body: {
      pg_code: 'ottu_pg_kwd_tkn',
      payment_method: 'card',
      card: card(TEST_CARDS.visa),
      save_card: false,
    },
  });
  expect(paid.body).toMatchObject({ result: 'success', state: 'paid' });
  return sessionId;
}

describe('production: no private targets', () => {
  let h: Harness;
  let secrets: ProductionSecrets;

  beforeAll(async () => {
    secrets = productionEnv();
    h = await startHarness({ env: secrets.env });
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each([
    ['webhook_url', 'http://127.0.0.1:8080/hook', 'loopback'],
    ['webhook_url', 'http://localhost:8080/hook', 'localhost resolves to'],
    ['webhook_url', 'http://10.20.30.40/hook', 'private address'],
    ['webhook_url', 'http://[::1]/hook', 'loopback'],
    ['webhook_url', 'http://[fd00:ec2::254]/latest', 'cloud metadata'],
    ['redirect_url', 'http://169.254.169.254/latest/meta-data/iam/', 'cloud metadata'],
    ['redirect_url', 'https://192.168.0.1/return', 'private address'],
    ['redirect_url', 'http://0x7f000001/return', 'loopback'],
  ])('%s %s is refused at create: 400 naming the field (%s)', async (field, url, why) => {
    const before = await h.collections.payments.countDocuments();
    const res = await h.request('POST', CREATE, {
      apiKey: secrets.apiKey,
      body: newPayment({ [field]: url }),
    });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body)).toEqual([field]);
    expect(res.body[field][0]).toMatch(new RegExp(`points inside a private network: .*${why}`));
    expect(await h.collections.payments.countDocuments()).toBe(before);
  });

  it('/metrics needs its token', async () => {
    expect((await h.request('GET', '/metrics')).status).toBe(401);
    const ok = await h.request('GET', '/metrics', {
      headers: { authorization: `Bearer ${secrets.metricsToken}` },
    });
    expect(ok.status).toBe(200);
  });

  it("the codec takes an operator's credentials, never the admin key", async () => {
    const decode = (authorization: string) =>
      h.request('POST', '/codec/decode', { headers: { authorization }, body: { payloads: [] } });
    expect((await decode(`Admin-Key ${secrets.adminKey}`)).status).toBe(401);
    expect((await decode(`Bearer ${secrets.operatorKey}`)).status).toBe(200);
  });
});

describe('production: the target is checked again at every delivery', () => {
  let receiver: WebhookReceiver;
  let h: Harness;
  let secrets: ProductionSecrets;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    // The API allows the loopback receiver; the worker does not: as if the merchant's host had
    // resolved publicly at create and privately at delivery (DNS rebinding).
    secrets = productionEnv({ TOKENPAY_ALLOWED_PRIVATE_TARGETS: '127.0.0.1/32' });
    h = await startHarness({
      env: secrets.env,
      workerTargets: { refusePrivate: true, ...parseAllowedTargets('') },
    });
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  it('is refused by the worker, logged as rejected with the reason and the time it took; nothing is sent', async () => {
    const sessionId = await pay(h, secrets.apiKey, { webhook_url: receiver.url });
    await eventually(async () => {
      const log = await h.request('GET', `${CREATE}${sessionId}/webhooks/`, { apiKey: secrets.apiKey });
      expect(log.body.deliveries).toEqual([
        expect.objectContaining({
          outcome: 'rejected',
          error: expect.stringMatching(/127\.0\.0\.1 is a loopback address/),
          duration_ms: expect.any(Number),
        }),
      ]);
    }, 20_000);
    expect(receiver.received).toHaveLength(0);
  });
});

describe('production: the delivery log keeps status and timing, not the answer', () => {
  let receiver: WebhookReceiver;
  let h: Harness;
  let secrets: ProductionSecrets;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    secrets = productionEnv({ TOKENPAY_ALLOWED_PRIVATE_TARGETS: '127.0.0.1/32' });
    h = await startHarness({ env: secrets.env });
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  it('an allow-listed receiver gets the webhook; a 503 first is retried; no body is kept', async () => {
    receiver.failWith(503);
    const sessionId = await pay(h, secrets.apiKey, { webhook_url: receiver.url });
    await eventually(async () => {
      const log = await h.request('GET', `${CREATE}${sessionId}/webhooks/`, { apiKey: secrets.apiKey });
      expect(log.body.deliveries.map((d: any) => [d.outcome, d.status, d.error])).toEqual([
        ['retryable', 503, 'HTTP 503'],
        ['delivered', 200, undefined],
      ]);
      for (const d of log.body.deliveries) expect(d.duration_ms).toEqual(expect.any(Number));
    }, 30_000);
    expect(receiver.received.map((r) => r.status)).toEqual([503, 200]);
  });
});
