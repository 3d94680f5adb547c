/**
 * Runs the demo shop as a process (`npm start` starts it). Env: DEMO_SHOP_PORT (3080),
 * DEMO_SHOP_HOST (127.0.0.1), PUBLIC_BASE_URL (tokenpay as browsers reach it), TOKENPAY_API_URL
 * (as this server reaches it; defaults to PUBLIC_BASE_URL), TOKENPAY_DEMO_API_KEY,
 * TOKENPAY_DEMO_PUBLIC_KEY, TOKENPAY_DEMO_WEBHOOK_KEY (all with their DEV-ONLY defaults).
 */
import { DEMO_SHOP_PORT_DEFAULT, DEV_DEFAULTS } from '../../config';
import { startDemoShop } from './server';

async function main(): Promise<void> {
  const env = process.env;
  const tokenpayUrl = env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${env.PORT ?? 3000}`;
  const shop = await startDemoShop({
    port: Number(env.DEMO_SHOP_PORT ?? DEMO_SHOP_PORT_DEFAULT),
    host: env.DEMO_SHOP_HOST ?? '127.0.0.1',
    tokenpayUrl,
    apiUrl: env.TOKENPAY_API_URL ?? tokenpayUrl,
    apiKey: env.TOKENPAY_DEMO_API_KEY ?? DEV_DEFAULTS.demoApiKey,
    publicKey: env.TOKENPAY_DEMO_PUBLIC_KEY ?? DEV_DEFAULTS.demoPublicKey,
    webhookKey: env.TOKENPAY_DEMO_WEBHOOK_KEY ?? DEV_DEFAULTS.demoWebhookKey,
  });
  console.log(JSON.stringify({ msg: 'demo shop listening', url: shop.url }));
  const stop = (): void => {
    shop.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(JSON.stringify({ msg: 'demo shop failed', error: String(error) }));
  process.exit(1);
});
