/** Creating a payment session and presenting it to merchants (CONTRACT §1.1, §1.2). */
import { createHmac, randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Client } from '@temporalio/client';

import type { AppConfig } from '../config';
import type { Logger } from '../logger';
import { assertAllowedTargets } from './outbound-targets';
import { DEFAULT_EXPIRATION, parseExpirationTime } from '../domain/duration';
import type { GatewayConfig } from '../domain/gateway-config';
import { MoneyFormatError, normalizeAmount, parseMinorUnits, type CurrencyCode } from '../domain/money';
import type { PaymentRecord } from '../domain/payment';
import { addFieldError, type CreatePaymentRequest, type FieldErrors } from '../domain/schemas';
import { paymentCard } from '../ottu/card';
import type { Store } from '../store';
import type { MerchantDoc } from '../store/mongo';
import { CheckoutWorkflow } from '../workflows/checkout/workflow';
import { checkoutWorkflowId, type CheckoutInput } from '../workflows/definitions';
import { paymentSearchAttributes } from '../workflows/search-attributes';
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

export async function createPayment(
  deps: PaymentDeps,
  merchant: MerchantDoc,
  body: CreatePaymentRequest,
  idempotencyKey?: string,
): Promise<PaymentRecord> {
  // production: no webhook or redirect into a private network (checked again at each delivery)
  await assertAllowedTargets(body, deps.config.targets);
  const currency = body.currency_code as CurrencyCode;
  const errors: FieldErrors = {};
  let amount = '';
  try {
    amount = normalizeAmount(body.amount, currency);
    const minor = parseMinorUnits(amount, currency);
    const paymentType = body.payment_type ?? 'one_off';
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
  for (const code of new Set(body.pg_codes)) {
    const config = configured.find((g) => g.pg_code === code);
    if (!config) addFieldError(errors, ['pg_codes'], `"${code}" is not configured for this merchant.`);
    else if (!config.currencies.includes(currency)) {
      addFieldError(errors, ['pg_codes'], `"${code}" does not accept ${currency}.`);
    } else gateways.push(config);
  }
  const paymentType = body.payment_type ?? 'one_off';
  if (paymentType !== 'one_off' && gateways.length > 0 && !gateways.some((g) => g.tokenization_enabled)) {
    addFieldError(errors, ['pg_codes'], `${paymentType} needs a payment method with tokenization enabled.`);
  }
  if (body.payment_instrument && !body.customer_id) {
    addFieldError(errors, ['customer_id'], 'Required to charge a saved card.');
  }
  if (Object.keys(errors).length > 0) throw fieldErrors(errors);

  const expirationTime = body.expiration_time ?? DEFAULT_EXPIRATION;
  const nowMs = Date.now();
  const sessionId = newSessionId(
    deps.config.sessionIdKey,
    merchant,
    idempotencyKey ? { key: idempotencyKey, body } : undefined,
  );
  const { payment_instrument: _instrument, ...fields } = body;
  const record: PaymentRecord = {
    ...fields,
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

/** What the workflow is given: ids and money, never personal data beyond the customer id. */
export function checkoutInputOf(record: PaymentRecord, publicBaseUrl: string): CheckoutInput {
  const agreementId = record.agreement?.id;
  return {
    sessionId: record._id,
    merchantId: record.merchant_id,
    ...(record.customer_id ? { customerId: record.customer_id } : {}),
    ...(record.order_no ? { orderNo: record.order_no } : {}),
    amount: record.amount,
    currencyCode: record.currency_code,
    paymentType: record.payment_type,
    gateways: record.gateways,
    expiresAt: record.expires_at,
    returnUrl: `${publicBaseUrl}/checkout/${record._id}`,
    ...(typeof agreementId === 'string' ? { agreementId } : {}),
    ...(record.webhook_url ? { webhookUrl: record.webhook_url } : {}),
  };
}

async function startCheckout(deps: PaymentDeps, record: PaymentRecord, merchantName: string): Promise<void> {
  await deps.temporal.workflow.start(CheckoutWorkflow, {
    workflowId: checkoutWorkflowId(record._id),
    taskQueue: deps.config.temporal.taskQueue,
    args: [checkoutInputOf(record, deps.config.publicBaseUrl)],
    typedSearchAttributes: paymentSearchAttributes(
      {
        merchantId: record.merchant_id,
        ...(record.customer_id ? { customerId: record.customer_id } : {}),
        ...(record.order_no ? { orderNo: record.order_no } : {}),
      },
      'created',
    ),
    memo: {
      amount: record.amount,
      currency_code: record.currency_code,
      merchant: merchantName,
      order_no: record.order_no ?? null,
    },
  });
}

/** The merchant-facing representation of a payment. */
export function paymentResponse(record: PaymentRecord, publicBaseUrl: string): Record<string, unknown> {
  const {
    _id,
    gateways,
    merchant_id: _m,
    expires_at: _e,
    charge_id: _c,
    updated_at: _u,
    token,
    ...fields
  } = record;
  return {
    ...fields,
    ...(token ? { token: paymentCard({ token, gateways }, new Date()) } : {}),
    session_id: _id,
    checkout_url: `${publicBaseUrl}/checkout/${_id}`,
    payment_methods: gateways.map((g) => ({
      code: g.pg_code,
      name: g.name,
      amount: record.amount,
      currency_code: record.currency_code,
      can_save_card: g.tokenization_enabled && !!record.customer_id,
    })),
  };
}
