/** The checkout session's rules (src/domain/checkout.ts): one answer for the API and the workflow. */
import {
  abandonedAttempt,
  attemptRefusal,
  challengedAttempt,
  closeRefusal,
  payabilityRefusal,
  pendingAttempt,
  referenceNumber,
  settleAttempt,
  shouldStoreCard,
  type AttemptContext,
} from '../../src/domain/checkout';
import { DEMO_GATEWAY_CONFIGS } from '../../src/domain/gateway-config';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const LATER = '2026-06-02T12:00:00.000Z';
const config = DEMO_GATEWAY_CONFIGS[0]!; // ottu_pg_kwd_tkn, 3 attempts

const session = (overrides: Partial<AttemptContext> = {}): AttemptContext => ({
  state: 'pending',
  expiresAt: LATER,
  customerId: 'c1',
  gateways: [config],
  attemptsMade: 0,
  busy: false,
  ...overrides,
});

describe('payability', () => {
  it('open states before the expiry are payable', () => {
    for (const state of ['created', 'pending', 'attempted'] as const) {
      expect(payabilityRefusal({ state, expiresAt: LATER }, NOW)).toBeUndefined();
    }
  });
  it('a closed session answers with its state; an open one past its expiry as expired', () => {
    expect(payabilityRefusal({ state: 'paid', expiresAt: LATER }, NOW)).toEqual({
      code: 'not_payable',
      params: { state: 'paid' },
    });
    expect(payabilityRefusal({ state: 'pending', expiresAt: LATER }, Date.parse(LATER))).toEqual({
      code: 'not_payable',
      params: { state: 'expired' },
    });
  });
});

describe('attempt refusals, in the order they are told', () => {
  const card = { pgCode: config.pg_code, method: 'card' as const };
  it('closed before busy before unknown gateway before exhausted', () => {
    expect(attemptRefusal(session({ state: 'failed', busy: true }), card, NOW)?.code).toBe('not_payable');
    expect(attemptRefusal(session({ busy: true }), { ...card, pgCode: 'x' }, NOW)?.code).toBe(
      'attempt_in_progress',
    );
    expect(attemptRefusal(session({ attemptsMade: 3 }), { ...card, pgCode: 'x' }, NOW)?.code).toBe(
      'payment_method_unavailable',
    );
    expect(attemptRefusal(session({ attemptsMade: 3 }), card, NOW)?.code).toBe('attempts_exhausted');
    expect(attemptRefusal(session({ attemptsMade: 2 }), card, NOW)).toBeUndefined();
  });
  it('a saved card needs a customer on the payment', () => {
    const { customerId: _none, ...anonymous } = session();
    expect(attemptRefusal(anonymous, { ...card, method: 'token' }, NOW)?.code).toBe('token_not_found');
    expect(attemptRefusal(session(), { ...card, method: 'token' }, NOW)).toBeUndefined();
  });
});

describe('store the card?', () => {
  const yes = { paymentType: 'one_off' as const, saveCardRequested: true, customerId: 'c1', config };
  it('only when asked (or the link is for saving), a customer is present and the gateway tokenizes', () => {
    expect(shouldStoreCard(yes)).toBe(true);
    expect(shouldStoreCard({ ...yes, saveCardRequested: false })).toBe(false);
    expect(shouldStoreCard({ ...yes, saveCardRequested: false, paymentType: 'save_card' })).toBe(true);
    expect(shouldStoreCard({ ...yes, saveCardRequested: false, paymentType: 'auto_debit' })).toBe(true);
    const { customerId: _c, ...anonymous } = yes;
    expect(shouldStoreCard(anonymous)).toBe(false);
    expect(shouldStoreCard({ ...yes, config: { tokenization_enabled: false } })).toBe(false);
  });
});

describe('attempt settlement', () => {
  const attempt = pendingAttempt({
    referenceNumber: 'TP1',
    pgCode: config.pg_code,
    method: 'card',
    createdAt: '2026-06-01T12:00:00.000Z',
  });
  const limits = { attemptsMade: 1, maxAttempts: 3 };

  it('an approval pays (or authorizes) the session', () => {
    expect(settleAttempt(attempt, { chargeId: 'ch_1', status: 'succeeded' }, limits)).toEqual({
      attempt: { ...attempt, result: 'success', message: 'Payment successful.', charge_id: 'ch_1' },
      next: 'paid',
    });
    expect(settleAttempt(attempt, { chargeId: 'ch_1', status: 'authorized' }, limits).next).toBe(
      'authorized',
    );
  });
  it('a decline keeps the session open until the last allowed attempt', () => {
    const declined = settleAttempt(
      attempt,
      { chargeId: 'ch_2', status: 'declined', declineCode: 'insufficient_funds' },
      limits,
    );
    expect(declined).toEqual({
      attempt: {
        ...attempt,
        result: 'failed',
        message: 'Your card has insufficient funds.',
        charge_id: 'ch_2',
        decline_code: 'insufficient_funds',
      },
      next: 'attempted',
    });
    expect(
      settleAttempt(attempt, { chargeId: '', status: 'declined' }, { attemptsMade: 3, maxAttempts: 3 }).next,
    ).toBe('failed');
    // a refusal before any charge carries no charge id
    expect(settleAttempt(attempt, { chargeId: '', status: 'declined' }, limits).attempt).not.toHaveProperty(
      'charge_id',
    );
  });
  it('challenged, then abandoned', () => {
    const challenged = challengedAttempt(attempt, 'ch_3');
    expect(challenged).toMatchObject({
      result: 'pending',
      charge_id: 'ch_3',
      message: 'Authentication required.',
    });
    expect(abandonedAttempt(challenged)).toMatchObject({
      result: 'failed',
      decline_code: 'authentication_abandoned',
      charge_id: 'ch_3',
    });
  });
  it('reference numbers are a prefix and 14 upper-case hex digits of a UUID', () => {
    expect(referenceNumber('0a1b2c3d-4e5f-6789-abcd-ef0123456789')).toBe('TP0A1B2C3D4E5F67');
    expect(referenceNumber('0a1b2c3d-4e5f-6789-abcd-ef0123456789', 'OP')).toBe('OP0A1B2C3D4E5F67');
  });
});

describe('closing a session (cancel / expire)', () => {
  it('only cancel and expire, only while open, never while an attempt runs', () => {
    expect(closeRefusal('cancel', 'pending', false)).toBeUndefined();
    expect(closeRefusal('expire', 'attempted', false)).toBeUndefined();
    expect(closeRefusal('cancel', 'paid', false)).toEqual({
      code: 'operation_not_allowed',
      params: { operation: 'cancel', state: 'paid', done: 'canceled' },
    });
    expect(closeRefusal('refund', 'pending', false)?.code).toBe('operation_not_allowed');
    expect(closeRefusal('cancel', 'pending', true)).toEqual({ code: 'attempt_in_progress' });
  });
});
