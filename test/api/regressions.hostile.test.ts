/**
 * One focused test per bug the hostile suites found, so each fix can be checked on its own (the
 * broad suites in this folder keep covering every endpoint). Each must answer a 4xx in the
 * contract's shape, never a 500, and a refused request must leave nothing behind.
 */
import { gzipSync } from 'node:zlib';

import { DEMO_API_KEY, newPayment, startHarness, type Harness } from '../support/harness';
import { deepArrays, deepObjects, documentCounts, loggedErrors } from '../support/hostile';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  const errors = loggedErrors(h);
  if (errors.length) console.log(`hostile/regressions: unhandled errors logged: ${errors.join(' | ')}`);
  await h?.close();
});

const CREATE = '/b/checkout/v1/pymt-txn/';
const json = { 'content-type': 'application/json', authorization: `Api-Key ${DEMO_API_KEY}` };

async function raw(method: string, path: string, headers: Record<string, string>, body?: string | Buffer) {
  const res = await fetch(`${h.baseUrl}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : new Uint8Array(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, text, type: res.headers.get('content-type') ?? '' };
}

describe('bugs found by the hostile suites', () => {
  it.each([
    ['GET', `${CREATE}%ff/`],
    ['GET', `${CREATE}%E0%A4%A/webhooks/`],
    ['DELETE', '/b/pbl/v2/card/%ff/?customer_id=c'],
    ['GET', '/checkout/%ff'],
    ['POST', '/checkout/%C0%AE/submit'],
    ['PUT', '/admin/v1/merchants/%ff/gateways/pg'],
  ])('malformed percent-encoding in a path parameter: %s %s is a 4xx, not a 500', async (method, path) => {
    const headers = path.startsWith('/admin')
      ? { 'content-type': 'application/json', authorization: 'Admin-Key dev-admin-key-change-me' }
      : json;
    const body = method === 'POST' || method === 'PUT' ? '{}' : undefined;
    const res = await raw(method, path, headers, body);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('a gzip body that does not inflate is a 400, not a 500', async () => {
    const res = await raw('POST', CREATE, { ...json, 'content-encoding': 'gzip' }, 'not gzip at all');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toEqual({ detail: expect.any(String) });
    // a real gzip body still works
    const ok = await raw(
      'POST',
      CREATE,
      { ...json, 'content-encoding': 'gzip' },
      gzipSync(JSON.stringify(newPayment())),
    );
    expect(ok.status).toBe(201);
  });

  it.each([
    ['10,000 nested arrays', deepArrays(10_000)],
    ['10,000 nested objects', deepObjects(10_000)],
  ])('a keyed request whose body is %s is a 400, not a 500 (stack overflow)', async (_what, fragment) => {
    for (const [path, body] of [
      [CREATE, fragment],
      [CREATE, JSON.stringify({ ...newPayment(), amount: '§' }).replace('"§"', fragment)],
      ['/b/pbl/v2/operation/', JSON.stringify({ operation: '§' }).replace('"§"', fragment)],
      ['/b/pbl/v2/auto-debit/', fragment],
    ] as const) {
      const res = await raw('POST', path, { ...json, 'idempotency-key': `deep-${Math.random()}` }, body);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
    }
  });

  it.each([
    ['a "$"-prefixed key in extra', { extra: { $where: '1' } }],
    ['an operator object as an extra value', { extra: { note: { $gt: '' } } }],
    ['a dotted key in extra', { extra: { 'a.b': 1 } }],
    ['a NUL byte in an extra key', { extra: { 'a\u0000b': 1 } }],
    ['an array inside an array in extra', { extra: { cart: [[1, 2]] } }],
    ['extra nested 150 deep', { extra: JSON.parse(deepObjects(150)) }],
    ['a "$"-prefixed key in agreement', { agreement: { id: 'a1', $gt: '' } }],
    ['a NUL byte in an agreement key', { agreement: { id: 'a1', 'x\u0000': 1 } }],
  ])('%s: accepted as data or refused with 400, never a 500', async (_what, fields) => {
    const res = await h.merchant('POST', CREATE, newPayment(fields));
    expect([201, 400]).toContain(res.status);
  });

  it('deeply nested extra does not tie up the database for seconds', async () => {
    const started = Date.now();
    const res = await raw(
      'POST',
      CREATE,
      json,
      JSON.stringify({ ...newPayment(), extra: '§' }).replace('"§"', deepObjects(10_000)),
    );
    expect(res.status).toBeLessThan(500);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a one-step charge refused for its token (404) leaves no payment and no workflow behind', async () => {
    const before = await documentCounts(h);
    const body = newPayment({
      pg_codes: ['ottu_pg_kwd_tkn_nocvv'],
      order_no: `orphan-${Date.now()}`,
      payment_instrument: { instrument_type: 'token', payload: { token: 'tok-unknown' } },
    });
    const res = await h.merchant('POST', CREATE, body);
    expect(res.status).toBe(404);
    expect(await documentCounts(h)).toEqual(before);
    expect(await h.collections.payments.countDocuments({ order_no: body.order_no })).toBe(0);
  });
});
