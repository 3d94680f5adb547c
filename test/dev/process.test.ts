import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { transformFileSync } from '@swc/core';
import {
  freePort,
  isPortFree,
  sleep,
  spawnService,
  stopAllServices,
  waitForPort,
} from '../../src/dev/process';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await sleep(50);
  }
  return cond();
}

async function readPid(file: string): Promise<number> {
  await waitFor(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim() !== '', 5_000);
  return Number(fs.readFileSync(file, 'utf8').trim());
}

describe('dev/process', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenpay-proc-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('logs output to the log file and stop() kills the whole process group', async () => {
    const logFile = path.join(dir, 'svc.log');
    const pidFile = path.join(dir, 'grandchild.pid');
    const svc = spawnService({
      name: 'sh',
      command: '/bin/sh',
      args: ['-c', `echo hello-out; echo hello-err >&2; sleep 300 & echo $! > ${pidFile}; wait`],
      logFile,
    });
    const grandchild = await readPid(pidFile);
    expect(alive(grandchild)).toBe(true);
    expect(svc.running).toBe(true);
    await svc.stop();
    expect(svc.running).toBe(false);
    expect(await waitFor(() => !alive(grandchild), 2_000)).toBe(true);
    const log = fs.readFileSync(logFile, 'utf8');
    expect(log).toContain('hello-out');
    expect(log).toContain('hello-err');
    // idempotent
    await svc.stop();
  });

  it('escalates to SIGKILL when the service ignores SIGTERM', async () => {
    const logFile = path.join(dir, 'stubborn.log');
    const svc = spawnService({
      name: 'stubborn',
      command: '/bin/sh',
      args: ['-c', 'trap "" TERM; echo ready; while true; do sleep 0.1; done'],
      logFile,
    });
    await waitFor(() => fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8').includes('ready'), 5_000);
    const pid = svc.pid!;
    const t0 = Date.now();
    await svc.stop('SIGTERM', 500);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
    expect(alive(pid)).toBe(false);
    expect(await svc.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(fs.readFileSync(logFile, 'utf8')).toContain('sending SIGKILL');
  });

  it('restarts a crashing service with backoff and gives up after maxRestarts', async () => {
    const logFile = path.join(dir, 'crash.log');
    const lines: string[] = [];
    const exits: boolean[] = [];
    const svc = spawnService({
      name: 'crasher',
      command: '/bin/sh',
      args: ['-c', 'echo started; exit 3'],
      logFile,
      restartOnCrash: true,
      maxRestarts: 2,
      log: (line) => lines.push(line),
      onExit: ({ willRestart }) => exits.push(willRestart),
    });
    expect(await svc.exited).toEqual({ code: 3, signal: null });
    expect(svc.restarts).toBe(2);
    expect(exits).toEqual([true, true, false]);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/\[crasher\] exited unexpectedly \(exit code 3\); restart #1 in 500 ms/);
    expect(lines[2]).toMatch(/giving up/);
    expect(fs.readFileSync(logFile, 'utf8').match(/started/g)).toHaveLength(3);
    await svc.stop();
  });

  it('stop() during a restart backoff cancels the restart', async () => {
    const svc = spawnService({
      name: 'crasher',
      command: '/bin/sh',
      args: ['-c', 'exit 1'],
      logFile: path.join(dir, 'c.log'),
      restartOnCrash: true,
      log: () => undefined,
    });
    await waitFor(() => svc.pid === undefined, 2_000);
    await svc.stop();
    expect(svc.running).toBe(false);
    await sleep(700);
    expect(svc.restarts).toBe(0);
  });

  it('reports a command that cannot be started', async () => {
    const logFile = path.join(dir, 'missing.log');
    const svc = spawnService({ name: 'missing', command: path.join(dir, 'nope'), args: [], logFile });
    const info = await svc.exited;
    expect(info.code).not.toBe(0);
  });

  it('kills the service when the supervising process dies without cleanup (SIGKILL)', async () => {
    // Compile process.ts to plain JS so a separate node process can use it.
    const js = transformFileSync(path.join(__dirname, '../../src/dev/process.ts'), {
      jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
      module: { type: 'commonjs' },
    }).code;
    fs.writeFileSync(path.join(dir, 'process.js'), js);
    const pidFile = path.join(dir, 'svc.pid');
    fs.writeFileSync(
      path.join(dir, 'parent.js'),
      `const { spawnService } = require('./process.js');
       const svc = spawnService({ name: 'sleeper', command: '/bin/sh',
         args: ['-c', 'echo $$ > ${pidFile}; exec sleep 300'], logFile: ${JSON.stringify(path.join(dir, 'orphan.log'))} });
       setInterval(() => {}, 1000);`,
    );
    const parent = spawn(process.execPath, [path.join(dir, 'parent.js')], { stdio: 'ignore' });
    const svcPid = await readPid(pidFile);
    expect(alive(svcPid)).toBe(true);
    parent.kill('SIGKILL');
    expect(await waitFor(() => !alive(svcPid), 8_000)).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'orphan.log'), 'utf8')).toContain('is gone; stopping service');
  });

  it('stopAllServices() stops every running service', async () => {
    const a = spawnService({ name: 'a', command: 'sleep', args: ['300'], logFile: path.join(dir, 'a.log') });
    const b = spawnService({ name: 'b', command: 'sleep', args: ['300'], logFile: path.join(dir, 'b.log') });
    const pids = [a.pid!, b.pid!];
    await stopAllServices();
    expect(a.running || b.running).toBe(false);
    expect(pids.filter(alive)).toEqual([]);
  });

  it('freePort / waitForPort / isPortFree', async () => {
    const port = await freePort();
    expect(await isPortFree(port)).toBe(true);
    await expect(waitForPort('127.0.0.1', port, 300)).rejects.toThrow(/Timed out/);
    const server = net.createServer().listen(port, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      expect(await isPortFree(port)).toBe(false);
      await waitForPort('127.0.0.1', port, 2_000);
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(await isPortFree(port)).toBe(true);
  });
});
