import { TEST_CARD_NUMBERS } from '../src/dev/gateway-simulator/cards';

/** The test cards of CONTRACT §6 (the simulator's list: one source for engine, tests and chaos). */
export const CARDS = TEST_CARD_NUMBERS;

export const ALL_TEST_PANS: readonly string[] = Object.values(CARDS);

export const SUCCESS_CARDS = [CARDS.visa, CARDS.mastercard, CARDS.amex] as const;
export const DECLINE_CARDS = [
  CARDS.declined,
  CARDS.insufficientFunds,
  CARDS.expiredCard,
  CARDS.incorrectCvc,
  CARDS.processingError,
] as const;

export function isAmex(number: string): boolean {
  return number.startsWith('34') || number.startsWith('37');
}

export function last4(number: string): string {
  return number.slice(-4);
}

export const NAME_ON_CARD = 'Chaos Customer';

/** The card object of a submit (CONTRACT §2.2), valid for years to come. */
export function cardBody(number: string, cvv: string): Record<string, string> {
  return { name_on_card: NAME_ON_CARD, number, expiry_month: '12', expiry_year: '39', cvv };
}
