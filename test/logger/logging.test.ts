/**
 * Structured JSON logs: one line per request with a request id (the caller's X-Request-Id when
 * valid, echoed in the response), `session_id` on lines about a payment, and nothing from request
 * bodies or credentials: a card number in a body and an Authorization header never reach a log.
 * Also the Temporal Runtime logger adapter the worker installs.
 */
import { Writable } from 'node:stream';

import { createLogger, REDACTED_PATHS, temporalLogger } from '../../src/logger';
import {
  ADMIN_KEY,
  capturedLogs,
  card,
  DEMO_API_KEY,
  newPayment,
  startHarness,
  TEST_CARDS,
  type Harness,
} from '../support/harness';

const CREATE = '/b/checkout/v1/pymt-txn/';
const PAN = TEST_CARDS.mastercard;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const lines = (): Array<Record<string, any>> => h.logs.map((l) => JSON.parse(l));
/** The completion line of a request (written when the response finishes: may trail the client). */
async function requestLine(requestId: string): Promise<Record<string, any> | undefined> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const line = lines().find((l) => l.request_id === requestId && l.res);
    if (line || Date.now() > deadline) return line;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The card number in the forms it could take in a log line. */
const forms = (pan: string): string[] => [pan, pan.replace(/(\d{4})(?=\d)/g, '$1 '), pan.slice(0, 12)];

describe('request logs', () => {
  it('never contain a card number from a body or an Authorization header', async () => {
    const created = await h.merchant('POST', CREATE, newPayment());
    const sessionId = created.body.session_id as string;
    const requests: Array<
      [string, string, { body?: unknown; rawBody?: string; headers: Record<string, string> }]
    > = [
      // invalid card data: rejected at the door
      [
        'POST',
        `/checkout/${sessionId}/submit`,
        {
          body: {
            pg_code: 'ottu_pg_kwd_tkn',
            payment_method: 'card',
            card: card(`${PAN.slice(0, 15)}1`, '737'),
          },
          headers: { authorization: `Api-Key ${DEMO_API_KEY}`, 'x-request-id': 'leak-2' },
        },
      ],
      // the customer's submit: card data in the body, and (oddly) a merchant key in the header
      [
        'POST',
        `/checkout/${sessionId}/submit`,
        {
          body: { pg_code: 'ottu_pg_kwd_tkn', payment_method: 'card', card: card(PAN, '737') },
          headers: { authorization: `Api-Key ${DEMO_API_KEY}`, 'x-request-id': 'leak-1' },
        },
      ],
      // a merchant request with card data where none belongs
      [
        'POST',
        CREATE,
        {
          body: { ...newPayment(), card_number: PAN, extra: { pan: PAN } },
          headers: { authorization: `Api-Key ${DEMO_API_KEY}`, 'x-request-id': 'leak-3' },
        },
      ],
      // a body that is not JSON (body-parser errors carry the raw body)
      [
        'POST',
        CREATE,
        {
          rawBody: `{"card": {"number": "${PAN}"`,
          headers: {
            authorization: `Api-Key ${DEMO_API_KEY}`,
            'content-type': 'application/json',
            'x-request-id': 'leak-4',
          },
        },
      ],
      // the admin key, and a card number in a URL
      [
        'POST',
        `/admin/v1/merchants?number=${PAN}`,
        {
          body: { name: `Shop ${PAN}` },
          headers: {
            authorization: `Admin-Key ${ADMIN_KEY}`,
            'x-request-id': 'leak-5',
            cookie: 'sid=secret-cookie',
          },
        },
      ],
    ];
    for (const [method, path, options] of requests) await h.request(method, path, options);

    expect(
      (await h.request('GET', `/b/checkout/v1/pymt-txn/${sessionId}/`, { apiKey: DEMO_API_KEY })).body.state,
    ).toBe('paid');
    for (const id of ['leak-1', 'leak-2', 'leak-3', 'leak-4', 'leak-5']) {
      expect(await requestLine(id)).toBeDefined();
    }
    const everything = capturedLogs(h);
    for (const secret of [...forms(PAN), DEMO_API_KEY, ADMIN_KEY, 'secret-cookie']) {
      expect(everything).not.toContain(secret);
    }
    expect(everything).not.toMatch(/Api-Key|Admin-Key/);
  });

  it('uses a valid incoming X-Request-Id, echoes it, and generates one otherwise', async () => {
    const given = await h.request('GET', '/healthz', { headers: { 'x-request-id': 'lb-abc.123_X' } });
    expect(given.headers.get('x-request-id')).toBe('lb-abc.123_X');
    for (const bad of ['has space', 'x'.repeat(65), 'semi;colon', '']) {
      const res = await h.request('GET', '/healthz', { headers: { 'x-request-id': bad } });
      expect(res.headers.get('x-request-id')).toMatch(UUID);
    }
    const none = await h.merchant('GET', `${CREATE}${'0'.repeat(64)}/`);
    const id = none.headers.get('x-request-id')!;
    expect(id).toMatch(UUID);
    expect(await requestLine(id)).toMatchObject({
      level: 30,
      service: 'test',
      msg: 'request completed',
      req: { method: 'GET' },
      res: { status_code: 404 },
      duration_ms: expect.any(Number),
    });
  });

  it('puts session_id on every line about a payment', async () => {
    const created = await h.merchant('POST', CREATE, newPayment(), { headers: { 'x-request-id': 'sess-1' } });
    const sessionId = created.body.session_id as string;
    expect(await requestLine('sess-1')).toMatchObject({
      session_id: sessionId,
      route: '/b/checkout/v1/pymt-txn/',
      res: { status_code: 201 },
    });
    await h.request('GET', `/checkout/${sessionId}`, { headers: { 'x-request-id': 'sess-2' } });
    expect(await requestLine('sess-2')).toMatchObject({ session_id: sessionId });
    await h.merchant(
      'POST',
      '/b/pbl/v2/operation/',
      { operation: 'cancel', session_id: sessionId },
      {
        headers: { 'x-request-id': 'sess-3' },
      },
    );
    expect(await requestLine('sess-3')).toMatchObject({ session_id: sessionId, res: { status_code: 200 } });
  });

  it('every line is JSON with a level, a time and the service, and no key twice', () => {
    for (const line of lines()) {
      expect(line).toMatchObject({ level: expect.any(Number), time: expect.any(String), service: 'test' });
    }
    for (const raw of h.logs) {
      for (const key of ['"request_id":', '"route":', '"session_id":']) {
        expect(raw.split(key).length).toBeLessThanOrEqual(2);
      }
    }
  });
});

describe('the Temporal Runtime logger (worker)', () => {
  function capture() {
    const out: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        out.push(String(chunk));
        done();
      },
    });
    const logger = temporalLogger(createLogger({ level: 'trace', name: 'worker' }, sink));
    return { logger, out: () => out.map((l) => JSON.parse(l)) };
  }

  it("writes SDK, workflow and activity logs as pino JSON with the payment's session_id", () => {
    const { logger, out } = capture();
    const sessionId = 'ab'.repeat(32);
    logger.warn('Activity failed', {
      sdkComponent: 'activity',
      workflowId: `checkout-${sessionId}`,
      activityType: 'chargeGateway',
      attempt: 2,
      taskToken: 'opaque-binary-token',
      error: new Error('gateway timed out'),
      card: { number: TEST_CARDS.visa, cvv: '123' },
      [Symbol('timestamp')]: 1n,
      nanos: 12n,
    });
    logger.info('Workflow started', { workflowId: `webhook-${sessionId}.paid` });
    logger.debug('Core says hello', { sdkComponent: 'core' });
    const [failed, started, core] = out();
    expect(failed).toMatchObject({
      level: 40,
      service: 'worker',
      msg: 'Activity failed',
      session_id: sessionId,
      workflowId: `checkout-${sessionId}`,
      attempt: 2,
      nanos: '12',
      card: '[redacted]',
      err: { type: 'Error', message: 'gateway timed out' },
    });
    expect(failed).not.toHaveProperty('taskToken');
    expect(JSON.stringify(failed)).not.toContain(TEST_CARDS.visa);
    expect(started).toMatchObject({ level: 30, session_id: sessionId });
    expect(core).toMatchObject({ level: 20, sdkComponent: 'core' });
    expect(core).not.toHaveProperty('session_id');
  });

  it('redacts the same paths as the API logger', () => {
    const { logger, out } = capture();
    logger.info('x', {
      customer_email: 'a@example.com',
      headers: { authorization: 'Api-Key k' },
      body: '{}',
    });
    expect(out()[0]).toMatchObject({
      customer_email: '[redacted]',
      headers: { authorization: '[redacted]' },
      body: '[redacted]',
    });
    expect(REDACTED_PATHS).toEqual(
      expect.arrayContaining(['req.headers.authorization', 'req.body', 'err.body']),
    );
  });
});
