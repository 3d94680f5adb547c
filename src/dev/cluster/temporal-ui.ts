/**
 * The Temporal UI of the cluster: the UI server (github.com/temporalio/ui-server, the UI embedded)
 * pointed at the cluster's Temporal. It listens on an internal loopback port; operators reach it
 * through the front proxy, which asks for their credentials and serves the API's /codec on the
 * same origin — so the UI decodes payloads with the operator's own credentials, and the codec's
 * audit line can name the workflow (the UI's page is the request's Referer).
 */
import fs from 'node:fs';
import path from 'node:path';

import type { Log } from '../binaries';
import { describeExit, spawnService, tailFile, waitForPort, type ServiceProcess } from '../process';

export interface TemporalUiOptions {
  binary: string;
  dir: string;
  port: number;
  temporalAddress: string;
  /** the origin operators open (the front proxy): codec endpoint and CORS */
  publicUrl: string;
  namespace: string;
  logFile: string;
  log: Log;
}

export interface TemporalUi {
  url: string;
  process: ServiceProcess;
  stop(): Promise<void>;
}

export async function startTemporalUi(options: TemporalUiOptions): Promise<TemporalUi> {
  const dir = path.resolve(options.dir);
  fs.mkdirSync(path.join(dir, 'config'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'config', 'production.yaml'),
    `# written by tokenpay's cluster profile (src/dev/cluster/temporal-ui.ts) on every start
temporalGrpcAddress: ${JSON.stringify(options.temporalAddress)}
host: 127.0.0.1
port: ${options.port}
enableUi: true
defaultNamespace: ${JSON.stringify(options.namespace)}
notifyOnNewVersion: false
refreshInterval: 0s
cors:
  cookieInsecure: true
  allowOrigins:
    - ${JSON.stringify(options.publicUrl)}
codec:
  endpoint: ${JSON.stringify(`${options.publicUrl}/codec`)}
  passAccessToken: false
  includeCredentials: true
auth:
  enabled: false
`,
  );
  const proc = spawnService({
    name: 'temporal-ui',
    command: options.binary,
    args: ['--root', dir, '--config', 'config', '--env', 'production', 'start'],
    cwd: dir,
    logFile: options.logFile,
    restartOnCrash: true,
    log: options.log,
  });
  let up = false;
  const died = proc.exited.then((info) => {
    if (!up)
      throw new Error(
        `temporal-ui exited during start-up (${describeExit(info)})\n${tailFile(options.logFile, 15)}`,
      );
  });
  died.catch(() => undefined);
  await Promise.race([waitForPort('127.0.0.1', options.port, 30_000), died]);
  up = true;
  return { url: `http://127.0.0.1:${options.port}`, process: proc, stop: () => proc.stop() };
}
