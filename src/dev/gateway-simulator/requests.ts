import { z } from 'zod';
import { validateRawCard, type ValidatedCard } from './cards';
import { badRequest } from './errors';

/** Request-body parsing: shape and stateless checks only (tokens and cards on file are checked later). */

// lengths are only sanity bounds: validateRawCard answers invalid_card / invalid_expiry / invalid_cvc
const rawCardSchema = z.strictObject({
  number: z.string().max(64),
  exp_month: z.string().max(8),
  exp_year: z.string().max(8),
  cvc: z.string().max(8),
  name: z.string().max(200).optional(),
});

const tokenRequestSchema = z.strictObject({
  card: rawCardSchema.optional(),
  source_token: z.string().min(1).max(100).optional(),
  cvc: z.string().max(8).optional(),
});

const chargeRequestSchema = z.strictObject({
  amount: z.unknown(),
  currency: z.string().regex(/^[A-Za-z]{3}$/, 'must be an ISO 4217 code'),
  capture: z.boolean(),
  token: z.string().min(1).max(100).optional(),
  source_token: z.string().min(1).max(100).optional(),
  cvc_token: z.string().min(1).max(100).optional(),
  card: rawCardSchema.optional(),
  store_card: z.boolean().optional(),
  return_url: z.string().max(2048).optional(),
  three_d_secure: z.enum(['never', 'if_required']).optional(),
  merchant_initiated: z.boolean().optional(),
});

const captureSchema = z.strictObject({ amount: z.unknown().optional() });
const refundSchema = z.strictObject({ amount: z.unknown() });
const voidSchema = z.strictObject({});

const NOTIFICATION_MODES = ['drop_notification', 'delay_notification'] as const;

/**
 * `error_500` / `timeout` / `drop_response_after_commit` act on money-moving requests (`target`,
 * default `charge`); `drop_notification` (never sent) and `delay_notification` (first attempt
 * `latency_ms` later) act on the next `count` server-to-server notifications.
 */
const faultSchema = z
  .strictObject({
    mode: z.enum(['error_500', 'timeout', 'drop_response_after_commit', ...NOTIFICATION_MODES]),
    count: z.number().int().min(1).max(1000),
    latency_ms: z.number().int().min(0).max(600_000).optional(),
    target: z.enum(['charge', 'capture', 'refund', 'void', 'any', 'notification']).optional(),
  })
  .refine(
    (f) =>
      (NOTIFICATION_MODES as readonly string[]).includes(f.mode)
        ? f.target === undefined || f.target === 'notification'
        : f.target !== 'notification',
    {
      message:
        'notification faults (drop_notification, delay_notification) are the only ones for target notification',
      path: ['target'],
    },
  );

const clockSchema = z.strictObject({ advance_ms: z.number().int().min(0) });

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('invalid_request', 'expected a JSON object body (Content-Type: application/json)');
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw badRequest('invalid_request', `${where}${issue?.message ?? 'invalid request'}`);
  }
  return result.data;
}

function amountOf(value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw badRequest('invalid_amount', `amount must be an integer number of minor units >= ${min}`);
  }
  return value;
}

export type TokenRequest =
  { kind: 'card'; card: ValidatedCard } | { kind: 'cvc'; source_token: string; cvc: string };

export function parseTokenRequest(body: unknown, now: Date): TokenRequest {
  const request = parse(tokenRequestSchema, body);
  if (request.card && request.source_token === undefined && request.cvc === undefined) {
    return { kind: 'card', card: validateRawCard(request.card, now) };
  }
  if (!request.card && request.source_token !== undefined && request.cvc !== undefined) {
    return { kind: 'cvc', source_token: request.source_token, cvc: request.cvc };
  }
  throw badRequest('invalid_request', 'pass either {card} or {source_token, cvc}');
}

export type ChargeSource =
  | { kind: 'token'; token: string }
  | { kind: 'source'; source_token: string; cvc_token?: string }
  | { kind: 'card'; card: ValidatedCard; name?: string };

export interface ParsedCharge {
  amount: number;
  currency: string;
  capture: boolean;
  source: ChargeSource;
  store_card: boolean;
  return_url?: string;
  three_d_secure: 'never' | 'if_required';
  /** no customer present: a source_token charge without cvc_token, unless merchant_initiated:false */
  merchant_initiated: boolean;
  /** the request in canonical form without PAN or CVC, for the idempotency fingerprint */
  canonical: Record<string, unknown>;
}

export function parseChargeRequest(body: unknown, now: Date): ParsedCharge {
  const request = parse(chargeRequestSchema, body);
  const storeCard = request.store_card ?? false;
  const amount = amountOf(request.amount, 0);
  if (amount === 0 && !storeCard) {
    throw badRequest('invalid_amount', 'amount 0 is allowed only to verify a card being stored (store_card)');
  }

  const given = [request.token, request.source_token, request.card].filter((v) => v !== undefined).length;
  if (given !== 1) throw badRequest('invalid_request', 'pass exactly one of token, source_token, card');
  if (request.cvc_token !== undefined && request.source_token === undefined) {
    throw badRequest('invalid_request', 'cvc_token is only valid with source_token');
  }
  const cardOnFileWithoutCvc = request.source_token !== undefined && request.cvc_token === undefined;
  if (request.merchant_initiated === true && !cardOnFileWithoutCvc) {
    throw badRequest(
      'invalid_request',
      'merchant_initiated charges use a source_token without cvc_token (no customer, no CVC)',
    );
  }
  const merchantInitiated = cardOnFileWithoutCvc && request.merchant_initiated !== false;

  if (request.return_url !== undefined && !isHttpUrl(request.return_url)) {
    throw badRequest('invalid_request', 'return_url must be an absolute http(s) URL');
  }

  let source: ChargeSource;
  let canonicalSource: Record<string, unknown>;
  if (request.token !== undefined) {
    source = { kind: 'token', token: request.token };
    canonicalSource = { token: request.token };
  } else if (request.source_token !== undefined) {
    source = { kind: 'source', source_token: request.source_token };
    if (request.cvc_token !== undefined) source.cvc_token = request.cvc_token;
    canonicalSource = { source_token: request.source_token, cvc_token: request.cvc_token ?? null };
  } else {
    const raw = request.card!;
    const card = validateRawCard(raw, now);
    source = { kind: 'card', card, ...(raw.name !== undefined ? { name: raw.name } : {}) };
    canonicalSource = { card: { ...card.card, name: raw.name ?? null } };
  }

  const currency = request.currency.toUpperCase();
  const threeDs = request.three_d_secure ?? 'if_required';
  const parsed: ParsedCharge = {
    amount,
    currency,
    capture: request.capture,
    source,
    store_card: storeCard,
    three_d_secure: threeDs,
    merchant_initiated: merchantInitiated,
    canonical: {
      amount,
      currency,
      capture: request.capture,
      ...canonicalSource,
      store_card: storeCard,
      return_url: request.return_url ?? null,
      three_d_secure: threeDs,
      merchant_initiated: merchantInitiated,
    },
  };
  if (request.return_url !== undefined) parsed.return_url = request.return_url;
  return parsed;
}

export function parseCaptureRequest(body: unknown): { amount?: number } {
  const request = parse(captureSchema, body ?? {});
  return request.amount === undefined ? {} : { amount: amountOf(request.amount, 0) };
}

export function parseRefundRequest(body: unknown): { amount: number } {
  return { amount: amountOf(parse(refundSchema, body ?? {}).amount, 1) };
}

export function parseVoidRequest(body: unknown): void {
  parse(voidSchema, body ?? {});
}

export type FaultRequest = z.infer<typeof faultSchema>;

export function parseFaultRequest(body: unknown): FaultRequest {
  return parse(faultSchema, body);
}

export function parseClockRequest(body: unknown): { advance_ms: number } {
  return parse(clockSchema, body);
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
