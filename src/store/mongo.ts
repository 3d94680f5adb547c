/**
 * MongoDB access: one client per process, typed collections, and the indexes the queries need.
 * Works against MongoDB and FerretDB alike: no transactions, no TTL indexes, and uniqueness
 * comes from unique indexes (inserts), never from read-modify-write.
 */
import { MongoClient, type Collection, type Db } from 'mongodb';
import type { AttachmentDoc } from './attachments';

import type { CardBrand } from '../domain/card';
import type { GatewayConfig } from '../domain/gateway-config';
import type { PaymentRecord } from '../domain/payment';
import { GATEWAY_EVENTS_COLLECTION, type GatewayEventDoc } from './gateway-events';
import type { PublicKeyDoc } from './public-keys';
import type { RateLimitTicketDoc } from './rate-limits';
import { WEBHOOK_DELIVERIES_COLLECTION, type DeliveryAttemptDoc } from './webhook-deliveries';

export interface MerchantDoc {
  _id: string;
  name: string;
  /** sha256 of the API key: the key itself is shown once and never stored */
  api_key_hash: string;
  webhook_hmac_key: string;
  created_at: Date;
}

export interface GatewayConfigDoc extends GatewayConfig {
  _id: string;
  merchant_id: string;
  updated_at: Date;
}

export interface SavedCardDoc {
  /** tokenpay's token: random, not derived from the card */
  _id: string;
  merchant_id: string;
  customer_id: string;
  pg_code: string;
  /** the gateway's card-on-file reference */
  gateway_ref: string;
  /** keyed fingerprint of the card (secrets/fingerprint), under the master key below */
  fingerprint: string;
  /** id of the fingerprint master key; absent on cards saved before key ids (the legacy key) */
  fingerprint_key_id?: string;
  brand: CardBrand;
  bin: string;
  last4: string;
  exp_month: string;
  exp_year: string;
  name_on_card: string;
  agreements: string[];
  created_at: Date;
  last_used_at: Date;
  /** consecutive incorrect_cvc declines (a count of cvc_failed_attempts); locks at CVC_LOCK_THRESHOLD */
  cvc_failures?: number;
  /** the gateway keys of the attempts that declined incorrect_cvc since the last success */
  cvc_failed_attempts?: string[];
  locked_at?: Date | null;
}

/**
 * The tokens a customer saved with a merchant, under one `_id`. Listing reads this document and
 * the cards by `_id`, so its cost does not grow with the whole collection: FerretDB (the
 * embedded store) only uses the `_id` index; on MongoDB the secondary index would serve too.
 */
export interface WalletDoc {
  /** `${merchant_id}:${customer_id}` */
  _id: string;
  tokens: string[];
}

export interface IdempotencyDoc {
  _id: string;
  request_hash: string;
  status: 'running' | 'done';
  response?: { status: number; body: unknown };
  created_at: Date;
  /** refreshed while the request runs: a claim whose heartbeat stopped was left by a crash */
  heartbeat_at?: Date;
}

export interface Collections {
  merchants: Collection<MerchantDoc>;
  gatewayConfigs: Collection<GatewayConfigDoc>;
  payments: Collection<PaymentRecord>;
  cards: Collection<SavedCardDoc>;
  wallets: Collection<WalletDoc>;
  idempotency: Collection<IdempotencyDoc>;
  webhookDeliveries: Collection<DeliveryAttemptDoc>;
  gatewayEvents: Collection<GatewayEventDoc>;
  attachments: Collection<AttachmentDoc>;
  publicKeys: Collection<PublicKeyDoc>;
  rateLimits: Collection<RateLimitTicketDoc>;
}

export function collections(db: Db): Collections {
  return {
    merchants: db.collection<MerchantDoc>('merchants'),
    gatewayConfigs: db.collection<GatewayConfigDoc>('gateway_configs'),
    payments: db.collection<PaymentRecord>('payments'),
    cards: db.collection<SavedCardDoc>('cards'),
    wallets: db.collection<WalletDoc>('wallets'),
    idempotency: db.collection<IdempotencyDoc>('idempotency_keys'),
    webhookDeliveries: db.collection<DeliveryAttemptDoc>(WEBHOOK_DELIVERIES_COLLECTION),
    gatewayEvents: db.collection<GatewayEventDoc>(GATEWAY_EVENTS_COLLECTION),
    attachments: db.collection<AttachmentDoc>('attachments'),
    publicKeys: db.collection<PublicKeyDoc>('public_keys'),
    rateLimits: db.collection<RateLimitTicketDoc>('rate_limits'),
  };
}

export async function ensureIndexes(db: Db): Promise<void> {
  const c = collections(db);
  await Promise.all([
    c.merchants.createIndex({ api_key_hash: 1 }, { unique: true, name: 'api_key_hash_unique' }),
    c.gatewayConfigs.createIndex({ merchant_id: 1 }, { name: 'merchant' }),
    c.payments.createIndex({ merchant_id: 1, order_no: 1 }, { name: 'merchant_order' }),
    // auto-debit limits read a customer's payments under one agreement
    c.payments.createIndex(
      { merchant_id: 1, customer_id: 1, 'agreement.id': 1 },
      { name: 'merchant_customer_agreement' },
    ),
    // One token per card per customer and gateway account: saving the same card again reuses it.
    c.cards.createIndex(
      { merchant_id: 1, customer_id: 1, pg_code: 1, fingerprint: 1 },
      { unique: true, name: 'card_fingerprint_unique' },
    ),
    c.cards.createIndex({ merchant_id: 1, customer_id: 1, last_used_at: -1 }, { name: 'customer_cards' }),
    c.webhookDeliveries.createIndex(
      { merchant_id: 1, session_id: 1, at: 1 },
      { name: 'merchant_session_at' },
    ),
    c.gatewayEvents.createIndex({ received_at: 1 }, { name: 'received_at' }),
    c.publicKeys.createIndex({ merchant_id: 1 }, { name: 'merchant' }),
    // not a TTL index (FerretDB has none): expired windows are swept by the API
    c.rateLimits.createIndex({ expires_at: 1 }, { name: 'expires_at' }),
  ]);
}

export interface Mongo {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

export async function connectMongo(uri: string, dbName?: string): Promise<Mongo> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000, maxPoolSize: 50 });
  await client.connect();
  const db = client.db(dbName);
  return { client, db, close: () => client.close() };
}
