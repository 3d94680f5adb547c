/**
 * Hostile input against the saved-card endpoints: `POST /b/pbl/v2/card/` (list, CONTRACT §1.3),
 * `DELETE /b/pbl/v2/card/{token}/` (§1.4) and `POST /b/pbl/v2/auto-debit/` (§1.5). A real card is
 * saved first; no hostile request may list, delete or charge it.
 */
import { DEMO_API_KEY, card, newPayment, startHarness, TEST_CARDS, type Harness } from '../support/harness';
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
const customerId = 'hostile-card-owner';
let token: string;
let sessionId: string;

beforeAll(async () => {
  h = await startHarness();
  const first = await h.merchant(
    'POST',
    '/b/checkout/v1/pymt-txn/',
    newPayment({ customer_id: customerId, pg_codes: ['ottu_pg_kwd_tkn_nocvv'] }),
  );
  const paid = await h.request('POST', `/checkout/${first.body.session_id}/submit`, {
    body: {
      pg_code: 'ottu_pg_kwd_tkn_nocvv',
      payment_method: 'card',
      card: card(TEST_CARDS.visa),
      save_card: true,
    },
  });
  expect(paid.body.result).toBe('success');
  token = paid.body.token.token;
  const open = await h.merchant(
    'POST',
    '/b/checkout/v1/pymt-txn/',
    newPayment({ customer_id: customerId, pg_codes: ['ottu_pg_kwd_tkn_nocvv'] }),
  );
  sessionId = open.body.session_id;
});
afterAll(async () => {
  console.log(summary('hostile/cards-auto-debit', stats, h));
  await h?.close();
});

const auth = () => ({ authorization: `Api-Key ${DEMO_API_KEY}` });
const cardAndSession = async () => {
  const [c, p] = await Promise.all([
    h.collections.cards.findOne({ _id: token }),
    h.collections.payments.findOne({ _id: sessionId }),
  ]);
  return [c?.locked_at, c?.cvc_failures, p?.state, p?.attempts.length];
};

const listCards: BodyEndpoint = {
  name: 'POST card (list)',
  method: 'POST',
  path: () => '/b/pbl/v2/card/',
  headers: auth,
  base: () => ({ type: 'sandbox', customer_id: customerId, pg_codes: ['ottu_pg_kwd_tkn_nocvv'] }),
  watch: cardAndSession,
};

const autoDebit: BodyEndpoint = {
  name: 'POST auto-debit',
  method: 'POST',
  path: () => '/b/pbl/v2/auto-debit/',
  headers: auth,
  // an unknown token: the base is refused (404) and no case can charge the real card
  base: () => ({ session_id: sessionId, token: 'tok-not-a-saved-card' }),
  watch: cardAndSession,
};

describe('hostile input: saved cards and auto-debit', () => {
  it('the bases behave: the list shows the card; the auto-debit base is refused', async () => {
    const list = await h.merchant('POST', '/b/pbl/v2/card/', listCards.base());
    expect(list.status).toBe(200);
    expect(list.body.map((c: any) => c.token)).toEqual([token]);
    expect((await h.merchant('POST', '/b/pbl/v2/auto-debit/', autoDebit.base())).status).toBe(404);
  });

  standardHostileCases(() => h, stats, [listCards, autoDebit]);

  it('DELETE card: hostile tokens and query strings never delete the card', async () => {
    const tokens = [
      '%00',
      '%ff',
      '%E0%A4%A',
      encodeURIComponent('{"$ne":null}'),
      encodeURIComponent('{"$gt":""}'),
      '%24where',
      'a'.repeat(4000),
      '..%2F..%2Fetc%2Fpasswd',
      '%E2%80%AE' + token,
      token.toUpperCase(),
      `${token}%00`,
      '__proto__',
      'constructor',
    ];
    const queries = [
      `customer_id=${customerId}&type=sandbox`,
      `customer_id[$ne]=x&type=sandbox`,
      `customer_id[$gt]=&type=sandbox`,
      `customer_id=${customerId}&customer_id=other&type=sandbox`,
      `customer_id[]=${customerId}`,
      `customer_id=%00`,
      `customer_id=%ff`,
      `customer_id=${'a'.repeat(4000)}`,
      `__proto__[polluted]=yes&customer_id=x`,
      `constructor[prototype][polluted]=yes&customer_id=x`,
      ``,
    ];
    await expectNoFailures(stats, async () => {
      for (const t of tokens) {
        for (const q of queries) {
          await runCase(
            h,
            stats,
            `DELETE card/${t.slice(0, 24)}/?${q.slice(0, 40)}`,
            { method: 'DELETE', path: `/b/pbl/v2/card/${t}/?${q}`, headers: auth() },
            { mustReject: true, watch: cardAndSession },
          );
        }
      }
      // the real token with a hostile customer: refused
      for (const q of queries.slice(1)) {
        await runCase(
          h,
          stats,
          `DELETE card/{real token}/?${q.slice(0, 40)}`,
          { method: 'DELETE', path: `/b/pbl/v2/card/${token}/?${q}`, headers: auth() },
          { mustReject: true, watch: cardAndSession },
        );
      }
      // a DELETE with a hostile body is read like any other request
      for (const [label, body, type] of [
        ['70 kB body', 'x'.repeat(70_000), 'application/json'],
        ['deep body', '['.repeat(10_000) + ']'.repeat(10_000), 'application/json'],
        ['text body', 'customer_id=x', 'text/plain'],
      ] as const) {
        await runCase(
          h,
          stats,
          `DELETE card with a ${label}`,
          {
            method: 'DELETE',
            path: `/b/pbl/v2/card/${token}/?customer_id=nobody`,
            headers: { ...auth(), 'content-type': type },
            body,
          },
          { mustReject: true, watch: cardAndSession },
        );
      }
      await expectAlive(h, stats, 'DELETE card');
    });
    expect(await h.collections.cards.countDocuments({ _id: token })).toBe(1);
  });
});
