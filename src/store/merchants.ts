/** Merchants, their API keys (hashes only) and their gateway configs. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

import type { GatewayConfig } from '../domain/gateway-config';
import type { Collections, GatewayConfigDoc, MerchantDoc } from './mongo';
import { TtlCache } from './ttl-cache';

export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

export function newApiKey(): string {
  return `tp_${randomBytes(24).toString('base64url')}`;
}

export function newWebhookKey(): string {
  return randomBytes(24).toString('base64url');
}

export interface NewMerchant {
  merchant_id: string;
  name: string;
  api_key: string;
  webhook_hmac_key: string;
}

export async function createMerchant(
  c: Collections,
  name: string,
  keys: { merchantId?: string; apiKey?: string; webhookKey?: string } = {},
): Promise<NewMerchant> {
  const merchant: NewMerchant = {
    merchant_id: keys.merchantId ?? `mch_${randomUUID().replace(/-/g, '')}`,
    name,
    api_key: keys.apiKey ?? newApiKey(),
    webhook_hmac_key: keys.webhookKey ?? newWebhookKey(),
  };
  await c.merchants.insertOne({
    _id: merchant.merchant_id,
    name,
    api_key_hash: hashApiKey(merchant.api_key),
    webhook_hmac_key: merchant.webhook_hmac_key,
    created_at: new Date(),
  });
  return merchant;
}

/** Read on every merchant request, changed by admins: cached briefly per store. */
const CACHE_TTL_MS = 5_000;
const caches = new WeakMap<
  Collections,
  { merchants: TtlCache<MerchantDoc>; configs: TtlCache<GatewayConfig[]> }
>();
function cachesOf(c: Collections) {
  let found = caches.get(c);
  if (!found) {
    found = { merchants: new TtlCache(CACHE_TTL_MS), configs: new TtlCache(CACHE_TTL_MS) };
    caches.set(c, found);
  }
  return found;
}

export async function findMerchantByApiKey(c: Collections, apiKey: string): Promise<MerchantDoc | null> {
  const hash = hashApiKey(apiKey);
  return cachesOf(c).merchants.get(hash, () => c.merchants.findOne({ api_key_hash: hash }));
}

export async function putGatewayConfig(
  c: Collections,
  merchantId: string,
  config: GatewayConfig,
): Promise<GatewayConfigDoc> {
  const doc: GatewayConfigDoc = {
    _id: `${merchantId}/${config.pg_code}`,
    merchant_id: merchantId,
    ...config,
    updated_at: new Date(),
  };
  await c.gatewayConfigs.replaceOne({ _id: doc._id }, doc, { upsert: true });
  cachesOf(c).configs.delete(merchantId);
  return doc;
}

export async function listGatewayConfigs(c: Collections, merchantId: string): Promise<GatewayConfig[]> {
  const configs = await cachesOf(c).configs.get(merchantId, async () => {
    const docs = await c.gatewayConfigs.find({ merchant_id: merchantId }).toArray();
    return docs.map(toGatewayConfig);
  });
  return configs ?? [];
}

export function toGatewayConfig(doc: GatewayConfigDoc): GatewayConfig {
  const { _id: _ignored, merchant_id: _merchant, updated_at: _updated, ...config } = doc;
  return config;
}
