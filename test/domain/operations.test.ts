/** Refund, capture, void on exact money (src/domain/operations.ts). */
import { decideOperation, type PaymentBalance } from '../../src/domain/operations';

const paid: PaymentBalance = {
  state: 'paid',
  amount: '20.230',
  currencyCode: 'KWD',
  chargeId: 'ch_1',
  capturedAmount: '20.230',
  refundedAmount: '0.000',
};
const authorized: PaymentBalance = { ...paid, state: 'authorized', capturedAmount: '0.000' };

describe('refund', () => {
  it('partial, then the rest makes it refunded; never above what remains', () => {
    expect(decideOperation(paid, { operation: 'refund', amount: '5' })).toEqual({
      operation: 'refund',
      amount: '5.000',
      next: { state: 'paid', capturedAmount: '20.230', refundedAmount: '5.000' },
    });
    const after = { ...paid, refundedAmount: '5.000' };
    expect(decideOperation(after, { operation: 'refund' })).toEqual({
      operation: 'refund',
      amount: '15.230',
      next: { state: 'refunded', capturedAmount: '20.230', refundedAmount: '20.230' },
    });
    expect(decideOperation(after, { operation: 'refund', amount: '15.231' })).toEqual({
      refusal: { code: 'refund_exceeds_remaining', params: { remaining: '15.230' } },
    });
  });
  it('only a paid payment, a positive amount in the currency exponent', () => {
    expect(decideOperation(authorized, { operation: 'refund' })).toEqual({
      refusal: {
        code: 'operation_not_allowed',
        params: { operation: 'refund', state: 'authorized', done: 'refunded' },
      },
    });
    expect(decideOperation(paid, { operation: 'refund', amount: '0' })).toMatchObject({
      refusal: { code: 'amount_invalid' },
    });
    expect(decideOperation(paid, { operation: 'refund', amount: '1.0001' })).toMatchObject({
      refusal: { code: 'amount_invalid', params: { reason: 'KWD allows at most 3 decimal places.' } },
    });
  });
});

describe('capture and void', () => {
  it('capture moves an authorization to paid, at most the authorized amount', () => {
    expect(decideOperation(authorized, { operation: 'capture' })).toEqual({
      operation: 'capture',
      amount: '20.230',
      next: { state: 'paid', capturedAmount: '20.230', refundedAmount: '0.000' },
    });
    expect(decideOperation(authorized, { operation: 'capture', amount: '21' })).toEqual({
      refusal: { code: 'capture_exceeds_authorized', params: { authorized: '20.230' } },
    });
  });
  it('void takes no amount and only an authorization', () => {
    expect(decideOperation(authorized, { operation: 'void' })).toEqual({
      operation: 'void',
      next: { state: 'voided', capturedAmount: '0.000', refundedAmount: '0.000' },
    });
    expect(decideOperation(authorized, { operation: 'void', amount: '1' })).toEqual({
      refusal: { code: 'void_takes_no_amount' },
    });
    expect(decideOperation(paid, { operation: 'void' })).toMatchObject({
      refusal: { code: 'operation_not_allowed' },
    });
  });
  it('nothing to move without a charge; cancel is not a money operation', () => {
    const { chargeId: _c, ...noCharge } = paid;
    expect(decideOperation(noCharge, { operation: 'refund' })).toEqual({
      refusal: { code: 'no_charge', params: { operation: 'refund' } },
    });
    expect(decideOperation(paid, { operation: 'cancel' })).toMatchObject({
      refusal: { code: 'operation_not_allowed' },
    });
  });
});
