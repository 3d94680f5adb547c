/**
 * The cluster's Temporal server: the real server (not the dev server) at the version
 * docker-compose.yml runs, its four services in one process, persistence and SQL visibility on
 * PostgreSQL, every port on loopback. Its schema is created and upgraded with its own SQL tool
 * (idempotent: safe on every start). The namespace and search attributes are not set up here:
 * tokenpay's API and worker register them on start, as they would on any Temporal.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';

import type { Log, TemporalServerBinaries } from '../binaries';
import { describeExit, retryUntil, spawnService, tailFile, type ServiceProcess } from '../process';
import { POSTGRES_USER } from './postgres';

export interface TemporalServerPorts {
  frontend: number;
  frontendHttp: number;
  /** membership ports are stored in a smallint: below 32768 */
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  /** Prometheus metrics of the server */
  metrics: number;
}

export interface TemporalServerOptions {
  binaries: TemporalServerBinaries;
  /** config and dynamic config are written here */
  dir: string;
  ports: TemporalServerPorts;
  postgres: { port: number; password: string };
  /** fixed when the cluster is created; see README (scaling) */
  historyShards?: number;
  logFile: string;
  log: Log;
  readyTimeoutMs?: number;
}

export interface TemporalServer {
  address: string;
  process: ServiceProcess;
  startupMs: number;
  stop(): Promise<void>;
}

const DATABASES = [
  { name: 'temporal', schema: 'postgresql/v12/temporal' },
  { name: 'temporal_visibility', schema: 'postgresql/v12/visibility' },
];

function sqlTool(tool: string, args: string[], password: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      tool,
      args,
      { timeout: 120_000, env: { ...process.env, SQL_PASSWORD: password }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new Error(
              `temporal-sql-tool ${args.slice(-3).join(' ')}: ${(stderr || stdout).trim().split('\n').slice(-5).join('\n')}`,
            ),
          );
        else resolve();
      },
    );
  });
}

/** Creates the two databases and brings their schemas to this server's version (idempotent). */
export async function prepareTemporalSchema(options: TemporalServerOptions): Promise<void> {
  const common = [
    '--plugin',
    'postgres12',
    '--ep',
    '127.0.0.1',
    '-p',
    String(options.postgres.port),
    '-u',
    POSTGRES_USER,
  ];
  for (const db of DATABASES) {
    const onDb = [...common, '--db', db.name];
    await sqlTool(options.binaries.sqlTool, [...onDb, 'create-database'], options.postgres.password).catch(
      (error: Error) => {
        if (!/already exists/i.test(error.message)) throw error;
      },
    );
    await sqlTool(
      options.binaries.sqlTool,
      [...onDb, 'setup-schema', '-v', '0.0'],
      options.postgres.password,
    );
    await sqlTool(
      options.binaries.sqlTool,
      [...onDb, 'update-schema', '--schema-name', db.schema],
      options.postgres.password,
    );
  }
}

const q = (value: string | number): string => JSON.stringify(String(value));

function configYaml(o: TemporalServerOptions, dynamicConfig: string): string {
  const p = o.ports;
  const store = (db: string, conns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${db}
        connectAddr: ${q(`127.0.0.1:${o.postgres.port}`)}
        connectProtocol: tcp
        user: ${POSTGRES_USER}
        password: ${q(o.postgres.password)}
        maxConns: ${conns}
        maxIdleConns: ${conns}
        maxConnLifetime: 1h`;
  const service = (grpc: number, membership: number, http?: number) =>
    `{ grpcPort: ${grpc}, membershipPort: ${membership}, bindOnLocalHost: true${http ? `, httpPort: ${http}` : ''} }`;
  return `# written by tokenpay's cluster profile (src/dev/cluster/temporal-server.ts) on every start
log:
  stdout: true
  level: warn
  format: json
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: ${o.historyShards ?? 4}
  datastores:
    default:${store('temporal', 20)}
    visibility:${store('temporal_visibility', 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: ${q(`127.0.0.1:${p.metrics}`)}
services:
  frontend:
    rpc: ${service(p.frontend, p.frontendMembership, p.frontendHttp)}
  history:
    rpc: ${service(p.history, p.historyMembership)}
  matching:
    rpc: ${service(p.matching, p.matchingMembership)}
  worker:
    rpc: ${service(p.worker, p.workerMembership)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: ${q(`127.0.0.1:${p.frontend}`)}
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: ${q(dynamicConfig)}
  pollInterval: 10s
`;
}

/**
 * What the dev server turns on by default and tokenpay uses (updates, worker versioning): the
 * same file docker-compose.yml mounts, found above this module wherever it was compiled to
 * (dist/, dist-chaos/).
 */
function dynamicConfigFile(): string {
  const relative = path.join('deploy', 'temporal', 'dynamicconfig.yaml');
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, relative))) return path.join(dir, relative);
    if (path.dirname(dir) === dir) throw new Error(`${relative} not found above ${__dirname}`);
  }
}

export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  const dir = path.resolve(options.dir);
  fs.mkdirSync(path.join(dir, 'config'), { recursive: true });
  const dynamicConfig = path.join(dir, 'dynamicconfig.yaml');
  fs.copyFileSync(dynamicConfigFile(), dynamicConfig);
  fs.writeFileSync(path.join(dir, 'config', 'production.yaml'), configYaml(options, dynamicConfig), {
    mode: 0o600,
  });
  const address = `127.0.0.1:${options.ports.frontend}`;
  const t0 = Date.now();
  const proc = spawnService({
    name: 'temporal-server',
    command: options.binaries.server,
    // no authorizer: the frontend listens on loopback only (README: securing Temporal)
    args: ['--root', dir, '--config', 'config', '--env', 'production', '--allow-no-auth', 'start'],
    cwd: dir,
    logFile: options.logFile,
    restartOnCrash: true,
    log: options.log,
  });
  const died = proc.exited.then((info) => `temporal-server exited during start-up (${describeExit(info)})`);
  try {
    await retryUntil(
      `Temporal server at ${address} did not become ready`,
      async () => {
        const connection = await Connection.connect({ address, connectTimeout: 2_000 });
        try {
          await connection.workflowService.getSystemInfo({});
          await connection.healthService.check({});
        } finally {
          await connection.close();
        }
      },
      { timeoutMs: options.readyTimeoutMs ?? 90_000, intervalMs: 250, abort: died },
    );
  } catch (error) {
    await proc.stop();
    throw new Error(
      `${(error as Error).message}\n--- ${options.logFile} ---\n${tailFile(options.logFile, 20)}`,
    );
  }
  return { address, process: proc, startupMs: Date.now() - t0, stop: () => proc.stop('SIGTERM', 15_000) };
}
