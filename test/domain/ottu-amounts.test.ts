import { decimalNumber, ottuAmounts } from '../../src/ottu/amounts';

describe("Ottu's numeric amount fields stay exact", () => {
  it('writes a number only when it prints back as exactly the decimal', () => {
    expect(decimalNumber('12.345')).toBe(12.345);
    expect(decimalNumber('0.000')).toBe(0);
    expect(decimalNumber('86')).toBe(86);
    expect(decimalNumber('0.10')).toBe(0.1);
    // 17 significant digits: no double prints as this; the decimal itself is kept
    expect(decimalNumber('9999999999999.999')).toBe('9999999999999.999');
  });

  it('paid, remaining and settled follow the payment’s money, in minor units', () => {
    const base = { amount: '10.000', currency_code: 'KWD' as const };
    expect(ottuAmounts({ ...base, state: 'pending' })).toMatchObject({
      paid_amount: '0.000',
      remaining_amount: 10,
      settled_amount: 0,
      fee: '0.000',
    });
    // a partial refund (the operations workflow records what was captured and refunded)
    expect(
      ottuAmounts({ ...base, state: 'paid', captured_amount: '10.000', refunded_amount: '2.500' }),
    ).toMatchObject({ paid_amount: '10.000', remaining_amount: 0, settled_amount: 7.5 });
    expect(
      ottuAmounts({ ...base, state: 'refunded', captured_amount: '10.000', refunded_amount: '10.000' }),
    ).toMatchObject({ paid_amount: '10.000', settled_amount: 0 });
    // a purchase's record before any operation: captured is the amount
    expect(ottuAmounts({ ...base, state: 'paid' })).toMatchObject({ settled_amount: 10 });
    expect(ottuAmounts({ ...base, state: 'authorized', captured_amount: '0.000' })).toMatchObject({
      paid_amount: '10.000',
      settled_amount: 0,
    });
    expect(ottuAmounts({ ...base, state: 'voided', captured_amount: '0.000' })).toMatchObject({
      paid_amount: '0.000',
      remaining_amount: 10,
    });
  });
});
