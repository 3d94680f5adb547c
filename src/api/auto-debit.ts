/**
 * Merchant-initiated charges of a saved card (CONTRACT §1.5): no customer, no CVV, only where
 * the gateway config enables auto-debit. The answer is the webhook payload of §4.
 */
import { randomUUID } from 'node:crypto';

import { payabilityRefusal } from '../domain/checkout';
import type { GatewayConfig } from '../domain/gateway-config';
import { isCurrencyCode, MoneyFormatError, normalizeAmount, parseMinorUnits } from '../domain/money';
import type { PaymentRecord, PaymentType } from '../domain/payment';
import { agreementRefusal, savedCardRefusal, type AgreementTerms } from '../domain/saved-card';
import { isSuccess } from '../domain/states';
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

/** The agreement a payment was created with, as the rules read it (validated at create). */
export function agreementTermsOf(agreement: Record<string, unknown> | undefined): AgreementTerms | undefined {
  if (!agreement || typeof agreement.id !== 'string') return undefined;
  const text = (k: string): string | undefined =>
    typeof agreement[k] === 'string' ? (agreement[k] as string) : undefined;
  const int = (k: string): number | undefined =>
    agreement[k] === undefined || agreement[k] === null ? undefined : Number(agreement[k]);
  const terms: AgreementTerms = { id: agreement.id };
  for (const k of [
    'start_date',
    'expiry_date',
    'max_amount_per_cycle',
    'frequency',
    'amount_variability',
  ] as const) {
    const v = text(k);
    if (v !== undefined) terms[k] = v;
  }
  for (const k of ['cycle_interval_days', 'total_cycles'] as const) {
    const v = int(k);
    if (v !== undefined && Number.isInteger(v)) terms[k] = v;
  }
  return terms;
}

/** When a payment under an agreement was paid: its successful attempt, else its last write. */
function paidAt(p: PaymentRecord): Date {
  const success = p.attempts.find((a) => a.result === 'success');
  return new Date(success?.created_at ?? p.updated_at);
}

/**
 * The agreement rules of a merchant-initiated charge (domain/saved-card.ts `agreementRefusal`):
 * the card must be the one linked to the payment's agreement, within its limits.
 */
async function assertAgreementAllows(
  deps: CheckoutDeps,
  merchant: MerchantDoc,
  payment: {
    sessionId?: string;
    customerId: string;
    paymentType: PaymentType;
    agreement: Record<string, unknown> | undefined;
    amount: string;
    currency: string;
  },
  token: string,
  oneStep: boolean,
): Promise<void> {
  if (!isCurrencyCode(payment.currency)) return; // the create's own validation answers
  let amountMinor: bigint;
  try {
    amountMinor = parseMinorUnits(normalizeAmount(payment.amount, payment.currency), payment.currency);
  } catch (error) {
    if (error instanceof MoneyFormatError) return; // the create's own validation answers
    throw error;
  }
  const terms = agreementTermsOf(payment.agreement);
  const [linked, earlier] = terms
    ? await Promise.all([
        deps.store.cards.linkedTo(merchant._id, payment.customerId, terms.id),
        deps.store.payments.underAgreement(merchant._id, payment.customerId, terms.id),
      ])
    : [null, []];
  const history = earlier
    .filter((p) => p._id !== payment.sessionId && p.currency_code === payment.currency)
    .filter((p) => isSuccess(p.state) || p.state === 'refunded' || p.state === 'voided')
    .map((p) => ({
      amountMinor: parseMinorUnits(p.amount, p.currency_code),
      at: paidAt(p),
      merchantInitiated: !!p.merchant_initiated,
    }))
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  assertNoRefusal(
    agreementRefusal({
      paymentType: payment.paymentType,
      agreement: terms,
      token,
      linkedToken: linked?._id,
      oneStep,
      amountMinor,
      currency: payment.currency,
      history,
      now: new Date(),
    }),
  );
}

/**
 * Checked before a one-step create makes a payment (against the merchant's current gateway
 * configs), so a refused charge leaves no session behind.
 */
export async function assertChargeable(
  deps: CheckoutDeps,
  merchant: MerchantDoc,
  payment: {
    customerId?: string;
    pgCodes: string[];
    paymentType?: PaymentType;
    agreement?: Record<string, unknown>;
    amount: string;
    currency: string;
  },
  token: string,
): Promise<void> {
  await chargeableConfig(deps, merchant, token, {
    customerId: payment.customerId,
    paymentType: payment.paymentType ?? 'one_off',
    noCustomer: fieldErrors({ customer_id: ['Required to charge a saved card.'] }),
    configFor: (pgCode) =>
      payment.pgCodes.includes(pgCode) ? deps.store.merchants.gatewayConfig(merchant._id, pgCode) : undefined,
  });
  await assertAgreementAllows(
    deps,
    merchant,
    {
      customerId: payment.customerId!,
      paymentType: payment.paymentType ?? 'one_off',
      agreement: payment.agreement,
      amount: payment.amount,
      currency: payment.currency,
    },
    token,
    true,
  );
}

export async function chargeSavedCard(
  deps: CheckoutDeps,
  merchant: MerchantDoc,
  record: PaymentRecord,
  token: string,
  options: { oneStep: boolean } = { oneStep: false },
): Promise<SignedWebhookPayload> {
  const config = await chargeableConfig(deps, merchant, token, {
    customerId: record.customer_id,
    paymentType: record.payment_type,
    noCustomer: fieldErrors({ session_id: ['The payment has no customer_id.'] }),
    configFor: (pgCode) => record.gateways.find((g) => g.pg_code === pgCode),
  });
  assertNoRefusal(payabilityRefusal({ state: record.state, expiresAt: record.expires_at }, Date.now()));
  await assertAgreementAllows(
    deps,
    merchant,
    {
      sessionId: record._id,
      customerId: record.customer_id!,
      paymentType: record.payment_type,
      agreement: record.agreement,
      amount: record.amount,
      currency: record.currency_code,
    },
    token,
    options.oneStep,
  );
  // Counted against the agreement's merchant-initiated cycles once paid.
  await deps.store.payments.amend(merchant._id, record._id, { merchant_initiated: true });

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
