/**
 * PostgreSQL for the cluster's Temporal server, from the system's packages, in a data directory
 * of its own, listening on loopback only, with password (SCRAM) authentication for the `temporal`
 * user. PostgreSQL refuses to run as root: as root, it runs as Debian's `postgres` user (the data
 * directory is given to that user).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { findPostgres, type Log, type PostgresBinaries } from '../binaries';
import { describeExit, retryUntil, spawnService, tailFile, type ServiceProcess } from '../process';

export const POSTGRES_USER = 'temporal';

export interface PostgresOptions {
  dataDir: string;
  /** the cluster's own directory: directories up to it may be made traversable */
  rootDir: string;
  port: number;
  password: string;
  logFile: string;
  log: Log;
  readyTimeoutMs?: number;
}

export interface PostgresServer {
  port: number;
  process: ServiceProcess;
  startupMs: number;
  /** fast shutdown (SIGINT): sessions are cut, nothing is lost */
  stop(): Promise<void>;
}

function exec(
  command: string,
  args: string[],
  timeoutMs = 120_000,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error)
        reject(
          new Error(
            `${path.basename(command)} ${args[0] ?? ''} failed: ${(stderr || stdout || error.message).trim().split('\n').slice(-8).join('\n')}`,
          ),
        );
      else resolve({ stdout, stderr });
    });
  });
}

/** `command args` as the unprivileged user when we are root. */
function asUser(bin: PostgresBinaries, command: string, args: string[]): [string, string[]] {
  if (!bin.runAs) return [command, args];
  return [
    'setpriv',
    [
      '--reuid',
      String(bin.runAs.uid),
      '--regid',
      String(bin.runAs.gid),
      '--clear-groups',
      '--',
      command,
      ...args,
    ],
  ];
}

/**
 * Lets the unprivileged user reach `dir`: the directories of the cluster (up to `root`) are made
 * traversable (o+x, not listable); those above must be already — they are not ours to change.
 */
function makeReachable(dir: string, root: string): void {
  let current = path.resolve(dir);
  const top = path.resolve(root);
  while (current !== path.dirname(current)) {
    const mode = fs.statSync(current).mode;
    if ((mode & 0o001) === 0) {
      if (current === top || current.startsWith(`${top}${path.sep}`)) fs.chmodSync(current, mode | 0o001);
      else {
        throw new Error(
          `PostgreSQL runs as an unprivileged user and cannot reach ${dir}: ${current} is not traversable ` +
            'by others. Put the cluster data elsewhere (TOKENPAY_DATA_DIR).',
        );
      }
    }
    current = path.dirname(current);
  }
}

async function initdb(bin: PostgresBinaries, options: PostgresOptions): Promise<void> {
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pwFile = path.join(path.dirname(dataDir), `.pgpass-init-${process.pid}`);
  fs.writeFileSync(pwFile, `${options.password}\n`, { mode: 0o600 });
  try {
    if (bin.runAs) {
      makeReachable(path.dirname(dataDir), options.rootDir);
      fs.chownSync(dataDir, bin.runAs.uid, bin.runAs.gid);
      fs.chmodSync(dataDir, 0o700);
      fs.chownSync(pwFile, bin.runAs.uid, bin.runAs.gid);
    }
    const [command, args] = asUser(bin, bin.initdb, [
      '-D',
      dataDir,
      '-U',
      POSTGRES_USER,
      `--pwfile=${pwFile}`,
      '--auth=scram-sha-256',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-instructions',
    ]);
    options.log(`PostgreSQL: initialising ${dataDir}`);
    await exec(command, args);
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
}

export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const bin = findPostgres();
  const dataDir = path.resolve(options.dataDir);
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) await initdb(bin, options);
  const [command, args] = asUser(bin, bin.postgres, [
    '-D',
    dataDir,
    '-p',
    String(options.port),
    '-h',
    '127.0.0.1',
    '-k',
    dataDir,
  ]);
  const t0 = Date.now();
  const proc = spawnService({
    name: 'postgres',
    command,
    args,
    logFile: options.logFile,
    restartOnCrash: true,
    log: options.log,
  });
  const died = proc.exited.then((info) => `postgres exited during start-up (${describeExit(info)})`);
  const isReady = path.join(path.dirname(bin.postgres), 'pg_isready');
  try {
    await retryUntil(
      `PostgreSQL on 127.0.0.1:${options.port} did not become ready`,
      () => exec(isReady, ['-h', '127.0.0.1', '-p', String(options.port), '-U', POSTGRES_USER, '-q'], 5_000),
      { timeoutMs: options.readyTimeoutMs ?? 60_000, intervalMs: 200, abort: died },
    );
  } catch (error) {
    await proc.stop('SIGINT', 10_000);
    throw new Error(
      `${(error as Error).message}\n--- ${options.logFile} ---\n${tailFile(options.logFile, 20)}`,
    );
  }
  return {
    port: options.port,
    process: proc,
    startupMs: Date.now() - t0,
    stop: () => proc.stop('SIGINT', 15_000),
  };
}
