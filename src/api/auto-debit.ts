/**
 * Merchant-initiated charges of a saved card (CONTRACT §1.5): no customer, no CVV, only where
 * the gateway config enables auto-debit. The answer is the webhook payload of §4.
 */
import { randomUUID } from 'node:crypto';

import type { GatewayConfig } from '../domain/gateway-config';
import type { PaymentRecord } from '../domain/payment';
import { isPayable } from '../domain/states';
import { findCard, isLocked } from '../store/cards';
import { listGatewayConfigs } from '../store/merchants';
import type { MerchantDoc } from '../store/mongo';
import { buildWebhookPayload, signedPayload, type SignedWebhookPayload } from '../webhooks';
import { paymentEventId } from '../workflows/definitions';
import { checkoutHandle, submitAttempt } from './attempts';
import type { CheckoutDeps } from './checkout-session';
import { detail, fieldErrors, notFound, type HttpError } from './errors';

/**
 * The refusals of a merchant-initiated charge, in the order the merchant should hear them: no
 * customer, a save_card payment, a card not this customer's, a payment method the payment does not
 * offer, auto-debit off or CVV required for it, a locked card. Resolves with the gateway config the
 * card is charged through. `configFor` says which config the payment offers for a pg_code.
 */
async function chargeableConfig(
  deps: CheckoutDeps,
  merchant: MerchantDoc,
  token: string,
  payment: {
    customerId: string | undefined;
    paymentType: string | undefined;
    noCustomer: HttpError;
    configFor(pgCode: string): GatewayConfig | undefined | Promise<GatewayConfig | undefined>;
  },
): Promise<GatewayConfig> {
  if (!payment.customerId) throw payment.noCustomer;
  if (payment.paymentType === 'save_card') throw detail(422, 'A save_card payment cannot be charged.');
  const card = await findCard(deps.collections, merchant._id, token);
  if (!card || card.customer_id !== payment.customerId) throw notFound('No saved card with this token.');
  const config = await payment.configFor(card.pg_code);
  if (!config)
    throw fieldErrors({ token: ['This card was saved for a payment method this payment does not offer.'] });
  if (!config.auto_debit_enabled) throw detail(422, `Auto-debit is not enabled for ${config.pg_code}.`);
  if (config.cvv_required) throw detail(422, `${config.pg_code} requires the CVV: the customer must pay.`);
  if (isLocked(card)) throw detail(423, 'This saved card is locked.');
  return config;
}

/**
 * Checked before a one-step create makes a payment (against the merchant's current gateway
 * configs), so a refused charge leaves no session behind.
 */
export async function assertChargeable(
  deps: CheckoutDeps,
  merchant: MerchantDoc,
  payment: { customerId?: string; pgCodes: string[]; paymentType?: string },
  token: string,
): Promise<void> {
  await chargeableConfig(deps, merchant, token, {
    customerId: payment.customerId,
    paymentType: payment.paymentType,
    noCustomer: fieldErrors({ customer_id: ['Required to charge a saved card.'] }),
    configFor: async (pgCode) =>
      payment.pgCodes.includes(pgCode)
        ? (await listGatewayConfigs(deps.collections, merchant._id)).find((g) => g.pg_code === pgCode)
        : undefined,
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
  if (!isPayable(record.state)) throw detail(409, `This payment is ${record.state}.`);

  const outcome = await submitAttempt(
    checkoutHandle(deps.temporal, record._id),
    { method: 'token', pgCode: config.pg_code, token, merchantInitiated: true },
    `auto-debit-${randomUUID()}`,
  );
  const current = (await deps.collections.payments.findOne({ _id: record._id })) ?? record;
  const payload = buildWebhookPayload(current, {
    eventId: paymentEventId(current._id, current.state),
    timestampUtc: new Date().toISOString(),
    kind: 'payment',
    result: outcome.result,
    ...(outcome.reference_number ? { referenceNumber: outcome.reference_number } : {}),
  });
  return signedPayload(payload, merchant.webhook_hmac_key);
}
