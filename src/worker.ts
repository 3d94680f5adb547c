/**
 * The worker process: runs CheckoutWorkflow / TokenChargeWorkflow and their activities.
 * Logs (its own, the Temporal SDK's, workflows' and activities') are pino JSON lines; metrics
 * (activities' and the SDK's worker metrics) are served on TOKENPAY_WORKER_METRICS_PORT.
 */
import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';

import { createActivities } from './activities';
import { createMaintenanceActivities } from './activities/maintenance';
import { createDataConverter } from './codec/data-converter';
import { loadConfigOrExit, type AppConfig } from './config';
import { HttpGateway } from './gateway/http-gateway';
import { createLogger, temporalLogger, type Logger } from './logger';
import { setServiceLabel } from './metrics/registry';
import { startMetricsServer, type MetricsServer } from './metrics/server';
import { connectMongo, createStore, ensureIndexes } from './store';
import { exitWhenStuck, watchMongo } from './store/mongo-watchdog';
import { ensureMaintenanceSchedules } from './temporal/schedules';
import { temporalConnectionOptions } from './temporal/connection';
import { ensureTemporalSetup } from './temporal/setup';
import {
  promoteWhenNewer,
  runningOnOtherVersions,
  type DeploymentVersion,
  type PromotionOutcome,
} from './temporal/deployment';
import { loadWorkflowCode } from './temporal/workflow-bundle';

export interface WorkerHandle {
  worker: Worker;
  run: Promise<void>;
  /** the Worker Deployment Version it polls as */
  version: DeploymentVersion;
  /** with `auto` promotion: whether this version became the deployment's current one */
  promotion?: Promise<PromotionOutcome | 'failed'>;
  shutdown(): Promise<void>;
}

/**
 * Every worker that runs tokenpay's workflows is versioned (never optional: the workflows that may
 * move declare it with setWorkflowOptions, which an unversioned worker's server refuses). Payment
 * workflows are pinned to the version that started them: a payment (up to 30 days) never meets
 * code it did not start with; WebhookDeliveryWorkflow and the maintenance runs auto-upgrade.
 */
export function deploymentOptions(
  config: AppConfig,
  buildId: string,
): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  return {
    workerDeploymentOptions: {
      useWorkerVersioning: true,
      version: { deploymentName: config.deployment.name, buildId },
      defaultVersioningBehavior: 'PINNED',
    },
  };
}

/**
 * What a worker of tokenpay's workflows is made of, for every place that creates one (this
 * process, the test harness, the benchmark): the workflow code (TOKENPAY_WORKFLOW_BUNDLE, else
 * the prebuilt dist/workflow-bundle.js, else bundled now) and the deployment version it joins.
 */
export async function workflowWorkerOptions(config: AppConfig): Promise<{
  options: Pick<WorkerOptions, 'workflowBundle' | 'workerDeploymentOptions'>;
  version: DeploymentVersion;
  source: string;
}> {
  const workflows = await loadWorkflowCode(config.workflowBundle);
  const buildId = config.deployment.buildId ?? workflows.buildId;
  return {
    options: { workflowBundle: { code: workflows.code }, ...deploymentOptions(config, buildId) },
    version: { deploymentName: config.deployment.name, buildId },
    source: workflows.source,
  };
}

/**
 * The process's Temporal Runtime (once, before any connection): SDK, Core, workflow and activity
 * logs go to pino as JSON with the logger's redaction; with `sdkMetricsPort`, Core's worker
 * metrics are exported in Prometheus format on that loopback port.
 */
export function installWorkerRuntime(
  logger: Logger,
  options: { logLevel?: string; sdkMetricsPort?: number } = {},
): void {
  const verbose = options.logLevel === 'debug' || options.logLevel === 'trace';
  Runtime.install({
    logger: temporalLogger(logger),
    telemetryOptions: {
      logging: { filter: { core: verbose ? 'INFO' : 'WARN', other: 'ERROR' }, forward: {} },
      ...(options.sdkMetricsPort
        ? {
            metrics: {
              prometheus: {
                bindAddress: `127.0.0.1:${options.sdkMetricsPort}`,
                countersTotalSuffix: true,
                unitSuffix: true,
                useSecondsForDurations: true,
              },
            },
          }
        : {}),
    },
  });
}

export async function startWorker(
  config: AppConfig,
  options: {
    /** the MongoDB client stopped recovering (see store/mongo-watchdog): the process should exit */
    onMongoStuck?: (failingForMs: number) => void;
    logger?: Logger;
  } = {},
): Promise<WorkerHandle> {
  const mongo = await connectMongo(config.mongoUri);
  const watch = options.onMongoStuck ? watchMongo(mongo, config.mongoUri, options.onMongoStuck) : undefined;
  await ensureIndexes(mongo.db);
  const connectionOptions = temporalConnectionOptions(config.temporal);
  const connection = await NativeConnection.connect(connectionOptions);
  // a client too: maintenance restarts payment runs, and the schedules are created through it
  const clientConnection = await Connection.connect(connectionOptions);
  const dataConverter = createDataConverter(config.codec.keys);
  const temporal = new Client({
    connection: clientConnection,
    namespace: config.temporal.namespace,
    dataConverter,
  });
  if (config.temporal.setup) {
    await ensureTemporalSetup(clientConnection, {
      namespace: config.temporal.namespace,
      retentionDays: config.temporal.retentionDays,
    });
  }
  const gateway = new HttpGateway({ baseUrl: config.gateway.url, timeoutMs: config.gateway.timeoutMs });
  const store = createStore(mongo.db);
  const workflows = await workflowWorkerOptions(config);
  const { version } = workflows;
  const buildId = version.buildId;
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    dataConverter,
    ...workflows.options,
    // SIGTERM: stop polling, let in-flight tasks finish this long (compose waits longer)
    shutdownGraceTime: config.deployment.shutdownGraceMs,
    activities: {
      ...createActivities({ store, gateway, targets: config.targets }),
      ...createMaintenanceActivities({ store, gateway, temporal, config }),
    },
  });
  if (config.maintenance.schedules) await ensureMaintenanceSchedules(temporal, config);
  options.logger?.info(
    {
      deployment: config.deployment.name,
      build_id: buildId,
      workflow_code: workflows.source,
    },
    'worker version',
  );
  const run = worker.run().finally(async () => {
    watch?.stop();
    await connection.close();
    await clientConnection.close();
    await mongo.close();
  });
  // after run(): the server learns of this version from its pollers
  const promotion =
    config.deployment.promotion === 'auto'
      ? promoteWhenNewer(clientConnection, config.temporal.namespace, version)
      : undefined;
  promotion?.then(
    async (outcome) => {
      options.logger?.info({ build_id: buildId, outcome }, 'worker version promotion');
      const elsewhere = await runningOnOtherVersions(temporal, version).catch(() => []);
      if (elsewhere.length > 0) {
        options.logger?.warn(
          { other_versions: elsewhere },
          'workflows still run on other versions: keep a worker of each until it drains, or move them (DEPLOYING.md)',
        );
      }
    },
    (error: unknown) =>
      options.logger?.error(
        { err: error, build_id: buildId },
        'worker version not promoted: set the current version by hand (DEPLOYING.md)',
      ),
  );
  return {
    worker,
    run,
    version,
    ...(promotion ? { promotion: promotion.catch(() => 'failed' as const) } : {}),
    shutdown: async () => {
      worker.shutdown();
      await run;
    },
  };
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

if (require.main === module) {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.logLevel, name: 'worker' });
  const metrics = config.metrics;
  const metricsEnabled = metrics.workerPort !== 0;
  setServiceLabel('worker');
  let metricsServer: MetricsServer | undefined;
  (async () => {
    // Metrics are worth having, never worth a worker that does not run: a taken port (another
    // worker on this host) costs the metrics, not the payments.
    const sdkMetrics = metricsEnabled && (await portIsFree(metrics.sdkPort));
    if (metricsEnabled && !sdkMetrics) {
      logger.warn({ port: metrics.sdkPort }, 'SDK metrics port in use: Temporal SDK metrics disabled');
    }
    installWorkerRuntime(logger, {
      logLevel: config.logLevel,
      ...(sdkMetrics ? { sdkMetricsPort: metrics.sdkPort } : {}),
    });
    if (metricsEnabled) {
      metricsServer = await startMetricsServer({
        host: metrics.workerHost,
        port: metrics.workerPort,
        ...(metrics.token ? { token: metrics.token } : {}),
        sources: sdkMetrics
          ? [{ name: 'temporal_sdk', url: `http://127.0.0.1:${metrics.sdkPort}/metrics` }]
          : [],
      }).catch((error: unknown) => {
        logger.warn({ err: error, port: metrics.workerPort }, 'worker metrics endpoint not started');
        return undefined;
      });
    }
    const handle = await startWorker(config, {
      logger,
      onMongoStuck: exitWhenStuck(logger),
    });
    logger.info(
      {
        taskQueue: config.temporal.taskQueue,
        temporal: config.temporal.address,
        metrics: metricsServer?.url ?? 'disabled',
      },
      'worker started',
    );
    await handle.run; // until SIGINT / SIGTERM (the Runtime's shutdown signals)
    await metricsServer?.close();
    logger.info('worker stopped');
  })().catch((error: unknown) => {
    logger.error({ err: error }, 'worker failed');
    process.exit(1);
  });
}
