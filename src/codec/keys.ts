/**
 * Payload-codec keys (AES-256), from `TOKENPAY_CODEC_KEYS`.
 *
 *   TOKENPAY_CODEC_KEYS=k2:<base64 of 32 bytes>,k1:<base64 of 32 bytes>
 *
 * The first key is the current one: every new payload is encrypted with it. The others only
 * decrypt history written before a rotation, so a retired key must stay listed for as long as
 * workflow histories encrypted with it are retained. Rotate by putting a new key first
 * (`npx ts-node src/codec/generate-key.ts k3` or `node dist/codec/generate-key.js k3`).
 *
 * Unset (or empty) means the DEV-ONLY default key `dev-1` below: a published constant, so
 * anything encrypted with it is readable by anyone. Never run production without
 * TOKENPAY_CODEC_KEYS.
 */
import { randomBytes } from 'node:crypto';

import { KEY_ID_PATTERN, parseKeyRing } from '../secrets/key-ring';

export const CODEC_KEYS_ENV = 'TOKENPAY_CODEC_KEYS';
export const CODEC_KEY_BYTES = 32;
export const CODEC_KEY_ID_PATTERN = KEY_ID_PATTERN;

/** DEV-ONLY: a fixed, public key so that local history survives restarts. Never for production. */
export const DEV_CODEC_KEY_ID = 'dev-1';
export const DEV_CODEC_KEY_BASE64 = Buffer.from('tokenpay-dev-only-codec-key-0001', 'utf8').toString(
  'base64',
);

export interface CodecKeys {
  /** Id of the key every new payload is encrypted with. */
  currentKeyId: string;
  /** Every key that may still be needed to decrypt, by id (includes the current one). */
  keys: Map<string, Buffer>;
  /** True when TOKENPAY_CODEC_KEYS was unset and the public dev-only key is in use. */
  devDefault?: boolean;
}

export class CodecKeyConfigError extends Error {
  override readonly name = 'CodecKeyConfigError';
}

const FORMAT_HINT = `expected ${CODEC_KEYS_ENV}="keyId:base64key[,keyId:base64key...]" (first = current key; generate one with src/codec/generate-key.ts)`;
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Parses and validates TOKENPAY_CODEC_KEYS; falls back to the DEV-ONLY key when it is unset. */
export function loadCodecKeys(env: NodeJS.ProcessEnv = process.env): CodecKeys {
  const raw = env[CODEC_KEYS_ENV];
  if (raw === undefined || raw.trim() === '') {
    return {
      currentKeyId: DEV_CODEC_KEY_ID,
      keys: new Map([[DEV_CODEC_KEY_ID, Buffer.from(DEV_CODEC_KEY_BASE64, 'base64')]]),
      devDefault: true,
    };
  }
  return parseCodecKeys(raw);
}

/** Parses `keyId:base64key,...` (src/secrets/key-ring.ts): each key 32 bytes of strict base64. */
export function parseCodecKeys(raw: string): CodecKeys {
  return parseKeyRing(raw, {
    env: CODEC_KEYS_ENV,
    fail: (message) => new CodecKeyConfigError(message),
    hint: FORMAT_HINT,
    key: (material, id, where) => {
      if (!STRICT_BASE64.test(material)) {
        throw new CodecKeyConfigError(
          `${where}: key "${id}" is not valid standard base64 (A-Z a-z 0-9 + / with = padding)`,
        );
      }
      const key = Buffer.from(material, 'base64');
      if (key.length !== CODEC_KEY_BYTES) {
        throw new CodecKeyConfigError(
          `${where}: key "${id}" is ${key.length} bytes; AES-256 needs exactly ${CODEC_KEY_BYTES} bytes (44 base64 characters)`,
        );
      }
      return key;
    },
  });
}

/**
 * A new random key as a `TOKENPAY_CODEC_KEYS` entry: `{ id, base64, entry: "id:base64" }`.
 * The id defaults to today's date (`k-20250131`); ids must be unique within the variable.
 */
export function generateCodecKey(id = `k-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`): {
  id: string;
  base64: string;
  entry: string;
} {
  if (!CODEC_KEY_ID_PATTERN.test(id)) {
    throw new CodecKeyConfigError(
      `key id ${JSON.stringify(id.slice(0, 40))} is invalid; use 1-32 characters of A-Z a-z 0-9 _ -`,
    );
  }
  const base64 = randomBytes(CODEC_KEY_BYTES).toString('base64');
  return { id, base64, entry: `${id}:${base64}` };
}
