import { cvvLength, detectBrand } from '../../domain/card';
import type { CardBrand, DeclineCode, GatewayCard } from '../../gateway/port';
import { badRequest } from './errors';

/** How a card number behaves at the simulated issuer (CONTRACT §6 test cards). */
export type CardBehaviour =
  | 'approve'
  | 'three_ds_challenge'
  /** first charge succeeds and can be stored; later charges with its source_token decline */
  | 'decline_on_reuse'
  | 'generic_decline'
  | 'insufficient_funds'
  | 'expired_card'
  | 'incorrect_cvc'
  | 'processing_error';

/**
 * The contract's test cards (CONTRACT §6) by name: the one list the simulator, the test suite
 * and the chaos run share (public test numbers, like Stripe's).
 */
export const TEST_CARD_NUMBERS = {
  visa: '4242424242424242',
  mastercard: '5123450000000008',
  amex: '378282246310005',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  expiredCard: '4000000000000069',
  incorrectCvc: '4000000000000127',
  processingError: '4000000000000119',
  threeDs: '4000002760003184',
  laterDeclines: '4000000000000341',
} as const;

const TEST_CARDS: Readonly<Record<string, CardBehaviour>> = {
  [TEST_CARD_NUMBERS.visa]: 'approve',
  [TEST_CARD_NUMBERS.mastercard]: 'approve',
  [TEST_CARD_NUMBERS.amex]: 'approve',
  [TEST_CARD_NUMBERS.declined]: 'generic_decline',
  [TEST_CARD_NUMBERS.insufficientFunds]: 'insufficient_funds',
  [TEST_CARD_NUMBERS.expiredCard]: 'expired_card',
  [TEST_CARD_NUMBERS.incorrectCvc]: 'incorrect_cvc',
  [TEST_CARD_NUMBERS.processingError]: 'processing_error',
  [TEST_CARD_NUMBERS.threeDs]: 'three_ds_challenge',
  [TEST_CARD_NUMBERS.laterDeclines]: 'decline_on_reuse',
};

/** The decline a behaviour causes on any charge, if it always declines. */
export function alwaysDeclines(behaviour: CardBehaviour): DeclineCode | undefined {
  switch (behaviour) {
    case 'generic_decline':
    case 'insufficient_funds':
    case 'expired_card':
    case 'incorrect_cvc':
    case 'processing_error':
      return behaviour;
    default:
      return undefined;
  }
}

export function behaviourOf(number: string): CardBehaviour {
  return TEST_CARDS[number] ?? 'approve';
}

export function luhnValid(number: string): boolean {
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

/** "1" / "01" → "01"; "39" / "2039" → "39". Throws 400 invalid_expiry on malformed input. */
export function normaliseExpiry(expMonth: string, expYear: string): { exp_month: string; exp_year: string } {
  if (!/^\d{1,2}$/.test(expMonth)) throw badRequest('invalid_expiry', 'exp_month must be "MM"');
  const month = Number(expMonth);
  if (month < 1 || month > 12) throw badRequest('invalid_expiry', 'exp_month must be 01..12');
  let yy: string;
  if (/^\d{2}$/.test(expYear)) yy = expYear;
  else if (/^20\d{2}$/.test(expYear)) yy = expYear.slice(2);
  else throw badRequest('invalid_expiry', 'exp_year must be "YY" or "YYYY" (20YY)');
  return { exp_month: String(month).padStart(2, '0'), exp_year: yy };
}

/** A card is valid through the last day of its expiry month (UTC). */
export function isExpired(card: Pick<GatewayCard, 'exp_month' | 'exp_year'>, now: Date): boolean {
  const year = 2000 + Number(card.exp_year);
  const month = Number(card.exp_month);
  const nowYear = now.getUTCFullYear();
  const nowMonth = now.getUTCMonth() + 1;
  return year < nowYear || (year === nowYear && month < nowMonth);
}

export function validateCvc(cvc: string, brand: CardBrand): void {
  const length = cvvLength(brand);
  if (!/^\d+$/.test(cvc) || cvc.length !== length) {
    throw badRequest('invalid_cvc', `cvc must be ${length} digits for this card`);
  }
}

export interface ValidatedCard {
  card: GatewayCard;
  behaviour: CardBehaviour;
  cvc: string;
}

export interface RawCardInput {
  number: string;
  exp_month: string;
  exp_year: string;
  cvc: string;
}

/**
 * Checks a raw card (Luhn, future expiry, CVC length for the brand) and reduces it to what the
 * simulator keeps: the non-sensitive card summary, its test behaviour, and the CVC (which the caller
 * holds only until the authorization). The PAN itself is not returned.
 */
export function validateRawCard(raw: RawCardInput, now: Date): ValidatedCard {
  const number = raw.number.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(number)) throw badRequest('invalid_card', 'card number must be 12 to 19 digits');
  if (!luhnValid(number)) throw badRequest('invalid_card', 'card number fails the Luhn check');
  const expiry = normaliseExpiry(raw.exp_month, raw.exp_year);
  if (isExpired(expiry, now)) throw badRequest('invalid_expiry', 'the card has expired');
  const brand = detectBrand(number);
  validateCvc(raw.cvc, brand);
  return {
    card: { brand, bin: number.slice(0, 6), last4: number.slice(-4), ...expiry },
    behaviour: behaviourOf(number),
    cvc: raw.cvc,
  };
}
