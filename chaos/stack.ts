/**
 * The chaos run's own complete stack, as real child processes on free ports, everything under a
 * temporary directory: Temporal dev server (persistent SQLite file) and FerretDB (data dir) from
 * src/dev/services, the gateway simulator with fault injection and a data file, and tokenpay's
 * worker and API from dist/ — all supervised with restart-on-crash (src/dev/process).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

import { generateCodecKey } from '../src/codec/keys';
import { bundleWorkflows } from '../src/temporal/workflow-bundle';
import {
  freePort,
  spawnService,
  stopAllServices,
  waitForPort,
  type ServiceProcess,
} from '../src/dev/process';
import {
  startFerretDb,
  startTemporalDevServer,
  type FerretDbServer,
  type TemporalDevServer,
} from '../src/dev/services';
import { httpRequest, NetError } from './http';
import { sleep } from './log';

/** Repository root (this file runs as dist-chaos/chaos/stack.js). */
export const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');

export interface StackOptions {
  /** tokenpay's per-request gateway timeout (GATEWAY_TIMEOUT_MS) */
  gatewayTimeoutMs: number;
  log: (line: string) => void;
}

export interface Keys {
  apiKey: string;
  webhookKey: string;
  adminKey: string;
  codecKeys: string;
}

/** `worker-b`: the upgrade profile's second worker build, started beside `worker` */
type NodeService = 'gateway-simulator' | 'worker' | 'api' | 'worker-b';

/**
 * What the run needs of a stack: the single-process one below (`npm run chaos`) or the cluster
 * (`npm run chaos -- --cluster`, cluster-stack.ts).
 */
export interface Stack {
  readonly workDir: string;
  readonly keys: Keys;
  readonly apiUrl: string;
  readonly simulatorUrl: string;
  readonly temporalAddress: string;
  readonly mongoUri: string;
  /** for the fault log */
  readonly ports: { temporal: number; mongo: number; postgres?: number };
  /** the process faults this stack can take */
  readonly processFaults: ReadonlyArray<
    'kill_worker' | 'kill_api' | 'restart_temporal' | 'restart_ferretdb' | 'restart_postgres'
  >;
  start(): Promise<void>;
  waitReady(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** kill -9 of a worker or an API process (one of them, when there are several) */
  kill9(
    name: 'worker' | 'api',
    recoveryTimeoutMs: number,
  ): Promise<{ pid: number; recoveryMs: number; instance: string }>;
  restartTemporal(): Promise<number>;
  restartFerretDb(): Promise<number>;
  restartPostgres?(): Promise<number>;
  logFiles(): string[];
  restarts(): Record<string, number>;
  stop(): Promise<void>;
  removeWorkDir(): void;
}

export class ChaosStack implements Stack {
  readonly processFaults = ['kill_worker', 'kill_api', 'restart_temporal', 'restart_ferretdb'] as const;
  temporal: TemporalDevServer | undefined;
  ferret: FerretDbServer | undefined;
  readonly node: Partial<Record<NodeService, ServiceProcess>> = {};
  readonly logDir: string;
  readonly keys: Keys;
  readonly dbName = 'chaos';
  private stopped = false;
  /** the environment of the worker and API processes (set by start) */
  private env: NodeJS.ProcessEnv = {};
  /** the workflow bundle the workers run unless told otherwise (set by start) */
  bundlePath = '';

  private constructor(
    readonly workDir: string,
    private readonly options: StackOptions,
    readonly ports: {
      temporal: number;
      temporalMetrics: number;
      mongo: number;
      simulator: number;
      api: number;
    },
  ) {
    this.logDir = path.join(workDir, 'logs');
    this.keys = {
      apiKey: `tp_chaos_${randomBytes(12).toString('hex')}`,
      webhookKey: `whk_chaos_${randomBytes(12).toString('hex')}`,
      adminKey: `adm_chaos_${randomBytes(12).toString('hex')}`,
      codecKeys: generateCodecKey('chaos').entry,
    };
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.ports.api}`;
  }
  get simulatorUrl(): string {
    return `http://127.0.0.1:${this.ports.simulator}`;
  }
  get temporalAddress(): string {
    return `127.0.0.1:${this.ports.temporal}`;
  }
  get mongoUri(): string {
    return `mongodb://127.0.0.1:${this.ports.mongo}/${this.dbName}?directConnection=true`;
  }

  /** Creates the work dir and picks ports; `start()` brings the services up. */
  static async create(options: StackOptions): Promise<ChaosStack> {
    for (const file of ['worker.js', 'server.js', 'dev/gateway-simulator/main.js', 'workflows/index.js']) {
      if (!fs.existsSync(path.join(DIST, file))) {
        throw new Error(
          `${path.join(DIST, file)} is missing: run \`npm run build\` first (npm run chaos does)`,
        );
      }
    }
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenpay-chaos-'));
    const ports = { temporal: 0, temporalMetrics: 0, mongo: 0, simulator: 0, api: 0 };
    const taken = new Set<number>();
    for (const name of Object.keys(ports) as Array<keyof typeof ports>) {
      let port = await freePort();
      while (taken.has(port)) port = await freePort();
      taken.add(port);
      ports[name] = port;
    }
    return new ChaosStack(workDir, options, ports);
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.logDir, { recursive: true });
    const log = this.options.log;
    const bundlePath = path.join(this.workDir, 'workflow-bundle.js');
    const [temporal, ferret, bundle] = await Promise.allSettled([
      this.startTemporal(),
      this.startFerretDb(),
      bundleWorkflows({
        workflowsPath: require.resolve(path.join(DIST, 'workflows')),
        failureConverterPath: require.resolve(path.join(DIST, 'codec', 'failure-converter')),
      }),
    ]);
    for (const r of [temporal, ferret, bundle]) if (r.status === 'rejected') throw r.reason;
    if (bundle.status === 'fulfilled') fs.writeFileSync(bundlePath, bundle.value.code);
    log(`Temporal ${this.temporalAddress} and FerretDB :${this.ports.mongo} ready; workflow code bundled`);

    this.spawnNode('gateway-simulator', 'dev/gateway-simulator/main.js', {
      GATEWAY_SIM_PORT: String(this.ports.simulator),
      GATEWAY_SIM_HOST: '127.0.0.1',
      GATEWAY_SIM_FAULTS: '1',
      GATEWAY_SIM_DATA_FILE: path.join(this.workDir, 'gateway-simulator.json'),
      // signed notifications of charge outcomes to the API (its dev default secret on both sides)
      GATEWAY_SIM_NOTIFY_URL: `${this.apiUrl}/gateway/notifications`,
    });
    await waitForPort('127.0.0.1', this.ports.simulator, 20_000);
    const env: NodeJS.ProcessEnv = {
      PORT: String(this.ports.api),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: this.apiUrl,
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: 'tokenpay',
      MONGODB_URI: this.mongoUri,
      GATEWAY_URL: this.simulatorUrl,
      GATEWAY_TIMEOUT_MS: String(this.options.gatewayTimeoutMs),
      TOKENPAY_SEED_DEMO: '1',
      TOKENPAY_DEMO_API_KEY: this.keys.apiKey,
      TOKENPAY_DEMO_WEBHOOK_KEY: this.keys.webhookKey,
      TOKENPAY_ADMIN_KEY: this.keys.adminKey,
      TOKENPAY_CODEC_KEYS: this.keys.codecKeys,
      TOKENPAY_CODEC_TRUST_UI_ORIGIN: '0',
      TOKENPAY_SUBMIT_RATE_PER_IP: '100000',
      TOKENPAY_SUBMIT_RATE_PER_SESSION: '1000',
      TOKENPAY_WORKFLOW_BUNDLE: bundlePath,
      LOG_LEVEL: 'debug',
    };
    this.env = env;
    this.bundlePath = bundlePath;
    this.spawnNode('worker', 'worker.js', env);
    this.spawnNode('api', 'server.js', env);
    await this.waitReady(90_000);
  }

  /**
   * Another worker process beside the first, running the workflow code of `bundlePath` (a new
   * build: it joins the same Worker Deployment under its own build id); resolves once it polls.
   */
  async startWorker(name: 'worker-b', bundlePath: string, timeoutMs = 60_000): Promise<void> {
    this.spawnNode(name, 'worker.js', {
      ...this.env,
      TOKENPAY_WORKFLOW_BUNDLE: bundlePath,
      // the first worker holds the metrics ports
      TOKENPAY_WORKER_METRICS_PORT: '0',
    });
    await this.waitForLog(name, 'worker started', 1, timeoutMs);
  }

  /** Stops a worker process for good (SIGTERM: in-flight tasks finish within its grace time). */
  async stopWorker(name: 'worker' | 'worker-b'): Promise<void> {
    const service = this.node[name];
    delete this.node[name];
    await service?.stop('SIGTERM', 35_000);
  }

  private startTemporal(): Promise<TemporalDevServer> {
    return startTemporalDevServer({
      port: this.ports.temporal,
      uiPort: null,
      // its own port: left to the CLI, it may take one picked above before its service binds it
      metricsPort: this.ports.temporalMetrics,
      dbFile: path.join(this.workDir, 'temporal.db'),
      logFile: path.join(this.logDir, 'temporal.log'),
      readyTimeoutMs: 90_000,
      log: this.options.log,
    }).then((t) => (this.temporal = t));
  }

  private startFerretDb(): Promise<FerretDbServer> {
    return startFerretDb({
      port: this.ports.mongo,
      dataDir: path.join(this.workDir, 'ferretdb'),
      logFile: path.join(this.logDir, 'ferretdb.log'),
      readyTimeoutMs: 60_000,
      log: this.options.log,
    }).then((f) => (this.ferret = f));
  }

  private spawnNode(name: NodeService, script: string, env: NodeJS.ProcessEnv): void {
    this.node[name] = spawnService({
      name,
      command: process.execPath,
      args: ['--enable-source-maps', path.join(DIST, script)],
      env,
      cwd: ROOT,
      logFile: path.join(this.logDir, `${name}.log`),
      restartOnCrash: true,
      maxRestarts: 30,
      log: (line) => this.options.log(`supervisor: ${line}`),
    });
  }

  /** GET /readyz until 200 (Temporal, MongoDB, gateway and a worker poller all reachable). */
  async waitReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline && !signal?.aborted) {
      try {
        const r = await httpRequest('GET', `${this.apiUrl}/readyz`, { timeoutMs: 5_000 });
        if (r.status === 200) return;
        last = `${r.status} ${JSON.stringify(r.body)}`;
      } catch (error) {
        if (!(error instanceof NetError)) throw error;
        last = error.message;
      }
      await sleep(250, signal);
    }
    throw new Error(`tokenpay not ready after ${timeoutMs} ms: ${last}`);
  }

  /** How many times `needle` occurs in a service's log so far. */
  countInLog(name: string, needle: string): number {
    try {
      return fs.readFileSync(path.join(this.logDir, `${name}.log`), 'utf8').split(needle).length - 1;
    } catch {
      return 0;
    }
  }

  private async waitForLog(name: string, needle: string, atLeast: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.countInLog(name, needle) < atLeast) {
      if (Date.now() > deadline) throw new Error(`${name} did not log "${needle}" within ${timeoutMs} ms`);
      await sleep(200);
    }
  }

  /** kill -9 of a supervised node process; resolves when its replacement is up. */
  async kill9(
    name: 'worker' | 'api',
    recoveryTimeoutMs: number,
  ): Promise<{ pid: number; recoveryMs: number; instance: string }> {
    const service = this.node[name];
    const pid = service?.pid;
    if (!service || pid === undefined) throw new Error(`${name} is not running`);
    const needle = name === 'worker' ? 'worker started' : 'api listening';
    const before = this.countInLog(name, needle);
    const t0 = Date.now();
    process.kill(pid, 'SIGKILL');
    await this.waitForLog(name, needle, before + 1, recoveryTimeoutMs);
    if (name === 'api') await this.waitReady(recoveryTimeoutMs);
    return { pid, recoveryMs: Date.now() - t0, instance: name };
  }

  /** Stop + start on the same port with the same SQLite file. */
  async restartTemporal(): Promise<number> {
    const t0 = Date.now();
    await this.temporal?.stop();
    this.temporal = undefined;
    if (this.stopped) return 0;
    await this.startTemporal();
    return Date.now() - t0;
  }

  /** Stop + start on the same port with the same data dir. */
  async restartFerretDb(): Promise<number> {
    const t0 = Date.now();
    await this.ferret?.stop();
    this.ferret = undefined;
    if (this.stopped) return 0;
    await this.startFerretDb();
    return Date.now() - t0;
  }

  /** Every log file of the run's child processes. */
  logFiles(): string[] {
    try {
      return fs.readdirSync(this.logDir).map((f) => path.join(this.logDir, f));
    } catch {
      return [];
    }
  }

  restarts(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.node).map(([name, s]) => [name, s?.restarts ?? 0]));
  }

  /** Stops every process of the stack (idempotent); the services' own watchdogs cover a crash of ours. */
  async stop(): Promise<void> {
    this.stopped = true;
    const stopWithin = (p: Promise<unknown> | undefined) =>
      Promise.race([p?.catch(() => undefined), sleep(15_000)]);
    await Promise.all(
      (['api', 'worker', 'worker-b', 'gateway-simulator'] as const).map((n) =>
        stopWithin(this.node[n]?.stop('SIGTERM', 5_000)),
      ),
    );
    await Promise.all([stopWithin(this.temporal?.stop()), stopWithin(this.ferret?.stop())]);
    // anything started meanwhile (e.g. a restart in progress)
    await stopWithin(stopAllServices('SIGKILL', 2_000));
  }

  removeWorkDir(): void {
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}
