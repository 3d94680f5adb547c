/**
 * `npm start`: the whole system on embedded defaults, supervised. Brings up what is not
 * configured from the environment (Temporal dev server + UI, FerretDB, gateway simulator), then
 * the worker and the API, restarting any of them that crashes. Ctrl-C stops everything; data
 * (payments, tokens, workflow history, the simulator's cards on file) persists under .data/.
 */
import fs from 'node:fs';
import path from 'node:path';

import { DEMO_SHOP_PORT_DEFAULT, DEV_DEFAULTS } from '../config';
import { spawnService, waitForPort, type ServiceProcess } from './process';
import { startFerretDb, startTemporalDevServer, type RunningService } from './services';

const ROOT = path.resolve(__dirname, '..', '..');
const DATA_DIR = path.resolve(process.env.TOKENPAY_DATA_DIR ?? path.join(ROOT, '.data'));
const LOG_DIR = path.join(DATA_DIR, 'logs');
const say = (line: string): void => console.log(`[tokenpay] ${line}`);

async function main(): Promise<void> {
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const running: Array<RunningService | ServiceProcess> = [];
  let stopping = false;
  const stopAll = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      say('stopping…');
      for (const service of running.reverse()) await service.stop().catch(() => undefined);
      say('stopped');
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  const port = Number(process.env.PORT ?? 3000);
  const publicBaseUrl = process.env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), PUBLIC_BASE_URL: publicBaseUrl };
  // The demo shop (a merchant page on its own origin embedding the Web Checkout SDK): the demo
  // public key lets its origins frame the checkout.
  const shopPort = Number(env.DEMO_SHOP_PORT ?? DEMO_SHOP_PORT_DEFAULT);
  env.TOKENPAY_DEMO_SHOP_ORIGINS ??= `http://127.0.0.1:${shopPort},http://localhost:${shopPort}`;
  // DEV-ONLY: the embedded UI on loopback may decode payloads without the admin key.
  env.TOKENPAY_CODEC_TRUST_UI_ORIGIN ??= '1';
  // The API's /metrics appends the worker's (TOKENPAY_WORKER_METRICS_PORT, default 9464; 0 = off).
  if (env.TOKENPAY_WORKER_METRICS_PORT !== '0') {
    env.TOKENPAY_WORKER_METRICS_URL ??= `http://127.0.0.1:${env.TOKENPAY_WORKER_METRICS_PORT || 9464}/metrics`;
  }

  try {
    const [temporal, mongo] = await Promise.all([
      env.TEMPORAL_ADDRESS
        ? undefined
        : startTemporalDevServer({
            port: 7233,
            uiPort: 8233,
            dbFile: path.join(DATA_DIR, 'temporal.db'),
            // The UI decodes encrypted payloads through the API's codec endpoint.
            codecEndpoint: `${publicBaseUrl}/codec`,
            logFile: path.join(LOG_DIR, 'temporal.log'),
            log: say,
          }),
      env.MONGODB_URI
        ? undefined
        : startFerretDb({
            port: 27017,
            dataDir: path.join(DATA_DIR, 'ferretdb'),
            logFile: path.join(LOG_DIR, 'ferretdb.log'),
            log: say,
          }),
    ]);
    if (temporal) {
      running.push(temporal);
      env.TEMPORAL_ADDRESS = temporal.address;
      say(`Temporal dev server ${temporal.address} ready in ${temporal.startupMs} ms`);
    }
    if (mongo) {
      running.push(mongo);
      env.MONGODB_URI = mongo.uri.replace('/?', '/tokenpay?');
      env.TOKENPAY_SEED_DEMO ??= '1';
      say(`FerretDB ${mongo.uri} ready in ${mongo.startupMs} ms`);
    }

    const node = (name: string, script: string, extraEnv: NodeJS.ProcessEnv = {}): ServiceProcess => {
      const proc = spawnService({
        name,
        command: process.execPath,
        args: ['--enable-source-maps', path.join(ROOT, 'dist', script)],
        env: { ...env, ...extraEnv },
        logFile: path.join(LOG_DIR, `${name}.log`),
        restartOnCrash: true,
        log: say,
      });
      running.push(proc);
      return proc;
    };

    if (!env.GATEWAY_URL) {
      node('gateway-simulator', 'dev/gateway-simulator/main.js', {
        GATEWAY_SIM_PORT: '4010',
        GATEWAY_SIM_DATA_FILE: path.join(DATA_DIR, 'gateway-simulator.json'),
        // signed notifications of charge outcomes to the API (GATEWAY_SIM_NOTIFICATIONS=0: none)
        GATEWAY_SIM_NOTIFY_URL: `http://127.0.0.1:${port}/gateway/notifications`,
        ...(env.TOKENPAY_GATEWAY_NOTIFY_SECRET
          ? { GATEWAY_SIM_NOTIFY_SECRET: env.TOKENPAY_GATEWAY_NOTIFY_SECRET }
          : {}),
      });
      env.GATEWAY_URL = 'http://127.0.0.1:4010';
      await waitForPort('127.0.0.1', 4010, 15_000);
    }
    node('worker', 'worker.js');
    node('api', 'server.js');
    await waitForReady(`http://127.0.0.1:${port}/readyz`, 90_000);
    if (env.TOKENPAY_SEED_DEMO === '1') {
      node('demo-shop', 'dev/demo-shop/main.js', { DEMO_SHOP_PORT: String(shopPort) });
      await waitForPort('127.0.0.1', shopPort, 15_000);
    }
  } catch (error) {
    console.error(`[tokenpay] start failed: ${(error as Error).message}`);
    console.error(`[tokenpay] logs are in ${LOG_DIR}`);
    await stopAll(1);
  }

  const demoKey = env.TOKENPAY_DEMO_API_KEY ?? DEV_DEFAULTS.demoApiKey;
  const example = env.TOKENPAY_SEED_DEMO === '1' ? await createExamplePayment(port, demoKey) : undefined;
  say('ready');
  say(`  API               ${publicBaseUrl}   (health: /healthz, /readyz)`);
  if (example) say(`  checkout example  ${example}`);
  say(
    `  Temporal UI       ${running.some((s) => 'uiUrl' in s) ? 'http://127.0.0.1:8233' : '(external Temporal)'}`,
  );
  say(`  gateway           ${env.GATEWAY_URL}`);
  if (env.TOKENPAY_SEED_DEMO === '1') {
    say(`  demo shop         http://127.0.0.1:${shopPort}   (embeds the Web Checkout SDK)`);
    say(`  demo public key   ${env.TOKENPAY_DEMO_PUBLIC_KEY ?? DEV_DEFAULTS.demoPublicKey}   (DEV ONLY)`);
    say(`  Web Checkout SDK  ${publicBaseUrl}/checkout/v3/checkout.min.js`);
    say(`  demo API key      ${demoKey}   (DEV ONLY: Authorization: Api-Key ${demoKey})`);
    say(`  demo webhook key  ${env.TOKENPAY_DEMO_WEBHOOK_KEY ?? DEV_DEFAULTS.demoWebhookKey}`);
  }
  say(
    `  admin key         ${env.TOKENPAY_ADMIN_KEY ? '(from TOKENPAY_ADMIN_KEY)' : `${DEV_DEFAULTS.adminKey} (DEV ONLY)`}`,
  );
  say(`  logs              ${LOG_DIR}`);
  say('Press Ctrl-C to stop.');
}

async function waitForReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (res.ok) return;
      last = await res.text();
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`API not ready at ${url}: ${last}`);
}

async function createExamplePayment(port: number, apiKey: string): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/b/checkout/v1/pymt-txn/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Api-Key ${apiKey}` },
      body: JSON.stringify({
        type: 'e_commerce',
        amount: '12.500',
        currency_code: 'KWD',
        pg_codes: ['ottu_pg_kwd_tkn'],
        customer_id: 'demo-customer',
        order_no: `demo-${Date.now()}`,
      }),
    });
    const body = (await res.json()) as { checkout_url?: string };
    return body.checkout_url;
  } catch {
    return undefined;
  }
}

void main();
