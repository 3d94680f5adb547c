/**
 * How the API, the worker and the tools connect to Temporal: plain (the embedded dev server, a
 * private network), TLS with the server verified against a CA (self-hosted with TLS), mTLS with
 * a client certificate (self-hosted with `requireClientAuth`, Temporal Cloud with certificates),
 * or an API key (Temporal Cloud, or a server with an API-key authorizer; sent as
 * `Authorization: Bearer <key>`, over TLS). Settings: `TEMPORAL_TLS`, `TEMPORAL_TLS_CA_PATH`,
 * `TEMPORAL_TLS_CERT_PATH`, `TEMPORAL_TLS_KEY_PATH`, `TEMPORAL_TLS_SERVER_NAME`,
 * `TEMPORAL_API_KEY` (the names the `temporal` CLI uses).
 */
import fs from 'node:fs';
import type { TLSConfig } from '@temporalio/client';

import type { AppConfig } from '../config';

export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

function readPem(what: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new Error(
      `Cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** Options for `Connection.connect` (client) and `NativeConnection.connect` (worker) alike. */
export function temporalConnectionOptions(temporal: AppConfig['temporal']): TemporalConnectionOptions {
  const tls = temporal.tls;
  return {
    address: temporal.address,
    ...(tls
      ? {
          tls: {
            ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
            ...(tls.caPath ? { serverRootCACertificate: readPem('TEMPORAL_TLS_CA_PATH', tls.caPath) } : {}),
            ...(tls.certPath && tls.keyPath
              ? {
                  clientCertPair: {
                    crt: readPem('TEMPORAL_TLS_CERT_PATH', tls.certPath),
                    key: readPem('TEMPORAL_TLS_KEY_PATH', tls.keyPath),
                  },
                }
              : {}),
          },
        }
      : {}),
    ...(temporal.apiKey ? { apiKey: temporal.apiKey } : {}),
  };
}
