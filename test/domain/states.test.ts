import { canTransition, isPayable, PAYMENT_STATES } from '../../src/domain/states';
import { parseExpirationTime } from '../../src/domain/duration';
import { toFieldErrors, createPaymentSchema } from '../../src/domain/schemas';

describe('payment states', () => {
  it('never allows success after a terminal failure', () => {
    for (const from of ['failed', 'expired', 'canceled'] as const) {
      for (const to of PAYMENT_STATES) expect(canTransition(from, to)).toBe(false);
    }
  });

  it('lets only open sessions be paid', () => {
    expect(PAYMENT_STATES.filter(isPayable)).toEqual(['created', 'pending', 'attempted']);
    expect(canTransition('authorized', 'paid')).toBe(true);
    expect(canTransition('paid', 'authorized')).toBe(false);
  });
});

describe('expiration_time', () => {
  it('parses Ottu durations', () => {
    expect(parseExpirationTime('1 00:00:00')).toBe(86_400_000);
    expect(parseExpirationTime('00:15:00')).toBe(900_000);
    expect(parseExpirationTime('24:00:00')).toBeUndefined();
    expect(parseExpirationTime('00:00:00')).toBeUndefined();
    expect(parseExpirationTime('soon')).toBeUndefined();
  });
});

describe('field errors', () => {
  it('nests like the contract', () => {
    const result = createPaymentSchema.safeParse({
      type: 'e_commerce',
      amount: '1',
      currency_code: 'XXX',
      pg_codes: [],
      billing_address: { country: 'kuwait' },
    });
    expect(result.success).toBe(false);
    const errors = toFieldErrors(result.error!);
    expect(errors.currency_code).toEqual([expect.any(String)]);
    expect(errors.pg_codes).toEqual([expect.any(String)]);
    expect(errors.billing_address).toEqual({ country: [expect.stringContaining('alpha-2')] });
  });
});
