/** Merchants, their API keys (hashes only) and their gateway configs. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';

import type { GatewayConfig } from '../domain/gateway-config';
import type { GatewayConfigDoc, MerchantDoc } from './mongo';
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

/** Read on every merchant request, changed by admins: cached briefly. */
const CACHE_TTL_MS = 5_000;

export function toGatewayConfig(doc: GatewayConfigDoc): GatewayConfig {
  const { _id: _ignored, merchant_id: _merchant, updated_at: _updated, ...config } = doc;
  return config;
}

export class MerchantsRepository {
  private readonly byKeyHash = new TtlCache<MerchantDoc>(CACHE_TTL_MS);
  private readonly configs = new TtlCache<GatewayConfig[]>(CACHE_TTL_MS);

  constructor(
    private readonly merchants: Collection<MerchantDoc>,
    private readonly gatewayConfigs: Collection<GatewayConfigDoc>,
  ) {}

  async create(
    name: string,
    keys: { merchantId?: string; apiKey?: string; webhookKey?: string } = {},
  ): Promise<NewMerchant> {
    const merchant: NewMerchant = {
      merchant_id: keys.merchantId ?? `mch_${randomUUID().replace(/-/g, '')}`,
      name,
      api_key: keys.apiKey ?? newApiKey(),
      webhook_hmac_key: keys.webhookKey ?? newWebhookKey(),
    };
    await this.merchants.insertOne({
      _id: merchant.merchant_id,
      name,
      api_key_hash: hashApiKey(merchant.api_key),
      webhook_hmac_key: merchant.webhook_hmac_key,
      created_at: new Date(),
    });
    return merchant;
  }

  /** Creates or re-keys a merchant with a fixed id (the embedded default's demo merchant). */
  async upsert(
    merchantId: string,
    name: string,
    keys: { apiKey: string; webhookKey: string },
  ): Promise<void> {
    await this.merchants.updateOne(
      { _id: merchantId },
      {
        $set: { name, api_key_hash: hashApiKey(keys.apiKey), webhook_hmac_key: keys.webhookKey },
        $setOnInsert: { created_at: new Date() },
      },
      { upsert: true },
    );
  }

  find(merchantId: string): Promise<MerchantDoc | null> {
    return this.merchants.findOne({ _id: merchantId });
  }

  async nameOf(merchantId: string): Promise<string | undefined> {
    return (await this.merchants.findOne({ _id: merchantId }, { projection: { name: 1 } }))?.name;
  }

  findByApiKey(apiKey: string): Promise<MerchantDoc | null> {
    const hash = hashApiKey(apiKey);
    return this.byKeyHash.get(hash, () => this.merchants.findOne({ api_key_hash: hash }));
  }

  async putGatewayConfig(merchantId: string, config: GatewayConfig): Promise<GatewayConfigDoc> {
    const doc: GatewayConfigDoc = {
      _id: `${merchantId}/${config.pg_code}`,
      merchant_id: merchantId,
      ...config,
      updated_at: new Date(),
    };
    await this.gatewayConfigs.replaceOne({ _id: doc._id }, doc, { upsert: true });
    this.configs.delete(merchantId);
    return doc;
  }

  async listGatewayConfigs(merchantId: string): Promise<GatewayConfig[]> {
    const configs = await this.configs.get(merchantId, async () => {
      const docs = await this.gatewayConfigs.find({ merchant_id: merchantId }).toArray();
      return docs.map(toGatewayConfig);
    });
    return configs ?? [];
  }

  async gatewayConfig(merchantId: string, pgCode: string): Promise<GatewayConfig | undefined> {
    return (await this.listGatewayConfigs(merchantId)).find((g) => g.pg_code === pgCode);
  }
}
