/**
 * Hostile input against the customer side (CONTRACT §2): `GET /checkout/{session_id}` with
 * hostile ids and query strings, and `POST /checkout/{session_id}/submit` with hostile bodies.
 * The submit bases are refused (a 2-digit CVV; an unknown saved-card token), so no case can pay:
 * the session must keep its state and attempts whatever a case does.
 */
import { newPayment, startHarness, type Harness } from '../support/harness';
import {
  expectAlive,
  expectNoFailures,
  newStats,
  runCase,
  summary,
  type BodyEndpoint,
  type Stats,
  standardHostileCases,
} from '../support/hostile';

jest.setTimeout(600_000);

let h: Harness;
const stats: Stats = newStats();
let sessionId: string;

beforeAll(async () => {
  // the submit limits are tested elsewhere; here they would only turn cases into 429s
  h = await startHarness({
    env: { TOKENPAY_SUBMIT_RATE_PER_IP: '1000000', TOKENPAY_SUBMIT_RATE_PER_SESSION: '1000000' },
  });
  const created = await h.merchant(
    'POST',
    '/b/checkout/v1/pymt-txn/',
    newPayment({ customer_id: 'c-hostile' }),
  );
  sessionId = created.body.session_id;
});
afterAll(async () => {
  console.log(summary('hostile/customer', stats, h));
  await h?.close();
});

const session = async () => {
  const p = await h.collections.payments.findOne({ _id: sessionId });
  return [p?.state, p?.attempts.length];
};

const submitCard: BodyEndpoint = {
  name: 'POST submit (card)',
  method: 'POST',
  path: () => `/checkout/${sessionId}/submit`,
  headers: () => ({}),
  base: () => ({
    pg_code: 'ottu_pg_kwd_tkn',
    payment_method: 'card',
    card: {
      name_on_card: 'Test Customer',
      number: '4242424242424242',
      expiry_month: '12',
      expiry_year: '39',
      cvv: '12',
    },
    save_card: false,
  }),
  watch: session,
};

const submitToken: BodyEndpoint = {
  name: 'POST submit (token)',
  method: 'POST',
  path: () => `/checkout/${sessionId}/submit`,
  headers: () => ({}),
  base: () => ({ pg_code: 'ottu_pg_kwd_tkn', payment_method: 'token', token: 'tok-not-saved', cvv: '123' }),
  watch: session,
};

describe('hostile input: checkout submit', () => {
  it('the bases are refused without an attempt', async () => {
    const cardRes = await h.request('POST', `/checkout/${sessionId}/submit`, { body: submitCard.base() });
    expect(cardRes.status).toBe(400);
    expect(cardRes.body).toEqual({ card: { cvv: [expect.any(String)] } });
    expect(
      (await h.request('POST', `/checkout/${sessionId}/submit`, { body: submitToken.base() })).status,
    ).toBe(404);
  });

  standardHostileCases(() => h, stats, [submitCard, submitToken]);

  it('hostile session ids on submit: 404 {detail}, never a lookup error', async () => {
    await expectNoFailures(stats, async () => {
      for (const id of HOSTILE_IDS) {
        const o = await runCase(
          h,
          stats,
          `POST checkout/${id.slice(0, 24)}/submit`,
          {
            method: 'POST',
            path: `/checkout/${id}/submit`,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(submitCard.base()),
          },
          { mustReject: true },
        );
        if (o.status !== 404 && !(undecodable(id) && o.status === 400)) {
          stats.failures.push(`${o.label} → ${o.status}, expected 404`);
        }
      }
    });
  });

  it('the session is still open and untouched', async () => {
    expect(await session()).toEqual(['created', 0]);
  });
});

/** Not valid percent-encoding: a 400 is as right as the 404 page for these. */
function undecodable(segment: string): boolean {
  try {
    decodeURIComponent(segment);
    return false;
  } catch {
    return true;
  }
}

const HOSTILE_IDS = [
  '%00',
  '%ff',
  '%E0%A4%A',
  '%C0%AE%C0%AE',
  encodeURIComponent('{"$ne":null}'),
  '%24where',
  'a'.repeat(4000),
  '..%2F..%2Fetc%2Fpasswd',
  '%E2%80%AE' + 'f'.repeat(64),
  'F'.repeat(64),
  '0'.repeat(63),
  '0'.repeat(65),
  ' ' + '0'.repeat(64),
  '%F0%9F%92%B3',
  '__proto__',
  'constructor',
  '<script>alert(1)<%2Fscript>',
];

describe('hostile input: checkout page', () => {
  it('GET /checkout/{hostile id} answers the 404 page', async () => {
    await expectNoFailures(stats, async () => {
      for (const id of HOSTILE_IDS) {
        for (const query of [
          '',
          '?language=ar',
          '?language[$ne]=en',
          '?language=%00',
          `?language=${'x'.repeat(2000)}`,
        ]) {
          const o = await runCase(
            h,
            stats,
            `GET checkout/${id.slice(0, 24)}${query.slice(0, 20)}`,
            { method: 'GET', path: `/checkout/${id}${query}` },
            { mustReject: true, html: true, watch: session },
          );
          if (o.status !== 404 && !(undecodable(id) && o.status === 400)) {
            stats.failures.push(`${o.label} → ${o.status}, expected the 404 page`);
          }
          if (o.text.includes('<script>alert(1)'))
            stats.failures.push(`${o.label} → reflected the id unescaped`);
        }
      }
      await expectAlive(h, stats, 'GET checkout');
    });
  });

  it('GET /checkout/{real id} with hostile query strings renders the page', async () => {
    await expectNoFailures(stats, async () => {
      for (const query of [
        '?language=ar',
        '?language[$ne]=en',
        '?language=%00',
        '?x=%ff',
        '?__proto__[polluted]=1',
      ]) {
        const o = await runCase(h, stats, `GET checkout/{id}${query}`, {
          method: 'GET',
          path: `/checkout/${sessionId}${query}`,
        });
        if (o.status !== 200) stats.failures.push(`${o.label} → ${o.status}`);
      }
    });
  });
});
