/**
 * Card rules that hold for the whole engine: Luhn, brand, CVV length, expiry, masking.
 * Brand detection comes from braintree's `credit-card-type` (kept current with new BIN ranges).
 */
import creditCardType from 'credit-card-type';

import type { CardBrand } from '../gateway/port';

export function digitsOnly(value: string): string {
  return value.replace(/[\s-]/g, '');
}

export function passesLuhn(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  let double = false;
  for (let i = number.length - 1; i >= 0; i--) {
    let digit = number.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

const BRANDS: Record<string, CardBrand> = {
  visa: 'visa',
  mastercard: 'mastercard',
  'american-express': 'amex',
};

export function detectBrand(number: string): CardBrand {
  const [best] = creditCardType(number);
  return (best && BRANDS[best.type]) ?? 'unknown';
}

export function cvvLength(brand: CardBrand): number {
  return brand === 'amex' ? 4 : 3;
}

export function brandName(brand: CardBrand): string {
  return { visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express', unknown: 'Card' }[brand];
}

export interface Expiry {
  /** "01".."12" */
  month: string;
  /** two digits */
  year: string;
}

/** Accepts "1" / "01" and "39" / "2039"; undefined when it is not a month/year. */
export function parseExpiry(month: string, year: string): Expiry | undefined {
  if (!/^\d{1,2}$/.test(month) || !/^(\d{2}|20\d{2})$/.test(year)) return undefined;
  const m = Number(month);
  if (m < 1 || m > 12) return undefined;
  return { month: String(m).padStart(2, '0'), year: year.slice(-2) };
}

/** A card is usable through the last day of its expiry month. */
export function isExpired(expiry: Expiry, now: Date): boolean {
  const year = 2000 + Number(expiry.year);
  const month = Number(expiry.month);
  const nowYear = now.getUTCFullYear();
  const nowMonth = now.getUTCMonth() + 1;
  return year < nowYear || (year === nowYear && month < nowMonth);
}

/** "**** 4242" — the only form of a card number that leaves the gateway boundary. */
export function maskLast4(last4: string): string {
  return `**** ${last4}`;
}

export interface CardInput {
  name_on_card: string;
  number: string;
  expiry_month: string;
  expiry_year: string;
  cvv: string;
}

export interface ValidCard {
  name: string;
  number: string;
  brand: CardBrand;
  expiry: Expiry;
  cvv: string;
}

export type CardValidation =
  { ok: true; card: ValidCard } | { ok: false; errors: Partial<Record<keyof CardInput, string>> };

/** The checks a customer's card must pass before it goes anywhere near a gateway. */
export function validateCard(input: CardInput, now: Date): CardValidation {
  const errors: Partial<Record<keyof CardInput, string>> = {};
  const number = digitsOnly(input.number);
  const brand = detectBrand(number);
  if (!passesLuhn(number)) errors.number = 'Enter a valid card number.';
  const expiry = parseExpiry(input.expiry_month, input.expiry_year);
  if (!expiry) errors.expiry_month = 'Enter the expiry month (01-12) and year.';
  else if (isExpired(expiry, now)) errors.expiry_year = 'This card has expired.';
  const expected = cvvLength(brand);
  if (!new RegExp(`^\\d{${expected}}$`).test(input.cvv)) {
    errors.cvv = `Enter the ${expected}-digit security code.`;
  }
  if (!input.name_on_card.trim()) errors.name_on_card = 'Enter the name on the card.';
  if (Object.keys(errors).length > 0 || !expiry) return { ok: false, errors };
  return { ok: true, card: { name: input.name_on_card.trim(), number, brand, expiry, cvv: input.cvv } };
}

export function isValidCvv(cvv: string, brand: CardBrand): boolean {
  return new RegExp(`^\\d{${cvvLength(brand)}}$`).test(cvv);
}
