/**
 * Card fingerprints are per merchant (each merchant's key derived from a master key) and carry
 * the id of that master key, so the key can be rotated: after a rotation (new key first, the old
 * one still listed) a card saved before is recognised and re-keyed, not saved twice; a card saved
 * with the single global key of earlier versions is recognised the same way while that key is
 * configured. Two API processes on one database play the deploy before and after the rotation.
 */
import { createLogger } from '../../src/logger';
import { freePort } from '../../src/dev/process';
import {
  cardFingerprint,
  cardFingerprints,
  parseCardFingerprints,
  parseFingerprintKeys,
} from '../../src/secrets/fingerprint';
import { startApi, type ApiHandle } from '../../src/server';
import { ADMIN_KEY, card, DEMO_API_KEY, startHarness, TEST_CARDS, type Harness } from '../support/harness';
import { strongSecret } from '../support/production';

jest.setTimeout(90_000);

const K1 = strongSecret();
const K2 = strongSecret();
const LEGACY = strongSecret();
const CUSTOMER = `rot-${Date.now()}`;

let h: Harness;
const extra: ApiHandle[] = [];

beforeAll(async () => {
  h = await startHarness({ env: { TOKENPAY_FINGERPRINT_KEYS: `k1:${K1}` } });
});
afterAll(async () => {
  for (const api of extra) await api.close();
  await h?.close();
});

/** Another API process on the same database and task queue, with other fingerprint keys. */
async function apiWith(keys: string, legacy?: string): Promise<string> {
  const api = await startApi(
    { ...h.config, port: await freePort(), fingerprintKeys: parseFingerprintKeys(keys, legacy) },
    createLogger({ level: 'silent' }),
  );
  extra.push(api);
  return api.url;
}

/** A paid payment with the Visa test card, saved for CUSTOMER, through the API at `baseUrl`. */
async function payAndSave(baseUrl: string, apiKey = DEMO_API_KEY, pg = 'ottu_pg_kwd_tkn'): Promise<string> {
  const created = await fetch(`${baseUrl}/b/checkout/v1/pymt-txn/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Api-Key ${apiKey}` },
    body: JSON.stringify({
      type: 'e_commerce',
      amount: '5',
      currency_code: 'KWD',
      pg_codes: [pg],
      customer_id: CUSTOMER,
    }),
  });
  const { session_id: sessionId } = (await created.json()) as { session_id: string };
  const paid = await fetch(`${baseUrl}/checkout/${sessionId}/submit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      pg_code: pg,
      payment_method: 'card',
      card: card(TEST_CARDS.visa),
      save_card: true,
    }),
  });
  const body = (await paid.json()) as { state: string; token?: { token: string } };
  expect(body.state).toBe('paid');
  return body.token!.token;
}

const cardDoc = (token: string) => h.collections.cards.findOne({ _id: token });

it('a card saved under k1 is found again after the rotation to k2 and re-keyed; never saved twice', async () => {
  const token = await payAndSave(h.baseUrl);
  const before = await cardDoc(token);
  expect(before).toMatchObject({
    fingerprint_key_id: 'k1',
    fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
  });

  const rotated = await apiWith(`k2:${K2},k1:${K1}`);
  expect(await payAndSave(rotated)).toBe(token);
  const after = await cardDoc(token);
  expect(after).toMatchObject({ fingerprint_key_id: 'k2' });
  expect(after!.fingerprint).not.toBe(before!.fingerprint);
  expect(await h.collections.cards.countDocuments({ customer_id: CUSTOMER })).toBe(1);

  // once re-keyed, k1 can be retired
  const retired = await apiWith(`k2:${K2}`);
  expect(await payAndSave(retired)).toBe(token);
  expect(await h.collections.cards.countDocuments({ customer_id: CUSTOMER })).toBe(1);
});

it('a card saved with the global key of earlier versions is recognised while that key is configured', async () => {
  const token = (await h.collections.cards.findOne({ customer_id: CUSTOMER }))!._id;
  // as an earlier version stored it: the global fingerprint, no key id
  await h.collections.cards.updateOne(
    { _id: token },
    { $set: { fingerprint: cardFingerprint(TEST_CARDS.visa, LEGACY) }, $unset: { fingerprint_key_id: '' } },
  );
  const upgraded = await apiWith(`k3:${strongSecret()}`, LEGACY);
  expect(await payAndSave(upgraded)).toBe(token);
  expect(await cardDoc(token)).toMatchObject({ fingerprint_key_id: 'k3' });
  expect(await h.collections.cards.countDocuments({ customer_id: CUSTOMER })).toBe(1);
});

it("the same card at two merchants has unrelated fingerprints (one merchant's say nothing of another's)", async () => {
  const admin = { authorization: `Admin-Key ${ADMIN_KEY}` };
  const merchant = await h.request('POST', '/admin/v1/merchants', {
    body: { name: 'Second shop' },
    headers: admin,
  });
  expect(merchant.status).toBe(201);
  const put = await h.request('PUT', `/admin/v1/merchants/${merchant.body.merchant_id}/gateways/second_pg`, {
    headers: admin,
    body: {
      currencies: ['KWD'],
      operation: 'purchase',
      tokenization_enabled: true,
      cvv_required: true,
      auto_debit_enabled: false,
      three_ds: 'never',
      max_attempts: 3,
    },
  });
  expect(put.status).toBe(200);
  const other = await payAndSave(h.baseUrl, merchant.body.api_key, 'second_pg');
  const docs = await h.collections.cards.find({ customer_id: CUSTOMER }).toArray();
  expect(docs).toHaveLength(2);
  const stored = docs.find((d) => d._id === other)!;
  expect(stored).toMatchObject({ merchant_id: merchant.body.merchant_id, fingerprint_key_id: 'k1' });
  // under the same master key k1, the two merchants' fingerprints of this card differ
  const k1 = parseFingerprintKeys(`k1:${K1}`);
  const at = (merchantId: string) =>
    parseCardFingerprints(cardFingerprints(TEST_CARDS.visa, merchantId, k1))[0]!.value;
  expect(stored.fingerprint).toBe(at(merchant.body.merchant_id));
  const demoMerchant = docs.find((d) => d._id !== other)!.merchant_id;
  expect(at(demoMerchant)).not.toBe(stored.fingerprint);
  expect(stored.fingerprint).not.toBe(cardFingerprint(TEST_CARDS.visa, K1));
});
