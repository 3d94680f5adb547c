/**
 * `POST /gateway/notifications` (CONTRACT §9) on a real stack: signature (constant-time HMAC,
 * replay window), deduplication by event id, forwarding to the payment's workflow as the
 * `gatewayNotice` update (updateId = event id), the normal refusals acknowledged with 200, a
 * Temporal outage answered 503. The forwarding is observed on a stand-in workflow that records
 * the notices it takes (`fixtures/notice-recorder-workflow.ts`) under the payment's workflow id;
 * the last block runs the real CheckoutWorkflow with the simulator notifying the API.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';

import { NOTICE_ACCEPT_WAIT_MS } from '../../src/api/gateway-notification-routes';
import { createDataConverter } from '../../src/codec/data-converter';
import type { PaymentRecord } from '../../src/domain/payment';
import { loadConfig } from '../../src/config';
import { freePort } from '../../src/dev/process';
import { createLogger } from '../../src/logger';
import { startApi, type ApiHandle } from '../../src/server';
import {
  card,
  eventually,
  newPayment,
  startHarness,
  TEST_CARDS,
  type Harness,
  type HttpResult,
} from '../support/harness';
import {
  NOTIFICATIONS_PATH,
  notification,
  nowS,
  SIGNATURE_HEADER,
  signedHeaders,
  type NotificationBody,
} from '../support/gateway-notifications';
import { finishSignal, NoticeRecorderWorkflow, noticesQuery } from './fixtures/notice-recorder-workflow';

jest.setTimeout(120_000);

let h: Harness;
let recorder: { worker: Worker; running: Promise<void>; connection: NativeConnection };
const RECORDER_QUEUE = `notice-recorder-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  h = await startHarness();
  const connection = await NativeConnection.connect({ address: h.config.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: h.config.temporal.namespace,
    taskQueue: RECORDER_QUEUE,
    workflowsPath: require.resolve('./fixtures/notice-recorder-workflow'),
    dataConverter: createDataConverter(h.config.codec.keys),
  });
  recorder = { worker, running: worker.run(), connection };
});

afterAll(async () => {
  recorder?.worker.shutdown();
  await recorder?.running;
  await recorder?.connection.close();
  await h?.close();
});

/** POSTs a notification to the API, signed now with the dev default secret unless told otherwise. */
function deliver(
  body: NotificationBody | string,
  options: { secret?: string; t?: number; headers?: Record<string, string>; api?: string } = {},
): Promise<HttpResult> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const headers = { ...signedHeaders(raw, options), ...options.headers };
  if (options.api) {
    return fetch(`${options.api}${NOTIFICATIONS_PATH}`, { method: 'POST', headers, body: raw }).then(
      async (r) => ({ status: r.status, body: await r.json(), headers: r.headers }),
    );
  }
  return h.request('POST', NOTIFICATIONS_PATH, { rawBody: raw, headers });
}

let template: PaymentRecord | undefined;

/**
 * A payment whose workflow is the notice recorder, waiting for `chargeId`: the record is a copy
 * of a real one (made once through the API) under a new session id, so no real CheckoutWorkflow
 * holds the workflow id.
 */
async function recordingPayment(chargeId: string): Promise<{ sessionId: string; handle: WorkflowHandle }> {
  if (!template) {
    const created = await h.merchant('POST', '/b/checkout/v1/pymt-txn/', newPayment());
    expect(created.status).toBe(201);
    template = (await h.store.payments.find(created.body.session_id))!;
  }
  const sessionId = randomBytes(32).toString('hex');
  await h.store.payments.insert({ ...template, _id: sessionId });
  const workflowId = `checkout-${sessionId}`;
  const handle = await h.temporal.workflow.start(NoticeRecorderWorkflow, {
    workflowId,
    taskQueue: RECORDER_QUEUE,
    args: [chargeId],
  });
  return { sessionId, handle };
}

/** How many updates the workflow's history holds (accepted ones are written; refused ones never). */
async function acceptedUpdates(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
}

describe('forwarding to the payment workflow', () => {
  it('a signed notification reaches the workflow once; a redelivery is acknowledged without a second update', async () => {
    const body = notification('0'.repeat(64));
    const { sessionId, handle } = await recordingPayment(body.charge.id);
    body.charge.idempotency_key = `${sessionId}:attempt:1`;

    const first = await deliver(body);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ received: true });
    expect(await handle.query(noticesQuery)).toEqual([
      { eventId: body.id, chargeId: body.charge.id, status: 'succeeded' },
    ]);
    const stored = await h.store.gatewayEvents.find(body.id);
    expect(stored).toMatchObject({
      type: 'charge.challenge_completed',
      charge_id: body.charge.id,
      status: 'succeeded',
      session_id: sessionId,
      outcome: 'forwarded',
      received_at: expect.any(Date),
      handled_at: expect.any(Date),
    });

    // the gateway retries (its 200 got lost): a new signature, the same event
    const again = await deliver(body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ received: true, duplicate: true });
    expect(await handle.query(noticesQuery)).toHaveLength(1);
    expect(await acceptedUpdates(handle)).toBe(1);
    expect(await h.collections.gatewayEvents.countDocuments({ _id: body.id })).toBe(1);

    const metrics = await h.request('GET', '/metrics');
    expect(metrics.body).toMatch(/tokenpay_gateway_notifications_total\{outcome="forwarded"[^}]*\} [1-9]/);
    expect(metrics.body).toMatch(/tokenpay_gateway_notifications_total\{outcome="duplicate"[^}]*\} [1-9]/);
  });

  it('an event received but not handled before (a crash half-way) is forwarded on redelivery', async () => {
    const body = notification('0'.repeat(64));
    const { sessionId, handle } = await recordingPayment(body.charge.id);
    body.charge.idempotency_key = `${sessionId}:attempt:1`;
    await h.store.gatewayEvents.receive({
      _id: body.id,
      type: body.type,
      charge_id: body.charge.id,
      status: 'succeeded',
      session_id: sessionId,
      received_at: new Date(),
    });
    const response = await deliver(body);
    expect(response.body).toEqual({ received: true });
    expect(await handle.query(noticesQuery)).toHaveLength(1);
    expect(await h.store.gatewayEvents.find(body.id)).toMatchObject({ outcome: 'forwarded' });
  });

  it('concurrent deliveries of one event: one update', async () => {
    const body = notification('0'.repeat(64));
    const { sessionId, handle } = await recordingPayment(body.charge.id);
    body.charge.idempotency_key = `${sessionId}:attempt:1`;
    const answers = await Promise.all(Array.from({ length: 5 }, () => deliver(body)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await handle.query(noticesQuery)).toHaveLength(1);
    expect(await acceptedUpdates(handle)).toBe(1);
  });

  it('a notice the workflow does not wait for: 200, recorded as not_waiting, nothing in its history', async () => {
    const { sessionId, handle } = await recordingPayment('ch_waitingforanother');
    const body = notification(sessionId, { type: 'charge.succeeded' });
    const response = await deliver(body);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ received: true });
    expect(await h.store.gatewayEvents.find(body.id)).toMatchObject({ outcome: 'not_waiting' });
    expect(await handle.query(noticesQuery)).toEqual([]);
    expect(await acceptedUpdates(handle)).toBe(0);
    // and its redelivery is not sent again
    expect((await deliver(body)).body).toEqual({ received: true, duplicate: true });
  });

  it("the payment's workflow has closed: 200, workflow_closed", async () => {
    const body = notification('0'.repeat(64));
    const { sessionId, handle } = await recordingPayment(body.charge.id);
    body.charge.idempotency_key = `${sessionId}:attempt:1`;
    await handle.signal(finishSignal);
    await handle.result();
    const response = await deliver(body);
    expect(response.status).toBe(200);
    expect(await h.store.gatewayEvents.find(body.id)).toMatchObject({ outcome: 'workflow_closed' });
  });

  it("the payment's record shows the notice is moot (closed, or the attempt settled): 200, nothing forwarded", async () => {
    const body = notification('0'.repeat(64));
    const { sessionId, handle } = await recordingPayment(body.charge.id);
    body.charge.idempotency_key = `${sessionId}:attempt:1`;
    const attempt = {
      reference_number: 'TP-TEST',
      result: 'failed' as const,
      message: 'declined',
      pg_code: 'ottu_pg_kwd_tkn',
      created_at: new Date().toISOString(),
      charge_id: body.charge.id,
      payment_method: 'card' as const,
    };
    // the record is shaped directly (the store would refuse these moves from a workflow)
    const shape = (fields: object) => h.collections.payments.updateOne({ _id: sessionId }, { $set: fields });
    await shape({ state: 'attempted', attempts: [attempt] });
    expect((await deliver(body)).status).toBe(200);
    expect(await h.store.gatewayEvents.find(body.id)).toMatchObject({ outcome: 'attempt_settled' });

    const closed = notification(sessionId, { charge: { id: body.charge.id } });
    await shape({ state: 'paid' });
    expect((await deliver(closed)).status).toBe(200);
    expect(await h.store.gatewayEvents.find(closed.id)).toMatchObject({ outcome: 'payment_closed' });
    // the recorder waits for exactly this charge, and was never asked
    expect(await handle.query(noticesQuery)).toEqual([]);

    // while the attempt is still pending the notice goes through
    const pending = notification(sessionId, { charge: { id: body.charge.id } });
    await shape({ state: 'pending', attempts: [{ ...attempt, result: 'pending' }] });
    expect((await deliver(pending)).status).toBe(200);
    expect(await h.store.gatewayEvents.find(pending.id)).toMatchObject({ outcome: 'forwarded' });
    expect(await handle.query(noticesQuery)).toHaveLength(1);
  });

  it('no such payment, or a key the engine never makes: 200, nothing forwarded', async () => {
    const unknown = notification(randomBytes(32).toString('hex'));
    expect((await deliver(unknown)).status).toBe(200);
    expect(await h.store.gatewayEvents.find(unknown.id)).toMatchObject({ outcome: 'unknown_payment' });

    const foreign = notification('x', { charge: { idempotency_key: 'someone-elses-key-42' } });
    expect((await deliver(foreign)).status).toBe(200);
    const stored = await h.store.gatewayEvents.find(foreign.id);
    expect(stored).toMatchObject({ outcome: 'unknown_charge' });
    expect(stored?.session_id).toBeUndefined();
  });

  it('keys of operations and abandoned challenges lead to the same payment', async () => {
    const body = notification('0'.repeat(64));
    const { sessionId, handle } = await recordingPayment(body.charge.id);
    body.charge.idempotency_key = `${sessionId}:abandon:2`;
    expect((await deliver(body)).status).toBe(200);
    expect(await handle.query(noticesQuery)).toHaveLength(1);
    expect(await h.store.gatewayEvents.find(body.id)).toMatchObject({ session_id: sessionId });
  });
});

describe('authentication and input', () => {
  let sessionId: string;
  let handle: WorkflowHandle;
  let waitingFor: string;

  beforeAll(async () => {
    waitingFor = notification('x').charge.id;
    ({ sessionId, handle } = await recordingPayment(waitingFor));
  });

  /** A notification the recorder would take, were it let through. */
  const acceptable = () => notification(sessionId, { charge: { id: waitingFor } });

  async function refused(response: HttpResult, status: number, body: NotificationBody): Promise<void> {
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ detail: expect.any(String) });
    expect(await h.store.gatewayEvents.find(body.id)).toBeNull();
    expect((await handle.query(noticesQuery)).map((n) => n.eventId)).not.toContain(body.id);
  }

  it('a tampered body, another secret, no or a malformed signature: 401', async () => {
    const body = acceptable();
    const raw = JSON.stringify(body);
    const tampered = raw.replace('"succeeded"', '"authorized"');
    await refused(
      await h.request('POST', NOTIFICATIONS_PATH, { rawBody: tampered, headers: signedHeaders(raw) }),
      401,
      body,
    );
    await refused(await deliver(body, { secret: 'not-the-gateway-secret' }), 401, body);
    await refused(
      await h.request('POST', NOTIFICATIONS_PATH, {
        rawBody: raw,
        headers: { 'content-type': 'application/json' },
      }),
      401,
      body,
    );
    const valid = signedHeaders(raw)[SIGNATURE_HEADER]!;
    for (const header of [
      'garbage',
      valid.replace(/^t=\d+,/, ''), // no timestamp
      valid.replace(/,v1=.*/, ''), // no signature
      valid.replace(/^t=\d+/, 't=abc'),
      `${valid.replace(/v1=.*/, 'v1=')}${'0'.repeat(64)}`, // the right form, the wrong value
      `${valid},t=${nowS()}`, // two timestamps
      `${valid},${'v0=x,'.repeat(300)}`, // too long to parse
    ]) {
      await refused(await deliver(body, { headers: { [SIGNATURE_HEADER]: header } }), 401, body);
    }
    expect((await deliver(body)).status).toBe(200); // and the real thing passes
  });

  it('signed outside the 5-minute replay window: 400; inside it: accepted', async () => {
    const stale = acceptable();
    await refused(await deliver(stale, { t: nowS() - 301 }), 400, stale);
    const future = acceptable();
    await refused(await deliver(future, { t: nowS() + 301 }), 400, future);
    // a stale timestamp with a wrong signature is a forgery, not a clock problem
    await refused(await deliver(stale, { t: nowS() - 3600, secret: 'forged-secret-forged' }), 401, stale);
    const late = acceptable();
    expect((await deliver(late, { t: nowS() - 280 })).status).toBe(200);
  });

  it('a signed body that is not a notification: 400 in the contract shapes', async () => {
    const notJson = await deliver('{"id": "evt_1", ');
    expect(notJson.status).toBe(400);
    expect(notJson.body).toEqual({ detail: 'The request body is not valid JSON.' });

    const body = acceptable() as unknown as Record<string, any>;
    body.charge.id = 'not-a-charge';
    body.charge.status = 'refunded';
    delete body.charge.amount;
    const invalid = await deliver(JSON.stringify(body));
    expect(invalid.status).toBe(400);
    expect(invalid.body).toEqual({
      charge: { id: [expect.any(String)], status: [expect.any(String)], amount: [expect.any(String)] },
    });
    expect(await h.store.gatewayEvents.find(body.id)).toBeNull();

    const wrongType = await h.request('POST', NOTIFICATIONS_PATH, {
      rawBody: JSON.stringify(acceptable()),
      headers: { ...signedHeaders(JSON.stringify(acceptable())), 'content-type': 'text/plain' },
    });
    expect(wrongType.status).toBe(415);
  });

  it('unknown fields are ignored (a gateway adds fields over time)', async () => {
    const body = { ...acceptable(), livemode: false, data: { object: {} } };
    expect((await deliver(JSON.stringify(body))).status).toBe(200);
  });
});

describe('Temporal unavailable', () => {
  it('503 with Retry-After, so the gateway retries; the retry is forwarded once Temporal is back', async () => {
    const target = new URL(`http://${h.config.temporal.address}`);
    const proxy = await startTcpProxy(Number(target.port), target.hostname);
    let api: ApiHandle | undefined;
    try {
      api = await startApi(
        loadConfig({
          ...process.env,
          PORT: String(await freePort()),
          MONGODB_URI: h.config.mongoUri,
          GATEWAY_URL: h.simulatorUrl,
          TEMPORAL_ADDRESS: `127.0.0.1:${proxy.port}`,
          TEMPORAL_TASK_QUEUE: h.config.temporal.taskQueue,
        }),
        createLogger({ level: 'silent' }),
      );
      const body = notification('0'.repeat(64));
      const { sessionId, handle } = await recordingPayment(body.charge.id);
      body.charge.idempotency_key = `${sessionId}:attempt:1`;

      await proxy.stop();
      const started = Date.now();
      const down = await deliver(body, { api: api.url });
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('2');
      expect(down.body).toEqual({ detail: expect.any(String) });
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(await h.store.gatewayEvents.find(body.id)).toMatchObject({ _id: body.id });
      expect((await h.store.gatewayEvents.find(body.id))?.handled_at).toBeUndefined();

      await proxy.restart();
      await eventually(async () => {
        const back = await deliver(body, { api: api!.url });
        expect(back.status).toBe(200);
        expect(back.body).toEqual({ received: true });
      }, 60_000);
      expect(await handle.query(noticesQuery)).toHaveLength(1);
      // The first request's RPC may still have one retry timer pending (the SDK's gRPC retries back
      // off up to 6 s; the call ends at its deadline): closing the connection under it would make
      // that timer throw. Let it run out first.
      const quiet = started + NOTICE_ACCEPT_WAIT_MS + 7_000 - Date.now();
      if (quiet > 0) await new Promise((resolve) => setTimeout(resolve, quiet));
    } finally {
      await api?.close().catch(() => undefined);
      await proxy.stop();
    }
  });
});

describe('end to end: the simulator notifies the API', () => {
  it("a 3-D Secure approval at the gateway reaches the payment's workflow without the customer's return", async () => {
    const created = await h.merchant('POST', '/b/checkout/v1/pymt-txn/', newPayment());
    const sessionId = created.body.session_id as string;
    const submitted = await h.request('POST', `/checkout/${sessionId}/submit`, {
      body: { pg_code: 'ottu_pg_kwd_tkn', payment_method: 'card', card: card(TEST_CARDS.threeDs) },
    });
    expect(submitted.body).toMatchObject({ result: 'pending', next_action: { type: 'redirect_to_url' } });
    const approve = await fetch(submitted.body.next_action.url, {
      method: 'POST',
      body: new URLSearchParams({ outcome: 'approve' }),
      redirect: 'manual',
    });
    expect(approve.status).toBe(303); // the customer's browser never follows it
    await eventually(async () => {
      const events = await h.collections.gatewayEvents
        .find({ session_id: sessionId, type: 'charge.challenge_completed' })
        .toArray();
      expect(events).toHaveLength(1);
      // the workflow waits for this challenge: it takes the notice
      expect(events[0]!.outcome).toBe('forwarded');
      expect(events[0]).toMatchObject({ status: 'succeeded' });
    });
  });

  it('approve-and-never-return: the payment is paid within seconds, settled by the notification', async () => {
    const created = await h.merchant('POST', '/b/checkout/v1/pymt-txn/', newPayment());
    const sessionId = created.body.session_id as string;
    const submitted = await h.request('POST', `/checkout/${sessionId}/submit`, {
      body: { pg_code: 'ottu_pg_kwd_tkn', payment_method: 'card', card: card(TEST_CARDS.threeDs) },
    });
    expect(submitted.body.result).toBe('pending');
    await fetch(submitted.body.next_action.url, {
      method: 'POST',
      body: new URLSearchParams({ outcome: 'approve' }),
      redirect: 'manual',
    });
    const approvedAt = Date.now();
    await eventually(async () => {
      const payment = await h.merchant('GET', `/b/checkout/v1/pymt-txn/${sessionId}/`);
      expect(payment.body.state).toBe('paid');
    }, 10_000);
    // well inside the workflow's own status-check schedule: the notification did it
    expect(Date.now() - approvedAt).toBeLessThan(5_000);
    expect(
      await h.collections.gatewayEvents.countDocuments({ session_id: sessionId, outcome: 'forwarded' }),
    ).toBe(1);
  });
});

/** A TCP proxy to a real service, to cut the API off from it and reconnect it (same port). */
async function startTcpProxy(
  upstreamPort: number,
  upstreamHost: string,
): Promise<{ port: number; stop(): Promise<void>; restart(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const port = await freePort();
  const listen = async (): Promise<void> => {
    const s = net.createServer((client) => {
      const upstream = net.connect(upstreamPort, upstreamHost);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
    server = s;
  };
  await listen();
  return {
    port,
    stop: async () => {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    restart: listen,
  };
}
