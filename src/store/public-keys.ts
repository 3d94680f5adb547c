/**
 * Merchants' public keys (Web Checkout SDK) and the web origins each lets embed the checkout.
 * Like API keys they are shown once and stored as a SHA-256 hash; the document's `_id` is the
 * key's prefix (`pk_` + 12 hex digits), so a key is found by `_id` (FerretDB only uses that
 * index) and names itself in the admin API without revealing its secret part.
 *
 * A public key opens no REST endpoint: nothing but the SDK frame ever looks one up.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { MongoServerError, type Collection } from 'mongodb';

import { publicKeyPrefix } from '../domain/web-origin';

export interface PublicKeyDoc {
  /** the key's prefix, e.g. `pk_0123456789ab` */
  _id: string;
  merchant_id: string;
  /** sha256 (hex) of the whole key */
  key_hash: string;
  allowed_origins: string[];
  created_at: Date;
  revoked_at: Date | null;
}

/** What the admin API shows of a key: never its hash. */
export interface PublicKeyView {
  key_prefix: string;
  allowed_origins: string[];
  created_at: string;
  revoked_at: string | null;
}

const DUPLICATE_KEY = 11000;

const sha256 = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

export function newPublicKey(): string {
  return `pk_${randomBytes(6).toString('hex')}_${randomBytes(24).toString('base64url')}`;
}

export function toPublicKeyView(doc: PublicKeyDoc): PublicKeyView {
  return {
    key_prefix: doc._id,
    allowed_origins: doc.allowed_origins,
    created_at: doc.created_at.toISOString(),
    revoked_at: doc.revoked_at ? doc.revoked_at.toISOString() : null,
  };
}

export class PublicKeysRepository {
  constructor(private readonly keys: Collection<PublicKeyDoc>) {}

  /** Issues a new key; resolves with the key itself (shown once) and what is stored. */
  async create(
    merchantId: string,
    allowedOrigins: string[],
    now: Date,
  ): Promise<{ publicKey: string; doc: PublicKeyDoc }> {
    for (;;) {
      const publicKey = newPublicKey();
      const doc: PublicKeyDoc = {
        _id: publicKeyPrefix(publicKey)!,
        merchant_id: merchantId,
        key_hash: sha256(publicKey),
        allowed_origins: allowedOrigins,
        created_at: now,
        revoked_at: null,
      };
      try {
        await this.keys.insertOne(doc);
        return { publicKey, doc };
      } catch (error) {
        // 48 bits of prefix: a collision is rare, and then the unique _id says so
        if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
      }
    }
  }

  /** Creates or resets a key with a fixed value (the embedded default's demo key). */
  async upsert(merchantId: string, publicKey: string, allowedOrigins: string[], now: Date): Promise<void> {
    const prefix = publicKeyPrefix(publicKey);
    if (!prefix) throw new TypeError('Not a public key');
    await this.keys.updateOne(
      { _id: prefix },
      {
        $set: {
          merchant_id: merchantId,
          key_hash: sha256(publicKey),
          allowed_origins: allowedOrigins,
          revoked_at: null,
        },
        $setOnInsert: { created_at: now },
      },
      { upsert: true },
    );
  }

  /** The merchant's keys, revoked ones included, oldest first. */
  async list(merchantId: string): Promise<PublicKeyDoc[]> {
    const docs = await this.keys.find({ merchant_id: merchantId }).toArray();
    return docs.sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || (a._id < b._id ? -1 : 1));
  }

  /** Revokes the merchant's key; false when it has no key with this prefix. Revoking twice is fine. */
  async revoke(merchantId: string, keyPrefix: string, now: Date): Promise<boolean> {
    const doc = await this.keys.findOne({ _id: keyPrefix, merchant_id: merchantId });
    if (!doc) return false;
    if (!doc.revoked_at) await this.keys.updateOne({ _id: keyPrefix }, { $set: { revoked_at: now } });
    return true;
  }

  /** The active key this is, or null (unknown, revoked, malformed or a wrong secret part). */
  async verify(publicKey: string): Promise<PublicKeyDoc | null> {
    const prefix = publicKeyPrefix(publicKey);
    if (!prefix) return null;
    const doc = await this.keys.findOne({ _id: prefix });
    if (!doc || doc.revoked_at) return null;
    const given = Buffer.from(sha256(publicKey), 'hex');
    const stored = Buffer.from(doc.key_hash, 'hex');
    return given.length === stored.length && timingSafeEqual(given, stored) ? doc : null;
  }

  /** Every origin an active key of the merchant allows (a frame that no longer carries its key). */
  async originsOf(merchantId: string): Promise<string[]> {
    const docs = await this.keys.find({ merchant_id: merchantId, revoked_at: null }).toArray();
    return [...new Set(docs.flatMap((d) => d.allowed_origins))].sort();
  }
}
