import { startSimulator } from './server';

/**
 * Runs the gateway simulator as a process.
 * Env: GATEWAY_SIM_PORT (4010), GATEWAY_SIM_HOST (127.0.0.1), GATEWAY_SIM_FAULTS=1,
 * GATEWAY_SIM_DATA_FILE (optional persistence), GATEWAY_SIM_PUBLIC_URL (optional, for 3-D Secure links).
 */
async function main(): Promise<void> {
  const env = process.env;
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
  });
  console.log(
    JSON.stringify({
      msg: 'gateway simulator listening',
      url: simulator.url,
      faults,
      persistent: dataFile !== undefined,
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
