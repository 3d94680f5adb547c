import { SIGNED_FIELDS, signWebhook, signingString, verifyWebhook } from '../../src/webhooks';

const KEY = 'pu9MpX3yPR';
const VECTOR = { amount: '86.000', currency_code: 'KWD', customer_first_name: 'example-customer' };
const VECTOR_SIGNATURE = '6143b8ad4bd283540721ab000f6de746e722231aaaa90bc38f639081d3ff9f67';

describe('webhook signature (CONTRACT §4)', () => {
  it('matches the contract test vector exactly', () => {
    expect(signWebhook(VECTOR, KEY)).toBe(VECTOR_SIGNATURE);
    // also when the payload comes off the wire
    const parsed = JSON.parse(
      '{"amount":"86.000","currency_code":"KWD","customer_first_name":"example-customer"}',
    ) as Record<string, unknown>;
    expect(signWebhook(parsed, KEY)).toBe(VECTOR_SIGNATURE);
  });

  it('signs exactly the contract key list', () => {
    expect([...SIGNED_FIELDS].sort()).toEqual(
      [
        'amount',
        'currency_code',
        'customer_first_name',
        'customer_last_name',
        'customer_email',
        'customer_phone',
        'customer_address_line1',
        'customer_address_line2',
        'customer_address_city',
        'customer_address_state',
        'customer_address_country',
        'customer_address_postal_code',
        'gateway_account',
        'gateway_name',
        'order_no',
        'reference_number',
        'result',
        'state',
      ].sort(),
    );
  });

  it('concatenates key + value sorted by key with no separator', () => {
    expect(signingString({ state: 'paid', amount: '1.000', currency_code: 'KWD' })).toBe(
      'amount1.000currency_codeKWDstatepaid',
    );
  });

  it('drops absent, null and empty-string values', () => {
    const withEmpties = {
      ...VECTOR,
      customer_last_name: '',
      customer_email: null,
      order_no: undefined,
      gateway_name: '',
    };
    expect(signWebhook(withEmpties, KEY)).toBe(VECTOR_SIGNATURE);
  });

  it('does not depend on key order', () => {
    const reversed = Object.fromEntries(Object.entries(VECTOR).reverse());
    expect(Object.keys(reversed)[0]).toBe('customer_first_name');
    expect(signWebhook(reversed, KEY)).toBe(VECTOR_SIGNATURE);
  });

  it('ignores keys outside the signed list', () => {
    const extended = {
      ...VECTOR,
      session_id: 'abc',
      event_id: 'evt_1',
      timestamp_utc: '2026-01-01 00:00:00',
      token: { token: 't', number: '**** 4242' },
      extra: { a: 1 },
      signature: 'whatever',
      customer_id: 'cust-1',
      payment_type: 'one_off',
    };
    expect(signWebhook(extended, KEY)).toBe(VECTOR_SIGNATURE);
  });

  it('uses values exactly as they appear (no trimming or number formatting)', () => {
    expect(signWebhook({ ...VECTOR, amount: '86.0' }, KEY)).not.toBe(VECTOR_SIGNATURE);
    expect(signWebhook({ ...VECTOR, customer_first_name: 'example-customer ' }, KEY)).not.toBe(
      VECTOR_SIGNATURE,
    );
  });

  it('changes with any signed field and with the key', () => {
    expect(signWebhook({ ...VECTOR, state: 'paid' }, KEY)).not.toBe(VECTOR_SIGNATURE);
    expect(signWebhook(VECTOR, 'another-key')).not.toBe(VECTOR_SIGNATURE);
  });

  it('verifies the right signature and rejects anything else', () => {
    expect(verifyWebhook(VECTOR, KEY, VECTOR_SIGNATURE)).toBe(true);
    expect(verifyWebhook(VECTOR, KEY, VECTOR_SIGNATURE.toUpperCase())).toBe(true);
    expect(verifyWebhook({ ...VECTOR, amount: '87.000' }, KEY, VECTOR_SIGNATURE)).toBe(false);
    expect(verifyWebhook(VECTOR, 'wrong-key', VECTOR_SIGNATURE)).toBe(false);
    expect(verifyWebhook(VECTOR, KEY, VECTOR_SIGNATURE.slice(0, 63) + '0')).toBe(false);
    expect(verifyWebhook(VECTOR, KEY, VECTOR_SIGNATURE.slice(0, 62))).toBe(false);
    expect(verifyWebhook(VECTOR, KEY, '')).toBe(false);
    expect(verifyWebhook(VECTOR, KEY, 'z'.repeat(64))).toBe(false);
    expect(verifyWebhook({ ...VECTOR, state: { nested: true } }, KEY, VECTOR_SIGNATURE)).toBe(false);
  });

  it('refuses values with no defined string form and an empty key', () => {
    expect(() => signWebhook({ ...VECTOR, state: { nested: true } }, KEY)).toThrow(TypeError);
    expect(() => signWebhook(VECTOR, '')).toThrow(TypeError);
  });
});
