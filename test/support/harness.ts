/**
 * One isolated tokenpay per test file, on the run's real Temporal and Mongo-wire servers: its
 * own database, task queue, gateway simulator, worker and API. Logs of the API and the
 * activities are captured so tests can scan them for card data.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';

import { createActivities } from '../../src/activities';
import { createMaintenanceActivities } from '../../src/activities/maintenance';
import { createDataConverter } from '../../src/codec/data-converter';
import { loadConfig, DEV_DEFAULTS, type AppConfig } from '../../src/config';
import { freePort } from '../../src/dev/process';
import { HttpGateway } from '../../src/gateway/http-gateway';
import { startSimulator } from '../../src/dev/gateway-simulator';
import { TEST_CARD_NUMBERS } from '../../src/dev/gateway-simulator/cards';
import { createLogger } from '../../src/logger';
import { createStore, type Store } from '../../src/store';
import { collections, connectMongo, type Collections, type Mongo } from '../../src/store/mongo';
import { startApi, type ApiHandle } from '../../src/server';
import { temporalConnectionOptions } from '../../src/temporal/connection';
import type { TargetPolicy } from '../../src/webhooks/targets';
import { promoteWhenNewer } from '../../src/temporal/deployment';
import { workflowWorkerOptions } from '../../src/worker';

export const DEMO_API_KEY = DEV_DEFAULTS.demoApiKey;
export const ADMIN_KEY = DEV_DEFAULTS.adminKey;

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Harness {
  config: AppConfig;
  api: ApiHandle;
  baseUrl: string;
  simulatorUrl: string;
  mongo: Mongo;
  /** raw collections, for tests that look at what was stored */
  collections: Collections;
  store: Store;
  temporal: Client;
  logs: string[];
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<HttpResult<T>>;
  /** merchant API call with the demo key unless another is given */
  merchant<T = any>(
    method: string,
    path: string,
    body?: unknown,
    options?: RequestOptions,
  ): Promise<HttpResult<T>>;
  restartWorker(): Promise<void>;
  close(): Promise<void>;
}

export interface RequestOptions {
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  apiKey?: string;
}

/** Database names on FerretDB must stay short and simple. */
export function withDatabase(uri: string, db: string): string {
  const url = new URL(uri);
  url.pathname = `/${db}`;
  return url.toString();
}

/** The SDK's own logs only when something is wrong: keeps test output readable. */
/**
 * The SDK's (and activities') logs are captured for the card-data scans; only warnings and worse
 * are printed. The Runtime is per process and Jest reuses processes across test files, so the
 * capture buffer lives on `process`, which all test files of one process share.
 */
const runtimeLogs: string[] = ((
  process as unknown as { __tokenpayRuntimeLogs?: string[] }
).__tokenpayRuntimeLogs ??= []);

function quietTemporalRuntime(): void {
  try {
    Runtime.install({
      logger: new DefaultLogger('DEBUG', (entry) => {
        const line = JSON.stringify({ level: entry.level, message: entry.message, meta: entry.meta });
        runtimeLogs.push(line);
        if (entry.level === 'WARN' || entry.level === 'ERROR') console.warn(line);
      }),
    });
  } catch {
    // already installed in this process
  }
}

/** Every log line captured in this process: API logger, activities, workflows, the SDK. */
export function capturedLogs(h: Harness): string {
  return [...h.logs, ...runtimeLogs].join('\n');
}

export async function startHarness(
  options: {
    faults?: boolean;
    env?: Record<string, string>;
    /** the simulator notifies the API of charge outcomes (POST /gateway/notifications); default on */
    notifications?: boolean;
    /** the worker's webhook target policy, when it should differ from the API's */
    workerTargets?: TargetPolicy;
    /** false: no worker of the harness's own; the test starts the workers it needs */
    worker?: boolean;
  } = {},
): Promise<Harness> {
  quietTemporalRuntime();
  const suffix = randomBytes(6).toString('hex');
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: 'debug', name: 'test' }, sink);
  const port = await freePort();
  const simulator = await startSimulator({
    port: 0,
    faults: options.faults ?? true,
    ...(options.notifications === false
      ? {}
      : {
          notifications: {
            url: `http://127.0.0.1:${port}/gateway/notifications`,
            secret:
              options.env?.TOKENPAY_GATEWAY_NOTIFY_SECRET ??
              process.env.TOKENPAY_GATEWAY_NOTIFY_SECRET ??
              DEV_DEFAULTS.gatewayNotifySecret,
            retry: { initialMs: 200, maxMs: 2_000 },
          },
        }),
  });
  const config = loadConfig({
    ...process.env,
    PORT: String(port),
    MONGODB_URI: withDatabase(process.env.MONGODB_URI!, `t_${suffix}`),
    GATEWAY_URL: simulator.url,
    GATEWAY_TIMEOUT_MS: '2000',
    TEMPORAL_TASK_QUEUE: `tokenpay-test-${suffix}`,
    TOKENPAY_SEED_DEMO: '1',
    ...options.env,
  });
  const mongo = await connectMongo(config.mongoUri);
  const c = collections(mongo.db);
  const store = createStore(mongo.db);
  const api = await startApi(config, logger);
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  const temporal = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: createDataConverter(config.codec.keys),
  });

  const startWorker = async (): Promise<{
    worker: Worker;
    running: Promise<void>;
    nativeConnection: NativeConnection;
  }> => {
    const nativeConnection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
    const workflows = await workflowWorkerOptions(config);
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      dataConverter: createDataConverter(config.codec.keys),
      ...workflows.options,
      activities: {
        ...createMaintenanceActivities({
          store,
          gateway: new HttpGateway({ baseUrl: simulator.url, timeoutMs: config.gateway.timeoutMs }),
          temporal,
          config,
        }),
        ...createActivities({
          store,
          gateway: new HttpGateway({ baseUrl: simulator.url, timeoutMs: config.gateway.timeoutMs }),
          targets: options.workerTargets ?? config.targets,
        }),
      },
    });
    const running = worker.run();
    // the harness's deployment (named after its task queue) routes to this version, as a
    // worker process's automatic promotion does
    await promoteWhenNewer(connection, config.temporal.namespace, workflows.version);
    return { worker, running, nativeConnection };
  };
  let current = options.worker === false ? undefined : await startWorker();
  const stopWorker = async (): Promise<void> => {
    if (!current) return;
    current.worker.shutdown();
    await current.running;
    await current.nativeConnection.close();
  };

  const request = async <T>(method: string, path: string, o: RequestOptions = {}): Promise<HttpResult<T>> => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    let payload: string | undefined = o.rawBody;
    if (o.body !== undefined) {
      payload = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    if (o.apiKey) headers.authorization = `Api-Key ${o.apiKey}`;
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
    });
    const text = await response.text();
    let body: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text) body = JSON.parse(text);
    return { status: response.status, body: body as T, headers: response.headers };
  };

  return {
    config,
    api,
    baseUrl: api.url,
    simulatorUrl: simulator.url,
    mongo,
    collections: c,
    store,
    temporal,
    logs,
    request,
    merchant: (method, path, body, o = {}) =>
      request(method, path, {
        ...o,
        ...(body !== undefined ? { body } : {}),
        apiKey: o.apiKey ?? DEMO_API_KEY,
      }),
    restartWorker: async () => {
      await stopWorker();
      current = await startWorker();
    },
    close: async () => {
      await stopWorker();
      await api.close();
      await connection.close();
      await mongo.db.dropDatabase().catch(() => undefined);
      await mongo.close();
      await simulator.close();
    },
  };
}

/** The contract's test cards by name (one list, shared with the simulator and the chaos run). */
export const TEST_CARDS = TEST_CARD_NUMBERS;

export const ALL_TEST_PANS = Object.values(TEST_CARDS);

/** A card that is valid for years to come. */
export function card(number: string, cvv = number.startsWith('37') ? '1234' : '123') {
  return { name_on_card: 'Test Customer', number, expiry_month: '12', expiry_year: '39', cvv };
}

export function newPayment(overrides: Record<string, unknown> = {}) {
  return {
    type: 'e_commerce',
    amount: '20.23',
    currency_code: 'KWD',
    pg_codes: ['ottu_pg_kwd_tkn'],
    customer_id: `cust-${randomBytes(4).toString('hex')}`,
    order_no: `order-${randomBytes(4).toString('hex')}`,
    ...overrides,
  };
}

/** Retries an assertion until it passes (for records written asynchronously by the workflow). */
export async function eventually(assertion: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
