/**
 * The contract's request bodies as zod schemas: the single source of truth for validation (and,
 * later, the OpenAPI document). Rules that need more than one field live in the route that owns
 * them; pure rules (money, card, duration) live in their own domain modules and are called here.
 */
import { z } from 'zod';

import { parseExpirationTime } from './duration';
import { CURRENCY_CODES } from './money';
import { MAX_ALLOWED_ORIGINS, parseWebOrigin } from './web-origin';

const text = (max: number) => z.string().trim().min(1).max(max);
const optionalText = (max: number) => z.string().trim().max(max).optional();

export const currencyCodeSchema = z.enum(CURRENCY_CODES as [string, ...string[]], {
  error: `Use one of ${CURRENCY_CODES.join(', ')}.`,
});

export const billingAddressSchema = z.object({
  line1: optionalText(255),
  line2: optionalText(255),
  city: optionalText(128),
  state: optionalText(128),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/, 'Use an ISO 3166-1 alpha-2 country code such as "KW".')
    .optional(),
  postal_code: optionalText(32),
});

const httpUrl = z.url({ protocol: /^https?$/, error: 'Enter a valid http(s) URL.' }).max(2048);

/**
 * Free-form JSON the engine stores as given (`extra`, an agreement's own fields): it must be
 * storable in MongoDB and FerretDB alike: no key starting with "$", containing "." or NUL, or
 * spelled "__proto__"; no array directly inside an array (FerretDB); at most 8 levels deep.
 */
export function storableJsonProblem(value: unknown, maxDepth = 8): string | undefined {
  const stack: [unknown, number, boolean][] = [[value, 0, false]];
  while (stack.length) {
    const [node, depth, inArray] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > maxDepth) return `Nest at most ${maxDepth} levels deep.`;
    if (Array.isArray(node)) {
      if (inArray) return 'Arrays cannot contain arrays.';
      for (const item of node) stack.push([item, depth + 1, true]);
      continue;
    }
    for (const [key, child] of Object.entries(node)) {
      if (key.startsWith('$') || key.includes('.') || key.includes('\u0000') || key === '__proto__') {
        return `Keys cannot start with "$" or contain "." or NUL (${JSON.stringify(key.slice(0, 32))}).`;
      }
      stack.push([child, depth + 1, false]);
    }
  }
  return undefined;
}

const storable = <T extends z.ZodType>(schema: T) =>
  schema.superRefine((value, ctx) => {
    const problem = storableJsonProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Use YYYY-MM-DD.')
  .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)), 'Not a calendar date.');
/** Ottu's decimal amounts: up to 13 integer digits and 3 decimals. */
const decimalAmount = z
  .string()
  .regex(/^\d{1,13}(?:\.\d{1,3})?$/, 'Enter a decimal amount such as "10.500".');

/**
 * Ottu's `Agreement`. Its limits (start/expiry day, max amount per cycle, the minimum gap in days,
 * the number of merchant-initiated cycles, a fixed amount) bind auto-debits (domain/saved-card.ts);
 * `frequency` and `type` are told to the gateway. Other fields (e.g. `seller`) are kept as given.
 */
export const agreementSchema = storable(
  z
    .looseObject({
      id: text(128),
      type: optionalText(64),
      frequency: optionalText(64),
      amount_variability: z.enum(['fixed', 'variable']).optional(),
      start_date: isoDate.optional(),
      expiry_date: isoDate.optional(),
      max_amount_per_cycle: decimalAmount.optional(),
      cycle_interval_days: z.coerce.number().int().min(1).max(366).optional(),
      total_cycles: z.coerce.number().int().min(1).max(999).optional(),
    })
    .refine((a) => !a.start_date || !a.expiry_date || a.start_date <= a.expiry_date, {
      message: 'expiry_date is before start_date.',
      path: ['expiry_date'],
    }),
);

/**
 * Fields of Ottu's Checkout object tokenpay accepts but never stores: the web SDK's preload flag
 * (the create answer includes `sdk_setup_preload_payload` when it is true), and services no
 * machine here offers (QR codes, short links, e-mail and SMS notifications, loyalty, branding).
 * README lists them; sending them is never an error.
 */
const ottuAcceptedFields = {
  include_sdk_setup_preload: z.boolean().optional(),
  generate_qr_code: z.boolean().optional(),
  shortify_checkout_url: z.boolean().optional(),
  shortify_attachment_url: z.boolean().optional(),
  preload_checkout_page: z.boolean().optional(),
  email_recipients: z.array(z.email()).max(16).optional(),
  notifications: storable(z.record(z.string(), z.unknown())).optional(),
  vendor_name: optionalText(64),
  product_type: optionalText(64),
  due_datetime: optionalText(64),
  customer_birthdate: optionalText(32),
  customer_phone_2: optionalText(32),
  mode: optionalText(32),
} as const;
/** Ignored fields: never stored, never echoed. */
export const IGNORED_CHECKOUT_FIELDS = Object.keys(ottuAcceptedFields);

const checkoutFields = z.object({
  type: z.enum(['payment_request', 'e_commerce']),
  amount: z.string().max(32),
  currency_code: currencyCodeSchema,
  pg_codes: z.array(text(64)).min(1).max(16),
  customer_id: text(64).optional(),
  customer_email: z.email().max(254).optional(),
  customer_phone: optionalText(32),
  customer_first_name: optionalText(128),
  customer_last_name: optionalText(128),
  billing_address: billingAddressSchema.optional(),
  order_no: text(128).optional(),
  expiration_time: z
    .string()
    .refine((v) => parseExpirationTime(v) !== undefined, 'Use "D HH:MM:SS" or "HH:MM:SS", up to 30 days.')
    .optional(),
  webhook_url: httpUrl.optional(),
  redirect_url: httpUrl.optional(),
  language: z.enum(['en', 'ar']).optional(),
  extra: storable(z.record(z.string(), z.unknown())).optional(),
  payment_type: z.enum(['one_off', 'auto_debit', 'save_card']).optional(),
  agreement: agreementSchema.optional(),
  payment_instrument: z
    .object({
      instrument_type: z.literal('token').default('token'),
      payload: z.object({ token: text(128) }),
    })
    .optional(),
  ...ottuAcceptedFields,
});

export const createPaymentSchema = checkoutFields.superRefine((body, ctx) => {
  if (body.payment_type === 'auto_debit') {
    if (!body.customer_id)
      ctx.addIssue({ code: 'custom', path: ['customer_id'], message: 'Required for auto_debit.' });
    if (!body.agreement)
      ctx.addIssue({ code: 'custom', path: ['agreement'], message: 'Required for auto_debit.' });
  }
  if (body.payment_type === 'save_card' && !body.customer_id) {
    ctx.addIssue({ code: 'custom', path: ['customer_id'], message: 'Required to save a card.' });
  }
});
export type CreatePaymentRequest = z.infer<typeof createPaymentSchema>;

/**
 * PATCH (partial update) of a payment: any of the create fields but the one-step
 * `payment_instrument`. Which of them may change in which state is the route's rule
 * (domain/checkout.ts `updateRefusal`).
 */
export const updatePaymentSchema = checkoutFields
  .omit({ payment_instrument: true })
  .partial()
  .refine((b) => Object.keys(b).length > 0, {
    message: 'Give at least one field to change.',
    path: ['non_field_errors'],
  });
/** PUT (full update): Ottu's Checkout object, whose required fields must all be given. */
export const replacePaymentSchema = checkoutFields
  .omit({ payment_instrument: true })
  .partial()
  .required({ type: true, amount: true, currency_code: true, pg_codes: true });
export type UpdatePaymentRequest = z.infer<typeof updatePaymentSchema>;

export const newCardSchema = z.object({
  name_on_card: text(128),
  number: z.string().max(32),
  expiry_month: z.string().max(2),
  expiry_year: z.string().max(4),
  cvv: z.string().max(4),
});

export const submitPaymentSchema = z.discriminatedUnion('payment_method', [
  z.object({
    pg_code: text(64),
    payment_method: z.literal('card'),
    card: newCardSchema,
    save_card: z.boolean().optional().default(false),
  }),
  z.object({
    pg_code: text(64),
    payment_method: z.literal('token'),
    token: text(128),
    cvv: z.string().max(4).optional(),
  }),
]);
export type SubmitPaymentRequest = z.infer<typeof submitPaymentSchema>;

export const gatewayConfigSchema = z.object({
  name: optionalText(128),
  currencies: z.array(currencyCodeSchema).min(1),
  operation: z.enum(['purchase', 'authorize']),
  tokenization_enabled: z.boolean(),
  cvv_required: z.boolean(),
  auto_debit_enabled: z.boolean(),
  three_ds: z.enum(['never', 'challenge_if_required']),
  max_attempts: z.number().int().min(1).max(10),
});

export const createMerchantSchema = z.object({ name: text(128) });

/** A web origin a public key lets embed the checkout, normalised (domain/web-origin.ts). */
export const webOriginSchema = z
  .string()
  .max(256)
  .transform((value, ctx) => {
    const check = parseWebOrigin(value);
    if (check.ok) return check.origin;
    ctx.addIssue({ code: 'custom', message: check.message });
    return z.NEVER;
  });

export const createPublicKeySchema = z.object({
  allowed_origins: z
    .array(webOriginSchema)
    .min(1)
    .max(MAX_ALLOWED_ORIGINS)
    .transform((origins) => [...new Set(origins)]),
});

export const autoDebitSchema = z.object({
  session_id: text(128),
  token: text(128),
});

export const operationSchema = z
  .object({
    operation: z.enum(['refund', 'capture', 'void', 'cancel', 'expire', 'delete']),
    session_id: text(128).optional(),
    order_no: text(128).optional(),
    amount: z.string().max(32).optional(),
    extra: storable(z.record(z.string(), z.unknown())).optional(),
    destination: z.literal('pg', { error: 'Only "pg": tokenpay has no wallets.' }).optional(),
  })
  .refine((b) => b.session_id !== undefined || b.order_no !== undefined, {
    message: 'Give session_id or order_no.',
    path: ['session_id'],
  });
export type OperationRequestBody = z.infer<typeof operationSchema>;

export const listCardsSchema = z.object({
  type: z.enum(['sandbox', 'production']),
  customer_id: text(64),
  pg_codes: z.array(text(64)).max(16).optional(),
  /** at most the one card last used for this agreement */
  agreement_id: text(128).optional(),
});

/** Ottu's PaymentMethodsRequest: filters over the merchant's payment methods. */
export const paymentMethodsSchema = z.object({
  plugin: text(50),
  currencies: z.array(text(8)).max(16).optional(),
  customer_id: text(64).optional(),
  operation: z.enum(['purchase', 'authorize']).optional(),
  tokenizable: z.boolean().optional(),
  auto_debit: z.boolean().optional(),
  pg_names: z.array(text(64)).max(16).optional(),
  pg_codes: z.array(text(64)).max(16).optional(),
  type: z.enum(['sandbox', 'production']).optional(),
  tags: z.array(text(32)).max(16).optional(),
  payment_services: z.array(text(32)).max(8).optional(),
});

/** Ottu's Inquiry: one of session_id / order_no. */
export const inquirySchema = z
  .object({
    session_id: text(128).optional(),
    order_no: text(128).optional(),
    notify_webhook_url: z.boolean().optional().default(false),
    webhook_url: httpUrl.optional(),
  })
  .refine((b) => b.session_id !== undefined || b.order_no !== undefined, {
    message: 'Give session_id or order_no.',
    path: ['session_id'],
  });

/** Ottu's AttachmentUpload (the file itself is the multipart part `file`). */
export const attachmentUploadSchema = z
  .object({
    session_id: text(128).optional(),
    order_no: text(128).optional(),
    shortify_attachment_url: z.boolean().optional(),
  })
  .refine((b) => !(b.session_id && b.order_no), {
    message: 'Give session_id or order_no, not both.',
    path: ['non_field_errors'],
  });

/** zod issues → the contract's 400 shape: `{"field": ["message"]}`, nested objects nest. */
export type FieldErrors = { [field: string]: string[] | FieldErrors };

export function toFieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const path = issue.path.length ? issue.path.map(String) : ['non_field_errors'];
    addFieldError(out, path, issue.message);
  }
  return out;
}

/** Own properties only, defined (not assigned): a key like "__proto__" stays a plain field. */
const ownField = (node: FieldErrors, key: string): FieldErrors[string] | undefined =>
  Object.prototype.hasOwnProperty.call(node, key) ? node[key] : undefined;
const setField = (node: FieldErrors, key: string, value: FieldErrors[string]): void => {
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
};

export function addFieldError(out: FieldErrors, path: string[], message: string): FieldErrors {
  let node = out;
  path.slice(0, -1).forEach((key) => {
    let next = ownField(node, key);
    if (!next || Array.isArray(next)) setField(node, key, (next = {}));
    node = next;
  });
  const leaf = path[path.length - 1] ?? 'non_field_errors';
  const existing = ownField(node, leaf);
  setField(node, leaf, Array.isArray(existing) ? [...existing, message] : [message]);
  return out;
}
