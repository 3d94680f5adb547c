/**
 * A secured Temporal frontend for tests: an HTTP/2 TLS server that verifies client certificates
 * (mTLS) and, optionally, an API key (`authorization: Bearer <key>`, as Temporal Cloud does), and
 * forwards each gRPC call to the run's plain dev server. Certificates are made with openssl: a CA,
 * a server certificate for localhost, and a client certificate signed by the CA.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';

export interface TestPki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** a client certificate from a CA the server does not trust */
  strangerCert: string;
  strangerKey: string;
}

/** A CA, a server certificate (localhost, 127.0.0.1) and client certificates, in `dir`. */
export function makePki(dir: string): TestPki {
  fs.mkdirSync(dir, { recursive: true });
  const f = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ca = (name: string) => {
    ssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.pem`),
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
  };
  const leaf = (name: string, issuer: string, ext: string) => {
    ssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.csr`),
    );
    fs.writeFileSync(f(`${name}.ext`), ext);
    ssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f(`${issuer}.pem`),
      '-CAkey',
      f(`${issuer}.key`),
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      f(`${name}.pem`),
      '-extfile',
      f(`${name}.ext`),
    );
  };
  ca('test-ca');
  ca('stranger-ca');
  leaf(
    'server',
    'test-ca',
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n',
  );
  leaf(
    'tokenpay-worker',
    'test-ca',
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n',
  );
  leaf(
    'stranger',
    'stranger-ca',
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n',
  );
  return {
    dir,
    ca: f('test-ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('tokenpay-worker.pem'),
    clientKey: f('tokenpay-worker.key'),
    strangerCert: f('stranger.pem'),
    strangerKey: f('stranger.key'),
  };
}

export interface SecuredFrontend {
  address: string;
  /** calls forwarded, and the client certificate subjects and API keys they came with */
  calls: Array<{ path: string; clientCn?: string; apiKey?: string }>;
  close(): Promise<void>;
}

export async function startSecuredFrontend(options: {
  pki: TestPki;
  upstream: string; // host:port of the plain dev server
  apiKey?: string;
}): Promise<SecuredFrontend> {
  const upstream = http2.connect(`http://${options.upstream}`);
  upstream.on('error', () => undefined);
  const calls: SecuredFrontend['calls'] = [];
  const server = http2.createSecureServer({
    key: fs.readFileSync(options.pki.serverKey),
    cert: fs.readFileSync(options.pki.serverCert),
    ca: fs.readFileSync(options.pki.ca),
    requestCert: true,
    rejectUnauthorized: true, // mTLS: no certificate from our CA, no connection
    ALPNProtocols: ['h2'],
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    const socket = stream.session?.socket as TLSSocket | undefined;
    const clientCn = socket?.getPeerCertificate?.()?.subject?.CN;
    const authorization = headers.authorization;
    const apiKey = typeof authorization === 'string' ? authorization.replace(/^Bearer\s+/i, '') : undefined;
    calls.push({
      path: String(headers[':path']),
      ...(clientCn ? { clientCn: String(clientCn) } : {}),
      ...(apiKey ? { apiKey } : {}),
    });
    if (options.apiKey !== undefined && apiKey !== options.apiKey) {
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '16',
          'grpc-message': 'invalid API key',
        },
        { endStream: true },
      );
      return;
    }
    const forward: http2.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) {
      if (name !== ':authority' && name !== ':scheme' && name !== 'authorization') forward[name] = value;
    }
    const call = upstream.request(forward);
    let trailers: http2.IncomingHttpHeaders = {};
    call.on('response', (answer) => {
      const out: http2.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer)) if (!name.startsWith(':')) out[name] = value;
      stream.respond({ ':status': Number(answer[':status'] ?? 200), ...out }, { waitForTrailers: true });
    });
    call.on('trailers', (t) => {
      trailers = t;
    });
    stream.on('wantTrailers', () => {
      const out: http2.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(trailers)) if (!name.startsWith(':')) out[name] = value;
      stream.sendTrailers(out);
    });
    call.on('error', () => stream.destroy());
    stream.on('error', () => call.destroy());
    stream.on('close', () => call.close());
    stream.pipe(call);
    call.pipe(stream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: async () => {
      for (const session of sessions) session.destroy();
      upstream.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
