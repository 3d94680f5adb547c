import { amendRefusal, updateRefusal } from '../../src/domain/checkout';
import { PAYMENT_STATES, isPayable } from '../../src/domain/states';

describe("which fields of a payment may change in which state (Ottu's update)", () => {
  it('extra changes in every state; payment_type in none', () => {
    for (const state of PAYMENT_STATES) {
      expect(updateRefusal(state, ['extra'])).toBeUndefined();
      expect(updateRefusal(state, ['payment_type'])?.code).toBe('update_not_allowed');
    }
  });

  it('everything else only while the payment is unpaid', () => {
    for (const state of PAYMENT_STATES) {
      const refusal = updateRefusal(state, ['amount', 'extra', 'customer_email']);
      if (isPayable(state)) expect(refusal).toBeUndefined();
      else
        expect(refusal).toEqual({
          code: 'update_needs_unpaid',
          params: { state, fields: 'amount, customer_email' },
        });
    }
  });
});

describe('when an open session’s terms may change (amendSession validator)', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  it('not once closed, not while an attempt runs, not to an expiry already past', () => {
    expect(amendRefusal({ state: 'pending', busy: false }, undefined, now)).toBeUndefined();
    expect(amendRefusal({ state: 'paid', busy: false }, undefined, now)?.code).toBe('not_payable');
    expect(amendRefusal({ state: 'attempted', busy: true }, undefined, now)?.code).toBe(
      'attempt_in_progress',
    );
    expect(amendRefusal({ state: 'created', busy: false }, '2029-12-31T23:59:59Z', now)?.code).toBe(
      'update_not_allowed',
    );
    expect(amendRefusal({ state: 'created', busy: false }, '2030-01-01T00:00:01Z', now)).toBeUndefined();
  });
});
