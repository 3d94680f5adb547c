/** Creating a payment session and presenting it to merchants (CONTRACT §1.1, §1.2). */
import { createHmac, randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Client } from '@temporalio/client';

import type { AppConfig } from '../config';
import type { Logger } from '../logger';
import { assertAllowedTargets } from './outbound-targets';
import { DEFAULT_EXPIRATION, parseExpirationTime } from '../domain/duration';
import type { GatewayConfig } from '../domain/gateway-config';
import {
  formatMinorUnits,
  MoneyFormatError,
  normalizeAmount,
  parseMinorUnits,
  type CurrencyCode,
} from '../domain/money';
import type { PaymentRecord, PaymentType } from '../domain/payment';
import {
  addFieldError,
  IGNORED_CHECKOUT_FIELDS,
  type CreatePaymentRequest,
  type FieldErrors,
} from '../domain/schemas';
import { isPayable } from '../domain/states';
import { paymentCard } from '../ottu/card';
import type { Store } from '../store';
import type { MerchantDoc } from '../store/mongo';
import { startCheckout } from '../temporal/checkout-runs';
import { detail, fieldErrors } from './errors';
import { canonical } from './idempotency';

/**
 * 256 bits, hex: the session id is the customer's only capability. With an Idempotency-Key it is
 * an HMAC of the merchant and the key, so a create retried after a crash lands on the same
 * session instead of making a second one; without, it is random.
 */
export function newSessionId(
  key: string,
  merchant: Pick<MerchantDoc, '_id' | 'api_key_hash'>,
  idempotency?: { key: string; body: unknown },
): string {
  if (!idempotency) return randomBytes(32).toString('hex');
  // Idempotency keys are often order numbers: the merchant's own secret (its API key's hash) is
  // mixed in so nobody outside can compute a checkout link, even with a leaked server key. The
  // body is part of it: a key reused for another payment after 24 h makes a new session.
  return createHmac('sha256', key)
    .update(
      `session:${merchant._id}:${merchant.api_key_hash}:${idempotency.key}:${canonical(idempotency.body)}`,
    )
    .digest('hex');
}

export interface PaymentDeps {
  config: AppConfig;
  store: Store;
  temporal: Client;
  /** where a failed start is explained (the API's logger) */
  logger?: Pick<Logger, 'warn'>;
}

/**
 * What a payment charges and through which gateways, checked against the merchant's configs: the
 * amount in the currency's exponent (0 exactly for save_card, more than 0 otherwise), every
 * pg_code configured for the currency, tokenization where the payment type needs it. Used by the
 * create and by updates (with the merged terms).
 */
export async function paymentTerms(
  deps: PaymentDeps,
  merchant: MerchantDoc,
  terms: {
    amount: string;
    currency: CurrencyCode;
    pgCodes: string[];
    paymentType: PaymentType;
    customerId?: string | undefined;
    chargesSavedCard?: boolean;
  },
): Promise<{ amount: string; gateways: GatewayConfig[] }> {
  const currency = terms.currency;
  const paymentType = terms.paymentType;
  const errors: FieldErrors = {};
  let amount = '';
  try {
    amount = normalizeAmount(terms.amount, currency);
    const minor = parseMinorUnits(amount, currency);
    if (paymentType === 'save_card' && minor !== 0n)
      addFieldError(errors, ['amount'], 'Must be "0" for save_card.');
    if (paymentType !== 'save_card' && minor === 0n)
      addFieldError(errors, ['amount'], 'Must be greater than 0.');
  } catch (error) {
    if (!(error instanceof MoneyFormatError)) throw error;
    addFieldError(errors, ['amount'], error.message);
  }

  const configured = await deps.store.merchants.listGatewayConfigs(merchant._id);
  const gateways: GatewayConfig[] = [];
  for (const code of new Set(terms.pgCodes)) {
    const config = configured.find((g) => g.pg_code === code);
    if (!config) addFieldError(errors, ['pg_codes'], `"${code}" is not configured for this merchant.`);
    else if (!config.currencies.includes(currency)) {
      addFieldError(errors, ['pg_codes'], `"${code}" does not accept ${currency}.`);
    } else gateways.push(config);
  }
  if (paymentType !== 'one_off' && gateways.length > 0 && !gateways.some((g) => g.tokenization_enabled)) {
    addFieldError(errors, ['pg_codes'], `${paymentType} needs a payment method with tokenization enabled.`);
  }
  if (terms.chargesSavedCard && !terms.customerId) {
    addFieldError(errors, ['customer_id'], 'Required to charge a saved card.');
  }
  if (Object.keys(errors).length > 0) throw fieldErrors(errors);
  return { amount, gateways };
}

export async function createPayment(
  deps: PaymentDeps,
  merchant: MerchantDoc,
  body: CreatePaymentRequest,
  idempotencyKey?: string,
  extras: { attachment?: string } = {},
): Promise<PaymentRecord> {
  // production: no webhook or redirect into a private network (checked again at each delivery)
  await assertAllowedTargets(body, deps.config.targets);
  const { amount, gateways } = await paymentTerms(deps, merchant, {
    amount: body.amount,
    currency: body.currency_code as CurrencyCode,
    pgCodes: body.pg_codes,
    paymentType: body.payment_type ?? 'one_off',
    customerId: body.customer_id,
    chargesSavedCard: !!body.payment_instrument,
  });
  const currency = body.currency_code as CurrencyCode;

  const expirationTime = body.expiration_time ?? DEFAULT_EXPIRATION;
  const nowMs = Date.now();
  const sessionId = newSessionId(
    deps.config.sessionIdKey,
    merchant,
    idempotencyKey ? { key: idempotencyKey, body } : undefined,
  );
  const { payment_instrument: _instrument, ...given } = body;
  const fields = withoutIgnoredFields(given);
  const record: PaymentRecord = {
    ...fields,
    ...extras,
    _id: sessionId,
    session_id: sessionId,
    merchant_id: merchant._id,
    amount,
    currency_code: currency,
    pg_codes: gateways.map((g) => g.pg_code),
    gateways,
    expiration_time: expirationTime,
    expires_at: new Date(nowMs + parseExpirationTime(expirationTime)!).toISOString(),
    language: body.language ?? 'en',
    payment_type: body.payment_type ?? 'one_off',
    operation: gateways[0]!.operation,
    state: 'created',
    attempts: [],
    created_at: new Date(nowMs).toISOString(),
    updated_at: new Date(nowMs).toISOString(),
  };

  // Persist, then start: the record exists before anything can happen to the payment. A retry of
  // an idempotent create that crashed half-way finds its record and (re)starts the workflow.
  const stored = await deps.store.payments.insert(record);
  if (stored !== record && !isPayable(stored.state)) {
    // A create retried after its key's 24 hours with the same key and body: the payment it made
    // is closed, and a closed payment is never run again. The recorded payment is the answer.
    return stored;
  }
  try {
    await startCheckout(deps, stored, merchant.name);
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return stored;
    if (!idempotencyKey) await deps.store.payments.remove(sessionId).catch(() => undefined);
    deps.logger?.warn({ err: error, session_id: sessionId }, 'the checkout workflow could not be started');
    throw detail(503, 'The payment engine is unavailable. Retry with the same Idempotency-Key.', {
      cause: (error as Error).name,
    });
  }
  return stored;
}

/** Fields Ottu's Checkout accepts that tokenpay ignores (schemas.ts): never stored or echoed. */
export function withoutIgnoredFields<T extends object>(body: T): T {
  return Object.fromEntries(
    Object.entries(body).filter(([key]) => !IGNORED_CHECKOUT_FIELDS.includes(key)),
  ) as T;
}

/** The payment method icon every gateway config shows (one card icon: tokenpay takes cards). */
const CARD_ICON = '/static/card.svg';

/** One entry of Ottu's `payment_methods` (PaymentMethodsForRedirect) for a payment. */
export function paymentMethodOf(
  g: GatewayConfig,
  record: Pick<PaymentRecord, 'amount' | 'currency_code' | 'customer_id' | 'type'> & { _id: string },
  publicBaseUrl: string,
) {
  const icon = `${publicBaseUrl}${CARD_ICON}`;
  return {
    code: g.pg_code,
    name: g.name,
    type: record.type,
    amount: record.amount,
    currency_code: record.currency_code,
    fee: formatMinorUnits(0n, record.currency_code),
    fee_description: '',
    icon,
    icons: { svg: icon, webp: icon },
    flow: 'redirect',
    redirect_url: `${publicBaseUrl}/checkout/${record._id}`,
    can_save_card: g.tokenization_enabled && !!record.customer_id,
  };
}

/**
 * The merchant-facing representation of a payment: Ottu's Checkout object. Of its read-only
 * fields, `checkout_page_url` and `checkout_short_url` are the checkout URL (tokenpay runs no URL
 * shortener), `settled_pg_code` the gateway that took the payment (empty until one did), and
 * `billing` the amount as the customer is billed; `qr_code_url`, `attachment_short_url` and the
 * web SDK's `sdk_setup_preload_payload` are not given (README: "Where tokenpay differs").
 */
export function paymentResponse(record: PaymentRecord, publicBaseUrl: string): Record<string, unknown> {
  const {
    _id,
    gateways,
    merchant_id: _m,
    expires_at: _e,
    charge_id: _c,
    updated_at: _u,
    revisions: _r,
    needs_attention: _n,
    unconfirmed_checked_at: _uc,
    merchant_initiated: _mi,
    deleted_at: _d,
    token,
    ...fields
  } = record;
  const checkoutUrl = `${publicBaseUrl}/checkout/${_id}`;
  return {
    ...fields,
    ...(token ? { token: paymentCard({ token, gateways }, new Date()) } : {}),
    session_id: _id,
    checkout_url: checkoutUrl,
    checkout_page_url: checkoutUrl,
    checkout_short_url: checkoutUrl,
    settled_pg_code: record.pg_code ?? '',
    billing: `${record.amount} ${record.currency_code}`,
    payment_methods: gateways.map((g) => paymentMethodOf(g, record, publicBaseUrl)),
  };
}
