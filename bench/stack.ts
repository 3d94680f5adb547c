/**
 * The servers the bench runs against: a Temporal dev server and FerretDB started here (in-memory
 * Temporal, FerretDB in a temporary directory), exactly as the test suite starts them, unless
 * TEMPORAL_ADDRESS / MONGODB_URI name running ones. Only what was started here is stopped.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { freePort } from '../src/dev/process';
import { startFerretDb, startTemporalDevServer, type RunningService } from '../src/dev/services';
import type { TrackedProcess } from './resources';

export interface Stack {
  temporalAddress: string;
  temporalNamespace: string;
  /** server URI without a database name */
  mongoUri: string;
  /** temporary directory for service data and logs (removed by stop()) */
  workDir: string;
  /** "embedded" or "external" for each server */
  temporalKind: 'embedded' | 'external';
  mongoKind: 'embedded' | 'external';
  /** the service processes started here (for RSS and CPU) */
  processes(): TrackedProcess[];
  startupMs: { temporal?: number; mongo?: number };
  stop(): Promise<void>;
}

export async function startStack(log: (line: string) => void): Promise<Stack> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenpay-bench-'));
  const started: Array<{ name: string; service: RunningService }> = [];
  // On any exit (also process.exit from a signal handler or the hard time limit) the temporary
  // directory goes; the services themselves are killed by src/dev/process.ts's exit hook.
  const removeWorkDir = (): void => fs.rmSync(workDir, { recursive: true, force: true });
  process.once('exit', removeWorkDir);
  const stop = async (): Promise<void> => {
    try {
      await Promise.all(started.map(({ service }) => service.stop().catch(() => undefined)));
      started.length = 0;
    } finally {
      removeWorkDir();
    }
  };

  const startTemporal = async () => {
    const temporal = await startTemporalDevServer({
      port: await freePort(),
      uiPort: null,
      logFile: path.join(workDir, 'temporal.log'),
      log,
    });
    started.push({ name: 'temporal server', service: temporal });
    return temporal;
  };
  const startMongo = async () => {
    const mongo = await startFerretDb({
      port: await freePort(),
      dataDir: path.join(workDir, 'ferretdb'),
      logFile: path.join(workDir, 'ferretdb.log'),
      log,
    });
    started.push({ name: 'ferretdb', service: mongo });
    return mongo;
  };

  try {
    // allSettled: when one fails, the other has finished starting before stop() runs
    const [t, m] = await Promise.allSettled([
      process.env.TEMPORAL_ADDRESS ? undefined : startTemporal(),
      process.env.MONGODB_URI ? undefined : startMongo(),
    ]);
    if (t.status === 'rejected') throw t.reason;
    if (m.status === 'rejected') throw m.reason;
    const temporal = t.value;
    const mongo = m.value;
    return {
      temporalAddress: temporal?.address ?? process.env.TEMPORAL_ADDRESS!,
      temporalNamespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
      mongoUri: mongo?.uri ?? process.env.MONGODB_URI!,
      workDir,
      temporalKind: temporal ? 'embedded' : 'external',
      mongoKind: mongo ? 'embedded' : 'external',
      processes: () => started.map(({ name, service }) => ({ name, pid: service.process.pid })),
      startupMs: {
        ...(temporal ? { temporal: temporal.startupMs } : {}),
        ...(mongo ? { mongo: mongo.startupMs } : {}),
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The URI with its path set to database `db` (FerretDB wants short, simple names). */
export function withDatabase(uri: string, db: string): string {
  const url = new URL(uri);
  url.pathname = `/${db}`;
  return url.toString();
}
