/**
 * Starts the real services once for the whole run: a Temporal dev server and a Mongo-wire server
 * (FerretDB), unless TEMPORAL_ADDRESS / MONGODB_URI point at running ones. Also bundles the
 * workflow code once, so each test file's worker starts in a fraction of a second.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { freePort } from '../../src/dev/process';
import { startFerretDb, startTemporalDevServer, type RunningService } from '../../src/dev/services';
import { loadWorkflowCode } from '../../src/temporal/workflow-bundle';

declare global {
  var __tokenpayServices: { services: RunningService[]; workDir: string } | undefined;
}

export default async function globalSetup(): Promise<void> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenpay-test-'));
  const services: RunningService[] = [];
  globalThis.__tokenpayServices = { services, workDir };
  const log = (line: string): void => console.error(`[test services] ${line}`);

  const [temporal, mongo, bundle] = await Promise.all([
    process.env.TEMPORAL_ADDRESS
      ? undefined
      : Promise.all([freePort(), freePort()]).then(([port, uiPort]) =>
          // With its Web UI: the browser tests look payments up there.
          startTemporalDevServer({ port, uiPort, logFile: path.join(workDir, 'temporal.log'), log }),
        ),
    process.env.MONGODB_URI
      ? undefined
      : freePort().then((port) =>
          startFerretDb({
            port,
            dataDir: path.join(workDir, 'ferretdb'),
            logFile: path.join(workDir, 'ferretdb.log'),
            log,
          }),
        ),
    // the shipped artifact when given (npm test: dist/workflow-bundle.js), else bundled from source
    loadWorkflowCode(process.env.TOKENPAY_WORKFLOW_BUNDLE),
  ]);
  if (temporal) {
    services.push(temporal);
    process.env.TEMPORAL_ADDRESS = temporal.address;
    if (temporal.uiUrl) process.env.TOKENPAY_TEST_TEMPORAL_UI_URL = temporal.uiUrl;
  }
  if (mongo) {
    services.push(mongo);
    process.env.MONGODB_URI = mongo.uri;
  }
  const bundlePath = path.join(workDir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);
  process.env.TOKENPAY_WORKFLOW_BUNDLE = bundlePath;
  process.env.TOKENPAY_TEST_WORK_DIR = workDir;
}
