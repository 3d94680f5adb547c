import type { Attempt } from '../../src/domain/payment';
import { mootNotice } from '../../src/domain/gateway-notice';
import { PAYMENT_STATES, isPayable, type PaymentState } from '../../src/domain/states';

const attempt = (charge_id: string | undefined, result: Attempt['result']): Attempt => ({
  reference_number: 'TP1',
  result,
  message: '',
  pg_code: 'ottu_pg_kwd_tkn',
  created_at: '2026-01-01T00:00:00.000Z',
  payment_method: 'card',
  ...(charge_id ? { charge_id } : {}),
});

describe('mootNotice', () => {
  it.each(PAYMENT_STATES.filter((s) => !isPayable(s)))('a %s payment waits for no notice', (state) => {
    expect(mootNotice({ state, attempts: [attempt('ch_1', 'pending')] }, 'ch_1')).toBe('payment_closed');
  });

  it.each(['created', 'pending', 'attempted'] as PaymentState[])(
    'a %s payment may wait for news of a charge it has not settled',
    (state) => {
      expect(mootNotice({ state, attempts: [] }, 'ch_1')).toBeUndefined(); // not recorded yet
      expect(mootNotice({ state, attempts: [attempt('ch_1', 'pending')] }, 'ch_1')).toBeUndefined();
      expect(mootNotice({ state, attempts: [attempt('ch_0', 'failed')] }, 'ch_1')).toBeUndefined();
      expect(mootNotice({ state, attempts: [attempt(undefined, 'failed')] }, 'ch_1')).toBeUndefined();
    },
  );

  it.each(['failed', 'canceled', 'success'] as Attempt['result'][])(
    'an attempt with this charge already %s: moot',
    (result) => {
      expect(
        mootNotice(
          { state: 'attempted', attempts: [attempt('ch_0', 'pending'), attempt('ch_1', result)] },
          'ch_1',
        ),
      ).toBe('attempt_settled');
    },
  );
});
