import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSimulator } from './app';
import type { NotifierOptions } from './notifications';

export interface StartSimulatorOptions {
  /** 0 = a random free port (default) */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** enables fault injection (/_sim/faults) */
  faults?: boolean;
  /** persistence file; without it, memory only */
  dataFile?: string;
  /** base URL used in 3-D Secure links; default the listening URL */
  publicUrl?: string;
  /**
   * Server-to-server notifications of charge outcomes (CONTRACT §9): POSTed to `url`, signed
   * with `secret`; without a `url` none are sent.
   */
  notifications?: Omit<NotifierOptions, 'faults'>;
}

export interface RunningSimulator {
  url: string;
  close(): Promise<void>;
}

/** Starts the simulator's HTTP server and resolves once it listens. */
export async function startSimulator(options: StartSimulatorOptions = {}): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  let url = '';
  const simulator = buildSimulator({
    faults: options.faults ?? false,
    publicUrl: () => options.publicUrl ?? url,
    ...(options.dataFile !== undefined ? { dataFile: options.dataFile } : {}),
    ...(options.notifications ? { notifications: options.notifications } : {}),
  });
  const server = createServer(simulator.app);

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart =
    address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  url = `http://${hostPart}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        simulator.dispose();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
