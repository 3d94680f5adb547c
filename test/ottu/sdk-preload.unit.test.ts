/**
 * `sdk_setup_preload_payload` against Ottu's own `CheckoutSDK` schema (a pinned copy, see the
 * fixture's $comment): it conforms except where README says tokenpay differs on purpose —
 * `billing` is an object (Ottu's spec says string while describing an object) and `cancel_url`
 * is null (no customer-side cancel).
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

import type { PaymentRecord, SavedCard } from '../../src/domain/payment';
import { DEMO_GATEWAY_CONFIGS } from '../../src/domain/gateway-config';
import { sdkSetupPreload } from '../../src/ottu/sdk-preload';
import schemas from './fixtures/ottu-checkout-sdk.schema.json';

const NOW = new Date('2030-01-01T00:00:00Z');
const BASE = 'https://pay.example';

const record = (overrides: Partial<PaymentRecord> = {}): PaymentRecord => ({
  _id: 'a'.repeat(64),
  session_id: 'a'.repeat(64),
  merchant_id: 'demo',
  type: 'e_commerce',
  amount: '20.230',
  currency_code: 'KWD',
  pg_codes: ['ottu_pg_kwd_tkn', 'ottu_pg_kwd_tkn_nocvv'],
  gateways: DEMO_GATEWAY_CONFIGS.slice(0, 2),
  expiration_time: '1 00:00:00',
  expires_at: '2030-01-02T00:00:00.000Z',
  language: 'en',
  payment_type: 'one_off',
  operation: 'purchase',
  state: 'pending',
  attempts: [],
  customer_id: 'c1',
  created_at: NOW.toISOString(),
  updated_at: NOW.toISOString(),
  ...overrides,
});

const saved = (token: string, pgCode: string, brand: SavedCard['brand'] = 'visa'): SavedCard => ({
  token,
  customer_id: 'c1',
  brand,
  name_on_card: 'Test Customer',
  last4: brand === 'amex' ? '0005' : '4242',
  expiry_month: '12',
  expiry_year: '39',
  pg_code: pgCode,
  agreements: [],
});

function validate(payload: unknown): Array<{ path: string; keyword: string }> {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('decimal', /^-?\d+(\.\d+)?$/);
  const check = ajv.compile(schemas.CheckoutSDK);
  check(payload);
  return (check.errors ?? []).map((e) => ({ path: e.instancePath, keyword: e.keyword }));
}

describe('sdk_setup_preload_payload', () => {
  const payload = sdkSetupPreload({
    record: record(),
    cards: [
      { card: saved('t1', 'ottu_pg_kwd_tkn', 'amex'), heldAgreements: [] },
      { card: saved('t2', 'ottu_pg_kwd_tkn_nocvv'), heldAgreements: ['agr-1'] },
    ],
    publicBaseUrl: BASE,
    now: NOW,
  });

  it("is Ottu's CheckoutSDK object, but for the two documented differences", () => {
    expect(validate(payload)).toEqual([
      { path: '/billing', keyword: 'type' },
      { path: '/cancel_url', keyword: 'type' },
    ]);
  });

  it('says per card whether the CVV is asked and where the customer removes it', () => {
    expect(payload.cards).toEqual([
      expect.objectContaining({
        token: 't1',
        brand: 'American Express',
        number: '**** 0005',
        cvv_required: true,
        is_preferred: true,
        is_locked: false,
        delete_url: `${BASE}/checkout/${'a'.repeat(64)}/cards/t1`,
      }),
      expect.objectContaining({
        token: 't2',
        cvv_required: false,
        is_preferred: false,
        is_locked: true,
        delete_url: null,
        locked_reason: expect.stringMatching(/automatic payments/),
      }),
    ]);
  });

  it('carries exact money and the methods of the session', () => {
    expect(payload).toMatchObject({
      amount: '20.230',
      currency_code: 'KWD',
      billing: { fee: { amount: '0.000' } },
    });
    expect(payload.payment_methods.map((m) => [m.code, m.can_save_card])).toEqual([
      ['ottu_pg_kwd_tkn', true],
      ['ottu_pg_kwd_tkn_nocvv', true],
    ]);
    const anonymous = sdkSetupPreload({
      record: record({ customer_id: undefined }),
      cards: [],
      publicBaseUrl: BASE,
      now: NOW,
    });
    expect(anonymous.payment_methods.every((m) => !m.can_save_card)).toBe(true);
    expect(anonymous).not.toHaveProperty('customer_id');
  });

  it('locks the reason in the session language', () => {
    const ar = sdkSetupPreload({
      record: record({ language: 'ar' }),
      cards: [{ card: saved('t2', 'ottu_pg_kwd_tkn_nocvv'), heldAgreements: ['agr-1'] }],
      publicBaseUrl: BASE,
      now: NOW,
    });
    expect(ar.cards[0]!.locked_reason).toMatch(/[\u0600-\u06ff]{3,}/);
  });
});
