/**
 * The amount fields of Ottu's payment notification (`SchemaWebhook`): what was paid, settled and
 * remains, and the fee. Computed exactly in minor units; Ottu types `remaining_amount` and
 * `settled_amount` as JSON numbers, so those two are written as numbers at the very edge, from
 * the exact decimal string, when a JSON number prints back as exactly that decimal (up to 15
 * significant digits); a larger amount stays a decimal string rather than lose a minor unit.
 */
import { formatMinorUnits, parseMinorUnits, type CurrencyCode } from '../domain/money';
import { paymentBalance } from '../domain/operations';
import type { PaymentRecord } from '../domain/payment';
import { isSuccess } from '../domain/states';

export type OttuAmounts = {
  /** tokenpay charges no fee of its own */
  fee: string;
  amount_details: { currency_code: string; amount: string; total: string; fee: string };
  /** what the customer paid (or authorized) */
  paid_amount: string;
  /** what is still to pay */
  remaining_amount: number | string;
  /** what the gateway has captured, less refunds */
  settled_amount: number | string;
};

/**
 * A normalised decimal string as the JSON number that prints as exactly that decimal; the string
 * itself when no number does (never a rounded amount).
 */
export function decimalNumber(decimal: string): number | string {
  const n = Number(decimal);
  const places = decimal.split('.')[1]?.length ?? 0;
  return Number.isFinite(n) && n.toFixed(places) === decimal ? n : decimal;
}

export function ottuAmounts(
  record: Pick<PaymentRecord, 'amount' | 'currency_code' | 'state' | 'captured_amount' | 'refunded_amount'>,
): OttuAmounts {
  const currency: CurrencyCode = record.currency_code;
  const zero = formatMinorUnits(0n, currency);
  const amount = parseMinorUnits(record.amount, currency);
  // a voided authorization released the money: nothing was paid
  const everPaid = isSuccess(record.state) || record.state === 'refunded';
  const paid = everPaid ? amount : 0n;
  const balance = paymentBalance(record);
  const captured = parseMinorUnits(balance.capturedAmount, currency);
  const refunded = parseMinorUnits(balance.refundedAmount, currency);
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
