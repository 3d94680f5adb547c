/**
 * The baseline: the smallest workflow of the same shape as a paid checkout with "save card".
 * A client starts it, sends one update, and the update handler runs three activities one after
 * the other (charge, tokenize, record: what CheckoutWorkflow runs for a new card that pays and
 * is saved) and answers; then the workflow completes. The activities do nothing. Compare
 * CheckoutWorkflow, which also keeps an expiry timer and upserts a search attribute.
 *
 * Compiled to dist-bench/bench/baseline-workflow.js; the baseline worker's `workflowsPath`.
 */
import {
  allHandlersFinished,
  condition,
  defineUpdate,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';

export interface BaselineActivities {
  charge(input: { idempotencyKey: string; amount: string }): Promise<{ chargeId: string; status: string }>;
  tokenize(input: { customerId: string; sourceToken: string }): Promise<{ token: string }>;
  record(sessionId: string, patch: { state: string }): Promise<void>;
}

export interface BaselineOutcome {
  result: 'success';
  state: 'paid';
  chargeId: string;
  token: string;
}

export const baselineSubmitUpdate = defineUpdate<BaselineOutcome, [{ gatewayToken: string }]>(
  'baselineSubmit',
);

const activities = proxyActivities<BaselineActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

export async function BaselineWorkflow(input: { sessionId: string; customerId: string }): Promise<string> {
  let state = 'created';
  setHandler(baselineSubmitUpdate, async (attempt): Promise<BaselineOutcome> => {
    const charge = await activities.charge({
      idempotencyKey: `${input.sessionId}:attempt:1`,
      amount: '20.230',
    });
    const { token } = await activities.tokenize({
      customerId: input.customerId,
      sourceToken: attempt.gatewayToken,
    });
    state = 'paid';
    await activities.record(input.sessionId, { state });
    return { result: 'success', state: 'paid', chargeId: charge.chargeId, token };
  });
  await condition(() => state === 'paid');
  await condition(allHandlersFinished);
  return state;
}
