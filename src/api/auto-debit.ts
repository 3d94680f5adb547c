/**
 * Merchant-initiated charges of a saved card (CONTRACT §1.5): no customer, no CVV, only where
 * the gateway config enables auto-debit. The answer is the webhook payload of §4.
 */
import { randomUUID } from 'node:crypto';

import { payabilityRefusal } from '../domain/checkout';
import type { GatewayConfig } from '../domain/gateway-config';
import type { PaymentRecord, PaymentType } from '../domain/payment';
import { savedCardRefusal } from '../domain/saved-card';
import { paymentEventId } from '../domain/webhook';
import { cardFacts } from '../store/cards';
import type { MerchantDoc } from '../store/mongo';
import { buildWebhookPayload, signedPayload, type SignedWebhookPayload } from '../webhooks';
import { checkoutHandle, submitAttempt } from './attempts';
import type { CheckoutDeps } from './checkout-session';
import { fieldErrors, type HttpError } from './errors';
import { assertNoRefusal } from './refusals';

/**
 * The refusals of a merchant-initiated charge (domain/saved-card.ts); resolves with the gateway
 * config the card is charged through. `configFor` says which config the payment offers for a
 * pg_code.
 */
async function chargeableConfig(
  deps: CheckoutDeps,
  merchant: MerchantDoc,
  token: string,
  payment: {
    customerId: string | undefined;
    paymentType: PaymentType;
    noCustomer: HttpError;
    configFor(pgCode: string): GatewayConfig | undefined | Promise<GatewayConfig | undefined>;
  },
): Promise<GatewayConfig> {
  if (!payment.customerId) throw payment.noCustomer;
  const doc = await deps.store.cards.find(merchant._id, token);
  const config = doc ? await payment.configFor(doc.pg_code) : undefined;
  assertNoRefusal(
    savedCardRefusal(doc && cardFacts(doc), {
      customerId: payment.customerId,
      paymentType: payment.paymentType,
      config,
      merchantInitiated: true,
      cvvGiven: false,
      now: new Date(),
    }),
  );
  return config!;
}

/**
 * Checked before a one-step create makes a payment (against the merchant's current gateway
 * configs), so a refused charge leaves no session behind.
 */
export async function assertChargeable(
  deps: CheckoutDeps,
  merchant: MerchantDoc,
  payment: { customerId?: string; pgCodes: string[]; paymentType?: PaymentType },
  token: string,
): Promise<void> {
  await chargeableConfig(deps, merchant, token, {
    customerId: payment.customerId,
    paymentType: payment.paymentType ?? 'one_off',
    noCustomer: fieldErrors({ customer_id: ['Required to charge a saved card.'] }),
    configFor: (pgCode) =>
      payment.pgCodes.includes(pgCode) ? deps.store.merchants.gatewayConfig(merchant._id, pgCode) : undefined,
  });
}

export async function chargeSavedCard(
  deps: CheckoutDeps,
  merchant: MerchantDoc,
  record: PaymentRecord,
  token: string,
): Promise<SignedWebhookPayload> {
  const config = await chargeableConfig(deps, merchant, token, {
    customerId: record.customer_id,
    paymentType: record.payment_type,
    noCustomer: fieldErrors({ session_id: ['The payment has no customer_id.'] }),
    configFor: (pgCode) => record.gateways.find((g) => g.pg_code === pgCode),
  });
  assertNoRefusal(payabilityRefusal({ state: record.state, expiresAt: record.expires_at }, Date.now()));

  const outcome = await submitAttempt(
    checkoutHandle(deps.temporal, record._id),
    { method: 'token', pgCode: config.pg_code, token, merchantInitiated: true },
    `auto-debit-${randomUUID()}`,
  );
  const current = (await deps.store.payments.find(record._id)) ?? record;
  const payload = buildWebhookPayload(current, {
    eventId: paymentEventId(current._id, current.state),
    timestampUtc: new Date().toISOString(),
    kind: 'payment',
    result: outcome.result,
    ...(outcome.reference_number ? { referenceNumber: outcome.reference_number } : {}),
  });
  return signedPayload(payload, merchant.webhook_hmac_key);
}
