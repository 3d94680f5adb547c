/**
 * The worker's metrics endpoint: GET /metrics with this process's registry (activities'
 * instruments, Node process metrics) and the Temporal SDK's own worker metrics, which Core
 * exports on an internal loopback port and are appended here, so one scrape gets both.
 */
import http from 'node:http';

import { bearerAllowed, exposition, METRICS_CONTENT_TYPE } from './registry';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(options: {
  host: string;
  port: number;
  /** Bearer token required when set (TOKENPAY_METRICS_TOKEN) */
  token?: string;
  /** other expositions appended to each scrape, e.g. the Temporal SDK's */
  sources?: { name: string; url: string }[];
}): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not found."}');
      return;
    }
    if (!bearerAllowed(options.token, req.headers.authorization)) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end('{"detail":"A valid bearer token is required for /metrics."}');
      return;
    }
    exposition(options.sources ?? []).then(
      (text) =>
        res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' }).end(text),
      () => res.writeHead(500, { 'content-type': 'application/json' }).end('{"detail":"Metrics failed."}'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
