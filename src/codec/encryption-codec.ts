/**
 * AES-256-GCM payload codec: everything the SDK sends to Temporal (workflow and activity inputs
 * and results, signals, updates, queries, memos, heartbeat details, and failure messages and
 * stack traces with the failure converter in ./failure-converter) is stored encrypted.
 *
 * Wire format of an encoded payload:
 *   metadata: { encoding: "binary/encrypted", "encryption-key-id": <keyId> }
 *   data:     iv (12 random bytes) ‖ ciphertext ‖ GCM tag (16 bytes)
 * The plaintext is the original payload's protobuf bytes (metadata included), so the original
 * encoding survives the round trip. This is the same layout as Temporal's Go and Python
 * encryption samples.
 *
 * Encoding always uses the current key; decoding uses the key named in the payload, so history
 * written before a key rotation still decrypts while the old key stays configured.
 *
 * Nothing here logs, and no error message contains payload contents.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

import { CODEC_KEY_BYTES, CODEC_KEY_ID_PATTERN, type CodecKeys } from './keys';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_ENCRYPTION_KEY_ID = 'encryption-key-id';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A payload that cannot be decrypted (unknown key, tampered, malformed). Says why; never what. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
}

const utf8 = (bytes: Uint8Array | null | undefined): string | undefined =>
  bytes == null ? undefined : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');

/** A key id as it may appear in an error message: as-is when well formed, else quoted and cut short. */
const printableKeyId = (id: string): string =>
  CODEC_KEY_ID_PATTERN.test(id) ? `"${id}"` : JSON.stringify(id.slice(0, 40));

export class EncryptionCodec implements PayloadCodec {
  private readonly currentKeyId: string;
  private readonly currentKeyIdBytes: Uint8Array;
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(keys: CodecKeys) {
    for (const [id, key] of keys.keys) {
      if (key.length !== CODEC_KEY_BYTES) {
        throw new CodecError(`Codec key "${id}" is ${key.length} bytes; AES-256 needs ${CODEC_KEY_BYTES}.`);
      }
    }
    if (!keys.keys.has(keys.currentKeyId)) {
      throw new CodecError(`The current codec key "${keys.currentKeyId}" is not among the configured keys.`);
    }
    this.currentKeyId = keys.currentKeyId;
    this.currentKeyIdBytes = Buffer.from(keys.currentKeyId, 'utf8');
    // A private copy: later changes to the caller's map do not change what this codec accepts.
    this.keys = new Map([...keys.keys].map(([id, key]) => [id, Buffer.from(key)]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.currentKeyId) as Buffer;
    return payloads.map((payload) => {
      const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING, 'utf8'),
          [METADATA_ENCRYPTION_KEY_ID]: this.currentKeyIdBytes,
        },
        data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (utf8(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
      const keyId = utf8(payload.metadata?.[METADATA_ENCRYPTION_KEY_ID]);
      if (keyId === undefined) {
        throw new CodecError(
          `An encrypted payload has no "${METADATA_ENCRYPTION_KEY_ID}" metadata; it cannot be decrypted.`,
        );
      }
      const key = this.keys.get(keyId);
      if (!key) {
        throw new CodecError(
          `Unknown encryption key id ${printableKeyId(keyId)}: add that key to TOKENPAY_CODEC_KEYS ` +
            `(keys retired by a rotation must stay listed to decrypt older history).`,
        );
      }
      const data = payload.data ?? new Uint8Array();
      if (data.byteLength < IV_BYTES + TAG_BYTES) {
        throw new CodecError(
          `An encrypted payload (key ${printableKeyId(keyId)}) is too short to be valid; it is corrupt.`,
        );
      }
      const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      const iv = bytes.subarray(0, IV_BYTES);
      const tag = bytes.subarray(bytes.length - TAG_BYTES);
      const ciphertext = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
      let plaintext: Buffer;
      try {
        const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
        decipher.setAuthTag(tag);
        plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
      } catch {
        throw new CodecError(
          `An encrypted payload failed authentication with key ${printableKeyId(keyId)}: ` +
            `it was altered, or that key id now names a different key.`,
        );
      }
      try {
        return temporal.api.common.v1.Payload.decode(plaintext);
      } catch {
        throw new CodecError(`A decrypted payload (key ${printableKeyId(keyId)}) is not a valid Payload.`);
      }
    });
  }
}
