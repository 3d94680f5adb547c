/**
 * The worker process: runs CheckoutWorkflow / TokenChargeWorkflow and their activities.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';

import { createActivities } from './activities';
import { encryptedDataConverterFromEnv } from './codec/data-converter';
import { loadConfig, type AppConfig } from './config';
import { HttpGateway } from './gateway/http-gateway';
import { createLogger } from './logger';
import { collections, connectMongo, ensureIndexes } from './store/mongo';

export interface WorkerHandle {
  worker: Worker;
  run: Promise<void>;
  shutdown(): Promise<void>;
}

/** Workflow code: a prebuilt bundle when given (tests build it once), else bundled from source. */
export function workflowSource(
  bundlePath = process.env.TOKENPAY_WORKFLOW_BUNDLE,
): Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle'> {
  return bundlePath
    ? { workflowBundle: { codePath: bundlePath } }
    : { workflowsPath: require.resolve('./workflows') };
}

export async function startWorker(config: AppConfig): Promise<WorkerHandle> {
  const mongo = await connectMongo(config.mongoUri);
  await ensureIndexes(mongo.db);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const gateway = new HttpGateway({ baseUrl: config.gateway.url, timeoutMs: config.gateway.timeoutMs });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    dataConverter: encryptedDataConverterFromEnv(),
    ...workflowSource(),
    activities: createActivities({ db: mongo.db, collections: collections(mongo.db), gateway }),
  });
  const run = worker.run().finally(async () => {
    await connection.close();
    await mongo.close();
  });
  return {
    worker,
    run,
    shutdown: async () => {
      worker.shutdown();
      await run;
    },
  };
}

if (require.main === module) {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'worker' });
  startWorker(config)
    .then((handle) => {
      logger.info(
        { taskQueue: config.temporal.taskQueue, temporal: config.temporal.address },
        'worker started',
      );
      return handle.run;
    })
    .catch((error: unknown) => {
      logger.error({ err: error }, 'worker failed');
      process.exit(1);
    });
}
