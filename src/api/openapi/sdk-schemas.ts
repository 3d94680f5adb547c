/**
 * Response shapes of the Web Checkout SDK's endpoints (CONTRACT §9) for the OpenAPI document:
 * public keys, the SDK's integrity hash, and Ottu's CheckoutSDK setup object. The type checks at
 * the bottom tie them to what the routes answer.
 */
import { z } from 'zod';

import type { SdkSetupPreload } from '../../ottu/sdk-preload';
import type { PublicKeyView } from '../../store/public-keys';
import { cardSchema, paymentSchema, paymentStateSchema } from './schemas';

const isoDateTime = z.string().describe('ISO-8601 timestamp (UTC).');
const decimal = z.string().regex(/^\d+(\.\d+)?$/);

export const publicKeyViewSchema = z
  .object({
    key_prefix: z.string().describe('Names the key (admin API); not a secret.'),
    allowed_origins: z.array(z.string()).describe('Web origins that may embed the checkout frame.'),
    created_at: isoDateTime,
    revoked_at: isoDateTime.nullable(),
  })
  .describe('A public key, without its secret part.');

export const newPublicKeySchema = publicKeyViewSchema
  .extend({
    public_key: z
      .string()
      .describe('Shown once: only a hash is stored. The apiKey of Checkout.init; opens no REST endpoint.'),
  })
  .describe('A new public key.');

export const sdkIntegritySchema = z.object({
  version: z.literal('v3'),
  url: z.string().describe('The current SDK at an immutable URL: pin it with `integrity`.'),
  integrity: z.string().describe('Subresource integrity of that URL (sha384-…).'),
  stable_url: z.string().describe('The SDK at its stable URL (updated in place, cached 5 minutes).'),
});

const money = z.object({ label: z.string(), amount: decimal, currency_code: z.string() });

export const sdkCardSchema = cardSchema
  .extend({
    delete_url: z
      .string()
      .nullable()
      .describe("DELETE with the frame's CSRF token removes the card; null when it cannot be removed."),
    is_locked: z.boolean().describe('The card pays an active auto-debit agreement.'),
    locked_reason: z.string().nullable().describe('Why, in the session language.'),
  })
  .describe('A saved card in the SDK setup object.');

export const sdkSetupSchema = z
  .object({
    session_id: z.string(),
    type: z.enum(['payment_request', 'e_commerce']),
    state: paymentStateSchema,
    amount: decimal,
    currency_code: z.string(),
    customer_id: z.string().optional(),
    customer_phone: z.string().optional(),
    language: z.enum(['en', 'ar']),
    operation: z.enum(['purchase', 'authorize']),
    payment_type: z.enum(['one_off', 'auto_debit', 'save_card']),
    expiration_time: isoDateTime,
    is_amount_editable: z.literal(false),
    billing: z.object({ total: money, fee: money }),
    cancel_url: z.null(),
    cards: z.array(sdkCardSchema),
    payment_methods: z.array(
      z.object({
        code: z.string(),
        name: z.string(),
        type: z.enum(['payment_request', 'e_commerce']),
        amount: decimal,
        currency_code: z.string(),
        fee: decimal,
        fee_description: z.string(),
        icon: z.string(),
        icons: z.array(z.string()),
        flow: z.literal('card_form'),
        redirect_url: z.string(),
        can_save_card: z.boolean(),
      }),
    ),
    payment_services: z.array(z.never()),
    flex_methods: z.array(z.never()),
    sdk_studio: z.record(z.string(), z.never()),
    response: z.object({
      status: z.string().optional(),
      message: z.string().optional(),
      reference_number: z.string().optional(),
      pg_code: z.string().optional(),
    }),
  })
  .describe("Ottu's CheckoutSDK object: what the Web Checkout SDK renders a session from.");

export const paymentWithSdkSetupSchema = paymentSchema
  .extend({ sdk_setup_preload_payload: sdkSetupSchema })
  .describe('A created payment with include_sdk_setup_preload: true.');

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const sdkSchemaTypeChecks: [
  Same<z.infer<typeof publicKeyViewSchema>, PublicKeyView>,
  Same<
    z.infer<typeof sdkSetupSchema>['cards'][number]['delete_url'],
    SdkSetupPreload['cards'][number]['delete_url']
  >,
  Same<keyof z.infer<typeof sdkSetupSchema>, keyof SdkSetupPreload>,
] = [true, true, true];
