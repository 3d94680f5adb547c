/** The embedded default's demo merchant and the gateway configs of CONTRACT §7. */
import { DEMO_GATEWAY_CONFIGS } from '../domain/gateway-config';
import { hashApiKey, putGatewayConfig } from './merchants';
import type { Collections } from './mongo';

export const DEMO_MERCHANT_ID = 'demo';

export async function seedDemoMerchant(
  c: Collections,
  keys: { apiKey: string; webhookKey: string },
): Promise<void> {
  await c.merchants.updateOne(
    { _id: DEMO_MERCHANT_ID },
    {
      $set: { name: 'Demo Store', api_key_hash: hashApiKey(keys.apiKey), webhook_hmac_key: keys.webhookKey },
      $setOnInsert: { created_at: new Date() },
    },
    { upsert: true },
  );
  for (const config of DEMO_GATEWAY_CONFIGS) await putGatewayConfig(c, DEMO_MERCHANT_ID, config);
}
