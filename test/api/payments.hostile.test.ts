/**
 * Hostile input against `POST /b/checkout/v1/pymt-txn/` (CONTRACT §1.1), with every optional
 * field present so that every string field gets every payload, plus the read endpoints
 * `GET …/{session_id}/` and `GET …/{session_id}/webhooks/` with hostile ids.
 */
import { DEMO_MERCHANT_ID } from '../../src/store/seed';
import { DEMO_API_KEY, newPayment, startHarness, type Harness } from '../support/harness';
import {
  expectAlive,
  leafCases,
  nestingCases,
  newStats,
  prototypeCases,
  runCase,
  summary,
  transportCases,
  unknownFieldCases,
  type BodyEndpoint,
  expectNoFailures,
  type Json,
  type Outcome,
  type Stats,
} from '../support/hostile';

jest.setTimeout(600_000);

let h: Harness;
const stats: Stats = newStats();

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  console.log(summary('hostile/create-payment', stats, h));
  await h?.close();
});

const auth = () => ({ authorization: `Api-Key ${DEMO_API_KEY}` });

/** A create body with every field of §1.1 set (and valid). */
const fullBody = (): Record<string, Json> => ({
  ...(newPayment() as Record<string, Json>),
  amount: '20.23',
  customer_email: 'a@example.com',
  customer_phone: '+96550000000',
  customer_first_name: 'First',
  customer_last_name: 'Last',
  billing_address: {
    line1: 'Line 1',
    line2: 'Line 2',
    city: 'Kuwait City',
    state: 'Capital',
    country: 'KW',
    postal_code: '12345',
  },
  expiration_time: '1 00:00:00',
  webhook_url: 'https://merchant.example/webhook',
  redirect_url: 'https://merchant.example/return',
  language: 'en',
  extra: { note: 'hello', nested: { list: ['a'] } },
  payment_type: 'auto_debit',
  agreement: { id: 'agr-1', type: 'recurring', frequency: 'monthly' },
});

/** An accepted create is undone (workflow terminated, record deleted) to keep the stack small. */
async function dropPayment(o: Outcome): Promise<void> {
  const sessionId = (o.body as { session_id?: unknown })?.session_id;
  if (typeof sessionId !== 'string') return;
  await h.temporal.workflow
    .getHandle(`checkout-${sessionId}`)
    .terminate('hostile test cleanup')
    .catch(() => undefined);
  await h.collections.payments.deleteOne({ _id: sessionId });
}

const create: BodyEndpoint = {
  name: 'POST pymt-txn',
  method: 'POST',
  path: () => '/b/checkout/v1/pymt-txn/',
  headers: auth,
  base: fullBody,
  freeform: [['extra']],
  cleanup: dropPayment,
};

/** The one-step charge variant: its token field gets the payloads too. */
const createWithInstrument: BodyEndpoint = {
  ...create,
  name: 'POST pymt-txn (payment_instrument)',
  base: () => ({
    ...(newPayment({ pg_codes: ['ottu_pg_kwd_tkn_nocvv'] }) as Record<string, Json>),
    payment_instrument: { instrument_type: 'token', payload: { token: 'tok-does-not-exist' } },
  }),
  focus: [['payment_instrument']],
};

describe('hostile input: create payment', () => {
  it('the base bodies are valid', async () => {
    const ok = await h.merchant('POST', '/b/checkout/v1/pymt-txn/', fullBody());
    expect(ok.status).toBe(201);
  });

  it.each([create, createWithInstrument])('$name: transport (size, content type, JSON)', async (e) => {
    await expectNoFailures(stats, () => transportCases(h, e, stats));
  });

  it.each([create, createWithInstrument])('$name: deep nesting', async (e) => {
    await expectNoFailures(stats, () => nestingCases(h, e, stats));
  });

  it.each([create, createWithInstrument])('$name: prototype pollution keys', async (e) => {
    await expectNoFailures(stats, () => prototypeCases(h, e, stats));
  });

  it.each([create, createWithInstrument])('$name: operator injection in every string field', async (e) => {
    await expectNoFailures(stats, () => leafCases(h, e, stats, 'operator'));
  });

  it.each([create, createWithInstrument])(
    '$name: numbers (and other non-strings) where strings go',
    async (e) => {
      await expectNoFailures(stats, () => leafCases(h, e, stats, 'not a string'));
    },
  );

  it('huge strings in every string field', async () => {
    await expectNoFailures(stats, () => leafCases(h, create, stats, 'huge'));
  });

  it('unicode, RTL overrides and NUL bytes in every string field', async () => {
    await expectNoFailures(stats, () => leafCases(h, create, stats, 'unicode'));
  });

  it('unknown fields are ignored and cannot mass-assign server-owned fields', async () => {
    const start = stats.failures.length;
    await unknownFieldCases(h, create, stats, async (o) => {
      // agreement keeps its own extra fields: refusing ones MongoDB cannot store ("$where") is right
      const refusedAgreement =
        o.label.endsWith('in agreement') &&
        o.status === 400 &&
        Object.keys(o.body as object).includes('agreement');
      if (refusedAgreement) return undefined;
      if (o.status !== 201) return `expected 201, got ${o.status}: ${o.text.slice(0, 160)}`;
      const body = o.body as Record<string, any>;
      const stored = await h.collections.payments.findOne({ _id: body.session_id });
      if (!stored) return 'not stored';
      const problems: string[] = [];
      if (stored.merchant_id !== DEMO_MERCHANT_ID) problems.push(`merchant_id is ${stored.merchant_id}`);
      if (stored.state !== 'created' || body.state !== 'created') problems.push('state taken from the body');
      if (stored._id === 'attacker-chosen-id') problems.push('_id taken from the body');
      if (stored.attempts.length !== 0) problems.push('attempts taken from the body');
      if (stored.captured_amount !== undefined) problems.push('captured_amount taken from the body');
      if (stored.gateways.some((g) => g.pg_code === 'evil')) problems.push('gateways taken from the body');
      if ('unknown_field' in stored || 'is_admin' in stored || 'api_key_hash' in stored) {
        problems.push('unknown fields stored');
      }
      return problems.length ? problems.join(', ') : undefined;
    });
    expect(stats.failures.slice(start)).toEqual([]);
  });

  it('a rejected one-step charge (unknown token) leaves no payment behind', async () => {
    const body = createWithInstrument.base();
    const start = stats.failures.length;
    await runCase(
      h,
      stats,
      'POST pymt-txn: payment_instrument with an unknown token',
      {
        method: 'POST',
        path: '/b/checkout/v1/pymt-txn/',
        headers: { ...auth(), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
      { mustReject: true },
    );
    expect(stats.failures.slice(start)).toEqual([]);
  });
});

describe('hostile input: read a payment', () => {
  const IDS = [
    '%00',
    '%ff',
    '%E0%A4%A',
    '%C0%AE%C0%AE',
    encodeURIComponent('{"$ne":null}'),
    encodeURIComponent('{"$gt":""}'),
    '%24where',
    'a'.repeat(4000),
    '..%2F..%2Fetc%2Fpasswd',
    '%E2%80%AE' + 'f'.repeat(60),
    'F'.repeat(64),
    '0'.repeat(63),
    '0'.repeat(65),
    '%F0%9F%92%B3',
    "'%20OR%201=1--",
    '__proto__',
    'constructor',
  ];

  it.each(['', 'webhooks/'])(
    'GET pymt-txn/{hostile id}/%s answers 404 in the contract shape',
    async (suffix) => {
      const start = stats.failures.length;
      for (const id of IDS) {
        const o = await runCase(
          h,
          stats,
          `GET pymt-txn/${id.slice(0, 30)}/${suffix}`,
          { method: 'GET', path: `/b/checkout/v1/pymt-txn/${id}/${suffix}`, headers: auth() },
          { mustReject: true },
        );
        if (o.status !== 404 && o.status !== 400)
          stats.failures.push(`${o.label} → ${o.status}, expected 404`);
      }
      await expectAlive(h, stats, 'GET pymt-txn');
      expect(stats.failures.slice(start)).toEqual([]);
    },
  );
});
