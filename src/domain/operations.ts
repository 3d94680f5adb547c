/**
 * Refund, capture and void on a closed payment (CONTRACT §1.6), decided on exact money: what the
 * operation moves and the balances and state it leaves. PaymentOperationsWorkflow applies them one
 * at a time; the API asks the same question first for a fast answer.
 */
import { operationNotAllowed } from './checkout';
import { formatMinorUnits, MoneyFormatError, parseMinorUnits, type CurrencyCode } from './money';
import type { OperationKind } from './payment';
import { refusal, type Refusal } from './refusals';
import type { PaymentState } from './states';

export type MoneyOperation = Extract<OperationKind, 'refund' | 'capture' | 'void'>;

export function isMoneyOperation(operation: OperationKind): operation is MoneyOperation {
  return operation === 'refund' || operation === 'capture' || operation === 'void';
}

/** What a payment holds at the gateway, in decimal strings of its currency. */
export interface PaymentBalance {
  state: PaymentState;
  amount: string;
  currencyCode: CurrencyCode;
  chargeId?: string;
  capturedAmount: string;
  refundedAmount: string;
}

export type OperationDecision =
  | { refusal: Refusal }
  | {
      operation: MoneyOperation;
      /** what moves at the gateway (refund, capture); absent for a void */
      amount?: string;
      next: Pick<PaymentBalance, 'state' | 'capturedAmount' | 'refundedAmount'>;
    };

export function decideOperation(
  p: PaymentBalance,
  request: { operation: OperationKind; amount?: string },
): OperationDecision {
  const { operation } = request;
  if (!isMoneyOperation(operation)) return { refusal: operationNotAllowed(operation, p.state) };
  const money = (value: string): bigint => parseMinorUnits(value, p.currencyCode);
  const fmt = (minor: bigint): string => formatMinorUnits(minor, p.currencyCode);
  let requested: bigint | undefined;
  try {
    requested = request.amount === undefined ? undefined : money(request.amount);
  } catch (error) {
    if (error instanceof MoneyFormatError)
      return { refusal: refusal('amount_invalid', { reason: error.message }) };
    throw error;
  }
  if (requested !== undefined && requested <= 0n) {
    return { refusal: refusal('amount_invalid', { reason: 'The amount must be greater than 0.' }) };
  }
  const captured = money(p.capturedAmount);
  const refunded = money(p.refundedAmount);

  switch (operation) {
    case 'refund': {
      if (p.state !== 'paid') return { refusal: operationNotAllowed(operation, p.state) };
      if (!p.chargeId) return { refusal: refusal('no_charge', { operation }) };
      const remaining = captured - refunded;
      const amount = requested ?? remaining;
      if (amount > remaining)
        return { refusal: refusal('refund_exceeds_remaining', { remaining: fmt(remaining) }) };
      const total = refunded + amount;
      return {
        operation,
        amount: fmt(amount),
        next: {
          state: total === captured ? 'refunded' : 'paid',
          capturedAmount: p.capturedAmount,
          refundedAmount: fmt(total),
        },
      };
    }
    case 'capture': {
      if (p.state !== 'authorized') return { refusal: operationNotAllowed(operation, p.state) };
      if (!p.chargeId) return { refusal: refusal('no_charge', { operation }) };
      const authorized = money(p.amount);
      const amount = requested ?? authorized;
      if (amount > authorized) {
        return { refusal: refusal('capture_exceeds_authorized', { authorized: fmt(authorized) }) };
      }
      return {
        operation,
        amount: fmt(amount),
        next: { state: 'paid', capturedAmount: fmt(amount), refundedAmount: p.refundedAmount },
      };
    }
    case 'void':
      if (p.state !== 'authorized') return { refusal: operationNotAllowed(operation, p.state) };
      if (!p.chargeId) return { refusal: refusal('no_charge', { operation }) };
      if (requested !== undefined) return { refusal: refusal('void_takes_no_amount') };
      return {
        operation,
        next: { state: 'voided', capturedAmount: p.capturedAmount, refundedAmount: p.refundedAmount },
      };
  }
}

/** What a payment record holds at the gateway (records before `captured_amount` count a paid amount). */
export function paymentBalance(record: {
  state: PaymentState;
  amount: string;
  currency_code: CurrencyCode;
  charge_id?: string;
  captured_amount?: string;
  refunded_amount?: string;
}): PaymentBalance {
  const zero = formatMinorUnits(0n, record.currency_code);
  return {
    state: record.state,
    amount: record.amount,
    currencyCode: record.currency_code,
    ...(record.charge_id ? { chargeId: record.charge_id } : {}),
    capturedAmount: record.captured_amount ?? (record.state === 'paid' ? record.amount : zero),
    refundedAmount: record.refunded_amount ?? zero,
  };
}
