/**
 * The gateway's server-to-server notifications (CONTRACT §9): how the engine authenticates one
 * and what it may contain. The scheme is Stripe's: header
 * `Tokenpay-Gateway-Signature: t=<unix seconds>,v1=<hex>` where `<hex>` is HMAC-SHA256 with the
 * shared secret over `"<t>.<raw body>"`; several `v1` entries may be given (secret rotation on the
 * gateway's side) and one matching is enough. A real PSP adapter would bring its own verifier.
 *
 * Hand-written on node:crypto (30 lines) rather than the `stripe` SDK's verifier: that one
 * accepts timestamps in the future and reports stale and forged alike, and the engine must answer
 * them differently (400: a clock problem the gateway may retry; 401: not the gateway).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const SIGNATURE_HEADER = 'Tokenpay-Gateway-Signature';
/** A notification signed longer ago (or further ahead) than this is refused: replay window. */
export const SIGNATURE_TOLERANCE_S = 300;
/** Headers longer than this are not parsed (a real one is ~80 characters per signature). */
const MAX_HEADER_LENGTH = 1024;

export type SignatureCheck =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' }
  | { ok: false; reason: 'stale' | 'future'; timestamp: number };

export interface SignatureInput {
  header: string | undefined;
  body: Buffer;
  secret: string;
  /** now, in epoch seconds */
  nowS: number;
  toleranceS?: number;
}

/**
 * Checks the signature first (constant time), then the timestamp: a forged request learns
 * nothing about the window, and a stale answer tells only the real gateway that its clock is off.
 */
export function verifyNotificationSignature(input: SignatureInput): SignatureCheck {
  const { header } = input;
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  if (header.length > MAX_HEADER_LENGTH) return { ok: false, reason: 'malformed' };
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return { ok: false, reason: 'malformed' };
      timestamp = Number(value);
    } else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) {
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: 'malformed' };

  const expected = createHmac('sha256', input.secret)
    .update(`${timestamp}.`, 'utf8')
    .update(input.body)
    .digest();
  // every candidate is compared, so the time taken does not tell which one matched
  let matched = false;
  for (const candidate of signatures) matched = timingSafeEqual(candidate, expected) || matched;
  if (!matched) return { ok: false, reason: 'mismatch' };

  const tolerance = input.toleranceS ?? SIGNATURE_TOLERANCE_S;
  if (timestamp < input.nowS - tolerance) return { ok: false, reason: 'stale', timestamp };
  if (timestamp > input.nowS + tolerance) return { ok: false, reason: 'future', timestamp };
  return { ok: true, timestamp };
}

const CHARGE_STATUSES = ['succeeded', 'authorized', 'declined', 'requires_action'] as const;

/** Unknown fields are ignored (a gateway adds fields over time); known ones are checked strictly. */
export const gatewayNotificationSchema = z.object({
  id: z.string().regex(/^evt_[A-Za-z0-9]{1,64}$/, 'must be a gateway event id (evt_…)'),
  type: z.string().regex(/^[a-z_]{1,32}\.[a-z_]{1,32}$/, 'must be an event type such as charge.succeeded'),
  /** epoch seconds */
  created: z.number().int().min(0).max(1e11),
  charge: z.object({
    id: z.string().regex(/^ch_[A-Za-z0-9]{1,64}$/, 'must be a gateway charge id (ch_…)'),
    status: z.enum(CHARGE_STATUSES),
    idempotency_key: z.string().min(1).max(255),
    decline_code: z.string().max(64).nullable().optional(),
    amount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    currency: z.string().regex(/^[A-Za-z]{3}$/, 'must be an ISO 4217 code'),
  }),
});

export type GatewayNotification = z.infer<typeof gatewayNotificationSchema>;
