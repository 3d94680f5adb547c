/**
 * One payment attempt of a checkout session: refused, or charged (a new card directly, a saved
 * card through a child TokenChargeWorkflow) under a gateway idempotency key derived from the
 * persisted attempt number, then settled with the gateway's answer.
 */
import { ActivityFailure, ApplicationFailure, executeChild, uuid4 } from '@temporalio/workflow';

import type { ChargeResult } from '../../activities/types';
import { ActivityFailureType } from '../../domain/activity-failures';
import { attemptRefusal, pendingAttempt, referenceNumber, shouldStoreCard } from '../../domain/checkout';
import { gatewayActivities } from '../proxies';
import { tokenChargeWorkflowId, type AttemptOutcome, type SubmitAttempt } from '../definitions';
import { workflowNowIso } from '../notify';
import { assertNoRefusal, refuse } from '../refusals';
import { paymentSearchAttributes } from '../search-attributes';
import { TokenChargeWorkflow } from '../token-charge';
import { startChallenge } from './challenge';
import type { CheckoutSession } from './session';
import { settle, type Charged } from './settle';

export function assertCanAttempt(session: CheckoutSession, attempt: SubmitAttempt): void {
  assertNoRefusal(attemptRefusal(session.attemptContext(), attempt, Date.now()));
}

/** The submitPayment update: the outcome of this attempt, or of its 3-D Secure challenge so far. */
export async function submit(session: CheckoutSession, attempt: SubmitAttempt): Promise<AttemptOutcome> {
  // Checked again here: the validator and the handler may see different states when two updates
  // arrive in one workflow task (a double-clicked Pay).
  assertCanAttempt(session, attempt);
  session.attemptInFlight = true;
  try {
    const attemptNo = session.attempts.length + 1;
    const startedAt = workflowNowIso();
    // A refused saved card never reached the gateway: it is not an attempt.
    const charged = await charge(session, attempt, `${session.input.sessionId}:attempt:${attemptNo}`);
    const index =
      session.attempts.push(
        pendingAttempt({
          referenceNumber: referenceNumber(uuid4()),
          pgCode: attempt.pgCode,
          method: attempt.method,
          createdAt: startedAt,
        }),
      ) - 1;
    if (charged.charge.status === 'requires_action' && charged.charge.nextActionUrl) {
      return await startChallenge(session, index, attempt, charged);
    }
    return await settle(session, index, attempt, charged);
  } finally {
    session.attemptInFlight = false;
  }
}

/** Sends the attempt to the gateway: directly for a new card, through the child for a saved one. */
async function charge(
  session: CheckoutSession,
  attempt: SubmitAttempt,
  idempotencyKey: string,
): Promise<Charged> {
  const { input } = session;
  const config = session.config(attempt.pgCode)!;
  if (attempt.method === 'card') {
    const charged = await gatewayActivities
      .chargeGateway({
        idempotencyKey,
        pgCode: attempt.pgCode,
        amount: input.amount,
        currency: input.currencyCode,
        capture: config.operation === 'purchase',
        gatewayToken: attempt.gatewayToken,
        storeCard: shouldStoreCard({
          paymentType: input.paymentType,
          saveCardRequested: attempt.saveCard,
          ...(input.customerId ? { customerId: input.customerId } : {}),
          config,
        }),
        returnUrl: input.returnUrl,
        threeDs: config.three_ds === 'never' ? 'never' : 'if_required',
      })
      .catch(asDecline);
    return { charge: charged };
  }
  session.tokenCharges += 1;
  const result = await executeChild(TokenChargeWorkflow, {
    workflowId: tokenChargeWorkflowId(input.sessionId, session.tokenCharges),
    args: [
      {
        sessionId: input.sessionId,
        merchantId: input.merchantId,
        customerId: input.customerId!,
        paymentType: input.paymentType,
        token: attempt.token,
        pgCode: attempt.pgCode,
        ...(attempt.cvcToken ? { cvcToken: attempt.cvcToken } : {}),
        merchantInitiated: attempt.merchantInitiated,
        amount: input.amount,
        currencyCode: input.currencyCode,
        config,
        returnUrl: input.returnUrl,
        idempotencyKey,
      },
    ],
    typedSearchAttributes: paymentSearchAttributes(input, 'pending'),
  });
  if (result.kind === 'rejected') throw refuse(result.refusal);
  return { charge: result.charge, savedCard: result.card };
}

/**
 * The gateway refused the request itself (e.g. the single-use card token expired while the
 * customer waited): the attempt failed, nothing was charged.
 */
function asDecline(error: unknown): ChargeResult {
  if (
    error instanceof ActivityFailure &&
    error.cause instanceof ApplicationFailure &&
    error.cause.type === ActivityFailureType.GatewayRejected
  ) {
    const [details] = error.cause.details as [{ code?: string }?];
    return {
      chargeId: '',
      status: 'declined',
      declineCode: details?.code ?? 'processing_error',
      card: { brand: 'unknown', bin: '', last4: '', exp_month: '', exp_year: '' },
    };
  }
  throw error;
}
