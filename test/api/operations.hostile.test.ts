/**
 * Hostile input against `POST /b/pbl/v2/operation/` (CONTRACT §1.6). The base body names a real
 * payment but asks for an operation its state refuses (refund of a `created` payment), so no
 * case can move money: whatever a case changes, the payment must stay exactly as it was.
 */
import { DEMO_API_KEY, newPayment, startHarness, type Harness } from '../support/harness';
import { newStats, standardHostileCases, summary, type BodyEndpoint, type Stats } from '../support/hostile';

jest.setTimeout(600_000);

let h: Harness;
const stats: Stats = newStats();
let sessionId: string;
let orderNo: string;

beforeAll(async () => {
  h = await startHarness();
  const created = await h.merchant('POST', '/b/checkout/v1/pymt-txn/', newPayment());
  sessionId = created.body.session_id;
  orderNo = created.body.order_no;
});
afterAll(async () => {
  console.log(summary('hostile/operation', stats, h));
  await h?.close();
});

const operation: BodyEndpoint = {
  name: 'POST operation',
  method: 'POST',
  path: () => '/b/pbl/v2/operation/',
  headers: () => ({ authorization: `Api-Key ${DEMO_API_KEY}` }),
  base: () => ({ operation: 'refund', session_id: sessionId, order_no: orderNo, amount: '1.000' }),
  watch: async () => {
    const p = await h.collections.payments.findOne({ _id: sessionId });
    return [p?.state, p?.attempts.length, p?.operations ?? [], p?.refunded_amount, p?.captured_amount];
  },
};

/** By order_no only: the lookup field itself gets the payloads. */
const byOrderNo: BodyEndpoint = {
  ...operation,
  name: 'POST operation (order_no)',
  base: () => ({ operation: 'capture', order_no: orderNo }),
};

describe('hostile input: operations', () => {
  it('the base bodies are refused by state, not by validation', async () => {
    for (const e of [operation, byOrderNo]) {
      const res = await h.merchant('POST', '/b/pbl/v2/operation/', e.base());
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ detail: expect.any(String), result: 'failed' });
    }
  });

  standardHostileCases(() => h, stats, [operation, byOrderNo]);

  it('the payment is still untouched', async () => {
    const p = await h.collections.payments.findOne({ _id: sessionId });
    expect(p).toMatchObject({ state: 'created', attempts: [] });
    expect(p?.operations ?? []).toEqual([]);
  });
});
