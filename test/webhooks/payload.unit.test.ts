import type { SavedCard } from '../../src/domain/payment';
import type { CardObject } from '../../src/ottu/card';
import { buildWebhookPayload, signedPayload, signWebhook, verifyWebhook } from '../../src/webhooks';
import { paymentRecord } from './fixtures';

const EVENT = {
  eventId: 'evt_1',
  timestampUtc: '2026-01-01T00:01:00.000Z',
  kind: 'payment' as const,
  result: 'success' as const,
};

/** The card as the payment record keeps it (a brand key, the last 4) … */
const SAVED: SavedCard = {
  token: 'tok_abc',
  customer_id: 'cust-1',
  brand: 'visa',
  name_on_card: 'Example Customer',
  last4: '4242',
  expiry_month: '12',
  expiry_year: '39',
  pg_code: 'ottu_pg_kwd_tkn',
  agreements: [],
};

/** … and as the merchant's webhook shows it (Ottu's Card object). */
const CARD: CardObject = {
  token: 'tok_abc',
  customer_id: 'cust-1',
  brand: 'Visa',
  name_on_card: 'Example Customer',
  number: '**** 4242',
  expiry_month: '12',
  expiry_year: '39',
  pg_code: 'ottu_pg_kwd_tkn',
  pg_name: 'ottu_sandbox',
  is_preferred: true,
  is_expired: false,
  cvv_required: true,
  agreements: [],
};

describe('buildWebhookPayload', () => {
  it('maps a paid payment to Ottu field names, billing address flattened', () => {
    const payload = buildWebhookPayload(paymentRecord(), EVENT);
    expect(payload).toEqual({
      session_id: 'sess_123',
      order_no: 'order-42',
      state: 'paid',
      result: 'success',
      amount: '86.000',
      currency_code: 'KWD',
      gateway_account: 'ottu_pg_kwd_tkn',
      gateway_name: 'Card (KWD, saved cards with CVV)',
      reference_number: 'ref-2',
      customer_id: 'cust-1',
      customer_first_name: 'example-customer',
      customer_last_name: 'Doe',
      customer_email: 'c@example.com',
      customer_phone: '+96550000000',
      customer_address_line1: '1 Gulf Road',
      customer_address_line2: 'Floor 2',
      customer_address_city: 'Kuwait City',
      customer_address_state: 'Capital',
      customer_address_country: 'KW',
      customer_address_postal_code: '13001',
      payment_type: 'one_off',
      extra: { cart: 'c-9', nested: { a: 1 } },
      message: 'Approved',
      pg_params: { result: 'success', ref: 'ref-2' },
      gateway_response: { result: 'success', message: 'Approved' },
      fee: '0.000',
      amount_details: { currency_code: 'KWD', amount: '86.000', total: '86.000', fee: '0.000' },
      paid_amount: '86.000',
      remaining_amount: 0,
      settled_amount: 86,
      timestamp_utc: '2026-01-01T00:01:00.000Z',
      event_id: 'evt_1',
    });
    expect(payload).not.toHaveProperty('billing_address');
    expect(payload).not.toHaveProperty('merchant_id');
    expect(payload).not.toHaveProperty('gateways');
    expect(payload).not.toHaveProperty('operation');
    expect(payload).not.toHaveProperty('token');
  });

  it('omits fields the payment does not have (no undefined keys)', () => {
    const payload = buildWebhookPayload(
      paymentRecord({
        order_no: undefined,
        customer_id: undefined,
        customer_first_name: undefined,
        customer_last_name: undefined,
        customer_email: undefined,
        customer_phone: undefined,
        billing_address: { city: 'Kuwait City' },
        extra: undefined,
        pg_code: undefined,
        attempts: [],
        state: 'expired',
      }),
      { ...EVENT, result: 'failed' },
    );
    expect(payload).toEqual({
      session_id: 'sess_123',
      state: 'expired',
      result: 'failed',
      amount: '86.000',
      currency_code: 'KWD',
      customer_address_city: 'Kuwait City',
      payment_type: 'one_off',
      message: 'The payment is expired.',
      pg_params: {},
      gateway_response: {},
      fee: '0.000',
      amount_details: { currency_code: 'KWD', amount: '86.000', total: '86.000', fee: '0.000' },
      paid_amount: '0.000',
      remaining_amount: 86,
      settled_amount: 0,
      timestamp_utc: '2026-01-01T00:01:00.000Z',
      event_id: 'evt_1',
    });
    expect(Object.values(payload)).not.toContain(undefined);
    const json = JSON.parse(JSON.stringify(payload));
    expect(Object.keys(json).sort()).toEqual(Object.keys(payload).sort());
  });

  it('falls back to the latest attempt for the gateway account when the record has none', () => {
    const payload = buildWebhookPayload(paymentRecord({ pg_code: undefined, state: 'failed' }), {
      ...EVENT,
      result: 'failed',
    });
    expect(payload.gateway_account).toBe('ottu_pg_kwd_tkn');
    expect(payload.reference_number).toBe('ref-2');
  });

  it('includes the card when a card was saved or used', () => {
    const payload = buildWebhookPayload(paymentRecord({ token: SAVED }), EVENT);
    expect(payload.token).toEqual(CARD);
  });

  it('describes an operation with its own amount, reference and name', () => {
    const payload = buildWebhookPayload(paymentRecord({ state: 'refunded' }), {
      ...EVENT,
      eventId: 'evt_refund',
      kind: 'operation',
      operation: 'refund',
      amount: '10.000',
      referenceNumber: 'ref-refund-1',
      gatewayName: 'kpay',
    });
    expect(payload).toMatchObject({
      operation: 'refund',
      state: 'refunded',
      result: 'success',
      amount: '10.000',
      reference_number: 'ref-refund-1',
      gateway_name: 'kpay',
      event_id: 'evt_refund',
    });
  });

  it('requires the operation name for an operation event', () => {
    expect(() => buildWebhookPayload(paymentRecord(), { ...EVENT, kind: 'operation' })).toThrow(TypeError);
  });

  it('signedPayload adds a signature that covers the payload', () => {
    const payload = buildWebhookPayload(paymentRecord({ token: SAVED }), EVENT);
    const signed = signedPayload(payload, 'secret-key');
    expect(signed).toEqual({ ...payload, signature: signWebhook(payload, 'secret-key') });
    expect(signed.signature).toMatch(/^[0-9a-f]{64}$/);
    // the receiver verifies the parsed JSON body as it arrives, signature field and all
    const received = JSON.parse(JSON.stringify(signed)) as Record<string, unknown>;
    expect(verifyWebhook(received, 'secret-key', signed.signature)).toBe(true);
    expect(verifyWebhook({ ...received, amount: '0.001' }, 'secret-key', signed.signature)).toBe(false);
  });
});
