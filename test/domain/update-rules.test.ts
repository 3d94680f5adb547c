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
  const expiresAt = '2030-01-02T00:00:00Z';
  const open = (state: 'created' | 'pending' | 'attempted' | 'paid', busy = false) => ({
    state,
    busy,
    expiresAt,
  });

  it('not once closed, not while an attempt runs, not to an expiry already past', () => {
    expect(amendRefusal(open('pending'), undefined, now)).toBeUndefined();
    expect(amendRefusal(open('paid'), undefined, now)?.code).toBe('not_payable');
    expect(amendRefusal(open('attempted', true), undefined, now)?.code).toBe('attempt_in_progress');
    expect(amendRefusal(open('created'), '2029-12-31T23:59:59Z', now)?.code).toBe('update_not_allowed');
    expect(amendRefusal(open('created'), '2030-01-01T00:00:01Z', now)).toBeUndefined();
  });

  it('not once its expiry passed: the session is about to close as expired, however far it is moved', () => {
    const passed = { state: 'pending' as const, busy: false, expiresAt: '2029-12-31T23:59:59Z' };
    expect(amendRefusal(passed, '2030-02-01T00:00:00Z', now)).toEqual({
      code: 'not_payable',
      params: { state: 'expired' },
    });
  });
});
