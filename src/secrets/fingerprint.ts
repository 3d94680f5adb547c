/**
 * Keyed card fingerprints: equal for the same card at the same merchant, useless without the key
 * (a plain hash of a PAN can be brute-forced from the BIN and last 4). Never computed in workflow
 * code; the workflow only carries the result.
 *
 * Keys: `TOKENPAY_FINGERPRINT_KEYS=k2:<secret>,k1:<secret>` — master keys with ids, the first is
 * current. Each merchant's fingerprint key is derived from a master key (HKDF-SHA256, the merchant
 * id as context), so one merchant's fingerprints say nothing about another's, and the id of the
 * master key is stored beside each fingerprint so the key can be rotated: a card seen again is
 * recognised under any listed key and re-keyed to the current one.
 *
 * What travels (through the workflow to the store) is one string, `kid:hex[,kid:hex…]`: the
 * fingerprint under the current key first, then under each older key and, while the single
 * `TOKENPAY_FINGERPRINT_KEY` of earlier versions is configured, the global fingerprint cards were
 * saved with before per-merchant keys (`legacy:hex`).
 */
import { createHmac, hkdfSync } from 'node:crypto';

import { parseKeyRing } from './key-ring';

export const FINGERPRINT_KEYS_ENV = 'TOKENPAY_FINGERPRINT_KEYS';
/** The key id of fingerprints written before key ids existed (global, not per merchant). */
export const LEGACY_KEY_ID = 'legacy';
const DERIVATION_SALT = 'tokenpay card fingerprint v1';
const DERIVED_CACHE_LIMIT = 10_000;

export interface FingerprintKeys {
  /** id of the master key new fingerprints are stored under */
  currentKeyId: string;
  /** every master key by id, the current one included */
  keys: Map<string, string>;
  /** the global key of earlier versions, to recognise cards saved with it */
  legacyKey?: string;
}

export class FingerprintKeyConfigError extends Error {
  override readonly name = 'FingerprintKeyConfigError';
}

/** Parses `id:secret,id:secret` (first = current; src/secrets/key-ring.ts). */
export function parseFingerprintKeys(raw: string, legacyKey?: string): FingerprintKeys {
  const { currentKeyId, keys } = parseKeyRing(raw, {
    env: FINGERPRINT_KEYS_ENV,
    fail: (message) => new FingerprintKeyConfigError(message),
    reservedId: LEGACY_KEY_ID,
    key: (secret) => secret,
  });
  return { currentKeyId, keys, ...(legacyKey ? { legacyKey } : {}) };
}

/** The global fingerprint of earlier versions: HMAC-SHA256 of the PAN with one key for everyone. */
export function cardFingerprint(pan: string, key: string): string {
  return createHmac('sha256', key).update(`pan:${pan}`).digest('hex');
}

const derived = new Map<string, Buffer>();

/** The merchant's fingerprint key under master key `keyId` (HKDF-SHA256, merchant id as info). */
function merchantKey(keys: FingerprintKeys, keyId: string, merchantId: string): Buffer {
  const cacheKey = `${keyId}\u0000${merchantId}\u0000${keys.keys.get(keyId)}`;
  let key = derived.get(cacheKey);
  if (!key) {
    const master = keys.keys.get(keyId);
    if (master === undefined) throw new FingerprintKeyConfigError(`no fingerprint key "${keyId}"`);
    key = Buffer.from(hkdfSync('sha256', master, DERIVATION_SALT, `merchant:${merchantId}`, 32));
    if (derived.size >= DERIVED_CACHE_LIMIT) derived.clear();
    derived.set(cacheKey, key);
  }
  return key;
}

export interface FingerprintCandidate {
  keyId: string;
  value: string;
}

/**
 * The card's fingerprints at this merchant, current key first (see the module comment), as the
 * one string that travels to the store.
 */
export function cardFingerprints(pan: string, merchantId: string, keys: FingerprintKeys): string {
  const ids = [keys.currentKeyId, ...[...keys.keys.keys()].filter((id) => id !== keys.currentKeyId)];
  const entries = ids.map(
    (id) =>
      `${id}:${createHmac('sha256', merchantKey(keys, id, merchantId))
        .update(`pan:${pan}`)
        .digest('hex')}`,
  );
  if (keys.legacyKey) entries.push(`${LEGACY_KEY_ID}:${cardFingerprint(pan, keys.legacyKey)}`);
  return entries.join(',');
}

/**
 * The candidates of a fingerprint string, current first. A bare hex string (a fingerprint made
 * before key ids existed, e.g. in a workflow started before an upgrade) is a legacy one.
 */
export function parseCardFingerprints(serialized: string): FingerprintCandidate[] {
  return serialized
    .split(',')
    .filter(Boolean)
    .map((entry) => {
      const colon = entry.indexOf(':');
      return colon < 0
        ? { keyId: LEGACY_KEY_ID, value: entry }
        : { keyId: entry.slice(0, colon), value: entry.slice(colon + 1) };
    });
}
