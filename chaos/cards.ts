/** The test cards of CONTRACT §6 (public test numbers, like Stripe's). */
export const CARDS = {
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
