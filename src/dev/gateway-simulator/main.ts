import { DEV_DEFAULTS } from '../../config';
import { startSimulator } from './server';

/**
 * Runs the gateway simulator as a process.
 * Env: GATEWAY_SIM_PORT (4010), GATEWAY_SIM_HOST (127.0.0.1), GATEWAY_SIM_FAULTS=1,
 * GATEWAY_SIM_DATA_FILE (optional persistence), GATEWAY_SIM_PUBLIC_URL (optional, for 3-D Secure links),
 * GATEWAY_SIM_NOTIFY_URL (where to POST notifications of charge outcomes; unset: none are sent),
 * GATEWAY_SIM_NOTIFY_SECRET (their HMAC secret; DEV-ONLY default, the engine's
 * TOKENPAY_GATEWAY_NOTIFY_SECRET default), GATEWAY_SIM_NOTIFICATIONS=0 (send none).
 */
async function main(): Promise<void> {
  const env = process.env;
  const notifyUrl = notificationUrl(env);
  const port = Number(env['GATEWAY_SIM_PORT'] ?? 4010);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error('GATEWAY_SIM_PORT must be a port number');
  }
  const dataFile = env['GATEWAY_SIM_DATA_FILE'] || undefined;
  const publicUrl = env['GATEWAY_SIM_PUBLIC_URL'] || undefined;
  const faults = env['GATEWAY_SIM_FAULTS'] === '1';
  const simulator = await startSimulator({
    port,
    host: env['GATEWAY_SIM_HOST'] || '127.0.0.1',
    faults,
    ...(dataFile !== undefined ? { dataFile } : {}),
    ...(publicUrl !== undefined ? { publicUrl } : {}),
    ...(notifyUrl !== undefined
      ? {
          notifications: {
            url: notifyUrl,
            secret: env['GATEWAY_SIM_NOTIFY_SECRET'] || DEV_DEFAULTS.gatewayNotifySecret,
            // deliveries that needed more than one attempt, or never succeeded
            log: (entry: Record<string, unknown>) => {
              if (entry['outcome'] !== 'delivered' || Number(entry['attempt']) > 1) {
                console.log(JSON.stringify(entry));
              }
            },
          },
        }
      : {}),
  });
  console.log(
    JSON.stringify({
      msg: 'gateway simulator listening',
      url: simulator.url,
      faults,
      persistent: dataFile !== undefined,
      notify_url: notifyUrl ?? null,
    }),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    simulator.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(JSON.stringify({ msg: 'gateway simulator close failed', signal, error: String(err) }));
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/** GATEWAY_SIM_NOTIFY_URL unless GATEWAY_SIM_NOTIFICATIONS=0; an http(s) URL or nothing. */
function notificationUrl(env: NodeJS.ProcessEnv): string | undefined {
  const switched = env['GATEWAY_SIM_NOTIFICATIONS'];
  if (switched !== undefined && switched !== '' && switched !== '0' && switched !== '1') {
    throw new Error('GATEWAY_SIM_NOTIFICATIONS must be 0 or 1');
  }
  const url = env['GATEWAY_SIM_NOTIFY_URL'];
  if (switched === '0' || !url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('GATEWAY_SIM_NOTIFY_URL must be an absolute http(s) URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error('GATEWAY_SIM_NOTIFY_URL must be an absolute http(s) URL');
  }
  return url;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(
      JSON.stringify({
        msg: 'gateway simulator failed to start',
        error: err instanceof Error ? err.message : String(err),
      }),
    );
    process.exit(1);
  });
}
