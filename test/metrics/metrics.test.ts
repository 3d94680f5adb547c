/**
 * Prometheus metrics. The harness runs the API and the worker's activities in this process, so
 * one registry holds both sides: HTTP requests by route pattern, payments created, submit
 * outcomes, gateway latency, declines, closed states and webhook deliveries. Labels never carry
 * session ids, customer ids or card data. Also: the bearer token, appending the worker's (and
 * through it the Temporal SDK's) metrics, and the merge that keeps the exposition valid.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';

import { createActivities } from '../../src/activities';
import { createApp } from '../../src/api/app';
import { HttpGateway } from '../../src/gateway/http-gateway';
import { createLogger } from '../../src/logger';
import { mergeExpositions, registry } from '../../src/metrics/registry';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/server';
import { card, newPayment, startHarness, TEST_CARDS, type Harness } from '../support/harness';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const CREATE = '/b/checkout/v1/pymt-txn/';
let h: Harness;
let receiver: WebhookReceiver;

beforeAll(async () => {
  h = await startHarness();
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver.close();
  await h.close();
});

/** The current value of a counter, or of a histogram's `_count`, summed over matching labels. */
async function value(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { type, values } = await metric.get();
  const series = String(type) === 'histogram' ? `${name}_count` : name;
  return values
    .filter((v) => ((v as { metricName?: string }).metricName ?? name) === series)
    .filter((v) => Object.entries(labels).every(([k, expected]) => String(v.labels[k]) === expected))
    .reduce((sum, v) => sum + v.value, 0);
}

async function eventually(assertion: () => Promise<void>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('API metrics', () => {
  it('times requests by route pattern, never the raw URL', async () => {
    const created = await h.merchant('POST', CREATE, newPayment());
    const sessionId = created.body.session_id as string;
    const route = '/b/checkout/v1/pymt-txn/{session_id}/';
    const before = await value('tokenpay_http_request_duration_seconds', {
      method: 'GET',
      route,
      status_code: '200',
    });
    await h.merchant('GET', `${CREATE}${sessionId}/`);
    await h.merchant('GET', `${CREATE}${'0'.repeat(64)}/`);
    await h.request('GET', '/no/such/path');
    expect(
      await value('tokenpay_http_request_duration_seconds', { method: 'GET', route, status_code: '200' }),
    ).toBe(before + 1);
    expect(
      await value('tokenpay_http_request_duration_seconds', { method: 'GET', route, status_code: '404' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      await value('tokenpay_http_request_duration_seconds', { route: 'unmatched', status_code: '404' }),
    ).toBeGreaterThanOrEqual(1);
    // a 401 from the auth middleware (before any route matched) still gets the route pattern
    await h.merchant('GET', `${CREATE}${sessionId}/`, undefined, { apiKey: 'wrong-key-wrong' });
    expect(
      await value('tokenpay_http_request_duration_seconds', { route, status_code: '401' }),
    ).toBeGreaterThanOrEqual(1);

    const text = (await h.request('GET', '/metrics')).body as string;
    expect(text).toContain(`route="${route}"`);
    expect(text).not.toContain(sessionId);
    expect(text).not.toContain(created.body.customer_id);
  });

  it('serves the Prometheus text format', async () => {
    const res = await h.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.body).toContain('# TYPE tokenpay_http_request_duration_seconds histogram');
    expect(res.body).toContain('# TYPE process_cpu_user_seconds_total counter');
  });

  it('counts payments created, not idempotent replays', async () => {
    const labels = { currency_code: 'USD', payment_type: 'one_off' };
    const before = await value('tokenpay_payments_created_total', labels);
    const body = newPayment({ currency_code: 'USD', pg_codes: ['credit-card'], amount: '10' });
    const headers = { 'Idempotency-Key': `metrics-${Date.now()}` };
    expect((await h.merchant('POST', CREATE, body, { headers })).status).toBe(201);
    const replay = await h.merchant('POST', CREATE, body, { headers });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await value('tokenpay_payments_created_total', labels)).toBe(before + 1);
  });
});

describe('payment metrics (API and worker side)', () => {
  it('counts submits, gateway requests, declines and the closed state', async () => {
    const created = await h.merchant('POST', CREATE, newPayment({ webhook_url: receiver.url }));
    const sessionId = created.body.session_id as string;
    const submit = (number: string) =>
      h.request('POST', `/checkout/${sessionId}/submit`, {
        body: { pg_code: 'ottu_pg_kwd_tkn', payment_method: 'card', card: card(number) },
      });
    const snapshot = async () => ({
      failed: await value('tokenpay_checkout_submits_total', { payment_method: 'card', result: 'failed' }),
      success: await value('tokenpay_checkout_submits_total', { payment_method: 'card', result: 'success' }),
      refused: await value('tokenpay_checkout_submits_total', { result: 'refused', status_code: '409' }),
      declines: await value('tokenpay_gateway_declines_total', { decline_code: 'insufficient_funds' }),
      paid: await value('tokenpay_payments_finalized_total', { state: 'paid', gateway: 'ottu_pg_kwd_tkn' }),
      charges: await value('tokenpay_gateway_request_duration_seconds', { operation: 'charge' }),
      tokens: await value('tokenpay_gateway_request_duration_seconds', {
        operation: 'create_token',
        outcome: 'ok',
      }),
      delivered: await value('tokenpay_webhook_deliveries_total', { kind: 'payment', outcome: 'delivered' }),
      retryable: await value('tokenpay_webhook_deliveries_total', { kind: 'payment', outcome: 'retryable' }),
      retries: await value('tokenpay_webhook_delivery_retries_total', { kind: 'payment' }),
    });
    const before = await snapshot();
    receiver.failWith(500);

    expect((await submit(TEST_CARDS.insufficientFunds)).body.result).toBe('failed');
    expect((await submit(TEST_CARDS.visa)).body.result).toBe('success');
    expect((await submit(TEST_CARDS.visa)).status).toBe(409);

    await eventually(async () => {
      const after = await snapshot();
      expect(after).toEqual({
        failed: before.failed + 1,
        success: before.success + 1,
        refused: before.refused + 1,
        declines: before.declines + 1,
        paid: before.paid + 1,
        charges: before.charges + 2,
        tokens: before.tokens + 2,
        delivered: before.delivered + 1,
        retryable: before.retryable + 1,
        retries: before.retries + 1,
      });
    });
    const text = (await h.request('GET', '/metrics')).body as string;
    for (const secret of [
      sessionId,
      TEST_CARDS.visa,
      TEST_CARDS.insufficientFunds,
      created.body.customer_id,
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('a retried recordPayment does not count the transition twice', async () => {
    const created = await h.merchant('POST', CREATE, newPayment());
    const sessionId = created.body.session_id as string;
    // the workflow would write this; here the activity is called as a retry would call it
    const activities = createActivities({
      store: h.store,
      gateway: new HttpGateway({ baseUrl: h.simulatorUrl, timeoutMs: 2000 }),
    });
    const attempt = {
      reference_number: 'r-1',
      result: 'failed' as const,
      message: 'Declined',
      pg_code: 'credit-card',
      created_at: new Date().toISOString(),
      decline_code: 'expired_card',
      payment_method: 'card' as const,
    };
    // a revision past any the payment's own run has written, retried with the same revision
    const patch = {
      writer: 'checkout' as const,
      revision: 1_000,
      state: 'failed' as const,
      attempts: [attempt],
    };
    const labels = { state: 'failed', gateway: 'credit-card' };
    const before = await value('tokenpay_payments_finalized_total', labels);
    const declines = await value('tokenpay_gateway_declines_total', { decline_code: 'expired_card' });
    await activities.recordPayment(sessionId, patch);
    await activities.recordPayment(sessionId, patch);
    expect(await value('tokenpay_payments_finalized_total', labels)).toBe(before + 1);
    expect(await value('tokenpay_gateway_declines_total', { decline_code: 'expired_card' })).toBe(
      declines + 1,
    );
  });
});

describe('/metrics access and the worker’s metrics', () => {
  let fakeSdk: http.Server;
  let worker: MetricsServer;
  const SDK_TEXT = [
    '# HELP temporal_request_total Requests to the Temporal service',
    '# TYPE temporal_request_total counter',
    'temporal_request_total{operation="PollWorkflowTaskQueue",service_name="temporal-core-sdk"} 7',
    '# HELP process_cpu_user_seconds_total clashing name from another process',
    '# TYPE process_cpu_user_seconds_total counter',
    'process_cpu_user_seconds_total{service="worker"} 1.5',
    '',
  ].join('\n');

  beforeAll(async () => {
    fakeSdk = http.createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/plain' }).end(SDK_TEXT),
    );
    await new Promise<void>((resolve) => fakeSdk.listen(0, '127.0.0.1', resolve));
    const sdkUrl = `http://127.0.0.1:${(fakeSdk.address() as AddressInfo).port}/metrics`;
    worker = await startMetricsServer({
      host: '127.0.0.1',
      port: 0,
      token: 's3cret-token',
      sources: [{ name: 'temporal_sdk', url: sdkUrl }],
    });
  });
  afterAll(async () => {
    await worker.close();
    await new Promise<void>((resolve) => fakeSdk.close(() => resolve()));
  });

  const app = (metrics: { token?: string; workerUrl?: string }) =>
    createApp({
      config: { ...h.config, metrics: { ...h.config.metrics, ...metrics } },
      store: h.store,
      temporal: h.temporal,
      gateway: new HttpGateway({ baseUrl: h.simulatorUrl, timeoutMs: 2000 }),
      logger: createLogger({ level: 'silent' }),
    });

  it('requires the bearer token when TOKENPAY_METRICS_TOKEN is set', async () => {
    const api = app({ token: 's3cret-token' });
    expect((await request(api).get('/metrics')).status).toBe(401);
    expect((await request(api).get('/metrics').set('authorization', 'Bearer wrong')).status).toBe(401);
    expect((await request(api).get('/metrics').set('authorization', 'Bearer s3cret-token')).status).toBe(200);
    expect((await fetch(worker.url)).status).toBe(401);
  });

  it("appends the worker's metrics (with the SDK's) as one valid exposition", async () => {
    const res = await request(app({ token: 's3cret-token', workerUrl: worker.url }))
      .get('/metrics')
      .set('authorization', 'Bearer s3cret-token');
    expect(res.status).toBe(200);
    const text = res.text;
    expect(text).toContain('temporal_request_total{operation="PollWorkflowTaskQueue"');
    expect(text).toContain('tokenpay_metrics_source_up{source="worker"} 1');
    expect(text).toContain('tokenpay_metrics_source_up{source="temporal_sdk"} 1');
    expect(text).toContain('process_cpu_user_seconds_total{service="worker"} 1.5');
    expectValidExposition(text);

    const down = await request(app({ workerUrl: 'http://127.0.0.1:9/metrics' })).get('/metrics');
    expect(down.status).toBe(200);
    expect(down.text).toContain('tokenpay_metrics_source_up{source="worker"} 0');
  });

  it('merges families: one HELP/TYPE each, samples together', () => {
    const merged = mergeExpositions(
      '# HELP a_total A\n# TYPE a_total counter\na_total{service="api"} 1\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n',
      '# HELP a_total A\n# TYPE a_total counter\na_total{service="worker"} 2\n# EOF\n',
    );
    expect(merged).toBe(
      [
        '# HELP a_total A',
        '# TYPE a_total counter',
        'a_total{service="api"} 1',
        'a_total{service="worker"} 2',
        '# TYPE h histogram',
        'h_bucket{le="1"} 1',
        'h_sum 1',
        'h_count 1',
        '',
      ].join('\n'),
    );
  });
});

/** Text format rules a Prometheus scrape enforces: one TYPE per family, a family's lines together. */
function expectValidExposition(text: string): void {
  const typed = new Map<string, number>();
  const lastLine = new Map<string, number>();
  const lines = text.split('\n');
  let current = '';
  lines.forEach((line, i) => {
    const type = /^# TYPE (\S+) \S+$/.exec(line);
    if (type) {
      expect(typed.has(type[1]!)).toBe(false);
      typed.set(type[1]!, i);
      current = type[1]!;
      return;
    }
    if (!line || line.startsWith('#')) return;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0];
    const family = [current, name].find((f) => f && (name === f || name.startsWith(`${f}_`))) ?? name;
    const previous = lastLine.get(family);
    if (previous !== undefined) expect(previous).toBe(i - 1);
    lastLine.set(family, i);
    // (Prometheus parses NaN and Inf case-insensitively; prom-client writes "Nan")
    expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? ([-+0-9.eE]+|nan|[+-]inf)( \d+)?$/i);
  });
}
