/** The API process. */
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';

import { createApp } from './api/app';
import { createDataConverter } from './codec/data-converter';
import { loadConfigOrExit, type AppConfig } from './config';
import { HttpGateway } from './gateway/http-gateway';
import { createLogger, type Logger } from './logger';
import { instrumentGateway } from './metrics/payments';
import { setServiceLabel } from './metrics/registry';
import { connectMongo, createStore, ensureIndexes } from './store';
import { exitWhenStuck, watchMongo } from './store/mongo-watchdog';
import { seedDemoMerchant, seedDemoPublicKey } from './store/seed';
import { temporalConnectionOptions } from './temporal/connection';
import { ensureTemporalSetup } from './temporal/setup';

export interface ApiHandle {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startApi(
  config: AppConfig,
  logger: Logger,
  options: {
    /** the MongoDB client stopped recovering (see store/mongo-watchdog): the process should exit */
    onMongoStuck?: (failingForMs: number) => void;
  } = {},
): Promise<ApiHandle> {
  const { onMongoStuck } = options;
  const mongo = await connectMongo(config.mongoUri);
  const watch = onMongoStuck ? watchMongo(mongo, config.mongoUri, onMongoStuck) : undefined;
  await ensureIndexes(mongo.db);
  const store = createStore(mongo.db);
  if (config.seedDemo) {
    await seedDemoMerchant(store, config.demo);
    await seedDemoPublicKey(store, config.demoSdk);
  }
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  if (config.temporal.setup) {
    await ensureTemporalSetup(connection, {
      namespace: config.temporal.namespace,
      retentionDays: config.temporal.retentionDays,
      log: (message, fields) => logger.info(fields ?? {}, message),
    });
  }
  const temporal = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: createDataConverter(config.codec.keys),
  });
  const gateway = instrumentGateway(
    new HttpGateway({ baseUrl: config.gateway.url, timeoutMs: config.gateway.timeoutMs }),
  );
  const app = createApp({ config, store, temporal, gateway, logger });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    server,
    url: `http://${config.host}:${port}`,
    close: async () => {
      watch?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close();
      await mongo.close();
    },
  };
}

if (require.main === module) {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.logLevel, name: 'api' });
  setServiceLabel('api');
  startApi(config, logger, {
    onMongoStuck: exitWhenStuck(logger),
  })
    .then((api) => {
      logger.info({ url: api.url }, 'api listening');
      const stop = (): void => {
        api.close().finally(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    })
    .catch((error: unknown) => {
      logger.error({ err: error }, 'api failed to start');
      process.exit(1);
    });
}
