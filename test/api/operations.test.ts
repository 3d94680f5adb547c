/**
 * Merchant operations (§1.6) and ambiguous gateway outcomes: every fault mode of the simulator
 * during charge, refund, capture and void ends with tokenpay and the gateway's ledger agreeing.
 */
import { card, eventually, newPayment, startHarness, TEST_CARDS, type Harness } from '../support/harness';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const CREATE = '/b/checkout/v1/pymt-txn/';
const OPERATION = '/b/pbl/v2/operation/';
let h: Harness;
let receiver: WebhookReceiver;

beforeAll(async () => {
  h = await startHarness({ faults: true });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await h.close();
  await receiver.close();
});
afterEach(async () => {
  await fetch(`${h.simulatorUrl}/_sim/faults`, { method: 'DELETE' });
});

interface LedgerEntry {
  type: string;
  status: string;
  idempotency_key: string;
  amount: number;
  charge_id: string;
}

async function ledgerFor(sessionId: string): Promise<LedgerEntry[]> {
  const res = await fetch(`${h.simulatorUrl}/v1/ledger`);
  const { entries } = (await res.json()) as { entries: LedgerEntry[] };
  return entries.filter((e) => e.idempotency_key.startsWith(sessionId));
}

async function fault(mode: string, target: string, count = 1, latency_ms?: number): Promise<void> {
  const res = await fetch(`${h.simulatorUrl}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode, count, target, ...(latency_ms ? { latency_ms } : {}) }),
  });
  expect(res.status).toBe(200);
}

async function paidPayment(pgCode = 'ottu_pg_kwd_tkn', amount = '10.000'): Promise<string> {
  const created = await h.merchant(
    'POST',
    CREATE,
    newPayment({ pg_codes: [pgCode], amount, webhook_url: receiver.url }),
  );
  const res = await h.request('POST', `/checkout/${created.body.session_id}/submit`, {
    body: { pg_code: pgCode, payment_method: 'card', card: card(TEST_CARDS.visa) },
  });
  expect(res.body.result).toBe('success');
  return created.body.session_id;
}

const operation = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  h.merchant('POST', OPERATION, body, { headers });

describe('refund', () => {
  it('partial refunds add up; never above what remains; full refund ends refunded', async () => {
    const sessionId = await paidPayment();
    const first = await operation({ operation: 'refund', session_id: sessionId, amount: '3.5' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      operation: 'refund',
      result: 'success',
      state: 'paid',
      amount: '3.500',
    });
    const second = await operation({ operation: 'refund', session_id: sessionId, amount: '4.000' });
    expect(second.body).toMatchObject({ result: 'success', state: 'paid' });
    const tooMuch = await operation({ operation: 'refund', session_id: sessionId, amount: '2.501' });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body).toMatchObject({
      operation: 'refund',
      result: 'failed',
      detail: expect.stringContaining('2.500'),
    });
    const rest = await operation({ operation: 'refund', session_id: sessionId });
    expect(rest.body).toMatchObject({ result: 'success', state: 'refunded', amount: '2.500' });
    const refunds = (await ledgerFor(sessionId)).filter((e) => e.type === 'refund');
    expect(refunds.map((r) => r.amount)).toEqual([3500, 4000, 2500]);
    const stored = await h.merchant('GET', `${CREATE}${sessionId}/`);
    expect(stored.body).toMatchObject({ state: 'refunded', refunded_amount: '10.000' });
    expect(stored.body.operations).toHaveLength(3);
    await eventually(async () =>
      expect(
        receiver.received.filter((r) => r.body.session_id === sessionId && r.body.operation === 'refund'),
      ).toHaveLength(3),
    );
  });

  it('concurrent refunds can never overspend', async () => {
    const sessionId = await paidPayment();
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        operation({ operation: 'refund', session_id: sessionId, amount: '6.000' }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 400)).toHaveLength(3);
    const refunded = (await ledgerFor(sessionId)).filter((e) => e.type === 'refund');
    expect(refunded.reduce((sum, r) => sum + r.amount, 0)).toBe(6000);
  });

  it('a repeated Tracking-Key returns the original result and moves no money twice', async () => {
    const sessionId = await paidPayment();
    const body = { operation: 'refund', session_id: sessionId, amount: '1.000' };
    const first = await operation(body, { 'Tracking-Key': `refund-${sessionId}` });
    const again = await operation(body, { 'Tracking-Key': `refund-${sessionId}` });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await ledgerFor(sessionId)).filter((e) => e.type === 'refund')).toHaveLength(1);
  });

  it('a refund retried after a crash returns the recorded result, not a second refund', async () => {
    const sessionId = await paidPayment();
    const body = { operation: 'refund', session_id: sessionId, amount: '7.000' };
    const first = await operation(body, { 'Tracking-Key': `crash-${sessionId}` });
    // the API died before its idempotency record got the answer
    await h.collections.idempotency.deleteMany({ _id: { $regex: `crash-${sessionId}$` } });
    const retry = await operation(body, { 'Tracking-Key': `crash-${sessionId}` });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ result: 'success', reference_number: first.body.reference_number });
    expect((await ledgerFor(sessionId)).filter((e) => e.type === 'refund')).toHaveLength(1);
  });

  it('finds the payment by order_no; 404 for an unknown one; 400 for bad input', async () => {
    const created = await h.merchant('POST', CREATE, newPayment({ order_no: `ord-${Date.now()}` }));
    await h.request('POST', `/checkout/${created.body.session_id}/submit`, {
      body: { pg_code: 'ottu_pg_kwd_tkn', payment_method: 'card', card: card(TEST_CARDS.visa) },
    });
    const res = await operation({ operation: 'refund', order_no: created.body.order_no, amount: '1' });
    expect(res.body).toMatchObject({ result: 'success', session_id: created.body.session_id });
    expect((await operation({ operation: 'refund', order_no: 'nope' })).status).toBe(404);
    expect((await operation({ operation: 'refund' })).status).toBe(400);
    expect((await operation({ operation: 'teleport', session_id: created.body.session_id })).status).toBe(
      400,
    );
    const decimals = await operation({
      operation: 'refund',
      session_id: created.body.session_id,
      amount: '0.0001',
    });
    expect(decimals.status).toBe(400);
    expect(decimals.body.amount).toBeDefined();
  });
});

describe('capture and void', () => {
  it('capture: authorized → paid; then it can be refunded', async () => {
    const sessionId = await paidPayment('ottu_pg_kwd_auth');
    expect((await operation({ operation: 'refund', session_id: sessionId })).status).toBe(400);
    const capture = await operation({ operation: 'capture', session_id: sessionId });
    expect(capture.body).toMatchObject({ result: 'success', state: 'paid', amount: '10.000' });
    expect((await operation({ operation: 'capture', session_id: sessionId })).status).toBe(400);
    expect((await operation({ operation: 'refund', session_id: sessionId, amount: '10' })).body.state).toBe(
      'refunded',
    );
  });

  it('void: authorized → voided; nothing else afterwards', async () => {
    const sessionId = await paidPayment('ottu_pg_kwd_auth');
    const voided = await operation({ operation: 'void', session_id: sessionId });
    expect(voided.body).toMatchObject({ result: 'success', state: 'voided' });
    expect((await operation({ operation: 'capture', session_id: sessionId })).status).toBe(400);
    expect((await ledgerFor(sessionId)).filter((e) => e.type === 'void')).toHaveLength(1);
  });
});

describe('cancel and expire', () => {
  it('cancel closes an open session; it cannot be paid afterwards', async () => {
    const created = await h.merchant('POST', CREATE, newPayment({ webhook_url: receiver.url }));
    const sessionId = created.body.session_id;
    const res = await operation({ operation: 'cancel', session_id: sessionId });
    expect(res.body).toMatchObject({ operation: 'cancel', result: 'success', state: 'canceled' });
    expect(await h.temporal.workflow.getHandle(`checkout-${sessionId}`).result()).toBe('canceled');
    const pay = await h.request('POST', `/checkout/${sessionId}/submit`, {
      body: { pg_code: 'ottu_pg_kwd_tkn', payment_method: 'card', card: card(TEST_CARDS.visa) },
    });
    expect(pay.status).toBe(409);
    await eventually(async () =>
      expect(receiver.received.find((r) => r.body.session_id === sessionId)?.body).toMatchObject({
        operation: 'cancel',
        state: 'canceled',
        result: 'canceled',
      }),
    );
  });

  it('a cancel retried after a crash returns its recorded success', async () => {
    const created = await h.merchant('POST', CREATE, newPayment());
    const sessionId = created.body.session_id;
    const body = { operation: 'cancel', session_id: sessionId };
    const first = await operation(body, { 'Tracking-Key': `cancel-${sessionId}` });
    expect(first.body.state).toBe('canceled');
    await eventually(async () =>
      expect((await h.collections.payments.findOne({ _id: sessionId }))?.operations?.[0]?.request_key).toBe(
        `cancel-${sessionId}`,
      ),
    );
    await h.collections.idempotency.deleteMany({ _id: { $regex: `cancel-${sessionId}$` } });
    const retry = await operation(body, { 'Tracking-Key': `cancel-${sessionId}` });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ result: 'success', reference_number: first.body.reference_number });
  });

  it('expire closes an open session; cancel on a paid one is 400', async () => {
    const created = await h.merchant('POST', CREATE, newPayment());
    const res = await operation({ operation: 'expire', session_id: created.body.session_id });
    expect(res.body).toMatchObject({ state: 'expired' });
    const paid = await paidPayment();
    const cancel = await operation({ operation: 'cancel', session_id: paid });
    expect(cancel.status).toBe(400);
    expect(cancel.body).toMatchObject({ operation: 'cancel', result: 'failed' });
  });
});

describe('ambiguous gateway outcomes are reconciled, never guessed', () => {
  const modes: Array<[string, number | undefined]> = [
    ['error_500', undefined],
    ['timeout', 3000],
    ['drop_response_after_commit', undefined],
  ];

  for (const [mode, latency] of modes) {
    it(`charge under ${mode}: paid once`, async () => {
      await fault(mode, 'charge', 1, latency);
      const created = await h.merchant('POST', CREATE, newPayment());
      const res = await h.request('POST', `/checkout/${created.body.session_id}/submit`, {
        body: { pg_code: 'ottu_pg_kwd_tkn', payment_method: 'card', card: card(TEST_CARDS.visa) },
      });
      expect(res.body).toMatchObject({ result: 'success', state: 'paid' });
      const charges = (await ledgerFor(created.body.session_id)).filter((e) => e.type === 'charge');
      expect(charges).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    });

    it(`refund under ${mode}: refunded once`, async () => {
      const sessionId = await paidPayment();
      await fault(mode, 'refund', 1, latency);
      const res = await operation({ operation: 'refund', session_id: sessionId, amount: '2' });
      expect(res.body).toMatchObject({ result: 'success', amount: '2.000' });
      expect((await ledgerFor(sessionId)).filter((e) => e.type === 'refund')).toHaveLength(1);
    });

    it(`capture and void under ${mode}: once each`, async () => {
      const toCapture = await paidPayment('ottu_pg_kwd_auth');
      await fault(mode, 'capture', 1, latency);
      expect((await operation({ operation: 'capture', session_id: toCapture })).body.state).toBe('paid');
      expect((await ledgerFor(toCapture)).filter((e) => e.type === 'capture')).toHaveLength(1);

      const toVoid = await paidPayment('ottu_pg_kwd_auth');
      await fault(mode, 'void', 1, latency);
      expect((await operation({ operation: 'void', session_id: toVoid })).body.state).toBe('voided');
      expect((await ledgerFor(toVoid)).filter((e) => e.type === 'void')).toHaveLength(1);
    });
  }

  it('a gateway down for several attempts still charges exactly once', async () => {
    await fault('error_500', 'charge', 3);
    const created = await h.merchant('POST', CREATE, newPayment());
    const res = await h.request('POST', `/checkout/${created.body.session_id}/submit`, {
      body: { pg_code: 'ottu_pg_kwd_tkn', payment_method: 'card', card: card(TEST_CARDS.visa) },
    });
    expect(res.body.state).toBe('paid');
    expect((await ledgerFor(created.body.session_id)).filter((e) => e.status === 'succeeded')).toHaveLength(
      1,
    );
  });
});
