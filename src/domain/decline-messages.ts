/** What a customer is told about a decline: helpful, and never more than the issuer said. */
const MESSAGES: Record<string, string> = {
  generic_decline: 'Your card was declined. Try another card or contact your bank.',
  insufficient_funds: 'Your card has insufficient funds.',
  expired_card: 'Your card has expired.',
  incorrect_cvc: "Your card's security code is incorrect.",
  processing_error: 'An error occurred while processing your card. Try again.',
  authentication_failed: 'Card authentication failed.',
  token_expired: 'Your card details expired before the payment was made. Enter them again.',
  token_already_used: 'Your card details were already used. Enter them again.',
  token_locked: 'This saved card is locked. Pay with the full card details.',
};

export function declineMessage(code: string | undefined): string {
  return (code && MESSAGES[code]) ?? 'Your card was declined.';
}
