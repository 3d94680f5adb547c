/**
 * Card rules that hold for the whole engine: Luhn, brand, CVV length, expiry, masking.
 *
 * A brand is a key (`visa`, `mastercard`, `amex`, `unknown`), never a display name: names are
 * words for people and live in the presentation layers (the page's i18n, the merchant API's card
 * object). The brand rules (prefixes, lengths, digit groups, CVV length) come from braintree's
 * `credit-card-type`, kept current with new BIN ranges; the checkout page receives the same rules
 * as rendered data, so the browser and the server can never disagree on a CVV length.
 */
import creditCardType from 'credit-card-type';

/** The networks tokenpay tells apart; every other card is `unknown`. */
export const CARD_BRANDS = ['visa', 'mastercard', 'amex'] as const;
export type KnownCardBrand = (typeof CARD_BRANDS)[number];
export type CardBrand = KnownCardBrand | 'unknown';

const LIBRARY_TYPE: Record<KnownCardBrand, string> = {
  visa: 'visa',
  mastercard: 'mastercard',
  amex: 'american-express',
};

/** A prefix (`4`) or an inclusive range of prefixes of one length (`[51, 55]`). */
export type BrandPattern = number | [number, number];

export interface BrandRule {
  brand: KnownCardBrand;
  patterns: BrandPattern[];
  /** card number lengths the network issues */
  lengths: number[];
  /** where the digits are grouped when shown (after 4, 8, 12 …) */
  gaps: number[];
  cvvLength: number;
}

export const BRAND_RULES: readonly BrandRule[] = CARD_BRANDS.map((brand) => {
  const info = creditCardType.getTypeInfo(LIBRARY_TYPE[brand]);
  return {
    brand,
    patterns: info.patterns as BrandPattern[],
    lengths: [...info.lengths],
    gaps: [...info.gaps],
    cvvLength: info.code.size,
  };
});

/** The CVV length of unknown brands: the common case. */
const DEFAULT_CVV_LENGTH = 3;

export function digitsOnly(value: string): string {
  return value.replace(/[\s-]/g, '');
}

/** True when `digits` starts with the pattern (a full number; see the page script for partial input). */
function matches(digits: string, pattern: BrandPattern): boolean {
  if (typeof pattern === 'number') return digits.startsWith(String(pattern));
  const [min, max] = pattern;
  const prefix = digits.slice(0, String(min).length);
  if (prefix.length < String(min).length) return false;
  const value = Number(prefix);
  return value >= min && value <= max;
}

export function detectBrand(number: string): CardBrand {
  const digits = digitsOnly(number);
  if (!/^\d+$/.test(digits)) return 'unknown';
  return BRAND_RULES.find((rule) => rule.patterns.some((p) => matches(digits, p)))?.brand ?? 'unknown';
}

export function isCardBrand(value: unknown): value is CardBrand {
  return value === 'unknown' || (CARD_BRANDS as readonly unknown[]).includes(value);
}

export function cvvLength(brand: CardBrand): number {
  return BRAND_RULES.find((rule) => rule.brand === brand)?.cvvLength ?? DEFAULT_CVV_LENGTH;
}

export function isValidCvv(cvv: string, brand: CardBrand): boolean {
  return new RegExp(`^\\d{${cvvLength(brand)}}$`).test(cvv);
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

export function cvvMessage(brand: CardBrand): string {
  return `Enter the ${cvvLength(brand)}-digit security code.`;
}

/** The checks a customer's card must pass before it goes anywhere near a gateway. */
export function validateCard(input: CardInput, now: Date): CardValidation {
  const errors: Partial<Record<keyof CardInput, string>> = {};
  const number = digitsOnly(input.number);
  const brand = detectBrand(number);
  if (!passesLuhn(number)) errors.number = 'Enter a valid card number.';
  const expiry = parseExpiry(input.expiry_month, input.expiry_year);
  if (!expiry) errors.expiry_month = 'Enter the expiry month (01-12) and year.';
  else if (isExpired(expiry, now)) errors.expiry_year = 'This card has expired.';
  if (!isValidCvv(input.cvv, brand)) errors.cvv = cvvMessage(brand);
  if (!input.name_on_card.trim()) errors.name_on_card = 'Enter the name on the card.';
  if (Object.keys(errors).length > 0 || !expiry) return { ok: false, errors };
  return { ok: true, card: { name: input.name_on_card.trim(), number, brand, expiry, cvv: input.cvv } };
}
