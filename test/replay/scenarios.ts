/**
 * How each history is made: the real workflow code (the same bundle the worker runs) with the
 * production data converter, in Temporal's time-skipping test server (so expiry, the challenge
 * limit and the 48-hour webhook give-up take seconds), driven the way the API drives it. Cards are
 * tokenized at the gateway simulator exactly as the API does; the gateway's and the store's
 * answers are scripted (test/workflows/support.ts), so every run takes the same path.
 */
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

import type { Activities } from '../../src/activities';
import type { ChargeResult, PaymentForOperations, SavedCardForCharge } from '../../src/activities/types';
import type { MaintenanceActivities } from '../../src/activities/maintenance';
import { DEMO_GATEWAY_CONFIGS, type GatewayConfig } from '../../src/domain/gateway-config';
import { paymentEventId } from '../../src/domain/webhook';
import type { HttpGateway } from '../../src/gateway/http-gateway';
import type { GatewayToken } from '../../src/gateway/port';
import { cardFingerprints, parseFingerprintKeys } from '../../src/secrets/fingerprint';
import { CheckoutWorkflow } from '../../src/workflows/checkout/workflow';
import {
  checkoutWorkflowId,
  closeSessionUpdate,
  operationsWorkflowId,
  pageOpenedUpdate,
  paymentOperationUpdate,
  resolveChallengeUpdate,
  submitPaymentUpdate,
  tokenChargeWorkflowId,
  webhookWorkflowId,
  type CheckoutInput,
  type NewCardAttempt,
  type OperationRequest,
  type SavedCardAttempt,
} from '../../src/workflows/definitions';
import { ReconciliationWorkflow, RetentionWorkflow } from '../../src/workflows/maintenance';
import { PaymentOperationsWorkflow } from '../../src/workflows/operations';
import {
  paymentRunSearchAttributes,
  paymentSearchAttributes,
  PaymentStateAttr,
} from '../../src/workflows/search-attributes';
import { WebhookDeliveryWorkflow } from '../../src/workflows/webhook-delivery';
import { answer, fakeActivities, type Script } from '../workflows/support';
import type { PathName } from './paths';
import { RECORDING_CARDS, type RecordingCard } from './recording-cards';

/** What a scenario gets from the recorder. */
export interface RecordingContext {
  env: TestWorkflowEnvironment;
  /** the gateway simulator, for tokenizing cards as the API does */
  gateway: HttpGateway;
  /** runs `fn` with a worker of the bundle and these activities on a fresh task queue */
  withWorker<T>(
    activities: Partial<Activities & MaintenanceActivities>,
    fn: (taskQueue: string) => Promise<T>,
  ): Promise<T>;
}

/** One run of the workflows; yields the workflow ids of the histories it records, by path. */
export type Scenario = (ctx: RecordingContext) => Promise<Partial<Record<PathName, string>>>;

const MERCHANT = 'demo';
const CUSTOMER = 'cust-replay';
const WEBHOOK_URL = 'https://merchant.example/hooks/tokenpay';
const HOUR = 3600_000;
/** TEST ONLY fingerprint key: the fingerprint of a test card, as the API computes it. */
const FINGERPRINT_KEYS = parseFingerprintKeys('replay-test-only:fingerprint-key-for-recording-only');

const config = (pgCode: string, overrides: Partial<GatewayConfig> = {}): GatewayConfig => ({
  ...DEMO_GATEWAY_CONFIGS.find((g) => g.pg_code === pgCode)!,
  ...overrides,
});
const CVV_CONFIG = config('ottu_pg_kwd_tkn');
const AUTO_DEBIT_CONFIG = config('ottu_pg_kwd_tkn_nocvv');

/** A payment session as the API starts it (src/temporal/checkout-runs.ts). */
async function startCheckout(
  ctx: RecordingContext,
  taskQueue: string,
  overrides: Partial<CheckoutInput> & { expiresInMs?: number } = {},
) {
  const { expiresInMs = 24 * HOUR, ...rest } = overrides;
  const sessionId = randomBytes(20).toString('hex');
  const input: CheckoutInput = {
    sessionId,
    merchantId: MERCHANT,
    customerId: CUSTOMER,
    orderNo: `order-${sessionId.slice(0, 8)}`,
    amount: '20.230',
    currencyCode: 'KWD',
    paymentType: 'one_off',
    gateways: [CVV_CONFIG],
    expiresAt: new Date((await ctx.env.currentTimeMs()) + expiresInMs).toISOString(),
    returnUrl: `http://127.0.0.1:3000/checkout/${sessionId}`,
    ...rest,
  };
  return ctx.env.client.workflow.start(CheckoutWorkflow, {
    workflowId: checkoutWorkflowId(sessionId),
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    taskQueue,
    args: [input],
    typedSearchAttributes: paymentSearchAttributes(input, 'created'),
    memo: { amount: input.amount, currency_code: input.currencyCode, merchant: 'Demo Shop', order_no: null },
  });
}

/** The card exchanged for the gateway's single-use token, as the API does before the workflow. */
async function newCard(
  ctx: RecordingContext,
  card: RecordingCard,
  options: { saveCard?: boolean } = {},
): Promise<{ attempt: NewCardAttempt; token: GatewayToken }> {
  const token = await ctx.gateway.createCardToken({
    number: card.number,
    exp_month: card.expMonth,
    exp_year: card.expYear,
    cvc: card.cvv,
    name: card.name,
  });
  const attempt: NewCardAttempt = {
    method: 'card',
    pgCode: CVV_CONFIG.pg_code,
    gatewayToken: token.id,
    card: { ...token.card, name_on_card: card.name },
    fingerprint: cardFingerprints(card.number, MERCHANT, FINGERPRINT_KEYS),
    saveCard: options.saveCard ?? false,
  };
  return { attempt, token };
}

/**
 * A card saved earlier (stored at the gateway by a verification charge) as the store returns it,
 * and — when a CVV is given — the CVV exchanged for a cvc_token as the API does.
 */
async function savedCard(
  ctx: RecordingContext,
  card: RecordingCard,
  pgCode: string,
  withCvv: boolean,
): Promise<{ stored: SavedCardForCharge; cvcToken?: string; token: GatewayToken }> {
  const { token } = await newCard(ctx, card);
  const verified = await ctx.gateway.charge(
    {
      amount: 0,
      currency: 'KWD',
      capture: false,
      token: token.id,
      store_card: true,
      three_d_secure: 'never',
    },
    `save-${token.id}`,
  );
  if (!verified.source_token) throw new Error('the gateway simulator did not store the card');
  const stored: SavedCardForCharge = {
    facts: {
      customerId: CUSTOMER,
      pgCode,
      locked: false,
      expiry: { month: card.expMonth, year: card.expYear },
    },
    card: {
      token: `tp_${randomBytes(12).toString('hex')}`,
      customer_id: CUSTOMER,
      brand: token.card.brand,
      name_on_card: card.name,
      last4: token.card.last4,
      expiry_month: card.expMonth,
      expiry_year: card.expYear,
      pg_code: pgCode,
      agreements: [],
    },
    gatewayRef: verified.source_token,
  };
  if (!withCvv) return { stored, token };
  const cvc = await ctx.gateway.createCvcToken(verified.source_token, card.cvv);
  return { stored, cvcToken: cvc.id, token };
}

const charged = (status: ChargeResult['status'], token: GatewayToken, extra: Partial<ChargeResult> = {}) =>
  answer(status, { card: token.card, ...extra });

const challenge = (token: GatewayToken, chargeId = `ch_${randomBytes(6).toString('hex')}`) =>
  charged('requires_action', token, { chargeId, nextActionUrl: `http://127.0.0.1:4010/3ds/${chargeId}` });

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(`recording went off its path: ${what}`);
}

/** Waits for the webhooks a run started (they outlive it), so the worker stops with nothing running. */
async function webhooksDone(ctx: RecordingContext, workflowId: string): Promise<void> {
  const { events } = await ctx.env.client.workflow.getHandle(workflowId).fetchHistory();
  for (const event of events ?? []) {
    const started = event.childWorkflowExecutionStartedEventAttributes;
    if (started?.workflowType?.name !== WebhookDeliveryWorkflow.name) continue;
    await ctx.env.client.workflow.getHandle(started.workflowExecution!.workflowId!).result();
  }
}

/** Runs a checkout with scripted activities and waits for its end (and its webhook's). */
async function checkoutRun(
  ctx: RecordingContext,
  script: Script,
  drive: (handle: Awaited<ReturnType<typeof startCheckout>>) => Promise<void>,
  overrides: Parameters<typeof startCheckout>[2] = {},
  expected: string,
): Promise<string> {
  const fake = fakeActivities(script);
  return ctx.withWorker(fake.activities, async (taskQueue) => {
    const handle = await startCheckout(ctx, taskQueue, overrides);
    await drive(handle);
    const state = await handle.result();
    expect(state === expected, `ended ${state}, expected ${expected}`);
    await webhooksDone(ctx, handle.workflowId);
    return handle.workflowId;
  });
}

const checkoutNewCardPaid: Scenario = async (ctx) => {
  const { attempt, token } = await newCard(ctx, RECORDING_CARDS.visa, { saveCard: true });
  const id = await checkoutRun(
    ctx,
    { charges: [charged('succeeded', token, { sourceToken: `src_${randomBytes(6).toString('hex')}` })] },
    async (handle) => {
      await handle.executeUpdate(pageOpenedUpdate);
      const outcome = await handle.executeUpdate(submitPaymentUpdate, { args: [attempt] });
      expect(outcome.result === 'success' && !!outcome.token, 'the new card was not paid and saved');
    },
    { webhookUrl: WEBHOOK_URL },
    'paid',
  );
  return { 'checkout-new-card-paid': id };
};

const checkoutSavedCardCvvPaid: Scenario = async (ctx) => {
  const card = await savedCard(ctx, RECORDING_CARDS.mastercard, CVV_CONFIG.pg_code, true);
  const attempt: SavedCardAttempt = {
    method: 'token',
    pgCode: CVV_CONFIG.pg_code,
    token: card.stored.card.token,
    cvcToken: card.cvcToken!,
    merchantInitiated: false,
  };
  const id = await checkoutRun(
    ctx,
    { savedCard: card.stored, charges: [charged('succeeded', card.token)] },
    async (handle) => {
      await handle.executeUpdate(pageOpenedUpdate);
      const outcome = await handle.executeUpdate(submitPaymentUpdate, { args: [attempt] });
      expect(outcome.result === 'success', 'the saved card was not paid');
    },
    {},
    'paid',
  );
  return {
    'checkout-saved-card-cvv-paid': id,
    'token-charge-saved-card-cvv': tokenChargeWorkflowId(id.slice('checkout-'.length), 1),
  };
};

const checkout3dsApproved: Scenario = async (ctx) => {
  const { attempt, token } = await newCard(ctx, RECORDING_CARDS.threeDs);
  const pending = challenge(token);
  const id = await checkoutRun(
    ctx,
    { charges: [pending], lookups: [charged('succeeded', token, { chargeId: pending.chargeId })] },
    async (handle) => {
      const first = await handle.executeUpdate(submitPaymentUpdate, { args: [attempt] });
      expect(first.result === 'pending' && !!first.next_action, 'no challenge');
      const settled = await handle.executeUpdate(resolveChallengeUpdate);
      expect(settled.result === 'success', 'the approved challenge did not pay');
    },
    {},
    'paid',
  );
  return { 'checkout-3ds-approved': id };
};

const checkout3dsRejected: Scenario = async (ctx) => {
  const { attempt, token } = await newCard(ctx, RECORDING_CARDS.threeDs);
  const pending = challenge(token);
  const rejected = charged('declined', token, {
    chargeId: pending.chargeId,
    declineCode: 'authentication_failed',
  });
  const id = await checkoutRun(
    ctx,
    { charges: [pending], lookups: [rejected] },
    async (handle) => {
      await handle.executeUpdate(submitPaymentUpdate, { args: [attempt] });
      const settled = await handle.executeUpdate(resolveChallengeUpdate);
      expect(
        settled.result === 'failed' && settled.state === 'attempted',
        'the rejection did not fail the attempt',
      );
    },
    { expiresInMs: 2 * HOUR },
    'expired',
  );
  return { 'checkout-3ds-rejected': id };
};

const checkout3dsAbandoned: Scenario = async (ctx) => {
  const { attempt, token } = await newCard(ctx, RECORDING_CARDS.threeDs);
  const pending = challenge(token);
  const id = await checkoutRun(
    ctx,
    { charges: [pending], lookups: [pending] },
    async (handle) => {
      const first = await handle.executeUpdate(submitPaymentUpdate, { args: [attempt] });
      expect(first.result === 'pending', 'no challenge');
    },
    { expiresInMs: HOUR },
    'expired',
  );
  return { 'checkout-3ds-abandoned-expiry': id };
};

const checkoutDeclineThenPaid: Scenario = async (ctx) => {
  const declined = await newCard(ctx, RECORDING_CARDS.declined);
  const good = await newCard(ctx, RECORDING_CARDS.visa);
  const id = await checkoutRun(
    ctx,
    {
      charges: [
        charged('declined', declined.token, { declineCode: 'generic_decline' }),
        charged('succeeded', good.token),
      ],
    },
    async (handle) => {
      await handle.executeUpdate(pageOpenedUpdate);
      const first = await handle.executeUpdate(submitPaymentUpdate, { args: [declined.attempt] });
      expect(first.result === 'failed', 'the declined card was not declined');
      const second = await handle.executeUpdate(submitPaymentUpdate, { args: [good.attempt] });
      expect(second.result === 'success', 'the second card did not pay');
    },
    {},
    'paid',
  );
  return { 'checkout-decline-then-paid': id };
};

const checkoutAttemptsExhausted: Scenario = async (ctx) => {
  const first = await newCard(ctx, RECORDING_CARDS.declined);
  const second = await newCard(ctx, RECORDING_CARDS.declined);
  const id = await checkoutRun(
    ctx,
    {
      charges: [
        charged('declined', first.token, { declineCode: 'generic_decline' }),
        charged('declined', second.token, { declineCode: 'insufficient_funds' }),
      ],
    },
    async (handle) => {
      await handle.executeUpdate(submitPaymentUpdate, { args: [first.attempt] });
      const last = await handle.executeUpdate(submitPaymentUpdate, { args: [second.attempt] });
      expect(last.state === 'failed', 'the last attempt did not fail the session');
    },
    { gateways: [{ ...CVV_CONFIG, max_attempts: 2 }], webhookUrl: WEBHOOK_URL },
    'failed',
  );
  return { 'checkout-attempts-exhausted': id };
};

const checkoutCanceled: Scenario = async (ctx) => {
  const id = await checkoutRun(
    ctx,
    {},
    async (handle) => {
      await handle.executeUpdate(pageOpenedUpdate);
      const request: OperationRequest = { operation: 'cancel', requestKey: 'merchant-cancel-1' };
      const outcome = await handle.executeUpdate(closeSessionUpdate, { args: [request] });
      expect(outcome.result === 'success', 'the cancel was refused');
    },
    { webhookUrl: WEBHOOK_URL },
    'canceled',
  );
  return { 'checkout-canceled': id };
};

const checkoutExpired: Scenario = async (ctx) => {
  const id = await checkoutRun(
    ctx,
    {},
    async (handle) => {
      await handle.executeUpdate(pageOpenedUpdate);
    },
    { webhookUrl: WEBHOOK_URL, expiresInMs: 3 * 24 * HOUR },
    'expired',
  );
  return { 'checkout-expired': id };
};

const checkoutAutoDebit: Scenario = async (ctx) => {
  const card = await savedCard(ctx, RECORDING_CARDS.amex, AUTO_DEBIT_CONFIG.pg_code, false);
  const attempt: SavedCardAttempt = {
    method: 'token',
    pgCode: AUTO_DEBIT_CONFIG.pg_code,
    token: card.stored.card.token,
    merchantInitiated: true,
  };
  const id = await checkoutRun(
    ctx,
    { savedCard: card.stored, charges: [charged('succeeded', card.token)] },
    async (handle) => {
      const outcome = await handle.executeUpdate(submitPaymentUpdate, { args: [attempt] });
      expect(outcome.result === 'success', 'the auto-debit was not paid');
    },
    {
      paymentType: 'auto_debit',
      agreementId: 'agreement-replay-1',
      gateways: [AUTO_DEBIT_CONFIG],
      webhookUrl: WEBHOOK_URL,
    },
    'paid',
  );
  return {
    'checkout-auto-debit-one-step': id,
    'token-charge-auto-debit': tokenChargeWorkflowId(id.slice('checkout-'.length), 1),
  };
};

/** An operation as the API sends it (src/api/operations.ts), then the run's quiet minute. */
function operation(
  name: PathName,
  payment: Pick<PaymentForOperations, 'state' | 'capturedAmount' | 'refundedAmount'>,
  request: OperationRequest,
  expectedState: string,
): Scenario {
  return async (ctx) => {
    const sessionId = randomBytes(20).toString('hex');
    const fake = fakeActivities({});
    fake.activities.loadPaymentForOperations = async () => ({
      sessionId,
      merchantId: MERCHANT,
      revision: 0,
      amount: '20.230',
      currencyCode: 'KWD',
      chargeId: `ch_${randomBytes(6).toString('hex')}`,
      operations: [],
      webhookUrl: WEBHOOK_URL,
      ...payment,
    });
    fake.activities.gatewayOperation = async () => ({
      gatewayReference: `gw_${randomBytes(6).toString('hex')}`,
    });
    const id = await ctx.withWorker(fake.activities, async (taskQueue) => {
      const handle = await ctx.env.client.workflow.start(PaymentOperationsWorkflow, {
        workflowId: operationsWorkflowId(sessionId),
        taskQueue,
        args: [{ sessionId }],
        typedSearchAttributes: [
          ...paymentRunSearchAttributes({ sessionId, merchantId: MERCHANT }),
          { key: PaymentStateAttr, value: payment.state },
        ],
      });
      const outcome = await handle.executeUpdate(paymentOperationUpdate, {
        args: [request],
        ...(request.requestKey ? { updateId: `op-${request.requestKey}` } : {}),
      });
      expect(outcome.state === expectedState, `${request.operation} left ${outcome.state}`);
      await handle.result();
      await webhooksDone(ctx, handle.workflowId);
      return handle.workflowId;
    });
    return { [name]: id };
  };
}

/** A notification as a payment workflow starts it (src/workflows/notify.ts). */
function webhook(name: PathName, failures: number, expected: string): Scenario {
  return async (ctx) => {
    let tries = 0;
    const fake = fakeActivities({
      deliver: async () => {
        if (tries++ < failures) throw new Error('503 Service Unavailable from the merchant endpoint');
      },
    });
    const sessionId = randomBytes(20).toString('hex');
    const eventId = paymentEventId(sessionId, 'paid');
    const id = await ctx.withWorker(fake.activities, async (taskQueue) => {
      const handle = await ctx.env.client.workflow.start(WebhookDeliveryWorkflow, {
        workflowId: webhookWorkflowId(eventId),
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        taskQueue,
        args: [
          {
            eventId,
            sessionId,
            merchantId: MERCHANT,
            url: WEBHOOK_URL,
            timestampUtc: new Date(await ctx.env.currentTimeMs()).toISOString(),
            kind: 'payment',
            state: 'paid',
            result: 'success',
            amount: '20.230',
            referenceNumber: `TP${randomBytes(5).toString('hex').toUpperCase()}`,
          },
        ],
        typedSearchAttributes: paymentRunSearchAttributes({ sessionId, merchantId: MERCHANT }),
      });
      const result = await handle.result();
      expect(result === expected, `webhook ended ${result}`);
      return handle.workflowId;
    });
    return { [name]: id };
  };
}

const reconciliation: Scenario = async (ctx) => {
  const activities: Partial<MaintenanceActivities> = {
    reconcilePayments: async () => ({
      checked: 3,
      restarted: [randomBytes(20).toString('hex')],
      flagged: [
        { sessionId: randomBytes(20).toString('hex'), reason: 'paid at the gateway, open in the record' },
      ],
      unconfirmedChecked: 1,
    }),
  };
  const id = await ctx.withWorker(activities, async (taskQueue) => {
    const handle = await ctx.env.client.workflow.start(ReconciliationWorkflow, {
      workflowId: `tokenpay-reconciliation-replay-${randomBytes(4).toString('hex')}`,
      taskQueue,
    });
    const summary = await handle.result();
    expect(summary.flagged.length === 1, 'nothing flagged');
    return handle.workflowId;
  });
  return { reconciliation: id };
};

const retention: Scenario = async (ctx) => {
  const activities: Partial<MaintenanceActivities> = {
    purgeExpired: async () => ({ idempotencyKeys: 42, webhookDeliveries: 7, gatewayEvents: 3 }),
  };
  const id = await ctx.withWorker(activities, async (taskQueue) => {
    const handle = await ctx.env.client.workflow.start(RetentionWorkflow, {
      workflowId: `tokenpay-retention-replay-${randomBytes(4).toString('hex')}`,
      taskQueue,
    });
    await handle.result();
    return handle.workflowId;
  });
  return { retention: id };
};

/** Every scenario, each with the paths it records: together they cover REQUIRED_PATHS. */
export const SCENARIOS: ReadonlyArray<{ paths: PathName[]; run: Scenario }> = [
  { paths: ['checkout-new-card-paid'], run: checkoutNewCardPaid },
  { paths: ['checkout-saved-card-cvv-paid', 'token-charge-saved-card-cvv'], run: checkoutSavedCardCvvPaid },
  { paths: ['checkout-3ds-approved'], run: checkout3dsApproved },
  { paths: ['checkout-3ds-rejected'], run: checkout3dsRejected },
  { paths: ['checkout-3ds-abandoned-expiry'], run: checkout3dsAbandoned },
  { paths: ['checkout-decline-then-paid'], run: checkoutDeclineThenPaid },
  { paths: ['checkout-attempts-exhausted'], run: checkoutAttemptsExhausted },
  { paths: ['checkout-canceled'], run: checkoutCanceled },
  { paths: ['checkout-expired'], run: checkoutExpired },
  { paths: ['checkout-auto-debit-one-step', 'token-charge-auto-debit'], run: checkoutAutoDebit },
  {
    paths: ['operations-refund'],
    run: operation(
      'operations-refund',
      { state: 'paid', capturedAmount: '20.230', refundedAmount: '0.000' },
      { operation: 'refund', amount: '5.000', requestKey: 'refund-replay-1' },
      'paid', // a partial refund leaves the payment paid
    ),
  },
  {
    paths: ['operations-capture'],
    run: operation(
      'operations-capture',
      { state: 'authorized', capturedAmount: '0.000', refundedAmount: '0.000' },
      { operation: 'capture', requestKey: 'capture-replay-1' },
      'paid',
    ),
  },
  {
    paths: ['operations-void'],
    run: operation(
      'operations-void',
      { state: 'authorized', capturedAmount: '0.000', refundedAmount: '0.000' },
      { operation: 'void', requestKey: 'void-replay-1' },
      'voided',
    ),
  },
  { paths: ['webhook-retried-delivered'], run: webhook('webhook-retried-delivered', 2, 'delivered') },
  { paths: ['webhook-gave-up'], run: webhook('webhook-gave-up', Number.MAX_SAFE_INTEGER, 'gave_up') },
  { paths: ['reconciliation'], run: reconciliation },
  { paths: ['retention'], run: retention },
];
