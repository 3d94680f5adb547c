/**
 * Embedded services for development and tests: the Temporal dev server (`temporal server
 * start-dev`) and FerretDB (MongoDB wire protocol over SQLite). Both run as supervised child
 * processes (see ./process.ts) and are only reported ready once a real client round-trip works.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { searchAttributeFlags, searchAttributeTypes } from '../temporal/setup';
import { ensureFerretDbBinary, ensureTemporalBinary, type Log } from './binaries';
import {
  describeExit,
  retryUntil,
  spawnService,
  tailFile,
  waitForPort,
  type ServiceProcess,
} from './process';

export interface RunningService {
  /** Stops the service (process group SIGTERM, SIGKILL after the grace period). Idempotent. */
  stop(): Promise<void>;
  readonly process: ServiceProcess;
  /** Milliseconds from spawn until the service was verified ready. */
  readonly startupMs: number;
}

export interface TemporalDevServerOptions {
  /** Frontend gRPC port (default 7233). */
  port?: number;
  /** Web UI port (default 8233); `null` runs the server headless (no UI). */
  uiPort?: number | null;
  /** Address the frontend and UI bind to (default 127.0.0.1). */
  ip?: string;
  /** SQLite file for persistent state; omit for an in-memory server. */
  dbFile?: string;
  /** Namespace to create and wait for (default "default", which always exists). */
  namespace?: string;
  logFile: string;
  /** Remote codec endpoint the Web UI uses to decode payloads (e.g. `http://127.0.0.1:3000/codec`). */
  codecEndpoint?: string;
  /** Give up if the server is not ready after this long (default 60 s). */
  readyTimeoutMs?: number;
  /**
   * Port of the server's Prometheus metrics. Unset, the CLI picks a free one at start, which may
   * be a port the caller has chosen for another service and not bound yet.
   */
  metricsPort?: number;
  /** Use this binary instead of `ensureTemporalBinary()`. */
  binary?: string;
  log?: Log;
}

export interface TemporalDevServer extends RunningService {
  /** `host:port` of the frontend, for `Connection.connect({ address })`. */
  readonly address: string;
  readonly namespace: string;
  /** `http://ip:uiPort`, or undefined when headless. */
  readonly uiUrl: string | undefined;
}

/** Command-line arguments for `temporal server start-dev` (exported for logging and tests). */
export function temporalDevServerArgs(
  opts: Required<Pick<TemporalDevServerOptions, 'port' | 'ip' | 'namespace'>> &
    Pick<TemporalDevServerOptions, 'uiPort' | 'dbFile' | 'codecEndpoint' | 'metricsPort'>,
): string[] {
  const args = [
    'server',
    'start-dev',
    '--ip',
    opts.ip,
    '--port',
    String(opts.port),
    '--namespace',
    opts.namespace,
  ];
  if (opts.uiPort === null || opts.uiPort === undefined) {
    args.push('--headless');
  } else {
    args.push('--ui-port', String(opts.uiPort), '--ui-ip', opts.ip, '--ui-disable-news-fetch');
    if (opts.codecEndpoint) args.push('--ui-codec-endpoint', opts.codecEndpoint);
  }
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  if (opts.metricsPort) args.push('--metrics-port', String(opts.metricsPort));
  for (const flag of searchAttributeFlags()) args.push('--search-attribute', flag);
  args.push('--log-format', 'json', '--log-level', 'warn');
  return args;
}

export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const log = options.log ?? ((line: string) => console.error(line));
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? 7233;
  const uiPort = options.uiPort === undefined ? 8233 : options.uiPort;
  const namespace = options.namespace ?? 'default';
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const binary = options.binary ?? (await ensureTemporalBinary(log));
  if (options.dbFile) fs.mkdirSync(path.dirname(path.resolve(options.dbFile)), { recursive: true });
  const address = `${ip}:${port}`;
  const args = temporalDevServerArgs({
    ip,
    port,
    namespace,
    uiPort,
    dbFile: options.dbFile && path.resolve(options.dbFile),
    codecEndpoint: options.codecEndpoint,
    metricsPort: options.metricsPort,
  });

  const t0 = Date.now();
  const proc = spawnService({ name: 'temporal', command: binary, args, logFile: options.logFile, log });
  const died = diedMessage(proc);
  try {
    await retryUntil(
      `Temporal dev server at ${address} did not become ready`,
      async () => {
        const connection = await Connection.connect({ address, connectTimeout: 2_000 });
        try {
          await connection.workflowService.getSystemInfo({});
          await connection.workflowService.describeNamespace({ namespace });
          const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
          const missing = [...searchAttributeTypes()]
            .filter(([name, type]) => Number(customAttributes?.[name]) !== type)
            .map(([name]) => name);
          if (missing.length > 0)
            throw new Error(`search attributes not registered yet: ${missing.join(', ')}`);
        } finally {
          await connection.close();
        }
      },
      { timeoutMs, intervalMs: 250, abort: died },
    );
    if (uiPort !== null)
      await raceDeath(waitForPort(ip, uiPort, Math.max(5_000, timeoutMs - (Date.now() - t0))), died);
  } catch (err) {
    await proc.stop();
    throw withLogTail(err as Error, options.logFile);
  }
  const startupMs = Date.now() - t0;
  return {
    address,
    namespace,
    uiUrl: uiPort === null ? undefined : `http://${ip}:${uiPort}`,
    process: proc,
    startupMs,
    stop: () => proc.stop(),
  };
}

export interface FerretDbOptions {
  /** Listen port (default 27017). */
  port?: number;
  /** Listen host (default 127.0.0.1). */
  host?: string;
  /** Directory for the SQLite databases and FerretDB's state.json; created if missing. */
  dataDir: string;
  logFile: string;
  /** Give up if the server is not ready after this long (default 30 s). */
  readyTimeoutMs?: number;
  /** Use this binary instead of `ensureFerretDbBinary()`. */
  binary?: string;
  log?: Log;
}

export interface FerretDbServer extends RunningService {
  /** `mongodb://host:port/?directConnection=true` (add a database name as needed). */
  readonly uri: string;
  readonly host: string;
  readonly port: number;
}

/** Command-line arguments for FerretDB v1 with the SQLite backend. */
export function ferretDbArgs(opts: { host: string; port: number; dataDir: string }): string[] {
  const dir = path.resolve(opts.dataDir);
  return [
    '--handler=sqlite',
    `--sqlite-url=${pathToFileURL(dir).href}/`,
    `--state-dir=${dir}`,
    `--listen-addr=${opts.host}:${opts.port}`,
    '--debug-addr=-', // no metrics/pprof listener (default 127.0.0.1:8088 would clash between instances)
    '--telemetry=disable',
    '--log-level=warn',
  ];
}

export async function startFerretDb(options: FerretDbOptions): Promise<FerretDbServer> {
  const log = options.log ?? ((line: string) => console.error(line));
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 27017;
  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  const binary = options.binary ?? (await ensureFerretDbBinary(log));
  fs.mkdirSync(options.dataDir, { recursive: true });
  const uri = `mongodb://${host}:${port}/?directConnection=true`;

  const t0 = Date.now();
  const proc = spawnService({
    name: 'ferretdb',
    command: binary,
    args: ferretDbArgs({ host, port, dataDir: options.dataDir }),
    cwd: options.dataDir,
    logFile: options.logFile,
    log,
  });
  const died = diedMessage(proc);
  try {
    await raceDeath(waitForPort(host, port, timeoutMs), died);
    await retryUntil(
      `FerretDB at ${host}:${port} did not answer ping`,
      async () => {
        const client = new MongoClient(uri, { serverSelectionTimeoutMS: 2_000, connectTimeoutMS: 2_000 });
        try {
          await client.connect();
          await client.db('admin').command({ ping: 1 });
        } finally {
          await client.close();
        }
      },
      { timeoutMs: Math.max(5_000, timeoutMs - (Date.now() - t0)), intervalMs: 200, abort: died },
    );
  } catch (err) {
    await proc.stop();
    throw withLogTail(err as Error, options.logFile);
  }
  const startupMs = Date.now() - t0;
  return { uri, host, port, process: proc, startupMs, stop: () => proc.stop() };
}

/** Resolves with an explanation when the process exits (never rejects). */
function diedMessage(proc: ServiceProcess): Promise<string> {
  return proc.exited.then((info) => `${proc.name} exited during start-up (${describeExit(info)})`);
}

async function raceDeath<T>(work: Promise<T>, died: Promise<string>): Promise<T> {
  return Promise.race([
    work,
    died.then((reason) => {
      throw new Error(reason);
    }),
  ]);
}

function withLogTail(err: Error, logFile: string): Error {
  const tail = tailFile(logFile, 20);
  return new Error(`${err.message}\n--- last lines of ${logFile} ---\n${tail || '(empty)'}`);
}
