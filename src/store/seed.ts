/** The embedded default's demo merchant and the gateway configs of CONTRACT §7. */
import { DEMO_GATEWAY_CONFIGS } from '../domain/gateway-config';
import type { Store } from './index';

export const DEMO_MERCHANT_ID = 'demo';

export async function seedDemoMerchant(
  store: Store,
  keys: { apiKey: string; webhookKey: string },
): Promise<void> {
  await store.merchants.upsert(DEMO_MERCHANT_ID, 'Demo Store', keys);
  for (const config of DEMO_GATEWAY_CONFIGS) await store.merchants.putGatewayConfig(DEMO_MERCHANT_ID, config);
}

/** The demo merchant's DEV-ONLY public key, letting the demo shop's origins embed the checkout. */
export async function seedDemoPublicKey(
  store: Store,
  sdk: { publicKey: string; shopOrigins: string[] },
): Promise<void> {
  await store.publicKeys.upsert(DEMO_MERCHANT_ID, sdk.publicKey, sdk.shopOrigins, new Date());
}
