/**
 * Response and error shapes of the HTTP API as zod schemas, for the OpenAPI document. Request
 * bodies are not repeated here: the document is generated from the zod schemas in
 * src/domain/schemas.ts that validate them. The type checks at the bottom tie these schemas to
 * the TypeScript types the routes return, and test/api/openapi.test.ts validates real responses against
 * the generated JSON Schemas.
 */
import { z } from 'zod';

import type { OperationRecord, PaymentRecord } from '../../domain/payment';
import type { CardObject } from '../../ottu/card';
import { PAYMENT_STATES } from '../../domain/states';
import type { GatewayConfig } from '../../domain/gateway-config';
import type { NewMerchant } from '../../store/merchants';
import type { ExternalOperationAnswer, InternalOperationAnswer } from '../../ottu/operation';
import type { pgPaymentMethod } from '../payment-methods';
import type { SubmitResponse } from '../submit-routes';
import type { SignedWebhookPayload } from '../../webhooks';
import { currencyCodeSchema } from '../../domain/schemas';

const decimal = z
  .string()
  .regex(/^\d+(\.\d+)?$/)
  .describe('Decimal string in major units, e.g. "20.230".');
const isoDateTime = z.string().describe('ISO-8601 timestamp (UTC).');

export const paymentStateSchema = z.enum(PAYMENT_STATES).describe("Ottu's payment states (CONTRACT §3).");

export const cardSchema = z
  .object({
    token: z.string().describe('tokenpay card token: charge it with §1.5 or the checkout page.'),
    customer_id: z.string(),
    brand: z.string().describe('Visa, Mastercard, Amex, ...'),
    name_on_card: z.string(),
    number: z.string().describe('Masked: "**** 4242". Never the full number.'),
    expiry_month: z.string().describe('"01".."12"'),
    expiry_year: z.string().describe('Two digits, e.g. "39".'),
    pg_code: z.string(),
    pg_name: z.string().describe('The gateway provider, as Ottu names it: "ottu_sandbox".'),
    is_preferred: z.boolean(),
    is_expired: z.boolean(),
    cvv_required: z.boolean(),
    agreements: z.array(z.string()).describe('Agreement ids this card is used for (auto-debit).'),
  })
  .describe('A saved card (Ottu User Cards API).');

export const attemptSchema = z.object({
  reference_number: z.string(),
  result: z.enum(['success', 'failed', 'pending', 'canceled']),
  message: z.string(),
  pg_code: z.string(),
  created_at: isoDateTime,
  decline_code: z.string().optional().describe('Gateway decline code, e.g. insufficient_funds.'),
  charge_id: z.string().optional().describe("The gateway's charge id."),
  payment_method: z.enum(['card', 'token']),
});

export const operationRecordSchema = z.object({
  operation: z.enum(['refund', 'capture', 'void', 'cancel', 'expire']),
  result: z.enum(['success', 'failed']),
  amount: decimal.optional(),
  message: z.string(),
  reference_number: z.string(),
  created_at: isoDateTime,
  gateway_reference: z.string().optional(),
  request_key: z
    .string()
    .optional()
    .describe('The Idempotency-Key or Tracking-Key the operation was requested with.'),
});

const billingAddressOut = z.object({
  line1: z.string().optional(),
  line2: z.string().optional(),
  city: z.string().optional(),
  state: z.string().optional(),
  country: z.string().optional(),
  postal_code: z.string().optional(),
});

export const paymentMethodSchema = z
  .object({
    code: z.string(),
    name: z.string(),
    type: z.enum(['payment_request', 'e_commerce']),
    amount: decimal,
    currency_code: currencyCodeSchema,
    fee: decimal.describe('tokenpay charges no fee: always 0.'),
    fee_description: z.string(),
    icon: z.url(),
    icons: z.object({ svg: z.url(), webp: z.url() }),
    flow: z.literal('redirect'),
    redirect_url: z.url().describe('Where the customer pays: the checkout page.'),
    can_save_card: z.boolean(),
  })
  .describe("A way to pay this payment (Ottu's PaymentMethodsForRedirect).");

export const paymentSchema = z
  .object({
    session_id: z.string().describe('Unguessable id of the payment session (256 bits, hex).'),
    checkout_url: z.url().describe('{PUBLIC_BASE_URL}/checkout/{session_id}: send the customer here.'),
    type: z.enum(['payment_request', 'e_commerce']),
    state: paymentStateSchema,
    amount: decimal,
    currency_code: currencyCodeSchema,
    pg_codes: z.array(z.string()),
    operation: z.enum(['purchase', 'authorize']).describe('From the gateway config of the first pg_code.'),
    payment_type: z.enum(['one_off', 'auto_debit', 'save_card']),
    language: z.enum(['en', 'ar']),
    expiration_time: z.string().describe('"D HH:MM:SS" or "HH:MM:SS".'),
    checkout_page_url: z.url().describe('The checkout URL (Ottu field).'),
    checkout_short_url: z.url().describe('The checkout URL: tokenpay runs no URL shortener.'),
    settled_pg_code: z.string().describe('The gateway config that took the payment; empty until one did.'),
    billing: z.string().describe('The amount as billed, e.g. "20.230 KWD".'),
    attachment: z.url().optional().describe("The merchant's attachment, served to the merchant only."),
    payment_methods: z.array(paymentMethodSchema),
    attempts: z.array(attemptSchema).describe('Every payment attempt, oldest first.'),
    customer_id: z.string().optional(),
    customer_email: z.string().optional(),
    customer_phone: z.string().optional(),
    customer_first_name: z.string().optional(),
    customer_last_name: z.string().optional(),
    billing_address: billingAddressOut.optional(),
    order_no: z.string().optional(),
    webhook_url: z.string().optional(),
    redirect_url: z.string().optional(),
    extra: z.record(z.string(), z.unknown()).optional().describe('Echoed back as given.'),
    agreement: z.record(z.string(), z.unknown()).optional(),
    token: cardSchema.optional().describe('The card saved or used by the successful attempt.'),
    pg_code: z.string().optional().describe('The gateway config that took the payment.'),
    operations: z.array(operationRecordSchema).optional(),
    captured_amount: decimal.optional(),
    refunded_amount: decimal.optional(),
    created_at: isoDateTime,
  })
  .describe('A payment session as merchants see it (CONTRACT §1.1, §1.2).');

export const webhookPayloadSchema = z
  .object({
    session_id: z.string(),
    order_no: z.string().optional(),
    state: paymentStateSchema,
    result: z.enum(['success', 'failed', 'pending', 'canceled', 'error']),
    operation: z.string().optional(),
    amount: decimal,
    currency_code: z.string(),
    gateway_account: z.string().optional().describe('The pg_code.'),
    gateway_name: z.string().optional(),
    reference_number: z.string().optional(),
    customer_id: z.string().optional(),
    customer_first_name: z.string().optional(),
    customer_last_name: z.string().optional(),
    customer_email: z.string().optional(),
    customer_phone: z.string().optional(),
    customer_address_line1: z.string().optional(),
    customer_address_line2: z.string().optional(),
    customer_address_city: z.string().optional(),
    customer_address_state: z.string().optional(),
    customer_address_country: z.string().optional(),
    customer_address_postal_code: z.string().optional(),
    payment_type: z.enum(['one_off', 'auto_debit', 'save_card']),
    token: cardSchema.optional(),
    extra: z.record(z.string(), z.unknown()).optional(),
    timestamp_utc: isoDateTime,
    event_id: z.string().describe('Stable across retries of the same notification.'),
    agreement: z.record(z.string(), z.unknown()).optional(),
    message: z.string().describe("The latest attempt's message."),
    pg_params: z.record(z.string(), z.string()).describe('The card as merchants may see it, and the result.'),
    gateway_response: z.record(z.string(), z.string()),
    fee: decimal,
    amount_details: z.object({
      currency_code: z.string(),
      amount: decimal,
      total: decimal,
      fee: decimal,
    }),
    paid_amount: decimal,
    remaining_amount: z
      .union([z.number(), decimal])
      .describe(
        "Ottu's type: a JSON number printing as exactly the decimal (a decimal string beyond 15 digits).",
      ),
    settled_amount: z
      .union([z.number(), decimal])
      .describe(
        "Ottu's type: a JSON number printing as exactly the decimal (a decimal string beyond 15 digits).",
      ),
    signature: z.string().describe("Hex HMAC-SHA256 with the merchant's webhook key (CONTRACT §4)."),
  })
  .describe(
    "The webhook payload (CONTRACT §4, Ottu's SchemaWebhook); also the answer of merchant-initiated charges (§1.5) and of the inquiry.",
  );

export const webhookDeliveriesSchema = z.object({
  deliveries: z.array(
    z.object({
      event_id: z.string(),
      session_id: z.string(),
      merchant_id: z.string(),
      url: z.string(),
      attempt: z.number().int().min(1),
      outcome: z.enum(['delivered', 'retryable', 'rejected']),
      status: z.number().int().optional().describe("The merchant endpoint's HTTP status."),
      error: z
        .string()
        .optional()
        .describe(
          "Why it was not delivered (`HTTP 503`, a timeout, a refused target); never the endpoint's answer body.",
        ),
      duration_ms: z.number().int().optional().describe('How long the attempt took.'),
      at: isoDateTime,
    }),
  ),
});

const operationAnswerFields = {
  detail: z.string().describe('What happened, in words.'),
  operation: z.string(),
  result: z.enum(['success', 'failed']),
  state: z.string().describe("The payment's state afterwards."),
  amount: decimal.optional(),
  message: z.string(),
  reference_number: z.string().optional(),
  session_id: z.string(),
  order_no: z.string().optional(),
  currency_code: z.string(),
};

export const internalOperationSchema = z
  .object({ ...operationAnswerFields, operation: z.enum(['cancel', 'expire', 'delete']) })
  .describe("Ottu's InternalOperation: cancel, expire and delete, settled by tokenpay itself.");

const { detail: _detail, ...externalAnswerFields } = operationAnswerFields;

export const externalOperationSchema = z
  .object({
    ...externalAnswerFields,
    operation: z.enum(['refund', 'capture', 'void']),
    amount: decimal,
    order_no: z.string().describe('Empty when the payment has none.'),
    success: z.boolean(),
    source: z.literal('pg'),
    pg_code: z.string().optional(),
    pg_params: z.record(z.string(), z.string()),
    pg_response: z.record(z.string(), z.string()),
    txn: z.object({
      amount: decimal,
      currency_code: z.string(),
      order_no: z.string().nullable(),
      session_id: z.string(),
      state: z.string(),
    }),
    timestamp_utc: isoDateTime,
    signature: z.string().describe('Hex HMAC-SHA256 of the answer by the webhook algorithm (CONTRACT §4).'),
  })
  .describe("Ottu's ExternalOperation: refund, capture and void, made by the gateway; signed.");

export const operationResultSchema = z
  .union([internalOperationSchema, externalOperationSchema])
  .describe('InternalOperation (cancel, expire, delete) or ExternalOperation (refund, capture, void).');

export const pgPaymentMethodSchema = z.object({
  code: z.string(),
  name: z.string(),
  is_sandbox: z.boolean(),
  logo: z.url(),
  wallets: z.array(z.string()),
  payment_services: z.array(z.object({ code: z.string(), name: z.string() })),
  default_currency: z.string(),
  accepted_currencies: z.array(z.string()),
  operation: z.enum(['purchase', 'authorize']),
  operations: z.array(z.string()),
  is_tokenizable: z.boolean(),
  auto_debit_enabled: z.boolean().describe('Merchant-initiated charges possible: auto-debit on, no CVV.'),
  tags: z.array(z.string()),
});

export const paymentMethodsResultSchema = z
  .object({
    payment_methods: z.array(pgPaymentMethodSchema),
    customer_payment_methods: z.array(cardSchema).describe("The customer's saved cards for those methods."),
  })
  .describe("Ottu's PaymentMethodsResponse.");

export const attachmentUploadResultSchema = z.object({
  file_url: z.url().describe('Where the merchant (only) downloads it.'),
  original_filename: z.string(),
});

export const operationRefusedSchema = z
  .object({
    detail: z.string(),
    operation: z.enum(['refund', 'capture', 'void', 'cancel', 'expire']),
    result: z.literal('failed'),
  })
  .describe('The operation is not possible in the payment’s state or for this amount.');

export const submitResultSchema = z
  .object({
    result: z.enum(['success', 'failed', 'pending', 'canceled']),
    state: paymentStateSchema,
    message: z.string(),
    reference_number: z.string(),
    decline_code: z.string().optional().describe('Why the gateway declined, e.g. insufficient_funds.'),
    redirect_url: z
      .string()
      .optional()
      .describe("The merchant's redirect_url with session_id, order_no and reference_number."),
    token: cardSchema.optional().describe('The card, when it was saved or used.'),
    next_action: z
      .object({ type: z.literal('redirect_to_url'), url: z.string() })
      .optional()
      .describe('3-D Secure: send the customer to url.'),
  })
  .describe('The outcome of this attempt (CONTRACT §2.2), answered in the same request.');

export const newMerchantSchema = z.object({
  merchant_id: z.string(),
  name: z.string(),
  api_key: z.string().describe('Shown once: only a hash is stored.'),
  webhook_hmac_key: z.string(),
});

export const gatewayConfigResultSchema = z.object({
  merchant_id: z.string(),
  pg_code: z.string(),
  name: z.string(),
  currencies: z.array(currencyCodeSchema),
  operation: z.enum(['purchase', 'authorize']),
  tokenization_enabled: z.boolean(),
  cvv_required: z.boolean(),
  auto_debit_enabled: z.boolean(),
  three_ds: z.enum(['never', 'challenge_if_required']),
  max_attempts: z.number().int(),
});

export const healthSchema = z.object({ status: z.literal('ok') });
export const readySchema = z.object({ status: z.literal('ready') });
export const notReadySchema = z.object({
  status: z.literal('not_ready'),
  detail: z.string(),
  failing: z
    .record(z.string(), z.string())
    .describe('The failing dependencies (temporal, mongodb, gateway, worker) and why.'),
});

/**
 * 400: field errors nested like the request, `{"field": ["message"]}`; or, when the request is
 * refused before its fields are looked at (a body that is not JSON or nests too deep, an
 * Idempotency-Key that is too long: src/api/errors.ts, app.ts, idempotency.ts), `{"detail"}`.
 * The recursion goes through this schema itself: JSON Schema can only name registered schemas.
 */
export const fieldErrorsSchema: z.ZodType = z
  .lazy(() =>
    z.union([
      z.record(z.string(), z.union([z.array(z.string()), fieldErrorsSchema])),
      z.strictObject({ detail: z.string() }),
    ]),
  )
  .describe(
    'Field errors, nested like the request body: {"amount": ["..."], "billing_address": {"country": ["..."]}}. Errors that belong to no field are under "non_field_errors". A request refused before its fields are read (a body that is not JSON or nests too deep, an Idempotency-Key longer than 255 characters) gets {"detail": "message"} instead.',
  );

/** Every other error: `{"detail": "message"}` (some carry more context, e.g. `state`). */
export const errorDetailSchema = z
  .looseObject({ detail: z.string() })
  .describe('{"detail": "message"}; a few errors add context fields (e.g. `state` on a 409 submit).');

/** Temporal's remote codec protocol (the codec endpoint's own validation lives in codec-routes.ts). */
export const codecPayloadsSchema = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), z.string().describe('base64')).nullish(),
      data: z.string().describe('base64').nullish(),
    }),
  ),
});

/** The answer to a gateway notification the engine took (or had already taken). */
export const gatewayNotificationAckSchema = z.object({
  received: z.literal(true),
  duplicate: z.literal(true).optional().describe('this event id was received and handled before'),
});

// Compile-time ties between these schemas and the types the routes return: a field added to
// one side and not the other fails `tsc` (`true` is then not assignable to `false`). Keys are
// compared too, since an extra optional field leaves two object types mutually assignable.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Matches<S extends z.ZodType, T> = [Same<z.output<S>, T>, Same<keyof z.output<S>, keyof T>] extends [
  true,
  true,
]
  ? true
  : false;
/** Only "what the route returns fits the schema", plus the same keys (currencyCodeSchema's output is string). */
type Fits<S extends z.ZodType, T> = [
  T extends z.output<S> ? true : false,
  Same<keyof z.output<S>, keyof T>,
] extends [true, true]
  ? true
  : false;
/** The fields `paymentResponse` (src/api/payments.ts) answers with. */
type PaymentResponseKeys =
  | Exclude<
      keyof PaymentRecord,
      | '_id'
      | 'gateways'
      | 'merchant_id'
      | 'expires_at'
      | 'charge_id'
      | 'updated_at'
      | 'revisions'
      | 'needs_attention'
      | 'unconfirmed_checked_at'
      | 'merchant_initiated'
      | 'deleted_at'
    >
  | 'session_id'
  | 'checkout_url'
  | 'checkout_page_url'
  | 'checkout_short_url'
  | 'settled_pg_code'
  | 'billing'
  | 'payment_methods';
export type SchemaTypeChecks = [
  Same<keyof z.output<typeof paymentSchema>, PaymentResponseKeys>,
  Matches<typeof cardSchema, CardObject>,
  Matches<typeof operationRecordSchema, OperationRecord>,
  Matches<typeof newMerchantSchema, NewMerchant>,
  Matches<typeof submitResultSchema, SubmitResponse>,
  Fits<typeof internalOperationSchema, InternalOperationAnswer>,
  Fits<typeof externalOperationSchema, ExternalOperationAnswer>,
  Fits<typeof pgPaymentMethodSchema, ReturnType<typeof pgPaymentMethod>>,
  Fits<typeof webhookPayloadSchema, SignedWebhookPayload>,
  Fits<typeof gatewayConfigResultSchema, GatewayConfig & { merchant_id: string }>,
];
export const schemaTypeChecks: SchemaTypeChecks = [
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
];
