/**
 * A small supervisor for long-running child services (Temporal dev server, FerretDB).
 *
 * Every service runs detached in its own process group, so `stop()` can kill the whole group
 * (the service and anything it spawned) and a Ctrl-C in the terminal does not hit the children
 * before our own shutdown code runs. Output goes to a log file, never to our stdout.
 *
 * Orphan protection: a parent that dies by SIGKILL (or a Jest worker that is torn down) cannot
 * run any cleanup code, so each service is started through a tiny `sh` wrapper that forks a
 * watchdog into the service's process group and then `exec`s the service (same pid). The
 * watchdog polls the parent pid once a second; when the parent is gone it sends SIGTERM to the
 * service and SIGKILL to the group after a grace period. It exits on its own when the service
 * exits. On a normal `process.exit` we also SIGKILL every live group synchronously.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export type ExitInfo = { code: number | null; signal: NodeJS.Signals | null };

export interface SpawnServiceOptions {
  /** Short name used in log lines and error messages, e.g. "temporal". */
  name: string;
  /** Absolute path (or PATH name) of the executable. */
  command: string;
  args: string[];
  /** Extra environment; merged over `process.env`. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr of the service are appended here (directory is created). */
  logFile: string;
  /** Called after every exit of the service (also exits that are followed by a restart). */
  onExit?: (info: ExitInfo & { willRestart: boolean }) => void;
  /** Restart the service with exponential backoff when it exits without `stop()` being called. */
  restartOnCrash?: boolean;
  /** Give up restarting after this many consecutive quick crashes (default 10). */
  maxRestarts?: number;
  /** Receives one human-readable line per restart / give-up (default: console.error). */
  log?: (line: string) => void;
  /** Kill the service if this Node process dies without cleaning up (default true). */
  watchParent?: boolean;
}

export interface ServiceProcess {
  readonly name: string;
  /** Pid of the current incarnation (also its process-group id); undefined once stopped. */
  readonly pid: number | undefined;
  readonly logFile: string;
  /** True while the service is running (or restarting). */
  readonly running: boolean;
  /** Number of restarts performed so far. */
  readonly restarts: number;
  /**
   * Resolves when the service has exited for good: after `stop()`, or after a crash without
   * `restartOnCrash` (or after restarts were given up). Never rejects.
   */
  readonly exited: Promise<ExitInfo>;
  /**
   * SIGTERM (or `signal`) to the whole process group, SIGKILL after `graceMs`; resolves once the
   * service process is gone. Idempotent and safe to call from a signal handler.
   */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const liveGroups = new Set<number>();
const liveServices = new Set<ServiceProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
  });
}

/** Sends `signal` to process group `pgid`; returns false if the group no longer exists. */
function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

// $0 = service command, $@ = its args; TOKENPAY_SUPERVISOR_PID / _GRACE come from the env.
const WATCHDOG_SCRIPT = [
  '(',
  '  trap "" INT HUP',
  '  while kill -0 "$TOKENPAY_SUPERVISOR_PID" 2>/dev/null && kill -0 $$ 2>/dev/null; do sleep 1; done',
  '  if kill -0 $$ 2>/dev/null; then',
  '    echo "[supervisor] parent $TOKENPAY_SUPERVISOR_PID is gone; stopping service" >&2',
  '    kill -TERM $$ 2>/dev/null',
  '    i=0; while [ $i -lt "$TOKENPAY_SUPERVISOR_GRACE" ] && kill -0 $$ 2>/dev/null; do sleep 1; i=$((i+1)); done',
  '  fi',
  '  kill -KILL 0 2>/dev/null',
  ') </dev/null &',
  'exec "$0" "$@"',
].join('\n');

export function spawnService(options: SpawnServiceOptions): ServiceProcess {
  installExitHook();
  const log = options.log ?? ((line: string) => console.error(line));
  const maxRestarts = options.maxRestarts ?? 10;
  const watchParent = options.watchParent ?? true;
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });

  let child: ChildProcess | undefined;
  let stopping = false;
  let finished = false;
  let restarts = 0;
  let quickCrashes = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let stopPromise: Promise<void> | undefined;
  let currentExit: Promise<ExitInfo> | undefined;
  let resolveExited!: (info: ExitInfo) => void;
  const exited = new Promise<ExitInfo>((resolve) => (resolveExited = resolve));

  const appendLog = (line: string): void => {
    try {
      fs.appendFileSync(options.logFile, `${line}\n`);
    } catch {
      /* best effort */
    }
  };

  const finish = (info: ExitInfo): void => {
    if (finished) return;
    finished = true;
    child = undefined;
    liveServices.delete(service);
    resolveExited(info);
  };

  const start = (): void => {
    const fd = fs.openSync(options.logFile, 'a');
    const startedAt = Date.now();
    let proc: ChildProcess;
    try {
      const env = { ...process.env, ...options.env };
      if (watchParent) {
        env.TOKENPAY_SUPERVISOR_PID = String(process.pid);
        env.TOKENPAY_SUPERVISOR_GRACE = '5';
        proc = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, options.command, ...options.args], {
          cwd: options.cwd,
          env,
          detached: true,
          stdio: ['ignore', fd, fd],
        });
      } else {
        proc = spawn(options.command, options.args, {
          cwd: options.cwd,
          env,
          detached: true,
          stdio: ['ignore', fd, fd],
        });
      }
    } finally {
      fs.closeSync(fd);
    }
    child = proc;
    const pgid = proc.pid;
    if (pgid !== undefined) liveGroups.add(pgid);

    currentExit = new Promise<ExitInfo>((resolve) => {
      let settled = false;
      const onDone = (info: ExitInfo): void => {
        if (settled) return;
        settled = true;
        if (child === proc) child = undefined;
        if (pgid !== undefined) {
          // Reap whatever is left of the group (the watchdog, helpers the service forked).
          killGroup(pgid, 'SIGKILL');
          liveGroups.delete(pgid);
        }
        resolve(info);
        if (stopping || !options.restartOnCrash) {
          options.onExit?.({ ...info, willRestart: false });
          finish(info);
          return;
        }
        const ranMs = Date.now() - startedAt;
        quickCrashes = ranMs > 30_000 ? 1 : quickCrashes + 1;
        const willRestart = quickCrashes <= maxRestarts;
        options.onExit?.({ ...info, willRestart });
        if (!willRestart) {
          const line = `[${options.name}] exited (${describeExit(info)}) ${quickCrashes} times in a row; giving up`;
          appendLog(line);
          log(line);
          finish(info);
          return;
        }
        const delay = Math.min(30_000, 500 * 2 ** (quickCrashes - 1));
        const line = `[${options.name}] exited unexpectedly (${describeExit(info)}); restart #${restarts + 1} in ${delay} ms`;
        appendLog(line);
        log(line);
        restartTimer = setTimeout(() => {
          restartTimer = undefined;
          if (stopping) {
            finish(info);
            return;
          }
          restarts += 1;
          try {
            start();
          } catch (err) {
            const msg = `[${options.name}] restart failed: ${(err as Error).message}`;
            appendLog(msg);
            log(msg);
            finish(info);
          }
        }, delay);
      };
      proc.once('exit', (code, signal) => onDone({ code, signal }));
      proc.once('error', (err) => {
        appendLog(`[${options.name}] failed to start: ${err.message}`);
        onDone({ code: null, signal: null });
      });
    });
  };

  start();

  const stop = (signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> => {
    if (stopPromise) return stopPromise;
    stopping = true;
    stopPromise = (async () => {
      if (restartTimer) {
        clearTimeout(restartTimer);
        restartTimer = undefined;
        finish({ code: null, signal: null });
      }
      const proc = child;
      const exit = currentExit;
      if (!proc || !exit || finished || proc.pid === undefined) return;
      const pgid = proc.pid;
      if (proc.exitCode === null && proc.signalCode === null) killGroup(pgid, signal);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exit.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
      ]);
      if (timer) clearTimeout(timer);
      if (timedOut) {
        appendLog(`[${options.name}] did not exit within ${graceMs} ms after ${signal}; sending SIGKILL`);
        killGroup(pgid, 'SIGKILL');
        await exit;
      }
    })();
    return stopPromise;
  };

  const service: ServiceProcess = {
    name: options.name,
    get pid() {
      return child?.pid;
    },
    logFile: options.logFile,
    get running() {
      return !finished;
    },
    get restarts() {
      return restarts;
    },
    exited,
    stop,
  };
  if (!finished) liveServices.add(service);
  return service;
}

/**
 * Stops every service started by `spawnService` in this process that is still running, e.g. from
 * a SIGINT handler that fires while a service is still starting up (before its handle exists).
 */
export async function stopAllServices(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
  await Promise.all([...liveServices].map((service) => service.stop(signal, graceMs)));
}

export function describeExit(info: ExitInfo): string {
  if (info.signal) return `signal ${info.signal}`;
  if (info.code !== null) return `exit code ${info.code}`;
  return 'failed to start';
}

/** The last `maxLines` lines of a log file ('' if it does not exist). */
export function tailFile(file: string, maxLines = 30, maxBytes = 16_384): string {
  try {
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r');
    try {
      const len = Math.min(size, maxBytes);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      return buf
        .toString('utf8')
        .split('\n')
        .slice(-maxLines - 1)
        .join('\n')
        .trimEnd();
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once a TCP connection to host:port succeeds; rejects after `timeoutMs`. */
export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'not tried';
  for (;;) {
    const remaining = deadline - Date.now();
    try {
      await tryConnect(host, port, Math.max(100, Math.min(2000, remaining)));
      return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() + 100 >= deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${host}:${port} to accept connections (${lastError})`,
      );
    }
    await sleep(100);
  }
}

function tryConnect(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const done = (err?: Error): void => {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => done(new Error('connect timeout')));
    socket.once('connect', () => done());
    socket.once('error', (err) => done(err));
  });
}

/** A TCP port that was free a moment ago (listen on 0, read it, close). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** True if nothing listens on host:port right now (we can bind it ourselves). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Runs `fn` until it resolves or `timeoutMs` passes, retrying every `intervalMs`; a single attempt
 * is abandoned after `attemptTimeoutMs` (default 10 s). Stops early (rejecting) as soon as `abort`
 * resolves, e.g. because the service process died.
 */
export async function retryUntil<T>(
  what: string,
  fn: () => Promise<T>,
  opts: { timeoutMs: number; intervalMs?: number; attemptTimeoutMs?: number; abort?: Promise<string> },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let aborted: string | undefined;
  const abortSignal = new Promise<never>((_, reject) => {
    void opts.abort?.then((reason) => {
      aborted = reason;
      reject(new Error(reason));
    });
  });
  abortSignal.catch(() => undefined);
  let lastError: unknown;
  for (;;) {
    if (aborted !== undefined) throw new Error(`${what}: ${aborted}`);
    const attemptMs = Math.max(1_000, Math.min(opts.attemptTimeoutMs ?? 10_000, deadline - Date.now()));
    let timer: NodeJS.Timeout | undefined;
    const attemptTimeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`attempt timed out after ${attemptMs} ms`)), attemptMs);
    });
    try {
      return await Promise.race([fn(), abortSignal, attemptTimeout]);
    } catch (err) {
      lastError = err;
    } finally {
      clearTimeout(timer);
    }
    if (aborted !== undefined) throw new Error(`${what}: ${aborted}`);
    if (Date.now() >= deadline) {
      const msg = lastError instanceof Error ? lastError.message : String(lastError);
      throw new Error(`${what}: timed out after ${opts.timeoutMs} ms (last error: ${msg})`);
    }
    await sleep(opts.intervalMs ?? 250);
  }
}

/**
 * A free port below `max` (Temporal stores membership ports in a PostgreSQL smallint, so they
 * must be below 32768, where the kernel never hands out ephemeral ports).
 */
export async function freePortBelow(max: number, host = '127.0.0.1', min = 20_000): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = min + Math.floor(Math.random() * (max - min));
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.unref();
      server.once('error', () => resolve(false));
      server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port between ${min} and ${max} on ${host}`);
}

/** True when nothing listens on host:port (it can be bound). */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
