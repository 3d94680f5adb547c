/**
 * The production shape of docker-compose.yml, natively: PostgreSQL, a Temporal server on it (SQL
 * persistence and visibility), the Temporal UI behind an operators' front proxy, FerretDB (the
 * Mongo-wire store), the gateway simulator, two tokenpay workers and two API instances behind a
 * load-balancing proxy, all with TOKENPAY_ENV=production and the keys given. Every process is
 * supervised (restarted when it crashes) and every port is an option.
 *
 * Used by `npm run cluster` (main.ts), `npm run chaos -- --cluster` and the cluster tests.
 */
import fs from 'node:fs';
import path from 'node:path';

import { FAILURE_CONVERTER_PATH } from '../../codec/data-converter';
import { ensureTemporalServerBinaries, ensureTemporalUiServerBinary, type Log } from '../binaries';
import { freePortBelow, portIsFree, spawnService, waitForPort, type ServiceProcess } from '../process';
import { startFerretDb, type FerretDbServer } from '../services';
import { bundleWorkflows } from '../../temporal/workflow-bundle';
import { startPostgres, type PostgresServer } from './postgres';
import {
  prepareTemporalSchema,
  startTemporalServer,
  type TemporalServer,
  type TemporalServerOptions,
} from './temporal-server';
import { startTemporalUi, type TemporalUi } from './temporal-ui';

/** The repository root: the nearest directory above with tokenpay's package.json (dist/, dist-chaos/ or src/). */
function repositoryRoot(from: string): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      if (
        (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name ===
        'tokenpay'
      )
        return dir;
    } catch {
      /* not here */
    }
  }
  throw new Error(`tokenpay's package.json not found above ${from}`);
}
const ROOT = repositoryRoot(__dirname);
const DIST = path.join(ROOT, 'dist');

/** The addresses people and clients use (the contract's defaults in `npm run cluster`). */
export interface ClusterPorts {
  /** the API, through the load-balancing proxy */
  api: number;
  /** the Temporal UI, through the operators' front proxy */
  ui: number;
  /** the Temporal frontend */
  temporal: number;
  /** FerretDB */
  mongo: number;
  /** the gateway simulator */
  simulator: number;
  postgres: number;
}

/**
 * A free port to listen on, below the kernel's ephemeral range (32768-60999): a port picked there
 * can be taken as the source port of some outgoing connection before the service binds it (and
 * Temporal stores membership ports in a smallint anyway).
 */
export const listenPort = (): Promise<number> => freePortBelow(32_768);

/** Free ports for every public address (tests and the chaos run). */
export async function freeClusterPorts(): Promise<ClusterPorts> {
  const ports: number[] = [];
  while (ports.length < 6) {
    const port = await listenPort();
    if (!ports.includes(port)) ports.push(port);
  }
  const [api, ui, temporal, mongo, simulator, postgres] = ports as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { api, ui, temporal, mongo, simulator, postgres };
}

export const DEFAULT_CLUSTER_PORTS: ClusterPorts = {
  api: 3000,
  ui: 8233,
  temporal: 7233,
  mongo: 27017,
  simulator: 4010,
  // not 5432: a system PostgreSQL (Debian starts one on install) usually has it
  postgres: 15432,
};

export interface ClusterOptions {
  /** everything the cluster keeps: PostgreSQL, FerretDB, the simulator's file, configs, logs */
  dataDir: string;
  ports: ClusterPorts;
  /** the keys (cluster/secrets.ts): TOKENPAY_* and TEMPORAL_DB_PASSWORD */
  secrets: Record<string, string>;
  apiInstances?: number;
  workers?: number;
  /** more environment for the API and worker processes */
  env?: NodeJS.ProcessEnv;
  /** more environment for the gateway simulator (e.g. GATEWAY_SIM_FAULTS=1) */
  simulatorEnv?: NodeJS.ProcessEnv;
  log: Log;
}

export type NodeServiceName = string; // 'api-1', 'worker-2', 'gateway-simulator', 'proxy-api', 'proxy-ui'

const TOKENPAY_SECRET_NAMES = [
  'TOKENPAY_ADMIN_KEY',
  'TOKENPAY_CSRF_KEY',
  'TOKENPAY_SESSION_ID_KEY',
  'TOKENPAY_METRICS_TOKEN',
  'TOKENPAY_GATEWAY_NOTIFY_SECRET',
  'TOKENPAY_FINGERPRINT_KEYS',
  'TOKENPAY_CODEC_KEYS',
  'TOKENPAY_CODEC_CREDENTIALS',
  'TOKENPAY_DEMO_API_KEY',
  'TOKENPAY_DEMO_WEBHOOK_KEY',
];

export class Cluster {
  postgres: PostgresServer | undefined;
  temporal: TemporalServer | undefined;
  ferret: FerretDbServer | undefined;
  ui: TemporalUi | undefined;
  readonly node = new Map<NodeServiceName, ServiceProcess>();
  readonly logDir: string;
  readonly internal: {
    apis: number[];
    uiServer: number;
    temporal: Omit<TemporalServerOptions['ports'], 'frontend'>;
    workerMetrics: Array<{ metrics: number; sdk: number }>;
  };
  private stopped = false;
  private serverOptions!: TemporalServerOptions;

  private constructor(
    readonly options: ClusterOptions,
    internal: Cluster['internal'],
  ) {
    this.logDir = path.join(options.dataDir, 'logs');
    this.internal = internal;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.options.ports.api}`;
  }
  get uiUrl(): string {
    return `http://127.0.0.1:${this.options.ports.ui}`;
  }
  get simulatorUrl(): string {
    return `http://127.0.0.1:${this.options.ports.simulator}`;
  }
  get temporalAddress(): string {
    return `127.0.0.1:${this.options.ports.temporal}`;
  }
  get mongoUri(): string {
    return `mongodb://127.0.0.1:${this.options.ports.mongo}/tokenpay?directConnection=true`;
  }
  /** one API instance directly, bypassing the load balancer (1-based) */
  apiInstanceUrl(n: number): string {
    return `http://127.0.0.1:${this.internal.apis[n - 1]}`;
  }
  get apiInstances(): number {
    return this.internal.apis.length;
  }
  get workers(): number {
    return this.internal.workerMetrics.length;
  }

  /** Checks the public ports are free and picks the internal ones. */
  static async create(options: ClusterOptions): Promise<Cluster> {
    for (const file of [
      'server.js',
      'worker.js',
      'edge/proxy.js',
      'dev/gateway-simulator/main.js',
      'workflows/index.js',
    ]) {
      if (!fs.existsSync(path.join(DIST, file)))
        throw new Error(`${path.join(DIST, file)} is missing: run \`npm run build\``);
    }
    const busy: string[] = [];
    for (const [name, port] of Object.entries(options.ports)) {
      if (!(await portIsFree(port))) busy.push(`${name} ${port}`);
    }
    if (busy.length > 0) {
      throw new Error(
        `ports in use: ${busy.join(', ')}. Stop what uses them or choose others (PORT, TEMPORAL_UI_PORT, ` +
          'TEMPORAL_PORT, MONGODB_PORT, GATEWAY_SIM_PORT, POSTGRES_PORT; TOKENPAY_CLUSTER_PORTS=free picks free ones).',
      );
    }
    const taken = new Set(Object.values(options.ports));
    const free = async (): Promise<number> => {
      for (;;) {
        const port = await listenPort();
        if (!taken.has(port)) {
          taken.add(port);
          return port;
        }
      }
    };
    const apis: number[] = [];
    for (let i = 0; i < (options.apiInstances ?? 2); i++) apis.push(await free());
    const workerMetrics: Array<{ metrics: number; sdk: number }> = [];
    for (let i = 0; i < (options.workers ?? 2); i++)
      workerMetrics.push({ metrics: await free(), sdk: await free() });
    return new Cluster(options, {
      apis,
      uiServer: await free(),
      temporal: {
        frontendHttp: await free(),
        frontendMembership: await free(),
        history: await free(),
        historyMembership: await free(),
        matching: await free(),
        matchingMembership: await free(),
        worker: await free(),
        workerMembership: await free(),
        metrics: await free(),
      },
      workerMetrics,
    });
  }

  async start(): Promise<void> {
    const { options } = this;
    const log = options.log;
    fs.mkdirSync(this.logDir, { recursive: true });
    const dataDir = path.resolve(options.dataDir);

    const [binaries, uiBinary] = await Promise.all([
      ensureTemporalServerBinaries(log),
      ensureTemporalUiServerBinary(log),
    ]);
    this.serverOptions = {
      binaries,
      dir: path.join(dataDir, 'temporal'),
      ports: { frontend: options.ports.temporal, ...this.internal.temporal },
      postgres: { port: options.ports.postgres, password: options.secrets.TEMPORAL_DB_PASSWORD! },
      logFile: path.join(this.logDir, 'temporal-server.log'),
      log,
    };

    // storage first: PostgreSQL (then Temporal's schema), FerretDB, the simulator; the workflow bundle meanwhile
    const bundlePath = path.join(dataDir, 'workflow-bundle.js');
    const [postgres, ferret, bundle] = await Promise.all([
      this.startPostgres(),
      this.startFerretDb(),
      bundleWorkflows({
        workflowsPath: require.resolve(path.join(DIST, 'workflows')),
        failureConverterPath: FAILURE_CONVERTER_PATH,
      }),
      this.startSimulator(),
    ]);
    this.postgres = postgres;
    this.ferret = ferret;
    fs.writeFileSync(bundlePath, bundle.code);
    await prepareTemporalSchema(this.serverOptions);
    this.temporal = await startTemporalServer(this.serverOptions);
    log(
      `Temporal server ${this.temporalAddress} (PostgreSQL :${options.ports.postgres}) ready in ${this.temporal.startupMs} ms`,
    );

    const env = this.tokenpayEnv(bundlePath);
    // The first API and worker register the namespace and search attributes; the others join.
    for (let i = 1; i <= this.internal.apis.length; i++) {
      this.spawnNode(`api-${i}`, 'server.js', { ...env, PORT: String(this.internal.apis[i - 1]) });
    }
    this.internal.workerMetrics.forEach((ports, i) =>
      this.spawnNode(`worker-${i + 1}`, 'worker.js', {
        ...env,
        TOKENPAY_WORKER_METRICS_PORT: String(ports.metrics),
        TOKENPAY_WORKER_SDK_METRICS_PORT: String(ports.sdk),
      }),
    );
    const apiBackends = this.internal.apis.map((p) => `http://127.0.0.1:${p}`).join(',');
    this.spawnNode('proxy-api', 'edge/proxy.js', {
      PROXY_PORT: String(options.ports.api),
      PROXY_ROUTES: `/=${apiBackends}`,
    });
    this.ui = await startTemporalUi({
      binary: uiBinary,
      dir: path.join(dataDir, 'temporal-ui'),
      port: this.internal.uiServer,
      temporalAddress: this.temporalAddress,
      publicUrl: this.uiUrl,
      namespace: 'default',
      logFile: path.join(this.logDir, 'temporal-ui.log'),
      log,
    });
    this.spawnNode('proxy-ui', 'edge/proxy.js', {
      PROXY_PORT: String(options.ports.ui),
      PROXY_ROUTES: `/codec=${apiBackends};/=http://127.0.0.1:${this.internal.uiServer}`,
      PROXY_BASIC_AUTH: options.secrets.TOKENPAY_CODEC_CREDENTIALS ?? '',
    });
    await waitForPort('127.0.0.1', options.ports.api, 30_000);
    // every instance, not just the one the load balancer happens to ask
    await Promise.all(this.internal.apis.map((_, i) => this.waitReady(120_000, this.apiInstanceUrl(i + 1))));
    await Promise.all(
      this.internal.workerMetrics.map((_, i) =>
        this.waitForLog(`worker-${i + 1}`, 'worker started', 120_000),
      ),
    );
    await this.waitReady(30_000);
  }

  private async waitForLog(name: string, needle: string, timeoutMs: number): Promise<void> {
    const file = path.join(this.logDir, `${name}.log`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if (fs.readFileSync(file, 'utf8').includes(needle)) return;
      } catch {
        /* not written yet */
      }
      if (Date.now() > deadline)
        throw new Error(`${name} did not log "${needle}" within ${timeoutMs} ms (${file})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** The environment of the API and worker processes: production, behind the proxy. */
  tokenpayEnv(bundlePath: string): NodeJS.ProcessEnv {
    const secrets = Object.fromEntries(
      TOKENPAY_SECRET_NAMES.filter((n) => this.options.secrets[n]).map((n) => [n, this.options.secrets[n]]),
    );
    return {
      TOKENPAY_ENV: 'production',
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: this.apiUrl,
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      MONGODB_URI: this.mongoUri,
      GATEWAY_URL: this.simulatorUrl,
      TOKENPAY_SEED_DEMO: '1',
      // exactly one proxy in front: the client is the address it saw (what a client writes
      // into X-Forwarded-For itself is ignored)
      TOKENPAY_TRUST_PROXY: '1',
      TOKENPAY_RATE_LIMIT_STORE: 'mongodb',
      TOKENPAY_CODEC_ORIGINS: this.uiUrl,
      TOKENPAY_WORKFLOW_BUNDLE: bundlePath,
      LOG_LEVEL: 'info',
      ...secrets,
      ...this.options.env,
    };
  }

  private startPostgres(): Promise<PostgresServer> {
    return startPostgres({
      dataDir: path.join(this.options.dataDir, 'postgres'),
      rootDir: this.options.dataDir,
      port: this.options.ports.postgres,
      password: this.options.secrets.TEMPORAL_DB_PASSWORD!,
      logFile: path.join(this.logDir, 'postgres.log'),
      log: this.options.log,
    });
  }

  private startFerretDb(): Promise<FerretDbServer> {
    return startFerretDb({
      port: this.options.ports.mongo,
      dataDir: path.join(this.options.dataDir, 'ferretdb'),
      logFile: path.join(this.logDir, 'ferretdb.log'),
      readyTimeoutMs: 60_000,
      log: this.options.log,
    });
  }

  private async startSimulator(): Promise<void> {
    this.spawnNode('gateway-simulator', 'dev/gateway-simulator/main.js', {
      GATEWAY_SIM_PORT: String(this.options.ports.simulator),
      GATEWAY_SIM_HOST: '127.0.0.1',
      GATEWAY_SIM_DATA_FILE: path.join(this.options.dataDir, 'gateway-simulator.json'),
      // signed notifications of charge outcomes, through the load balancer like any gateway's
      GATEWAY_SIM_NOTIFY_URL: `${this.apiUrl}/gateway/notifications`,
      ...(this.options.secrets.TOKENPAY_GATEWAY_NOTIFY_SECRET
        ? { GATEWAY_SIM_NOTIFY_SECRET: this.options.secrets.TOKENPAY_GATEWAY_NOTIFY_SECRET }
        : {}),
      ...this.options.simulatorEnv,
    });
    await waitForPort('127.0.0.1', this.options.ports.simulator, 20_000);
  }

  private spawnNode(name: NodeServiceName, script: string, env: NodeJS.ProcessEnv): void {
    this.node.set(
      name,
      spawnService({
        name,
        command: process.execPath,
        args: ['--enable-source-maps', path.join(DIST, script)],
        env,
        cwd: ROOT,
        logFile: path.join(this.logDir, `${name}.log`),
        restartOnCrash: true,
        maxRestarts: 30,
        log: (line) => this.options.log(`supervisor: ${line}`),
      }),
    );
  }

  /** GET /readyz through the load balancer until 200 (Temporal, MongoDB, gateway, a worker). */
  async waitReady(timeoutMs: number, url = this.apiUrl, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline && !signal?.aborted) {
      try {
        const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
        if (res.status === 200) return;
        last = `${res.status} ${await res.text()}`;
      } catch (error) {
        last = (error as Error).message;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`the cluster is not ready after ${timeoutMs} ms: ${last} (logs: ${this.logDir})`);
  }

  /** Stop + start of the Temporal server (same database). */
  async restartTemporal(): Promise<number> {
    const t0 = Date.now();
    await this.temporal?.stop();
    this.temporal = undefined;
    if (this.stopped) return 0;
    this.temporal = await startTemporalServer(this.serverOptions);
    return Date.now() - t0;
  }

  /** Stop (fast shutdown) + start of PostgreSQL, under the running Temporal server. */
  async restartPostgres(): Promise<number> {
    const t0 = Date.now();
    await this.postgres?.stop();
    this.postgres = undefined;
    if (this.stopped) return 0;
    this.postgres = await this.startPostgres();
    return Date.now() - t0;
  }

  async restartFerretDb(): Promise<number> {
    const t0 = Date.now();
    await this.ferret?.stop();
    this.ferret = undefined;
    if (this.stopped) return 0;
    this.ferret = await this.startFerretDb();
    return Date.now() - t0;
  }

  logFiles(): string[] {
    try {
      return fs.readdirSync(this.logDir).map((f) => path.join(this.logDir, f));
    } catch {
      return [];
    }
  }

  restarts(): Record<string, number> {
    return Object.fromEntries([...this.node].map(([name, s]) => [name, s.restarts]));
  }

  /** Stops every process (idempotent): tokenpay and the proxies first, storage last. */
  async stop(): Promise<void> {
    this.stopped = true;
    const within = (p: Promise<unknown> | undefined) =>
      Promise.race([p?.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 20_000))]);
    await Promise.all(
      [...this.node]
        .filter(([name]) => name !== 'gateway-simulator')
        .map(([, s]) => within(s.stop('SIGTERM', 5_000))),
    );
    await Promise.all([within(this.ui?.stop()), within(this.node.get('gateway-simulator')?.stop())]);
    await within(this.temporal?.stop());
    await Promise.all([within(this.postgres?.stop()), within(this.ferret?.stop())]);
  }
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const cluster = await Cluster.create(options);
  try {
    await cluster.start();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
