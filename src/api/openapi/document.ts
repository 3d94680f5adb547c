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
  createPublicKeySchema,
  currencyCodeSchema,
  gatewayConfigSchema,
  attachmentUploadSchema,
  inquirySchema,
  listCardsSchema,
  newCardSchema,
  operationSchema,
  paymentMethodsSchema,
  replacePaymentSchema,
  updatePaymentSchema,
  submitPaymentSchema,
} from '../../domain/schemas';
import {
  gatewayNotificationSchema,
  SIGNATURE_HEADER,
  SIGNATURE_TOLERANCE_S,
} from '../../gateway/notifications';
import {
  attachmentUploadResultSchema,
  attemptSchema,
  cardSchema,
  externalOperationSchema,
  internalOperationSchema,
  paymentMethodSchema,
  paymentMethodsResultSchema,
  pgPaymentMethodSchema,
  codecPayloadsSchema,
  errorDetailSchema,
  fieldErrorsSchema,
  gatewayConfigResultSchema,
  gatewayNotificationAckSchema,
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
import {
  newPublicKeySchema,
  paymentWithSdkSetupSchema,
  publicKeyViewSchema,
  sdkIntegritySchema,
  sdkSetupSchema,
} from './sdk-schemas';

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
  requests.add(updatePaymentSchema, { id: 'UpdatePaymentRequest' });
  requests.add(replacePaymentSchema, { id: 'ReplacePaymentRequest' });
  requests.add(paymentMethodsSchema, { id: 'PaymentMethodsRequest' });
  requests.add(inquirySchema, { id: 'InquiryRequest' });
  requests.add(attachmentUploadSchema, { id: 'AttachmentUploadRequest' });
  requests.add(currencyCodeSchema, { id: 'CurrencyCode' });
  requests.add(billingAddressSchema, { id: 'BillingAddress' });
  requests.add(agreementSchema, { id: 'Agreement' });
  requests.add(newCardSchema, { id: 'NewCard' });
  requests.add(codecPayloadsSchema, { id: 'CodecPayloads' });
  requests.add(gatewayNotificationSchema, { id: 'GatewayNotification' });
  requests.add(createPublicKeySchema, { id: 'CreatePublicKeyRequest' });

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
  responses.add(internalOperationSchema, { id: 'InternalOperation' });
  responses.add(externalOperationSchema, { id: 'ExternalOperation' });
  responses.add(paymentMethodSchema, { id: 'PaymentMethod' });
  responses.add(pgPaymentMethodSchema, { id: 'PGPaymentMethod' });
  responses.add(paymentMethodsResultSchema, { id: 'PaymentMethodsResult' });
  responses.add(attachmentUploadResultSchema, { id: 'AttachmentUploadResult' });
  responses.add(operationRefusedSchema, { id: 'OperationRefused' });
  responses.add(submitResultSchema, { id: 'SubmitResult' });
  responses.add(newMerchantSchema, { id: 'Merchant' });
  responses.add(gatewayConfigResultSchema, { id: 'GatewayConfig' });
  responses.add(healthSchema, { id: 'Health' });
  responses.add(readySchema, { id: 'Ready' });
  responses.add(notReadySchema, { id: 'NotReady' });
  responses.add(fieldErrorsSchema, { id: 'FieldErrors' });
  responses.add(errorDetailSchema, { id: 'ErrorDetail' });
  responses.add(gatewayNotificationAckSchema, { id: 'GatewayNotificationAck' });
  responses.add(publicKeyViewSchema, { id: 'PublicKey' });
  responses.add(newPublicKeySchema, { id: 'NewPublicKey' });
  responses.add(sdkIntegritySchema, { id: 'SdkIntegrity' });
  responses.add(sdkSetupSchema, { id: 'CheckoutSDK' });
  responses.add(paymentWithSdkSetupSchema, { id: 'PaymentWithSdkSetup' });

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
      include_sdk_setup_preload:
        "true → the answer carries sdk_setup_preload_payload (Ottu's CheckoutSDK object) for Checkout.init({setupPreload}). Not stored.",
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
  describe(
    'AutoDebitRequest',
    'Charge a saved card for an existing payment session, without the customer: an auto_debit payment with an agreement, the card linked to that agreement, within its limits.',
  );
  describe('ListCardsRequest', "List a customer's saved cards.", {
    agreement_id: 'At most the one card last used for this auto-debit agreement.',
  });
  describe(
    'UpdatePaymentRequest',
    'Partial update. extra can change at any time; payment_type never; every other field only while the payment is unpaid (created, pending, attempted) and no attempt runs. expiration_time counts from the payment’s creation.',
  );
  describe(
    'ReplacePaymentRequest',
    'Full update: type, amount, currency_code and pg_codes required; rules as for PATCH.',
  );
  describe(
    'PaymentMethodsRequest',
    "Filters over the merchant's payment methods; plugin e_commerce or payment_request (every method serves both). With customer_id, the customer's saved cards for the methods found.",
  );
  describe(
    'InquiryRequest',
    'Give session_id or order_no. notify_webhook_url also sends the answer as a webhook (to webhook_url, or the payment’s).',
  );
  describe(
    'AttachmentUploadRequest',
    'multipart/form-data with the file in the part "file" (pdf, jpeg, jpg, png, doc, docx, xls, xlsx, txt; at most 2 MiB). With session_id or order_no it becomes that unpaid payment’s attachment.',
  );
  describe('GatewayConfigRequest', 'How a merchant’s gateway account (pg_code) behaves.');
  describe('CreateMerchantRequest', 'A new merchant.');
  describe('CodecPayloads', "Temporal's remote codec protocol: payloads with base64 metadata and data.");
  describe(
    'GatewayNotification',
    "A charge's outcome, told by the gateway (never card data). Unknown fields are ignored.",
    {
      id: 'The event id: the same on every delivery of this event.',
      type: 'charge.succeeded | charge.authorized | charge.declined | charge.challenge_completed | charge.challenge_canceled',
      created: 'When the gateway made the event (epoch seconds).',
      charge:
        "The charge: id, status, the engine's idempotency key ({session_id}:attempt:{n}), decline_code, amount in minor units, currency.",
    },
  );
  describe(
    'CreatePublicKeyRequest',
    'The web origins (scheme://host[:port], https except for localhost / 127.0.0.1) that may embed the Web Checkout SDK frame with this key; 1 to 20.',
  );
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

const AGREEMENT_REFUSED = {
  description:
    'Invalid fields (FieldErrors), or a merchant-initiated charge its agreement does not allow ({"detail", "agreement_id"}: not an auto_debit payment with an agreement, a card not linked to it, outside its limits).',
  content: { 'application/json': { schema: { anyOf: [ref('FieldErrors'), ref('ErrorDetail')] } } },
};

const UPDATE_RESPONSES = {
  '200': jsonResponse('The payment as it is now.', 'Payment', REPLAYED),
  '400': {
    description:
      'Invalid fields (FieldErrors), or a change the payment’s state does not allow ({"detail", "state"}).',
    content: { 'application/json': { schema: { anyOf: [ref('FieldErrors'), ref('ErrorDetail')] } } },
  },
  ...MERCHANT_ERRORS,
  '404': problem("No such payment (also another merchant's)."),
  '409': problem('An attempt is running, the payment closed meanwhile, or an Idempotency-Key conflict.'),
  '413': problem('The attachment is larger than 2 MiB.'),
  '422': problem('This Idempotency-Key was already used with a different body.'),
};

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
const gateway = { tags: ['Gateway'], security: [] };

/** The Web Checkout SDK (CONTRACT §9): public keys, the script, the frame, customers' own cards. */
function sdkPaths(): OpenApiDocument['paths'] {
  const merchantIdParam = { name: 'merchant_id', in: 'path', required: true, schema: { type: 'string' } };
  const script = (description: string): Json => ({
    description,
    headers: {
      'Cache-Control': { schema: { type: 'string' } },
      'Access-Control-Allow-Origin': { schema: { type: 'string', enum: ['*'] } },
    },
    content: { 'text/javascript': { schema: { type: 'string' } } },
  });
  return {
    '/admin/v1/merchants/{merchant_id}/public-keys': {
      post: {
        ...admin,
        operationId: 'createPublicKey',
        summary: 'Issue a public key (Web Checkout SDK) with the origins that may embed the checkout',
        description:
          'CONTRACT §9. The key is shown once; only its hash is stored. It initialises the Web Checkout SDK for sessions of this merchant, framed by exactly these origins, and opens no REST endpoint.',
        parameters: [merchantIdParam],
        requestBody: jsonBody('CreatePublicKeyRequest'),
        responses: {
          '201': jsonResponse('The key (shown once) and its origins.', 'NewPublicKey'),
          '400': fieldErrors(),
          '401': problem('No or an invalid admin key.'),
          '404': problem('No such merchant.'),
          '415': MERCHANT_ERRORS['415'],
          '429': MERCHANT_ERRORS['429'],
        },
      },
      get: {
        ...admin,
        operationId: 'listPublicKeys',
        summary: "A merchant's public keys (prefixes, origins, revocation), never their secret",
        parameters: [merchantIdParam],
        responses: {
          '200': {
            description: 'Oldest first, revoked ones included.',
            content: { 'application/json': { schema: { type: 'array', items: ref('PublicKey') } } },
          },
          '401': problem('No or an invalid admin key.'),
          '404': problem('No such merchant.'),
          '429': MERCHANT_ERRORS['429'],
        },
      },
    },
    '/admin/v1/merchants/{merchant_id}/public-keys/{key_prefix}': {
      delete: {
        ...admin,
        operationId: 'revokePublicKey',
        summary: 'Revoke a public key',
        description:
          'Its frames stop rendering at once (a frame already open keeps its page until reloaded).',
        parameters: [
          merchantIdParam,
          {
            name: 'key_prefix',
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: '^pk_[0-9a-f]{12}$' },
          },
        ],
        responses: {
          '204': { description: 'Revoked (also when it already was).' },
          '401': problem('No or an invalid admin key.'),
          '404': problem('No such merchant, or no key of it with this prefix.'),
          '429': MERCHANT_ERRORS['429'],
        },
      },
    },
    '/checkout/v3/checkout.min.js': {
      get: {
        ...customer,
        operationId: 'sdkScript',
        summary: "The Web Checkout SDK (Ottu's interface), at its stable URL",
        description:
          'Checkout.init({selector, merchant_id, session_id, apiKey, lang, formsOfPayment, displayMode, theme, setupPreload}), Checkout.reload(), Checkout.showPopup(); callbacks named by data-success, data-error, data-cancel, data-beforepayment on the script tag. Cached 5 minutes; pin the immutable URL of integrity.json with `integrity` instead.',
        responses: { '200': script('The SDK, minified.') },
      },
    },
    '/checkout/v3/checkout.{hash}.min.js': {
      get: {
        ...customer,
        operationId: 'sdkScriptPinned',
        summary: 'The Web Checkout SDK at an immutable URL (for subresource integrity)',
        parameters: [{ name: 'hash', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': script('The SDK; cached for a year (immutable).'),
          '404': problem('Not the current version: read integrity.json.'),
        },
      },
    },
    '/checkout/v3/integrity.json': {
      get: {
        ...customer,
        operationId: 'sdkIntegrity',
        summary: "The SDK's immutable URL and its integrity hash",
        responses: { '200': jsonResponse('Where the current SDK is and its sha384.', 'SdkIntegrity') },
      },
    },
    '/checkout/v3/frame/{session_id}': {
      get: {
        ...customer,
        operationId: 'sdkFrame',
        summary: 'The payment form the SDK embeds (HTML)',
        description:
          "Rendered only for a session of the public key's merchant and a parent origin the key allows; its CSP frame-ancestors lists exactly the key's origins. `return=1` (back from 3-D Secure) allows the merchant's active keys' origins.",
        parameters: [
          sessionIdParam,
          { name: 'pk', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'origin', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'lang', in: 'query', required: false, schema: { type: 'string', enum: ['en', 'ar'] } },
          { name: 'fop', in: 'query', required: false, schema: { type: 'string' } },
          {
            name: 'display',
            in: 'query',
            required: false,
            schema: { type: 'string', enum: ['column', 'grid'] },
          },
          { name: 'return', in: 'query', required: false, schema: { type: 'string', enum: ['1'] } },
        ],
        responses: {
          '200': html('The payment frame.'),
          '403': html('Not for this key, origin or merchant: framable by nobody.'),
          '404': html('No such payment.'),
        },
      },
    },
    '/checkout/{session_id}/sdk-setup': {
      get: {
        ...customer,
        operationId: 'sdkSetup',
        summary: "The session's setup object (Ottu's CheckoutSDK), when the SDK was given no preload",
        parameters: [sessionIdParam],
        responses: {
          '200': jsonResponse('The setup object.', 'CheckoutSDK'),
          '404': problem('No such payment.'),
        },
      },
    },
    '/checkout/{session_id}/cards/{token}': {
      delete: {
        ...customer,
        operationId: 'removeSavedCard',
        summary: "The session's customer removes one of their saved cards",
        description:
          'Requires the page\'s `X-CSRF-Token`. Afterwards the card is neither listed nor charged; with a webhook_url the merchant gets a signed webhook (operation "card_deleted"). A card paying an active auto-debit agreement is refused (409).',
        parameters: [
          sessionIdParam,
          { name: 'token', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'X-CSRF-Token', in: 'header', required: true, schema: { type: 'string' } },
        ],
        responses: {
          '204': { description: 'Removed.' },
          '403': problem('The CSRF token is missing or does not match.'),
          '404': problem("No such payment, or no such card of the session's customer."),
          '409': problem('The card pays an active auto-debit agreement, or the session is closed.'),
          '429': problem('Too many requests.'),
        },
      },
    },
  };
}
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

  const all: OpenApiDocument['paths'] = {
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
              'application/json': {
                schema: { oneOf: [ref('Payment'), ref('PaymentWithSdkSetup'), ref('WebhookPayload')] },
              },
            },
          },
          '400': AGREEMENT_REFUSED,
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
      put: {
        ...merchant,
        operationId: 'replacePayment',
        summary: 'Update a payment (full)',
        description:
          "Ottu's full update: type, amount, currency_code and pg_codes required. Fields other than extra change only while the payment is unpaid; its CheckoutWorkflow takes the new amount, gateways and expiry for later attempts. Also accepts form-urlencoded and multipart bodies (a file part `attachment`).",
        parameters: [sessionIdParam, idempotencyKeyParam],
        requestBody: jsonBody('ReplacePaymentRequest'),
        responses: UPDATE_RESPONSES,
      },
      patch: {
        ...merchant,
        operationId: 'updatePayment',
        summary: 'Update a payment (partial)',
        description:
          "Ottu's partial update: only the fields given. Fields other than extra change only while the payment is unpaid; its CheckoutWorkflow takes the new amount, gateways and expiry for later attempts. Also accepts form-urlencoded and multipart bodies (a file part `attachment`).",
        parameters: [sessionIdParam, idempotencyKeyParam],
        requestBody: jsonBody('UpdatePaymentRequest'),
        responses: UPDATE_RESPONSES,
      },
    },
    '/b/checkout/v1/upload-attachment/': {
      post: {
        ...merchant,
        operationId: 'uploadAttachment',
        summary: 'Upload an attachment (optionally attach it to a payment)',
        description: 'multipart/form-data only. The file is served back to this merchant only, at file_url.',
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              // flat (no allOf): form clients and fuzzers read the file part from `properties`
              schema: {
                type: 'object',
                required: ['file'],
                properties: {
                  file: { type: 'string', format: 'binary', description: 'The file.' },
                  session_id: { type: 'string', maxLength: 128 },
                  order_no: { type: 'string', maxLength: 128 },
                  shortify_attachment_url: { type: 'boolean', description: 'Accepted; no shortener.' },
                },
                description: 'See AttachmentUploadRequest.',
              },
            },
          },
        },
        responses: {
          '200': jsonResponse('Stored.', 'AttachmentUploadResult'),
          '400': {
            description:
              'No file or a type not accepted (FieldErrors), or the payment is no longer unpaid ({"detail", "state"}).',
            content: { 'application/json': { schema: { anyOf: [ref('FieldErrors'), ref('ErrorDetail')] } } },
          },
          ...MERCHANT_ERRORS,
          '404': problem('No payment with this session_id or order_no.'),
          '413': problem('The file is larger than 2 MiB.'),
        },
      },
    },
    '/b/checkout/v1/attachments/{attachment_id}/': {
      get: {
        ...merchant,
        operationId: 'getAttachment',
        summary: 'Download an attachment (its merchant only)',
        parameters: [{ name: 'attachment_id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'The file, as uploaded.', content: { 'application/octet-stream': {} } },
          '401': MERCHANT_ERRORS['401'],
          '404': problem("No such attachment (also another merchant's)."),
          '429': MERCHANT_ERRORS['429'],
        },
      },
    },
    '/b/pbl/v2/payment-methods/': {
      post: {
        ...merchant,
        operationId: 'listPaymentMethods',
        summary: "The merchant's payment methods, filtered (Ottu PaymentMethods API)",
        requestBody: jsonBody('PaymentMethodsRequest'),
        responses: {
          '200': jsonResponse('The payment methods and the customer’s saved cards.', 'PaymentMethodsResult'),
          '400': fieldErrors(),
          ...MERCHANT_ERRORS,
        },
      },
    },
    '/b/pbl/v2/inquiry/': {
      post: {
        ...merchant,
        operationId: 'inquiry',
        summary: 'Check a payment’s status (answers like a webhook)',
        description:
          "Ottu's Check Status-Inquiry. A pending, attempted, failed or expired payment whose latest attempt waits for the gateway (3-D Secure) is settled with the gateway's answer first.",
        parameters: [idempotencyKeyParam],
        requestBody: jsonBody('InquiryRequest'),
        responses: {
          '200': jsonResponse('The payment as its webhook tells it.', 'WebhookPayload', REPLAYED),
          '400': fieldErrors(),
          ...MERCHANT_ERRORS,
          '404': problem('No payment with this session_id or order_no.'),
          ...IDEMPOTENCY_ERRORS,
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
          '409': problem('The card is linked to an active auto-debit agreement.'),
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
          '400': AGREEMENT_REFUSED,
          ...MERCHANT_ERRORS,
          '404': problem('No such payment or saved card.'),
          '409': problem('The payment is not payable, or an Idempotency-Key conflict.'),
          '422': problem(
            'Auto-debit is not enabled / the config requires the CVV / not an auto_debit payment with an agreement / the card is not linked to the agreement / outside the agreement’s limits / key reused.',
          ),
          '423': problem('The saved card is locked.'),
          '503': problem('The payment engine is unavailable.'),
        },
      },
    },
    '/b/pbl/v2/operation/': {
      post: {
        ...merchant,
        operationId: 'paymentOperation',
        summary: 'Refund, capture, void, cancel, expire or delete a payment',
        description:
          'CONTRACT §1.6. Accepts Idempotency-Key or Ottu’s Tracking-Key. cancel, expire and delete answer InternalOperation; refund, capture and void ExternalOperation (signed like a webhook). delete takes the payment out of the merchant API (an open one is canceled first).',
        parameters: [idempotencyKeyParam, trackingKeyParam],
        requestBody: jsonBody('OperationRequest'),
        responses: {
          '200': {
            description: 'The operation succeeded.',
            headers: REPLAYED,
            content: {
              'application/json': { schema: { anyOf: [ref('InternalOperation'), ref('ExternalOperation')] } },
            },
          },
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
    '/gateway/notifications': {
      post: {
        ...gateway,
        operationId: 'gatewayNotification',
        summary: "The gateway's server-to-server notification of a charge outcome",
        description: `CONTRACT §9. Authenticated by \`${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">\` with TOKENPAY_GATEWAY_NOTIFY_SECRET (constant-time compare; several v1 entries allowed). Deduplicated by event id; passed on to the payment's workflow, which settles what it waits for. Answered once the workflow took (or refused) the notice; a notice about nothing the payment waits for is acknowledged too.`,
        parameters: [
          {
            name: SIGNATURE_HEADER,
            in: 'header',
            required: true,
            description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">',
            schema: { type: 'string' },
          },
        ],
        requestBody: jsonBody('GatewayNotification'),
        responses: {
          '200': jsonResponse('Received (or received before: `duplicate`).', 'GatewayNotificationAck'),
          '400': fieldErrors(
            `Not a notification (field errors, or \`{detail}\` for a body that is not JSON), or signed more than ${SIGNATURE_TOLERANCE_S / 60} minutes ago or ahead (\`{detail}\`).`,
          ),
          '401': problem(`No valid ${SIGNATURE_HEADER}: not sent by the gateway.`),
          '413': problem('Larger than 64 kB.'),
          '415': problem('The body is not UTF-8 application/json.'),
          '503': problem('Temporal or MongoDB is briefly unavailable: the gateway retries later.'),
        },
      },
    },
    ...sdkPaths(),
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
  // Ottu serves auto-debit at a second path too
  const autoDebit = all['/b/pbl/v2/auto-debit/']!.post!;
  all['/b/pbl/v2/payment/auto-debit/'] = { post: { ...autoDebit, operationId: 'autoDebitPayment' } };
  return all;
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
      {
        name: 'Gateway',
        description: 'Signed server-to-server notifications from the payment gateway (§9).',
      },
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
