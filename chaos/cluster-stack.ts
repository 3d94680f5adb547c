/**
 * `npm run chaos -- --cluster`: the run's stack is the production shape (src/dev/cluster): a
 * Temporal server on PostgreSQL, FerretDB, the simulator (with fault injection), two workers and
 * two API instances behind the load-balancing proxy, TOKENPAY_ENV=production. Process faults hit
 * one instance at a time (the API and worker kills alternate between the two), the Temporal
 * server and PostgreSQL under it are restarted, and FerretDB as in the single-process run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Cluster, freeClusterPorts } from '../src/dev/cluster/cluster';
import { loadClusterSecrets } from '../src/dev/cluster/secrets';
import { sleep } from './log';
import type { Keys, Stack } from './stack';

export class ClusterChaosStack implements Stack {
  readonly processFaults = [
    'kill_worker',
    'kill_api',
    'restart_temporal',
    'restart_postgres',
    'restart_ferretdb',
  ] as const;
  readonly keys: Keys;
  private readonly kills = { api: 0, worker: 0 };

  private constructor(
    readonly workDir: string,
    private readonly cluster: Cluster,
    keys: Keys,
  ) {
    this.keys = keys;
  }

  static async create(options: {
    gatewayTimeoutMs: number;
    log: (line: string) => void;
  }): Promise<ClusterChaosStack> {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenpay-chaos-cluster-'));
    // generated like `npm run cluster` generates them (the environment's are not used here)
    const secrets = loadClusterSecrets(path.join(workDir, 'secrets.env'), {}).values;
    const ports = await freeClusterPorts();
    const cluster = await Cluster.create({
      dataDir: workDir,
      ports,
      secrets,
      log: options.log,
      env: {
        GATEWAY_TIMEOUT_MS: String(options.gatewayTimeoutMs),
        // one client address drives every customer here: the per-IP limit is not under test
        TOKENPAY_SUBMIT_RATE_PER_IP: '100000',
        TOKENPAY_SUBMIT_RATE_PER_SESSION: '1000',
        // the run's webhook receiver listens on loopback (production refuses it otherwise)
        TOKENPAY_ALLOWED_PRIVATE_TARGETS: '127.0.0.1/32',
        LOG_LEVEL: 'debug',
      },
      simulatorEnv: { GATEWAY_SIM_FAULTS: '1' },
    });
    return new ClusterChaosStack(workDir, cluster, {
      apiKey: secrets.TOKENPAY_DEMO_API_KEY!,
      webhookKey: secrets.TOKENPAY_DEMO_WEBHOOK_KEY!,
      adminKey: secrets.TOKENPAY_ADMIN_KEY!,
      codecKeys: secrets.TOKENPAY_CODEC_KEYS!,
    });
  }

  get apiUrl(): string {
    return this.cluster.apiUrl;
  }
  get simulatorUrl(): string {
    return this.cluster.simulatorUrl;
  }
  get temporalAddress(): string {
    return this.cluster.temporalAddress;
  }
  get mongoUri(): string {
    return this.cluster.mongoUri;
  }
  get ports() {
    const p = this.cluster.options.ports;
    return { temporal: p.temporal, mongo: p.mongo, postgres: p.postgres };
  }

  start(): Promise<void> {
    return this.cluster.start();
  }

  waitReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.cluster.waitReady(timeoutMs, this.cluster.apiUrl, signal);
  }

  private countInLog(name: string, needle: string): number {
    try {
      return fs.readFileSync(path.join(this.cluster.logDir, `${name}.log`), 'utf8').split(needle).length - 1;
    } catch {
      return 0;
    }
  }

  /** kill -9 of one instance (alternating); resolves when its replacement is up. */
  async kill9(name: 'worker' | 'api', recoveryTimeoutMs: number) {
    const count = name === 'api' ? this.cluster.apiInstances : this.cluster.workers;
    const n = (this.kills[name]++ % count) + 1;
    const instance = `${name}-${n}`;
    const service = this.cluster.node.get(instance);
    const pid = service?.pid;
    if (!service || pid === undefined) throw new Error(`${instance} is not running`);
    const needle = name === 'worker' ? 'worker started' : 'api listening';
    const before = this.countInLog(instance, needle);
    const t0 = Date.now();
    process.kill(pid, 'SIGKILL');
    const deadline = t0 + recoveryTimeoutMs;
    while (this.countInLog(instance, needle) <= before) {
      if (Date.now() > deadline)
        throw new Error(`${instance} did not come back within ${recoveryTimeoutMs} ms`);
      await sleep(200);
    }
    if (name === 'api') await this.cluster.waitReady(recoveryTimeoutMs, this.cluster.apiInstanceUrl(n));
    return { pid, recoveryMs: Date.now() - t0, instance };
  }

  restartTemporal(): Promise<number> {
    return this.cluster.restartTemporal();
  }
  restartPostgres(): Promise<number> {
    return this.cluster.restartPostgres();
  }
  restartFerretDb(): Promise<number> {
    return this.cluster.restartFerretDb();
  }
  logFiles(): string[] {
    return this.cluster.logFiles();
  }
  restarts(): Record<string, number> {
    return this.cluster.restarts();
  }
  stop(): Promise<void> {
    return this.cluster.stop();
  }
  removeWorkDir(): void {
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}
