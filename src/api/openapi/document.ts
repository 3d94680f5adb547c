/**
 * The OpenAPI 3.1 document of the HTTP API, served at GET /openapi.json and browsable at /docs.
 *
 * Request bodies are generated with `z.toJSONSchema` from the zod schemas in
 * src/domain/schemas.ts, the same ones the routes validate with, so the document cannot drift from
 * validation; response bodies from ./schemas. Rules zod checks in code (refinements: decimals per
 * currency, "save_card needs amount 0", ...) are not expressible in JSON Schema and are described
 * in words.
 */
import { z } from 'zod';

import {
  agreementSchema,
  autoDebitSchema,
  billingAddressSchema,
  createMerchantSchema,
  createPaymentSchema,
  currencyCodeSchema,
  gatewayConfigSchema,
  listCardsSchema,
  newCardSchema,
  operationSchema,
  submitPaymentSchema,
} from '../../domain/schemas';
import {
  attemptSchema,
  cardSchema,
  codecPayloadsSchema,
  errorDetailSchema,
  fieldErrorsSchema,
  gatewayConfigResultSchema,
  healthSchema,
  newMerchantSchema,
  notReadySchema,
  operationRecordSchema,
  operationRefusedSchema,
  operationResultSchema,
  paymentSchema,
  paymentStateSchema,
  readySchema,
  submitResultSchema,
  webhookDeliveriesSchema,
  webhookPayloadSchema,
} from './schemas';

type Json = Record<string, unknown>;
export interface OpenApiDocument {
  openapi: string;
  info: Json;
  servers: Json[];
  tags: Json[];
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; securitySchemes: Json; parameters: Json; headers: Json };
}

const SCHEMA_REF = '#/components/schemas/';
const ref = (name: string): Json => ({ $ref: `${SCHEMA_REF}${name}` });

/** zod schemas → named JSON Schemas; schemas named in both registries must come out the same. */
function componentSchemas(): Record<string, Json> {
  const requests = z.registry<{ id: string }>();
  requests.add(createPaymentSchema, { id: 'CreatePaymentRequest' });
  requests.add(submitPaymentSchema, { id: 'SubmitPaymentRequest' });
  requests.add(gatewayConfigSchema, { id: 'GatewayConfigRequest' });
  requests.add(createMerchantSchema, { id: 'CreateMerchantRequest' });
  requests.add(autoDebitSchema, { id: 'AutoDebitRequest' });
  requests.add(operationSchema, { id: 'OperationRequest' });
  requests.add(listCardsSchema, { id: 'ListCardsRequest' });
  requests.add(currencyCodeSchema, { id: 'CurrencyCode' });
  requests.add(billingAddressSchema, { id: 'BillingAddress' });
  requests.add(agreementSchema, { id: 'Agreement' });
  requests.add(newCardSchema, { id: 'NewCard' });
  requests.add(codecPayloadsSchema, { id: 'CodecPayloads' });

  const responses = z.registry<{ id: string }>();
  responses.add(currencyCodeSchema, { id: 'CurrencyCode' });
  responses.add(paymentStateSchema, { id: 'PaymentState' });
  responses.add(cardSchema, { id: 'Card' });
  responses.add(attemptSchema, { id: 'Attempt' });
  responses.add(operationRecordSchema, { id: 'OperationRecord' });
  responses.add(paymentSchema, { id: 'Payment' });
  responses.add(webhookPayloadSchema, { id: 'WebhookPayload' });
  responses.add(webhookDeliveriesSchema, { id: 'WebhookDeliveries' });
  responses.add(operationResultSchema, { id: 'OperationResult' });
  responses.add(operationRefusedSchema, { id: 'OperationRefused' });
  responses.add(submitResultSchema, { id: 'SubmitResult' });
  responses.add(newMerchantSchema, { id: 'Merchant' });
  responses.add(gatewayConfigResultSchema, { id: 'GatewayConfig' });
  responses.add(healthSchema, { id: 'Health' });
  responses.add(readySchema, { id: 'Ready' });
  responses.add(notReadySchema, { id: 'NotReady' });
  responses.add(fieldErrorsSchema, { id: 'FieldErrors' });
  responses.add(errorDetailSchema, { id: 'ErrorDetail' });

  const uri = (id: string): string => `${SCHEMA_REF}${id}`;
  const out: Record<string, Json> = {};
  for (const [io, registry] of [
    ['input', requests],
    ['output', responses],
  ] as const) {
    const { schemas } = z.toJSONSchema(registry, { io, uri, target: 'draft-2020-12' }) as {
      schemas: Record<string, Json>;
    };
    for (const [id, schema] of Object.entries(schemas)) {
      const { $schema: _s, $id: _i, ...body } = schema;
      if (out[id] && JSON.stringify(out[id]) !== JSON.stringify(body)) {
        throw new Error(`OpenAPI component ${id} differs between requests and responses`);
      }
      out[id] = body;
    }
  }
  describeRequests(out);
  return out;
}

/** What the zod refinements check, in words, on the generated request schemas. */
function describeRequests(schemas: Record<string, Json>): void {
  const describe = (id: string, description: string, properties: Record<string, string> = {}): void => {
    const schema = schemas[id];
    if (!schema) throw new Error(`No component ${id}`);
    schema.description = description;
    const props = (schema.properties ?? {}) as Record<string, Json>;
    for (const [name, text] of Object.entries(properties)) {
      if (!props[name]) throw new Error(`No property ${id}.${name}`);
      props[name].description = text;
    }
  };
  describe(
    'CreatePaymentRequest',
    'Create a payment session (Ottu Checkout API). payment_type auto_debit requires customer_id and agreement; save_card requires customer_id and amount "0"; payment_instrument requires customer_id.',
    {
      amount:
        'Decimal string in major units, with at most the currency\'s ISO 4217 decimals (KWD, BHD, OMR, JOD, IQD, LYD: 3; USD, EUR, SAR, AED, QAR: 2; JPY: 0). Responses normalise ("20.23" KWD → "20.230").',
      pg_codes: 'Gateway configs of this merchant that accept the currency.',
      expiration_time: '"D HH:MM:SS" or "HH:MM:SS", up to 30 days; default "1 00:00:00".',
      extra: 'Any JSON object, echoed back.',
      payment_instrument:
        'One-step merchant-initiated charge of a saved card: the response is then the charge result (WebhookPayload).',
    },
  );
  describe(
    'SubmitPaymentRequest',
    'A new card (payment_method "card") or a saved card (payment_method "token"; cvv exactly when the card\'s cvv_required). Card numbers are checked (Luhn, expiry, CVV length for the brand) and exchanged for a single-use gateway token inside this request.',
  );
  describe(
    'OperationRequest',
    'refund: paid → partial or full; capture: authorized → paid; void: authorized → voided; cancel / expire: created|pending|attempted → canceled / expired. Give session_id or order_no (the latest payment with that order_no).',
    { amount: 'refund / capture amount; default: all that remains.' },
  );
  describe('AutoDebitRequest', 'Charge a saved card for an existing payment session, without the customer.');
  describe('ListCardsRequest', "List a customer's saved cards.");
  describe('GatewayConfigRequest', 'How a merchant’s gateway account (pg_code) behaves.');
  describe('CreateMerchantRequest', 'A new merchant.');
  describe('CodecPayloads', "Temporal's remote codec protocol: payloads with base64 metadata and data.");
}

// Reusable responses --------------------------------------------------------------------------

const REQUEST_ID_HEADER = { $ref: '#/components/headers/X-Request-Id' };
const jsonResponse = (description: string, schema: string, headers: Json = {}): Json => ({
  description,
  headers,
  content: { 'application/json': { schema: ref(schema) } },
});
const problem = (description: string): Json => jsonResponse(description, 'ErrorDetail');
const fieldErrors = (description = 'Invalid request: field errors nested like the request body.'): Json =>
  jsonResponse(description, 'FieldErrors');
const html = (description: string): Json => ({
  description,
  content: { 'text/html': { schema: { type: 'string' } } },
});

const MERCHANT_ERRORS = {
  '401': problem('No or an invalid API key.'),
  '415': problem('The body is not application/json.'),
  '429': problem('Too many failed authentications from this client.'),
};
const IDEMPOTENCY_ERRORS = {
  '409': problem('A request with this Idempotency-Key is still running.'),
  '422': problem('This Idempotency-Key was already used with a different body.'),
};
const REPLAYED = { 'Idempotent-Replayed': { $ref: '#/components/headers/Idempotent-Replayed' } };

const sessionIdParam = { $ref: '#/components/parameters/SessionId' };
const idempotencyKeyParam = { $ref: '#/components/parameters/IdempotencyKey' };
const trackingKeyParam = { $ref: '#/components/parameters/TrackingKey' };
const jsonBody = (schema: string): Json => ({
  required: true,
  content: { 'application/json': { schema: ref(schema) } },
});

const merchant = { tags: ['Merchant'], security: [{ ApiKey: [] }] };
const admin = { tags: ['Admin'], security: [{ AdminKey: [] }] };
const customer = { tags: ['Customer'], security: [] };
const ops = { tags: ['Operations'], security: [] };
const codecAuth = { security: [{ CodecCredentials: [] }] };

function paths(): OpenApiDocument['paths'] {
  const codec = (operation: 'encode' | 'decode'): Record<string, Json> => ({
    post: {
      ...codecAuth,
      tags: ['Operations'],
      operationId: `codec${operation === 'encode' ? 'Encode' : 'Decode'}`,
      summary: `${operation === 'encode' ? 'Encrypt' : 'Decrypt'} Temporal payloads (codec server for the Temporal UI and CLI)`,
      description:
        "Temporal remote codec protocol, for operators: `Authorization: Bearer <an operator's secret from TOKENPAY_CODEC_CREDENTIALS>` (or HTTP Basic `operator:secret`, or a bearer token of TOKENPAY_CODEC_OIDC_ISSUER; in the embedded dev setup, the Temporal UI's origin). Never the admin key. Each call writes an audit line (who, namespace, workflow id, payload count). Bodies up to 2 MB.",
      requestBody: jsonBody('CodecPayloads'),
      responses: {
        '200': jsonResponse('The payloads, encoded or decoded.', 'CodecPayloads'),
        '400': problem('Not the codec protocol, or payloads that cannot be decoded.'),
        '401': problem('Not authorized.'),
        '413': problem('Larger than 2 MB.'),
        '415': problem('The body is not application/json.'),
      },
    },
    options: {
      ...ops,
      operationId: `codec${operation === 'encode' ? 'Encode' : 'Decode'}Preflight`,
      summary: 'CORS preflight for the Temporal UI',
      responses: { '204': { description: 'CORS headers for allowed origins.' } },
    },
  });

  return {
    '/b/checkout/v1/pymt-txn/': {
      post: {
        ...merchant,
        operationId: 'createPayment',
        summary: 'Create a payment (starts its CheckoutWorkflow)',
        description:
          'CONTRACT §1.1. The response echoes the request with session_id, checkout_url, state "created", operation and payment_methods. With payment_instrument the card is charged at once and the response is the charge result (WebhookPayload).',
        parameters: [idempotencyKeyParam],
        requestBody: jsonBody('CreatePaymentRequest'),
        responses: {
          '201': {
            description: 'Created (or, with payment_instrument, charged).',
            headers: REPLAYED,
            content: {
              'application/json': { schema: { oneOf: [ref('Payment'), ref('WebhookPayload')] } },
            },
          },
          '400': fieldErrors(),
          ...MERCHANT_ERRORS,
          '404': problem('payment_instrument: no such saved card for this customer.'),
          ...IDEMPOTENCY_ERRORS,
          '423': problem('payment_instrument: the saved card is locked.'),
          '503': problem('The payment engine is unavailable; retry with the same Idempotency-Key.'),
        },
      },
    },
    '/b/checkout/v1/pymt-txn/{session_id}/': {
      get: {
        ...merchant,
        operationId: 'getPayment',
        summary: 'Retrieve a payment',
        description: 'CONTRACT §1.2: the current state and every attempt. Served from MongoDB.',
        parameters: [sessionIdParam],
        responses: {
          '200': jsonResponse('The payment.', 'Payment'),
          '401': MERCHANT_ERRORS['401'],
          '404': problem("No such payment (also another merchant's)."),
          '429': MERCHANT_ERRORS['429'],
        },
      },
    },
    '/b/checkout/v1/pymt-txn/{session_id}/webhooks/': {
      get: {
        ...merchant,
        operationId: 'listWebhookDeliveries',
        summary: 'Webhook delivery attempts of a payment',
        description: 'Every delivery attempt (URL, outcome, HTTP status, error), oldest first.',
        parameters: [sessionIdParam],
        responses: {
          '200': jsonResponse('The delivery log.', 'WebhookDeliveries'),
          '401': MERCHANT_ERRORS['401'],
          '404': problem('No such payment.'),
          '429': MERCHANT_ERRORS['429'],
        },
      },
    },
    '/b/pbl/v2/card/': {
      post: {
        ...merchant,
        operationId: 'listCards',
        summary: "List a customer's saved cards",
        description: "CONTRACT §1.3. Only this merchant's cards for that customer.",
        requestBody: jsonBody('ListCardsRequest'),
        responses: {
          '200': {
            description: 'The cards, preferred first.',
            content: { 'application/json': { schema: { type: 'array', items: ref('Card') } } },
          },
          '400': fieldErrors(),
          ...MERCHANT_ERRORS,
        },
      },
    },
    '/b/pbl/v2/card/{token}/': {
      delete: {
        ...merchant,
        operationId: 'deleteCard',
        summary: 'Delete a saved card',
        description: 'CONTRACT §1.4. Afterwards the token can be neither listed nor charged.',
        parameters: [
          { name: 'token', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'customer_id', in: 'query', required: true, schema: { type: 'string' } },
          {
            name: 'type',
            in: 'query',
            required: false,
            schema: { type: 'string', enum: ['sandbox', 'production'] },
          },
        ],
        responses: {
          '204': { description: 'Deleted.' },
          '400': problem('customer_id is missing (also {"customer_id": [...]}).'),
          '401': MERCHANT_ERRORS['401'],
          '404': problem('Unknown or foreign token.'),
          '429': MERCHANT_ERRORS['429'],
        },
      },
    },
    '/b/pbl/v2/auto-debit/': {
      post: {
        ...merchant,
        operationId: 'autoDebit',
        summary: 'Merchant-initiated charge of a saved card',
        description:
          'CONTRACT §1.5. Only where the gateway config enables auto-debit and needs no CVV. The response is the webhook payload of §4.',
        parameters: [idempotencyKeyParam],
        requestBody: jsonBody('AutoDebitRequest'),
        responses: {
          '200': jsonResponse('The charge result.', 'WebhookPayload', REPLAYED),
          '400': fieldErrors(),
          ...MERCHANT_ERRORS,
          '404': problem('No such payment or saved card.'),
          '409': problem('The payment is not payable, or an Idempotency-Key conflict.'),
          '422': problem('Auto-debit is not enabled / the config requires the CVV / key reused.'),
          '423': problem('The saved card is locked.'),
          '503': problem('The payment engine is unavailable.'),
        },
      },
    },
    '/b/pbl/v2/operation/': {
      post: {
        ...merchant,
        operationId: 'paymentOperation',
        summary: 'Refund, capture, void, cancel or expire a payment',
        description: 'CONTRACT §1.6. Accepts Idempotency-Key or Ottu’s Tracking-Key.',
        parameters: [idempotencyKeyParam, trackingKeyParam],
        requestBody: jsonBody('OperationRequest'),
        responses: {
          '200': jsonResponse('The operation succeeded.', 'OperationResult', REPLAYED),
          '400': {
            description: 'Invalid fields (FieldErrors), or the operation is not possible (OperationRefused).',
            content: {
              'application/json': { schema: { oneOf: [ref('OperationRefused'), ref('FieldErrors')] } },
            },
          },
          ...MERCHANT_ERRORS,
          '404': problem('No payment with this session_id or order_no.'),
          ...IDEMPOTENCY_ERRORS,
        },
      },
    },
    '/checkout/{session_id}': {
      get: {
        ...customer,
        operationId: 'checkoutPage',
        summary: 'The hosted checkout page (HTML)',
        description:
          'CONTRACT §2.1. No key: the session id is the capability. Opening it moves created → pending; a closed session shows its outcome; coming back from 3-D Secure settles the attempt. `language=ar` applies to the not-found page.',
        parameters: [
          sessionIdParam,
          { name: 'language', in: 'query', required: false, schema: { type: 'string', enum: ['en', 'ar'] } },
        ],
        responses: {
          '200': html('The checkout page.'),
          '404': html('No such payment.'),
        },
      },
    },
    '/checkout/{session_id}/submit': {
      post: {
        ...customer,
        operationId: 'submitPayment',
        summary: 'Pay (new card or saved card)',
        description:
          'CONTRACT §2.2. Answers the outcome of this attempt in the same request. `X-CSRF-Token` (from the page) is checked when sent. Rate limited per client and per session.',
        parameters: [
          sessionIdParam,
          { name: 'X-CSRF-Token', in: 'header', required: false, schema: { type: 'string' } },
        ],
        requestBody: jsonBody('SubmitPaymentRequest'),
        responses: {
          '200': jsonResponse('The outcome of the attempt.', 'SubmitResult'),
          '400': fieldErrors('Invalid card data (Luhn, expiry, CVV length), pg_code or token.'),
          '403': problem('The CSRF token does not match (the page expired).'),
          '404': problem('No such payment or saved card.'),
          '409': problem('The session is not payable (paid, expired, canceled, failed) or busy.'),
          '415': problem('The body is not application/json.'),
          '422': problem('Not allowed for this payment.'),
          '423': problem('The saved card is locked after too many wrong security codes.'),
          '429': problem('Too many attempts.'),
          '503': problem('The payment gateway is unavailable.'),
        },
      },
    },
    '/admin/v1/merchants': {
      post: {
        ...admin,
        operationId: 'createMerchant',
        summary: 'Create a merchant',
        description: 'CONTRACT §5. The API key is shown once; only its hash is stored.',
        requestBody: jsonBody('CreateMerchantRequest'),
        responses: {
          '201': jsonResponse('The merchant and its keys.', 'Merchant'),
          '400': fieldErrors(),
          '401': problem('No or an invalid admin key.'),
          '415': MERCHANT_ERRORS['415'],
          '429': MERCHANT_ERRORS['429'],
        },
      },
    },
    '/admin/v1/merchants/{merchant_id}/gateways/{pg_code}': {
      put: {
        ...admin,
        operationId: 'putGatewayConfig',
        summary: "Create or replace a merchant's gateway config",
        parameters: [
          { name: 'merchant_id', in: 'path', required: true, schema: { type: 'string' } },
          {
            name: 'pg_code',
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: '^[\\w.-]{1,64}$' },
          },
        ],
        requestBody: jsonBody('GatewayConfigRequest'),
        responses: {
          '200': jsonResponse('The stored config.', 'GatewayConfig'),
          '400': fieldErrors(),
          '401': problem('No or an invalid admin key.'),
          '404': problem('No such merchant, or an invalid pg_code.'),
          '415': MERCHANT_ERRORS['415'],
          '429': MERCHANT_ERRORS['429'],
        },
      },
    },
    '/codec/decode': codec('decode'),
    '/codec/encode': codec('encode'),
    '/healthz': {
      get: {
        ...ops,
        operationId: 'healthz',
        summary: 'Liveness',
        responses: { '200': jsonResponse('The process lives.', 'Health') },
      },
    },
    '/readyz': {
      get: {
        ...ops,
        operationId: 'readyz',
        summary: 'Readiness: Temporal, MongoDB, the gateway and a worker are reachable',
        responses: {
          '200': jsonResponse('Ready.', 'Ready'),
          '503': jsonResponse('Not ready: the failing dependencies are named.', 'NotReady'),
        },
      },
    },
    '/metrics': {
      get: {
        ...ops,
        security: [{}, { MetricsToken: [] }],
        operationId: 'metrics',
        summary: 'Prometheus metrics (with the worker’s appended when configured)',
        description:
          'Prometheus text format. When TOKENPAY_METRICS_TOKEN is set, requires `Authorization: Bearer <token>`.',
        responses: {
          '200': {
            description: 'Prometheus text exposition.',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          '401': problem('TOKENPAY_METRICS_TOKEN is set and the bearer token is missing or wrong.'),
        },
      },
    },
    '/openapi.json': {
      get: {
        ...ops,
        operationId: 'openapi',
        summary: 'This document',
        responses: {
          '200': {
            description: 'OpenAPI 3.1.',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
        },
      },
    },
    '/docs': {
      get: {
        ...ops,
        operationId: 'docs',
        summary: 'Swagger UI for this document',
        responses: { '200': html('Swagger UI.') },
      },
    },
  };
}

/** Every response of every operation carries the request id header. */
function withRequestIdHeaders(all: OpenApiDocument['paths']): OpenApiDocument['paths'] {
  for (const item of Object.values(all)) {
    for (const operation of Object.values(item)) {
      for (const response of Object.values(operation.responses as Record<string, Json>)) {
        response.headers = { 'X-Request-Id': REQUEST_ID_HEADER, ...((response.headers as Json) ?? {}) };
      }
    }
  }
  return all;
}

export function buildOpenApiDocument(options: { publicBaseUrl?: string } = {}): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'tokenpay',
      version: '1',
      description:
        'Payment engine with card tokenization on Temporal and MongoDB. Merchant API field names follow Ottu\'s Checkout API. Errors: 400 `{"field": ["message"]}` (nested like the request); every other error `{"detail": "message"}`. Every POST of the merchant API accepts `Idempotency-Key`. Every response carries `X-Request-Id` (the caller\'s, when it sends a valid one).',
    },
    servers: [{ url: options.publicBaseUrl ?? '/' }],
    tags: [
      { name: 'Merchant', description: 'Authorization: Api-Key <key> (CONTRACT §1).' },
      { name: 'Customer', description: 'The hosted checkout: the session id is the capability (§2).' },
      { name: 'Admin', description: 'Authorization: Admin-Key <TOKENPAY_ADMIN_KEY> (§5).' },
      { name: 'Operations', description: 'Health, metrics, this document, the Temporal codec.' },
    ],
    paths: withRequestIdHeaders(paths()),
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        ApiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'The merchant key, as `Authorization: Api-Key <key>`.',
        },
        AdminKey: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'The admin key, as `Authorization: Admin-Key <TOKENPAY_ADMIN_KEY>`.',
        },
        CodecCredentials: {
          type: 'http',
          scheme: 'bearer',
          description:
            "An operator's secret (TOKENPAY_CODEC_CREDENTIALS) or an access token of TOKENPAY_CODEC_OIDC_ISSUER.",
        },
        MetricsToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'TOKENPAY_METRICS_TOKEN, when set.',
        },
      },
      parameters: {
        SessionId: {
          name: 'session_id',
          in: 'path',
          required: true,
          description: 'The payment session id (64 hex characters).',
          schema: { type: 'string' },
        },
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'Same key and body within 24 h replays the first response (`Idempotent-Replayed: true`); a different body is 422; while the first still runs, 409.',
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
        TrackingKey: {
          name: 'Tracking-Key',
          in: 'header',
          required: false,
          description: "Ottu's name for the idempotency key of operations.",
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
      },
      headers: {
        'X-Request-Id': {
          description:
            'The request id: the caller’s X-Request-Id when it is 1–64 characters of [A-Za-z0-9._-], else generated. Logged with every line about the request.',
          schema: { type: 'string' },
        },
        'Idempotent-Replayed': {
          description: '"true" when this is the stored response of an earlier request with the same key.',
          schema: { type: 'string', enum: ['true'] },
        },
      },
    },
  };
}

/** Path templates of the document as matchers: the `route` label of the HTTP metrics. */
export function routeMatcher(templates: string[]): (path: string) => string | undefined {
  const compiled = templates.map((template) => {
    const body = template
      .replace(/\/$/, '')
      .split(/(\{[^}]+\})/)
      .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
      .join('');
    return { template, regexp: new RegExp(`^${body}/?$`, 'i') };
  });
  return (path) => compiled.find((c) => c.regexp.test(path))?.template;
}
