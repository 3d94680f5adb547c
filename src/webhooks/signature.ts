/**
 * Webhook signatures, Ottu's algorithm (CONTRACT §4): of the signed keys, drop the absent, null
 * and empty ones, sort by key, concatenate `key + value` with no separator, and take the hex
 * HMAC-SHA256 with the merchant's webhook HMAC key. Keys outside the list are never signed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNED_FIELDS = [
  'amount',
  'currency_code',
  'customer_first_name',
  'customer_last_name',
  'customer_email',
  'customer_phone',
  'customer_address_line1',
  'customer_address_line2',
  'customer_address_city',
  'customer_address_state',
  'customer_address_country',
  'customer_address_postal_code',
  'gateway_account',
  'gateway_name',
  'order_no',
  'reference_number',
  'result',
  'state',
] as const;
export type SignedField = (typeof SIGNED_FIELDS)[number];

const SORTED_SIGNED_FIELDS: readonly SignedField[] = [...SIGNED_FIELDS].sort();

/**
 * The exact string that is HMAC'd. Values are taken as they appear in the payload: strings as
 * they are (no trimming, no number formatting: `amount` is already a decimal string); finite
 * numbers and booleans as their JavaScript string form. Objects and arrays have no defined string
 * form in the algorithm, so they are refused rather than guessed at.
 */
export function signingString(payload: Record<string, unknown>): string {
  let out = '';
  for (const key of SORTED_SIGNED_FIELDS) {
    if (!Object.prototype.hasOwnProperty.call(payload, key)) continue;
    const value = payload[key];
    if (value === undefined || value === null || value === '') continue;
    out += key + valueString(key, value);
  }
  return out;
}

function valueString(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') {
    return String(value);
  }
  throw new TypeError(`Webhook field ${key} cannot be signed: expected a string, got ${typeof value}`);
}

export function signWebhook(payload: Record<string, unknown>, hmacKey: string): string {
  if (!hmacKey) throw new TypeError('A webhook HMAC key is required');
  return createHmac('sha256', hmacKey).update(signingString(payload), 'utf8').digest('hex');
}

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/** True when `signature` is this payload's signature under `hmacKey`; compares in constant time. */
export function verifyWebhook(payload: Record<string, unknown>, hmacKey: string, signature: string): boolean {
  if (typeof signature !== 'string' || !HEX_SHA256.test(signature)) return false;
  let expected: string;
  try {
    expected = signWebhook(payload, hmacKey);
  } catch {
    return false;
  }
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(signature, 'hex'));
}
