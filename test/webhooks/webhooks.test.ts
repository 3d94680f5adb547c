/** Signed webhooks on every terminal state, delivered at least once with backoff. */
import { DEV_DEFAULTS } from '../../src/config';
import { verifyWebhook } from '../../src/webhooks';
import { card, eventually, newPayment, startHarness, TEST_CARDS, type Harness } from '../support/harness';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const CREATE = '/b/checkout/v1/pymt-txn/';
let h: Harness;
let receiver: WebhookReceiver;

beforeAll(async () => {
  h = await startHarness();
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await h.close();
  await receiver.close();
});

async function create(overrides: Record<string, unknown> = {}) {
  const res = await h.merchant('POST', CREATE, newPayment({ webhook_url: receiver.url, ...overrides }));
  expect(res.status).toBe(201);
  return res.body.session_id as string;
}

const pay = (sessionId: string, number: string = TEST_CARDS.visa) =>
  h.request('POST', `/checkout/${sessionId}/submit`, {
    body: { pg_code: 'ottu_pg_kwd_tkn', payment_method: 'card', card: card(number) },
  });

const hooksFor = (sessionId: string) => receiver.received.filter((r) => r.body.session_id === sessionId);

it('a paid payment notifies the merchant with a signed Ottu payload', async () => {
  const sessionId = await create({
    customer_first_name: 'Fatima',
    customer_email: 'fatima@example.com',
    billing_address: { city: 'Kuwait City', country: 'KW' },
    redirect_url: 'https://shop.example/done',
    extra: { basket: 'b-1' },
  });
  const res = await pay(sessionId);
  expect(res.body.redirect_url).toMatch(
    /^https:\/\/shop\.example\/done\?session_id=[0-9a-f]{64}&order_no=.+&reference_number=TP/,
  );
  await eventually(async () => expect(hooksFor(sessionId)).toHaveLength(1));
  const [hook] = hooksFor(sessionId);
  expect(hook!.body).toMatchObject({
    session_id: sessionId,
    state: 'paid',
    result: 'success',
    amount: '20.230',
    currency_code: 'KWD',
    gateway_account: 'ottu_pg_kwd_tkn',
    reference_number: res.body.reference_number,
    customer_first_name: 'Fatima',
    customer_address_city: 'Kuwait City',
    extra: { basket: 'b-1' },
    event_id: `${sessionId}.paid`,
    timestamp_utc: expect.any(String),
  });
  const { signature, ...payload } = hook!.body;
  expect(verifyWebhook(payload, DEV_DEFAULTS.demoWebhookKey, signature)).toBe(true);
  expect(verifyWebhook({ ...payload, amount: '1.000' }, DEV_DEFAULTS.demoWebhookKey, signature)).toBe(false);
});

it('retries 5xx and 429 with the same event_id until the receiver recovers', async () => {
  receiver.failWith(500, 429, 503);
  const sessionId = await create();
  await pay(sessionId);
  await eventually(
    async () => expect(hooksFor(sessionId).map((r) => r.status)).toEqual([500, 429, 503, 200]),
    30_000,
  );
  expect(new Set(hooksFor(sessionId).map((r) => r.body.event_id)).size).toBe(1);
  const log = await h.merchant('GET', `${CREATE}${sessionId}/webhooks/`);
  expect(log.status).toBe(200);
  expect(log.body.deliveries.map((d: { outcome: string }) => d.outcome)).toEqual([
    'retryable',
    'retryable',
    'retryable',
    'delivered',
  ]);
}, 45_000);

it('a 4xx other than 429 is final', async () => {
  receiver.failWith(400);
  const sessionId = await create();
  await pay(sessionId);
  const handle = h.temporal.workflow.getHandle(`webhook-${sessionId}.paid`);
  expect(await handle.result()).toBe('rejected');
  expect(hooksFor(sessionId)).toHaveLength(1);
});

it('failed and expired payments notify too; the payment never waits for the webhook', async () => {
  receiver.failWith(500, 500, 500, 500, 500, 500);
  const failed = await create();
  for (let i = 0; i < 3; i++) await pay(failed, TEST_CARDS.declined);
  expect(await h.temporal.workflow.getHandle(`checkout-${failed}`).result()).toBe('failed');
  receiver.failWith();
  const expired = await create({ expiration_time: '00:00:01' });
  await eventually(async () => {
    expect(hooksFor(failed).at(-1)?.body).toMatchObject({ state: 'failed', result: 'failed' });
    expect(hooksFor(expired).at(-1)?.body).toMatchObject({ state: 'expired', result: 'failed' });
  }, 40_000);
}, 60_000);
