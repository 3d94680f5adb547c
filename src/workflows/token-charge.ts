/**
 * TokenChargeWorkflow (`token-charge-{session_id}-{n}`, a child of CheckoutWorkflow): charges a
 * saved card. Whether the card may be charged (owner, gateway, lock, expiry, CVV and auto-debit
 * rules) is the domain's answer; the card is charged through the gateway's card-on-file reference
 * and its CVV only ever travels as a gateway `cvc_token`. A gateway that refuses the request (an
 * expired cvc_token, say) is a decline with a message, never a failed workflow. The parent applies
 * the outcome.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';

import { savedCardRefusal } from '../domain/saved-card';
import type { TokenChargeInput, TokenChargeResult } from './definitions';
import { chargeOutcome } from './gateway-answers';
import { gatewayActivities, storeActivities } from './proxies';
import { PaymentStateAttr } from './search-attributes';

export async function TokenChargeWorkflow(input: TokenChargeInput): Promise<TokenChargeResult> {
  const stored = await storeActivities.loadSavedCard({ merchantId: input.merchantId, token: input.token });
  const refusal = savedCardRefusal(stored?.facts ?? null, {
    customerId: input.customerId,
    paymentType: input.paymentType,
    requestedPgCode: input.pgCode,
    config: input.config,
    merchantInitiated: input.merchantInitiated,
    cvvGiven: !!input.cvcToken,
    now: new Date(Date.now()),
  });
  if (refusal || !stored) {
    upsertSearchAttributes([{ key: PaymentStateAttr, value: 'rejected' }]);
    return { kind: 'rejected', refusal: refusal ?? { code: 'token_not_found' } };
  }

  const outcome = await chargeOutcome(() =>
    gatewayActivities.chargeGateway({
      idempotencyKey: input.idempotencyKey,
      pgCode: input.pgCode,
      amount: input.amount,
      currency: input.currencyCode,
      capture: input.config.operation === 'purchase',
      sourceToken: stored.gatewayRef,
      ...(input.cvcToken ? { cvcToken: input.cvcToken } : {}),
      storeCard: false,
      returnUrl: input.returnUrl,
      threeDs: input.config.three_ds === 'never' ? 'never' : 'if_required',
      merchantInitiated: input.merchantInitiated,
    }),
  );
  upsertSearchAttributes([
    { key: PaymentStateAttr, value: outcome.kind === 'answered' ? outcome.charge.status : 'unknown' },
  ]);
  if (outcome.kind === 'unknown') return { kind: 'unknown', card: stored.card };
  return { kind: 'charged', charge: outcome.charge, card: stored.card };
}
