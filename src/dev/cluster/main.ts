/**
 * `npm run cluster`: the production shape of docker-compose.yml, natively (no Docker) — see
 * cluster.ts. The keys come from the environment; whatever is unset is generated (strong, random)
 * and kept in `<data dir>/secrets.env` for the next start. Ctrl-C stops everything; data persists
 * under `.data/cluster/` (TOKENPAY_DATA_DIR/cluster).
 *
 * Ports: PORT (API, 3000), TEMPORAL_UI_PORT (8233), TEMPORAL_PORT (7233), MONGODB_PORT (27017),
 * GATEWAY_SIM_PORT (4010), POSTGRES_PORT (15432); TOKENPAY_CLUSTER_PORTS=free picks free ones.
 */
import path from 'node:path';

import { listenPort, startCluster, DEFAULT_CLUSTER_PORTS, type Cluster, type ClusterPorts } from './cluster';
import { loadClusterSecrets } from './secrets';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const say = (line: string): void => console.log(`[cluster] ${line}`);

const PORT_VARIABLES: Record<keyof ClusterPorts, string> = {
  api: 'PORT',
  ui: 'TEMPORAL_UI_PORT',
  temporal: 'TEMPORAL_PORT',
  mongo: 'MONGODB_PORT',
  simulator: 'GATEWAY_SIM_PORT',
  postgres: 'POSTGRES_PORT',
};

async function ports(env: NodeJS.ProcessEnv): Promise<ClusterPorts> {
  const chosen = { ...DEFAULT_CLUSTER_PORTS };
  for (const [name, variable] of Object.entries(PORT_VARIABLES) as Array<[keyof ClusterPorts, string]>) {
    if (env.TOKENPAY_CLUSTER_PORTS === 'free') chosen[name] = await listenPort();
    const given = env[variable];
    if (given) {
      const port = Number(given);
      if (!Number.isInteger(port) || port <= 0 || port > 65_535)
        throw new Error(`${variable}=${given} is not a port`);
      chosen[name] = port;
    }
  }
  return chosen;
}

async function main(): Promise<void> {
  const dataDir = path.resolve(process.env.TOKENPAY_DATA_DIR ?? path.join(ROOT, '.data'), 'cluster');
  const secrets = loadClusterSecrets(path.join(dataDir, 'secrets.env'));
  let cluster: Cluster | undefined;
  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      say('stopping…');
      await cluster?.stop();
      say('stopped');
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  const chosen = await ports(process.env);
  say(`starting the production shape in ${dataDir} (first start builds the Temporal server: a few minutes)`);
  try {
    cluster = await startCluster({
      dataDir,
      ports: chosen,
      secrets: secrets.values,
      log: say,
      ...(process.env.TOKENPAY_ALLOWED_PRIVATE_TARGETS
        ? { env: { TOKENPAY_ALLOWED_PRIVATE_TARGETS: process.env.TOKENPAY_ALLOWED_PRIVATE_TARGETS } }
        : {}),
    });
  } catch (error) {
    console.error(`[cluster] start failed: ${(error as Error).message}`);
    await stop(1);
    return;
  }
  const operator = (secrets.values.TOKENPAY_CODEC_CREDENTIALS ?? '').split(',')[0]!.split(':')[0];
  say('ready (TOKENPAY_ENV=production)');
  say(
    `  API (2 instances behind a proxy)  ${cluster.apiUrl}   (/healthz, /readyz; /metrics needs TOKENPAY_METRICS_TOKEN)`,
  );
  say(
    `  Temporal UI (operators' login)    ${cluster.uiUrl}   user "${operator}", password: the secret after "${operator}:" in TOKENPAY_CODEC_CREDENTIALS`,
  );
  say(`  Temporal server (PostgreSQL)      ${cluster.temporalAddress}, namespace default`);
  say(`  PostgreSQL                        127.0.0.1:${chosen.postgres} (user temporal)`);
  say(`  FerretDB                          ${cluster.mongoUri}`);
  say(`  gateway simulator                 ${cluster.simulatorUrl}`);
  say(
    `  workers                           ${cluster.workers}, metrics on ${cluster.internal.workerMetrics.map((m) => m.metrics).join(', ')}`,
  );
  say(
    `  keys                              ${secrets.file}${secrets.generated.length ? ` (generated now: ${secrets.generated.join(', ')})` : ''}`,
  );
  if (secrets.fromEnvironment.length)
    say(`  from the environment              ${secrets.fromEnvironment.join(', ')}`);
  say(`  logs                              ${cluster.logDir}`);
  say(
    `  demo merchant                     Authorization: Api-Key <TOKENPAY_DEMO_API_KEY from ${path.basename(secrets.file)}>`,
  );
  say('Press Ctrl-C to stop.');
}

void main();
