/**
 * TokenChargeWorkflow (`token-charge-{session_id}-{n}`, a child of CheckoutWorkflow): charges a
 * saved card. It checks that the token belongs to this merchant and customer and was saved for
 * this gateway, enforces the gateway config's CVV and auto-debit rules, and charges the
 * gateway's card-on-file reference. The CVV only ever travels as a gateway `cvc_token`.
 * The parent applies the outcome to the payment's state.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';

import { gatewayActivities, storeActivities } from './activities';
import type { TokenChargeInput, TokenChargeResult, TokenRejection } from './definitions';
import { PaymentStateAttr } from './search-attributes';

const MESSAGES: Record<TokenRejection, string> = {
  token_not_found: 'No saved card with this token.',
  token_locked:
    'This saved card is locked after too many wrong security codes. Pay with the full card details.',
  gateway_mismatch: 'This card was saved for another payment method.',
  card_expired: 'This saved card has expired.',
  cvv_required: 'Enter the card security code (CVV).',
  auto_debit_disabled: 'Auto-debit is not enabled for this payment method.',
};

export async function TokenChargeWorkflow(input: TokenChargeInput): Promise<TokenChargeResult> {
  const reject = (code: TokenRejection): TokenChargeResult => {
    upsertSearchAttributes([{ key: PaymentStateAttr, value: 'rejected' }]);
    return { kind: 'rejected', code, message: MESSAGES[code] };
  };
  const card = await storeActivities.loadSavedCard({
    merchantId: input.merchantId,
    customerId: input.customerId,
    token: input.token,
  });
  if (!card) return reject('token_not_found');
  if (card.pgCode !== input.pgCode) return reject('gateway_mismatch');
  if (card.locked) return reject('token_locked');
  if (card.view.is_expired) return reject('card_expired');
  if (input.merchantInitiated) {
    if (!input.config.auto_debit_enabled) return reject('auto_debit_disabled');
    if (input.config.cvv_required) return reject('cvv_required');
  } else if (input.config.cvv_required && !input.cvcToken) {
    return reject('cvv_required');
  }

  const charge = await gatewayActivities.chargeGateway({
    idempotencyKey: input.idempotencyKey,
    pgCode: input.pgCode,
    amount: input.amount,
    currency: input.currencyCode,
    capture: input.config.operation === 'purchase',
    sourceToken: card.gatewayRef,
    ...(input.cvcToken ? { cvcToken: input.cvcToken } : {}),
    storeCard: false,
    returnUrl: input.returnUrl,
    threeDs: input.config.three_ds === 'never' ? 'never' : 'if_required',
    merchantInitiated: input.merchantInitiated,
  });
  upsertSearchAttributes([{ key: PaymentStateAttr, value: charge.status }]);
  return { kind: 'charged', charge, card: { ...card.view, cvv_required: input.config.cvv_required } };
}
