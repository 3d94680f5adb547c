/**
 * Operators can trust the UI: every payload of every tokenpay history decodes through `/codec`
 * — inputs, results, memos, signals, updates, failures, and the payloads that encode `null` or a
 * void result (which used to get a 500) — for real histories of every workflow type: checkout
 * (new card, saved card, declined, canceled), saved-card charge, operations and webhook delivery.
 * The payloads are sent the way the Temporal UI sends them (proto3 JSON, base64), with an
 * operator's own credentials.
 */
import { temporal } from '@temporalio/proto';

import { card, eventually, newPayment, startHarness, TEST_CARDS, type Harness } from '../support/harness';
import { strongSecret } from '../support/production';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

jest.setTimeout(120_000);

const OPERATOR_KEY = strongSecret();
const PAYLOAD_TYPE = '.temporal.api.common.v1.Payload';
const CREATE = '/b/checkout/v1/pymt-txn/';
const b64 = (bytes: Uint8Array | null | undefined | number[]): string =>
  Buffer.from(bytes ?? []).toString('base64');

let h: Harness;
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  h = await startHarness({ env: { TOKENPAY_CODEC_CREDENTIALS: `ops:${OPERATOR_KEY}` } });
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

/** Every Payload message in a history, as the UI sends them to the codec (proto3 JSON). */
function payloadsOf(
  history: temporal.api.history.v1.IHistory,
): Array<{ metadata: Record<string, string>; data?: string }> {
  const copy = temporal.api.history.v1.History.decode(
    temporal.api.history.v1.History.encode(history).finish(),
  );
  const found: Array<{ metadata: Record<string, string>; data?: string }> = [];
  const seen = new Set<object>();
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== 'object' || node instanceof Uint8Array || seen.has(node)) return;
    seen.add(node);
    if ((node as { $type?: { fullName?: string } }).$type?.fullName === PAYLOAD_TYPE) {
      const p = node as temporal.api.common.v1.Payload;
      const data = b64(p.data);
      // proto3 JSON leaves out empty bytes, as the UI's payloads do
      found.push({
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
        ...(data ? { data } : {}),
      });
      return;
    }
    for (const value of Array.isArray(node) ? node : Object.values(node)) walk(value);
  };
  walk(copy);
  return found;
}

const submit = (sessionId: string, body: Record<string, unknown>) =>
  h.request('POST', `/checkout/${sessionId}/submit`, { body: { pg_code: 'ottu_pg_kwd_tkn', ...body } });

it('decodes every payload of real histories of every workflow type, null and void results included', async () => {
  const customer = `codec-${Date.now()}`;
  // checkout with a new card, saved, with a webhook (→ webhook delivery workflow)
  const first = await h.merchant(
    'POST',
    CREATE,
    newPayment({ customer_id: customer, webhook_url: receiver.url }),
  );
  const paid = await submit(first.body.session_id, {
    payment_method: 'card',
    card: card(TEST_CARDS.visa),
    save_card: true,
  });
  expect(paid.body.state).toBe('paid');
  // checkout with the saved card (→ token charge workflow)
  const second = await h.merchant('POST', CREATE, newPayment({ customer_id: customer }));
  const bySaved = await submit(second.body.session_id, {
    payment_method: 'token',
    token: paid.body.token.token,
    cvv: '123',
  });
  expect(bySaved.body.state).toBe('paid');
  // a refund (→ operations workflow), a decline, a cancel
  const refund = await h.merchant('POST', '/b/pbl/v2/operation/', {
    operation: 'refund',
    session_id: first.body.session_id,
    amount: '1',
  });
  expect(refund.body.result).toBe('success');
  const third = await h.merchant('POST', CREATE, newPayment({ customer_id: customer }));
  const declined = await submit(third.body.session_id, {
    payment_method: 'card',
    card: card(TEST_CARDS.declined),
    save_card: false,
  });
  expect(declined.body.result).toBe('failed');
  const fourth = await h.merchant('POST', CREATE, newPayment({ customer_id: customer }));
  expect(
    (
      await h.merchant('POST', '/b/pbl/v2/operation/', {
        operation: 'cancel',
        session_id: fourth.body.session_id,
      })
    ).body.state,
  ).toBe('canceled');
  await eventually(async () => expect(receiver.received.length).toBeGreaterThan(0), 20_000);

  const workflows: Array<{ id: string; type: string }> = [];
  await eventually(async () => {
    workflows.length = 0;
    for await (const w of h.temporal.workflow.list({ query: `TaskQueue="${h.config.temporal.taskQueue}"` })) {
      workflows.push({ id: w.workflowId, type: w.type });
    }
    expect(new Set(workflows.map((w) => w.type))).toEqual(
      new Set([
        'CheckoutWorkflow',
        'TokenChargeWorkflow',
        'PaymentOperationsWorkflow',
        'WebhookDeliveryWorkflow',
      ]),
    );
  }, 30_000);

  let total = 0;
  let nulls = 0;
  for (const workflow of workflows) {
    const payloads = payloadsOf(await h.temporal.workflow.getHandle(workflow.id).fetchHistory());
    for (let i = 0; i < payloads.length; i += 200) {
      const chunk = payloads.slice(i, i + 200);
      const res = await h.request('POST', '/codec/decode', {
        headers: { authorization: `Bearer ${OPERATOR_KEY}`, 'x-namespace': 'default' },
        body: { payloads: chunk },
      });
      expect({
        workflow: workflow.type,
        status: res.status,
        body: res.status === 200 ? '' : res.body,
      }).toEqual({
        workflow: workflow.type,
        status: 200,
        body: '',
      });
      expect(res.body.payloads).toHaveLength(chunk.length);
      for (const decoded of res.body.payloads as Array<{ metadata: Record<string, string> }>) {
        const encoding = Buffer.from(decoded.metadata.encoding ?? '', 'base64').toString();
        expect(encoding).not.toBe('binary/encrypted');
        if (encoding === 'binary/null') nulls++;
      }
      total += chunk.length;
    }
  }
  console.log(
    `decoded ${total} payloads of ${workflows.length} workflows through /codec (${nulls} null/void)`,
  );
  expect(total).toBeGreaterThan(50);
  expect(nulls).toBeGreaterThan(0);
});
