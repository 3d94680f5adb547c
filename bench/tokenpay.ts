/**
 * Phase 2, tokenpay end to end: the real API (`startApi`) and the real worker (the workflow
 * bundle of src/workflows with `createActivities`) run in this process, wired like
 * test/support/harness.ts, against the gateway simulator (`startSimulator`, zero latency, no
 * fault injection). One operation = a merchant creates a payment over HTTP (with an
 * Idempotency-Key, as integrations do) and the customer submits a new card (4242…) with
 * `save_card: true` over HTTP; it succeeds when the submit answers paid with a saved-card token.
 * Afterwards every measured workflow must have completed with "paid".
 *
 * API and worker in-process, not child processes: the baseline's client and worker also share
 * one Node process, one RSS figure covers everything tokenpay runs, and one CPU profile shows
 * API, activities, SDK and load generator together. The Temporal server and FerretDB are
 * separate processes either way (their CPU and RSS are read from /proc). The simulator runs in a
 * child process by default (see ./simulator-process.ts); `--simulator in-process` puts it in
 * this process as the test harness does.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';

import { createActivities } from '../src/activities';
import { createDataConverter } from '../src/codec/data-converter';
import { loadConfig, type AppConfig } from '../src/config';
import { freePort } from '../src/dev/process';
import { HttpGateway } from '../src/gateway/http-gateway';
import { createLogger } from '../src/logger';
import { startApi, type ApiHandle } from '../src/server';
import { collections, connectMongo, type Collections, type Mongo } from '../src/store/mongo';
import { createStore } from '../src/store';
import { promoteWhenNewer } from '../src/temporal/deployment';
import { workflowWorkerOptions } from '../src/worker';
import { historyShape, type HistoryShape } from './history';
import { closedLoop, countCompleted, timed, type LoopOptions, type LoopResult, type Operation } from './loop';
import { startGatewaySimulator, type SimulatorHandle } from './simulator-process';
import { withDatabase, type Stack } from './stack';

export const PG_CODE = 'ottu_pg_kwd_tkn';
const CREATE_PATH = '/b/checkout/v1/pymt-txn/';
const HTTP_TIMEOUT_MS = 35_000; // the API waits up to 25 s for an attempt before answering "pending"

export interface Tokenpay {
  config: AppConfig;
  api: ApiHandle;
  mongo: Mongo;
  collections: Collections;
  temporal: Client;
  simulator: SimulatorHandle;
  apiKey: string;
  /** ms from nothing to API + worker ready (includes bundling the workflow code) */
  startMs: number;
  /** JSON request to the API; throws on a network error or timeout */
  request(method: string, pathname: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  close(): Promise<void>;
}

export interface Reply {
  status: number;
  body: unknown;
}

/**
 * tokenpay's environment for a bench run: its own task queue and database (named after `label`)
 * on the bench's servers, the demo merchant seeded, against the simulator at `gatewayUrl`.
 */
export function tokenpayEnv(stack: Stack, gatewayUrl: string, label: string): NodeJS.ProcessEnv {
  return {
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_NAMESPACE: stack.temporalNamespace,
    TEMPORAL_TASK_QUEUE: `tokenpay-${label}`,
    MONGODB_URI: withDatabase(stack.mongoUri, label.replace(/-/g, '_')),
    GATEWAY_URL: gatewayUrl,
    TOKENPAY_SEED_DEMO: '1',
    // All load comes from 127.0.0.1: lift the per-IP submit limit (anti card-testing, 120/min by
    // default) so it does not cap the run; the limiter still runs on every submit.
    TOKENPAY_SUBMIT_RATE_PER_IP: process.env.TOKENPAY_SUBMIT_RATE_PER_IP ?? '100000000',
  };
}

export async function startTokenpay(
  stack: Stack,
  simulatorMode: 'child' | 'in-process',
  log: (line: string) => void,
): Promise<Tokenpay> {
  const t0 = performance.now();
  const suffix = randomBytes(4).toString('hex');
  const closers: Array<() => Promise<unknown>> = [];
  const close = async (): Promise<void> => {
    for (const fn of closers.reverse()) await fn().catch(() => undefined);
    closers.length = 0;
  };
  try {
    const simulator = await startGatewaySimulator(simulatorMode);
    closers.push(() => simulator.close());
    const config = loadConfig({
      ...process.env,
      ...tokenpayEnv(stack, simulator.url, `bench-${suffix}`),
      PORT: String(await freePort()),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    });
    const logStream = fs.createWriteStream(path.join(stack.workDir, 'tokenpay.log'), { flags: 'a' });
    closers.push(() => new Promise<void>((resolve) => logStream.end(resolve)));
    const logger = createLogger({ level: config.logLevel, name: 'bench' }, logStream);

    const mongo = await connectMongo(config.mongoUri);
    closers.push(async () => {
      await mongo.db.dropDatabase().catch(() => undefined);
      await mongo.close();
    });
    const c = collections(mongo.db);
    const api = await startApi(config, logger);
    closers.push(() => {
      api.server.closeAllConnections(); // an in-flight request must not hold the shutdown
      return api.close();
    });

    const connection = await Connection.connect({ address: config.temporal.address });
    closers.push(() => connection.close());
    // tokenpay encrypts payloads: the bench's client reads workflow results, so it needs the codec
    const dataConverter = createDataConverter(config.codec.keys);
    const temporal = new Client({ connection, namespace: config.temporal.namespace, dataConverter });

    // Wired as src/worker.ts does.
    const activityDeps = {
      store: createStore(mongo.db),
      gateway: new HttpGateway({ baseUrl: simulator.url, timeoutMs: config.gateway.timeoutMs }),
    };
    const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
    closers.push(() => nativeConnection.close());
    const workflows = await workflowWorkerOptions(config);
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      dataConverter,
      ...workflows.options,
      activities: createActivities(activityDeps),
    });
    const running = worker.run();
    closers.push(async () => {
      worker.shutdown();
      await running;
    });
    await promoteWhenNewer(connection, config.temporal.namespace, workflows.version);
    const startMs = performance.now() - t0;
    log(
      `tokenpay API ${api.url}, worker on ${config.temporal.taskQueue}, gateway simulator ` +
        `${simulatorMode} ${simulator.url}, ready in ${Math.round(startMs)} ms`,
    );

    const request = httpRequester(api.url);

    return {
      config,
      api,
      mongo,
      collections: c,
      temporal,
      simulator,
      apiKey: config.demo.apiKey,
      startMs,
      request,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export interface TokenpayResult {
  loop: LoopResult;
  /** measured workflows that had completed with "paid" when checked after the measured stage */
  completed: number;
  checked: number;
  /** saved cards in the database after the phase (one per paid payment, warm-up included) */
  savedCards: number;
  shape: HistoryShape;
}

export function describeFailure(what: string, reply: Reply): Error {
  return new Error(`${what}: HTTP ${reply.status} ${JSON.stringify(reply.body).slice(0, 160)}`);
}

export type RequestFn = Tokenpay['request'];

/**
 * One measured operation, as a merchant and a customer do it: create a payment over HTTP (with an
 * Idempotency-Key) and submit a new card with `save_card: true`. Throws unless the submit answers
 * paid with a saved-card token. Shared by the throughput phase and the memory soak.
 */
export async function payWithNewCard(
  request: RequestFn,
  apiKey: string,
  reference: string,
): Promise<{ sessionId: string; createMs: number; submitMs: number }> {
  const [created, createMs] = await timed(() =>
    request(
      'POST',
      CREATE_PATH,
      {
        type: 'e_commerce',
        amount: '20.23',
        currency_code: 'KWD',
        pg_codes: [PG_CODE],
        customer_id: reference,
        order_no: reference,
      },
      { authorization: `Api-Key ${apiKey}`, 'idempotency-key': reference },
    ),
  );
  const sessionId = (created.body as { session_id?: string }).session_id;
  if (created.status !== 201 || !sessionId) throw describeFailure('create', created);

  const [submitted, submitMs] = await timed(() =>
    request('POST', `/checkout/${sessionId}/submit`, {
      pg_code: PG_CODE,
      payment_method: 'card',
      card: {
        name_on_card: 'Bench Customer',
        number: '4242424242424242',
        expiry_month: '12',
        expiry_year: '39',
        cvv: '123',
      },
      save_card: true,
    }),
  );
  const outcome = submitted.body as { result?: string; state?: string; token?: { token?: string } };
  if (submitted.status !== 200 || outcome.state !== 'paid' || !outcome.token?.token) {
    throw describeFailure('submit', submitted);
  }
  return { sessionId, createMs, submitMs };
}

/** JSON over HTTP to an API at `baseUrl`; throws on a network error or timeout. */
export function httpRequester(baseUrl: string): RequestFn {
  return async (method, pathname, body, headers = {}) => {
    const response = await fetch(`${baseUrl}${pathname}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    const text = await response.text();
    const isJson = (response.headers.get('content-type') ?? '').includes('json') && text !== '';
    return { status: response.status, body: isJson ? (JSON.parse(text) as unknown) : text };
  };
}

/** tokenpay as one side of the load: the operation, then the post-run checks. */
export function tokenpaySide(tp: Tokenpay): {
  op: Operation;
  finish(loop: LoopResult): Promise<TokenpayResult>;
} {
  const suffix = randomBytes(4).toString('hex');
  const measuredSessions: string[] = [];
  const op: Operation = async (i, measured) => {
    const { sessionId, createMs, submitMs } = await payWithNewCard(
      tp.request,
      tp.apiKey,
      `bench-${suffix}-${i}`,
    );
    if (measured) measuredSessions.push(sessionId);
    return { create: createMs, submit: submitMs, total: createMs + submitMs };
  };
  const finish = async (loop: LoopResult): Promise<TokenpayResult> => {
    const completed = await countCompleted(
      measuredSessions,
      (id) => tp.temporal.workflow.getHandle(`checkout-${id}`).result(),
      'paid',
    );
    const savedCards = await tp.collections.cards.countDocuments({});
    const shape = await historyShape(
      tp.temporal,
      measuredSessions.map((id) => `checkout-${id}`),
    );
    return { loop, completed, checked: measuredSessions.length, savedCards, shape };
  };
  return { op, finish };
}

export async function runTokenpay(tp: Tokenpay, loopOptions: LoopOptions): Promise<TokenpayResult> {
  const side = tokenpaySide(tp);
  return side.finish(await closedLoop(loopOptions, side.op));
}
