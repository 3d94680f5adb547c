/**
 * The gateway simulator (src/dev/gateway-simulator, zero latency, no faults) in a child process of
 * the bench: `startSimulator` exactly as in-process, but its CPU (a salted scrypt of the CVC for
 * every card it stores, ~40 ms, synchronous) no longer blocks the event loop that tokenpay's API
 * and worker share, and is accounted for separately, as a real PSP's would be.
 * Sends `{ url }` over IPC when listening; stops on "stop" or when the bench goes away.
 */
import { fork, type ChildProcess } from 'node:child_process';

import { startSimulator, type RunningSimulator } from '../src/dev/gateway-simulator';

export interface SimulatorHandle {
  url: string;
  /** the child's pid, or undefined when running in-process */
  pid: number | undefined;
  close(): Promise<void>;
}

/** Starts the simulator in-process or in a child process. */
export async function startGatewaySimulator(mode: 'child' | 'in-process'): Promise<SimulatorHandle> {
  if (mode === 'in-process') {
    const simulator: RunningSimulator = await startSimulator({ port: 0, faults: false });
    return { url: simulator.url, pid: undefined, close: () => simulator.close() };
  }
  const child: ChildProcess = fork(__filename, ['--child'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('gateway simulator did not start within 15 s')), 15_000);
    child.once('message', (message: { url?: string }) => {
      clearTimeout(timer);
      if (message.url) resolve(message.url);
      else reject(new Error(`gateway simulator said ${JSON.stringify(message)}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway simulator exited (${code}) during start-up`));
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw error;
  });
  return {
    url,
    pid: child.pid,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send('stop');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 3_000)));
      if (await Promise.race([exited.then(() => false), late])) {
        child.kill('SIGKILL');
        await exited;
      }
      clearTimeout(timer);
    },
  };
}

if (require.main === module && process.argv.includes('--child')) {
  startSimulator({ port: 0, faults: false }).then(
    (simulator) => {
      const stop = (): void => {
        void simulator.close().finally(() => process.exit(0));
      };
      process.on('message', (message) => {
        if (message === 'stop') stop();
      });
      process.once('disconnect', stop); // the bench went away
      process.send?.({ url: simulator.url });
    },
    (error: unknown) => {
      process.send?.({ error: String(error) });
      process.exit(1);
    },
  );
}
