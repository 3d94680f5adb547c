/**
 * The session id is the customer's only capability (CONTRACT §1.1: unguessable, ≥ 128 bits; the
 * engine makes 256). 1,000 ids created through the API are well-formed, unique and look random
 * bit by bit; keyed creates derive distinct ids per merchant and key; ids of the wrong shape, near
 * misses and prefixes of real ids find nothing, answer the 404 page and cause no lookup error.
 */
import { ADMIN_KEY, DEMO_API_KEY, newPayment, startHarness, type Harness } from '../support/harness';

jest.setTimeout(300_000);

const CREATE = '/b/checkout/v1/pymt-txn/';
const COUNT = 1000;
let h: Harness;
const ids: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  for (let i = 0; i < COUNT; i += 25) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(25, COUNT - i) }, () => h.merchant('POST', CREATE, newPayment())),
    );
    for (const res of batch) {
      expect(res.status).toBe(201);
      ids.push(res.body.session_id);
    }
  }
});

afterAll(async () => {
  // 1,000 open checkouts would otherwise sit on the shared Temporal server for a day
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(
      ids.slice(i, i + 50).map((id) =>
        h.temporal.workflow
          .getHandle(`checkout-${id}`)
          .terminate('test cleanup')
          .catch(() => undefined),
      ),
    );
  }
  await h?.close();
});

const errorLines = (from: number) =>
  h.logs.slice(from).filter((line) => /"level":(50|60)/.test(line) || line.includes('unhandled error'));

describe('session ids', () => {
  it(`${COUNT} created ids are 256-bit lowercase hex and all different`, () => {
    expect(ids).toHaveLength(COUNT);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(ids).size).toBe(COUNT);
    // not even a shared 12-hex-digit (48-bit) prefix or suffix: no counters, no timestamps
    expect(new Set(ids.map((id) => id.slice(0, 12))).size).toBe(COUNT);
    expect(new Set(ids.map((id) => id.slice(-12))).size).toBe(COUNT);
  });

  it('every bit position is set about half the time (no fixed or predictable bits)', () => {
    const ones = new Array<number>(256).fill(0);
    for (const id of ids) {
      const bits = BigInt(`0x${id}`);
      for (let b = 0; b < 256; b++) if ((bits >> BigInt(b)) & 1n) ones[b]!++;
    }
    // binomial(1000, 1/2): sd ≈ 15.8; 6 sd either side keeps false alarms below 1e-6 per run
    for (const count of ones) {
      expect(count).toBeGreaterThan(COUNT / 2 - 95);
      expect(count).toBeLessThan(COUNT / 2 + 95);
    }
    const total = ones.reduce((a, b) => a + b, 0);
    expect(Math.abs(total / (COUNT * 256) - 0.5)).toBeLessThan(0.005);
  });

  it('keyed creates: the same key gives the same session, other keys or merchants never do', async () => {
    const other = await h.request('POST', '/admin/v1/merchants', {
      body: { name: 'Other' },
      headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
    });
    await h.request('PUT', `/admin/v1/merchants/${other.body.merchant_id}/gateways/ottu_pg_kwd_tkn`, {
      body: {
        currencies: ['KWD'],
        operation: 'purchase',
        tokenization_enabled: true,
        cvv_required: true,
        auto_debit_enabled: false,
        three_ds: 'never',
        max_attempts: 3,
      },
      headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
    });
    const body = newPayment();
    const key = `order-${Date.now()}`;
    const first = await h.merchant('POST', CREATE, body, { headers: { 'Idempotency-Key': key } });
    const replay = await h.merchant('POST', CREATE, body, { headers: { 'Idempotency-Key': key } });
    const otherKey = await h.merchant('POST', CREATE, body, { headers: { 'Idempotency-Key': `${key}-2` } });
    const otherMerchant = await h.merchant('POST', CREATE, body, {
      apiKey: other.body.api_key,
      headers: { 'Idempotency-Key': key },
    });
    for (const res of [first, replay, otherKey, otherMerchant]) {
      expect(res.status).toBe(201);
      expect(res.body.session_id).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(replay.body.session_id).toBe(first.body.session_id);
    expect(new Set([first, otherKey, otherMerchant].map((r) => r.body.session_id)).size).toBe(3);
    expect(ids).not.toContain(first.body.session_id);
    ids.push(first.body.session_id, otherKey.body.session_id, otherMerchant.body.session_id);
  });

  it('wrong-format ids, near misses and prefixes answer the 404 page without a lookup error', async () => {
    const real = ids[0]!;
    const flip = (id: string, i: number) => id.slice(0, i) + (id[i] === '0' ? '1' : '0') + id.slice(i + 1);
    const wrong = [
      real.toUpperCase(),
      real.slice(0, 63),
      real.slice(0, 32),
      real.slice(0, 1),
      `${real}0`,
      `${real}%00`,
      `%20${real}`,
      flip(real, 0),
      flip(real, 63),
      flip(real, 31),
      'g'.repeat(64),
      '0'.repeat(64),
      encodeURIComponent('{"$ne":null}'),
      encodeURIComponent('{"$regex":"^"}'),
      encodeURIComponent(`${real.slice(0, 8)}.*`),
      'x'.repeat(5000),
      '%E2%80%AE' + real.slice(2),
    ];
    const from = h.logs.length;
    for (const id of wrong) {
      const page = await fetch(`${h.baseUrl}/checkout/${id}`);
      expect({ id, status: page.status }).toEqual({ id, status: 404 });
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).not.toContain(real);
      const submit = await h.request('POST', `/checkout/${id}/submit`, {
        body: { pg_code: 'ottu_pg_kwd_tkn', payment_method: 'token', token: 'x' },
      });
      expect({ id, status: submit.status }).toEqual({ id, status: 404 });
      const merchant = await h.request('GET', `${CREATE}${id}/`, { apiKey: DEMO_API_KEY });
      expect({ id, status: merchant.status }).toEqual({ id, status: 404 });
    }
    expect(errorLines(from)).toEqual([]);
    // the real one still opens
    expect((await fetch(`${h.baseUrl}/checkout/${real}`)).status).toBe(200);
  });
});
