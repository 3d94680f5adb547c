/**
 * Workflow branches on their own: Temporal's time-skipping test server (the binary is cached like
 * the other service binaries) and a worker whose activities are scripted fakes, so each test
 * drives one branch of a workflow deterministically — a decline, a challenge nobody answers, a
 * charge that hangs — and days pass in milliseconds.
 */
import { randomBytes } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';

import type { Activities } from '../../src/activities';
import type { ChargeGatewayInput, ChargeResult, SavedCardForCharge } from '../../src/activities/types';
import { ensureTestServerBinary } from '../../src/dev/binaries';
import { DEMO_GATEWAY_CONFIGS, type GatewayConfig } from '../../src/domain/gateway-config';
import type { PaymentPatch, SavedCard } from '../../src/domain/payment';
import type { Refusal } from '../../src/domain/refusals';
import { addMissingSearchAttributes } from '../../src/temporal/setup';
import { loadWorkflowCode } from '../../src/temporal/workflow-bundle';
import { CheckoutWorkflow } from '../../src/workflows/checkout/workflow';
import type { CheckoutInput, NewCardAttempt, SavedCardAttempt } from '../../src/workflows/definitions';

let bundle: Promise<WorkflowBundle> | undefined;

/**
 * The workflow code the worker runs (src/temporal/workflow-bundle.ts: the shipped bundle under
 * `npm test`, else bundled from source), loaded once per test file.
 */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= loadWorkflowCode(process.env.TOKENPAY_WORKFLOW_BUNDLE).then(({ code }) => ({ code }));
  return bundle;
}

export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // installed already in this process
  }
  const path = await ensureTestServerBinary(() => undefined);
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path } },
  });
  // the payment workflows keep their search attributes current (CONTRACT §8)
  await addMissingSearchAttributes(env.connection, 'default');
  return env;
}

/** A charge answer as the gateway adapter returns it. */
export function answer(status: ChargeResult['status'], extra: Partial<ChargeResult> = {}): ChargeResult {
  return {
    chargeId: extra.chargeId ?? `ch_${randomBytes(4).toString('hex')}`,
    status,
    card: { brand: 'visa', bin: '424242', last4: '4242', exp_month: '12', exp_year: '39' },
    ...extra,
  };
}

/**
 * Scripted activities: `charges` answers chargeGateway calls in order (a function may hold the
 * call open), `lookups` answers getCharge calls in order (the last one repeats). Every call is
 * recorded.
 */
export interface Script {
  charges?: Array<ChargeResult | ((input: ChargeGatewayInput) => Promise<ChargeResult>)>;
  /** answers of getCharge (by charge id), in order; the last one repeats */
  lookups?: ChargeResult[];
  /** answers of lookupCharge (by idempotency key), in order; the last one repeats */
  keyLookups?: (ChargeResult | null)[];
  savedCard?: SavedCardForCharge | null;
  /** how deliverWebhook behaves (default: delivered) */
  deliver?: () => Promise<void>;
}

export interface FakeActivities {
  activities: Partial<Activities>;
  calls: { name: string; args: unknown[] }[];
  records: PaymentPatch[];
  called(name: string): unknown[][];
}

export function fakeActivities(script: Script): FakeActivities {
  const calls: { name: string; args: unknown[] }[] = [];
  const records: PaymentPatch[] = [];
  const charges = [...(script.charges ?? [])];
  const lookups = [...(script.lookups ?? [])];
  const keyLookups = [...(script.keyLookups ?? [])];
  const log =
    <A extends unknown[], R>(name: string, body: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      calls.push({ name, args });
      return body(...args);
    };
  const savedCard = (token: string): SavedCard => ({
    token,
    customer_id: 'cust-1',
    brand: 'visa',
    name_on_card: 'Test Customer',
    last4: '4242',
    expiry_month: '12',
    expiry_year: '39',
    pg_code: 'ottu_pg_kwd_tkn',
    agreements: [],
  });
  const activities: Partial<Activities> = {
    chargeGateway: log('chargeGateway', async (input: ChargeGatewayInput) => {
      const next = charges.shift();
      if (!next) throw new Error('no scripted charge answer left');
      return typeof next === 'function' ? next(input) : next;
    }),
    getCharge: log('getCharge', async (_chargeId: string) => {
      const next = lookups.length > 1 ? lookups.shift()! : lookups[0];
      if (!next) throw new Error('no scripted lookup');
      return next;
    }),
    lookupCharge: log('lookupCharge', async (_key: string) => {
      if (keyLookups.length === 0) throw new Error('no scripted key lookup');
      return keyLookups.length > 1 ? keyLookups.shift()! : keyLookups[0]!;
    }),
    gatewayOperation: log('gatewayOperation', async () => ({ gatewayReference: 'gw_ref' })),
    recordPayment: log('recordPayment', async (_sessionId: string, patch: PaymentPatch) => {
      records.push(structuredClone(patch));
    }),
    tokenizeCard: log('tokenizeCard', async () => savedCard('tok_new')),
    loadSavedCard: log('loadSavedCard', async () => script.savedCard ?? null),
    recordSavedCardOutcome: log('recordSavedCardOutcome', async () => undefined),
    unlockSavedCards: log('unlockSavedCards', async () => undefined),
    deliverWebhook: log('deliverWebhook', async () => (script.deliver ? script.deliver() : undefined)),
    loadPaymentForOperations: log('loadPaymentForOperations', async (sessionId: string) => ({
      sessionId,
      merchantId: 'demo',
      revision: 0,
      state: 'paid' as const,
      amount: '20.230',
      currencyCode: 'KWD' as const,
      chargeId: 'ch_paid',
      capturedAmount: '20.230',
      refundedAmount: '0.000',
      operations: [],
      webhookUrl: 'https://merchant.example/hooks',
    })),
  };
  return {
    activities,
    calls,
    records,
    called: (name) => calls.filter((c) => c.name === name).map((c) => c.args),
  };
}

/** Runs `fn` with a worker of the workflow bundle and these activities on a fresh task queue. */
export async function withWorker<T>(
  env: TestWorkflowEnvironment,
  activities: Partial<Activities>,
  fn: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = `wf-test-${randomBytes(4).toString('hex')}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
  });
  return worker.runUntil(fn(taskQueue));
}

export const CVV_CONFIG: GatewayConfig = DEMO_GATEWAY_CONFIGS.find((g) => g.pg_code === 'ottu_pg_kwd_tkn')!;

/**
 * A payment session as the API starts it, expiring a day after the test server's clock (which
 * time skipping moves forward across the tests of a file).
 */
export async function checkoutInput(
  env: TestWorkflowEnvironment,
  overrides: Partial<CheckoutInput> = {},
): Promise<CheckoutInput> {
  const sessionId = randomBytes(32).toString('hex');
  const now = await env.currentTimeMs();
  return {
    sessionId,
    merchantId: 'demo',
    customerId: 'cust-1',
    amount: '20.230',
    currencyCode: 'KWD',
    paymentType: 'one_off',
    gateways: [CVV_CONFIG],
    expiresAt: new Date(now + 24 * 3600 * 1000).toISOString(),
    returnUrl: `http://127.0.0.1:3000/checkout/${sessionId}`,
    ...overrides,
  };
}

/** A new card as the API hands it to the workflow: tokenized, only its display data. */
export const newCard = (token = 'tok_card'): NewCardAttempt => ({
  method: 'card',
  pgCode: 'ottu_pg_kwd_tkn',
  gatewayToken: token,
  card: {
    brand: 'visa',
    bin: '424242',
    last4: '4242',
    exp_month: '12',
    exp_year: '39',
    name_on_card: 'Test Customer',
  },
  fingerprint: 'fp-1',
  saveCard: false,
});

export const savedCard = (cvcToken?: string): SavedCardAttempt => ({
  method: 'token',
  pgCode: 'ottu_pg_kwd_tkn',
  token: 'tok_saved',
  merchantInitiated: false,
  ...(cvcToken ? { cvcToken } : {}),
});

/** A checkout run as the API starts it. */
export function startCheckout(env: TestWorkflowEnvironment, taskQueue: string, input: CheckoutInput) {
  return env.client.workflow.start(CheckoutWorkflow, {
    taskQueue,
    workflowId: `checkout-${input.sessionId}`,
    args: [input],
  });
}

/** The refusal a workflow answered an update with. */
export async function refusalOf(promise: Promise<unknown>): Promise<Refusal> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
      return error.cause.details?.[0] as Refusal;
    }
    throw error;
  }
  throw new Error('the update was not refused');
}
