/** The demo shop as a server: in-process for tests, as its own process under `npm start` (main.ts). */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createDemoShopApp, type DemoShopOptions } from './app';

export interface DemoShop {
  url: string;
  close(): Promise<void>;
}

export async function startDemoShop(
  options: Omit<DemoShopOptions, 'selfUrl'> & { port: number; host?: string },
): Promise<DemoShop> {
  const host = options.host ?? '127.0.0.1';
  let url = '';
  const app = createDemoShopApp({ ...options, selfUrl: () => url });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(options.port, host, () => resolve(s));
  });
  url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
