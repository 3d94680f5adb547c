/**
 * The amount fields of Ottu's payment notification (`SchemaWebhook`): what was paid, settled and
 * remains, and the fee. Computed exactly in minor units; Ottu types `remaining_amount` and
 * `settled_amount` as JSON numbers, so those two are written as numbers at the very edge, from
 * the exact decimal string (≤ 16 significant digits, which a JSON number carries exactly as
 * written; larger amounts cannot be created here).
 */
import { formatMinorUnits, parseMinorUnits, type CurrencyCode } from '../domain/money';
import { capturedOf } from '../domain/operations';
import type { PaymentRecord } from '../domain/payment';
import { isSuccess } from '../domain/states';

export type OttuAmounts = {
  /** tokenpay charges no fee of its own */
  fee: string;
  amount_details: { currency_code: string; amount: string; total: string; fee: string };
  /** what the customer paid (or authorized) */
  paid_amount: string;
  /** what is still to pay */
  remaining_amount: number;
  /** what the gateway has captured, less refunds */
  settled_amount: number;
};

/** A decimal string as the JSON number with exactly that value. */
export function decimalNumber(decimal: string): number {
  const n = Number(decimal);
  if (!Number.isFinite(n) || Number(n.toFixed(decimal.split('.')[1]?.length ?? 0)) !== n) {
    throw new RangeError(`${decimal} has no exact JSON number form`);
  }
  return n;
}

export function ottuAmounts(
  record: Pick<PaymentRecord, 'amount' | 'currency_code' | 'state' | 'captured_amount' | 'refunded_amount'>,
): OttuAmounts {
  const currency: CurrencyCode = record.currency_code;
  const zero = formatMinorUnits(0n, currency);
  const amount = parseMinorUnits(record.amount, currency);
  const everPaid = isSuccess(record.state) || record.state === 'refunded' || record.state === 'voided';
  const paid = everPaid ? amount : 0n;
  const captured = parseMinorUnits(capturedOf(record, zero), currency);
  const refunded = parseMinorUnits(record.refunded_amount ?? zero, currency);
  const settled = captured - refunded > 0n ? captured - refunded : 0n;
  return {
    fee: zero,
    amount_details: {
      currency_code: currency,
      amount: record.amount,
      total: record.amount,
      fee: zero,
    },
    paid_amount: formatMinorUnits(paid, currency),
    remaining_amount: decimalNumber(formatMinorUnits(amount - paid, currency)),
    settled_amount: decimalNumber(formatMinorUnits(settled, currency)),
  };
}
