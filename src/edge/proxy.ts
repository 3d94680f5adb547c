/**
 * A small reverse proxy: the load balancer in front of several API instances, and the operators'
 * front door of the Temporal UI (the UI and the API's /codec on one origin, behind HTTP Basic
 * with the operators' credentials). It is what nginx or a cloud load balancer does in a real
 * deployment, small enough to read:
 *
 * - routes by path prefix (longest first) to a pool of backends, round robin;
 * - sets `X-Forwarded-For` (appending the peer's address), `X-Forwarded-Proto` and
 *   `X-Forwarded-Host`, so the API (with `TOKENPAY_TRUST_PROXY`) sees the client's address;
 * - a backend that refuses the connection (stopped, restarting) is skipped for a moment and the
 *   request goes to the next one — it never reached an application, so that is always safe.
 *   A backend that fails once it has the request is answered 502 and not retried (as nginx does
 *   for non-idempotent requests): the client retries, with its Idempotency-Key;
 * - with `basicAuth`, every request needs `Authorization: Basic` of a listed user (browsers ask
 *   once and then send it with every request of the origin, the UI's calls to /codec included).
 *
 *   PROXY_PORT=8233 PROXY_ROUTES='/codec=http://127.0.0.1:3001,http://127.0.0.1:3002;/=http://127.0.0.1:8080' \
 *   PROXY_BASIC_AUTH='alice:<secret>' node dist/edge/proxy.js
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyRoute {
  /** path prefix, e.g. `/codec` or `/` */
  prefix: string;
  /** `http://host:port` of each backend */
  backends: string[];
}

export interface ProxyOptions {
  host?: string;
  port: number;
  routes: ProxyRoute[];
  /** user → secret: require HTTP Basic on every request */
  basicAuth?: ReadonlyMap<string, string>;
  realm?: string;
  /** how long a backend that refused a connection is skipped (default 2 s) */
  downForMs?: number;
  /** the longest a backend may take to answer (default 120 s: a submit waits for its outcome) */
  timeoutMs?: number;
  /** request bodies above this are refused (the API's largest is /codec's 2 MB) */
  maxBodyBytes?: number;
  log?: (line: string) => void;
}

export interface ProxyHandle {
  url: string;
  port: number;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

interface Pool {
  prefix: string;
  backends: Array<{ url: URL; downUntil: number }>;
  next: number;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** `user:secret,...` → user → secret (the format of TOKENPAY_CODEC_CREDENTIALS). */
export function parseCredentials(raw: string | undefined): Map<string, string> {
  const users = new Map<string, string>();
  for (const entry of (raw ?? '').split(',').filter((e) => e.trim())) {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new Error('credentials must be "user:secret[,user:secret]"');
    users.set(entry.slice(0, colon).trim(), entry.slice(colon + 1).trim());
  }
  return users;
}

/** `/a=http://x,http://y;/=http://z` → routes, longest prefix first. */
export function parseRoutes(raw: string): ProxyRoute[] {
  return raw
    .split(';')
    .filter((r) => r.trim())
    .map((route) => {
      const eq = route.indexOf('=');
      if (eq <= 0) throw new Error(`route "${route}" must be "<prefix>=<backend>[,<backend>]"`);
      const backends = route
        .slice(eq + 1)
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean);
      for (const b of backends) new URL(b); // throws on a bad URL
      return { prefix: route.slice(0, eq).trim(), backends };
    });
}

/** `/codec` matches `/codec`, `/codec/decode` and `/codec?x`, not `/codecs`; `/` matches everything. */
export function routeMatches(prefix: string, path: string): boolean {
  const base = prefix.replace(/\/$/, '');
  return base === '' || path === base || path.startsWith(`${base}/`) || path.startsWith(`${base}?`);
}

function basicAuthorized(header: string | undefined, users: ReadonlyMap<string, string>): boolean {
  const match = /^\s*Basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const secret = users.get(decoded.slice(0, colon));
  // compared in constant time; an unknown user costs the same comparison
  const ok = timingSafeEqual(digest(decoded.slice(colon + 1)), digest(secret ?? '\u0000no-user'));
  return ok && secret !== undefined;
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > max) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function forwardedHeaders(req: IncomingMessage): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (!HOP_BY_HOP.has(name)) headers[name] = value;
  }
  const peer = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${peer}` : peer;
  headers['x-forwarded-proto'] ??= 'http';
  if (req.headers.host) headers['x-forwarded-host'] ??= req.headers.host;
  return headers;
}

export async function startProxy(options: ProxyOptions): Promise<ProxyHandle> {
  const log = options.log ?? (() => undefined);
  const downForMs = options.downForMs ?? 2_000;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const maxBody = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const realm = options.realm ?? 'tokenpay operators';
  const pools: Pool[] = [...options.routes]
    .sort((a, b) => b.prefix.length - a.prefix.length)
    .map((r) => ({
      prefix: r.prefix,
      backends: r.backends.map((b) => ({ url: new URL(b), downUntil: 0 })),
      next: 0,
    }));

  /** Backends of the pool in the order to try them: round robin, those marked down last. */
  const order = (pool: Pool) => {
    const start = pool.next++ % pool.backends.length;
    const rotated = [...pool.backends.slice(start), ...pool.backends.slice(0, start)];
    const now = Date.now();
    return [...rotated.filter((b) => b.downUntil <= now), ...rotated.filter((b) => b.downUntil > now)];
  };

  const fail = (res: ServerResponse, status: number, detail: string): void => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify({ detail }));
  };

  const server = http.createServer(async (req, res) => {
    if (options.basicAuth && !basicAuthorized(req.headers.authorization, options.basicAuth)) {
      res.writeHead(401, {
        'WWW-Authenticate': `Basic realm="${realm}", charset="UTF-8"`,
        'Content-Type': 'application/json',
      });
      res.end(JSON.stringify({ detail: 'Operator credentials are required.' }));
      return;
    }
    const path = req.url ?? '/';
    const pool = pools.find((p) => routeMatches(p.prefix, path));
    if (!pool || pool.backends.length === 0) return fail(res, 404, 'No route.');
    let body: Buffer | undefined;
    try {
      body = await readBody(req, maxBody);
    } catch {
      return fail(res, 400, 'The request body could not be read.');
    }
    if (body === undefined) return fail(res, 413, 'The request body is too large.');
    const headers = forwardedHeaders(req);
    headers['content-length'] = String(body.byteLength);

    for (const backend of order(pool)) {
      const outcome = await new Promise<'done' | 'refused'>((resolve) => {
        const upstream = http.request(
          {
            host: backend.url.hostname,
            port: backend.url.port,
            method: req.method,
            path,
            headers,
            agent: false,
            timeout: timeoutMs,
          },
          (answer) => {
            const out: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(answer.headers)) {
              if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
            }
            res.writeHead(answer.statusCode ?? 502, out);
            answer.pipe(res);
            answer.on('error', () => res.destroy());
            answer.on('end', () => resolve('done'));
            res.on('close', () => {
              answer.destroy();
              resolve('done');
            });
          },
        );
        upstream.on('timeout', () => upstream.destroy(new Error('backend timed out')));
        upstream.on('error', (error: NodeJS.ErrnoException) => {
          if (error.code === 'ECONNREFUSED' && !res.headersSent) {
            if (backend.downUntil <= Date.now())
              log(`backend ${backend.url.host} refused a connection: skipped for ${downForMs} ms`);
            backend.downUntil = Date.now() + downForMs;
            resolve('refused');
            return;
          }
          log(
            `backend ${backend.url.host} failed during ${req.method} ${pool.prefix}: ${error.code ?? error.message}`,
          );
          fail(res, 502, 'The service is restarting. Try again.');
          resolve('done');
        });
        upstream.end(body);
      });
      if (outcome === 'done') return;
    }
    fail(res, 503, 'No instance is available. Try again.');
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (require.main === module) {
  const log = (line: string): void =>
    console.log(JSON.stringify({ time: new Date().toISOString(), msg: line }));
  (async () => {
    const basicAuth = process.env.PROXY_BASIC_AUTH
      ? parseCredentials(process.env.PROXY_BASIC_AUTH)
      : undefined;
    const handle = await startProxy({
      host: process.env.PROXY_HOST ?? '127.0.0.1',
      port: Number(process.env.PROXY_PORT ?? 8080),
      routes: parseRoutes(process.env.PROXY_ROUTES ?? ''),
      ...(basicAuth ? { basicAuth } : {}),
      log,
    });
    log(`proxy listening on ${handle.url}`);
    const stop = (): void => {
      void handle.close().finally(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  })().catch((error: unknown) => {
    log(`proxy failed to start: ${(error as Error).message}`);
    process.exit(1);
  });
}
