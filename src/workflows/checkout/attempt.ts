/**
 * One payment attempt of a checkout session: refused, or charged (a new card directly, a saved
 * card through a child TokenChargeWorkflow) under a gateway idempotency key derived from the
 * persisted attempt number, then settled with the gateway's answer — or, while the gateway has
 * not decided (3-D Secure, a lost answer), awaited.
 */
import { executeChild, uuid4 } from '@temporalio/workflow';

import { attemptRefusal, pendingAttempt, referenceNumber, shouldStoreCard } from '../../domain/checkout';
import { tokenChargeWorkflowId, type AttemptOutcome, type SubmitAttempt } from '../definitions';
import { chargeOutcome, type ChargeOutcome } from '../gateway-answers';
import { workflowNowIso } from '../notify';
import { gatewayActivities } from '../proxies';
import { assertNoRefusal, isRefusal, refuse } from '../refusals';
import { paymentSearchAttributes } from '../search-attributes';
import { TokenChargeWorkflow } from '../token-charge';
import { abandonChallenge, awaitLostAnswer, startChallenge } from './awaiting';
import type { CheckoutSession } from './session';
import { settle } from './settle';

export function assertCanAttempt(session: CheckoutSession, attempt: SubmitAttempt): void {
  assertNoRefusal(attemptRefusal(session.attemptContext(), attempt, Date.now()));
}

/** The submitPayment update: the outcome of this attempt, or of its 3-D Secure challenge so far. */
export async function submit(session: CheckoutSession, attempt: SubmitAttempt): Promise<AttemptOutcome> {
  // Checked again here: the validator and the handler may see different states when two updates
  // arrive in one workflow task (a double-clicked Pay). The claim is taken at once, so the second
  // click is refused rather than queued as a second attempt.
  assertCanAttempt(session, attempt);
  session.attemptClaimed = true;
  try {
    return await session.exclusive(async () => {
      if (session.awaiting?.kind === 'challenge') {
        // A challenge the customer left open is superseded: voided first, so that its late
        // approval can never move money (an approval that came first makes the session paid).
        await abandonChallenge(session);
      }
      assertNoRefusal(attemptRefusal({ ...session.attemptContext(), busy: false }, attempt, Date.now()));
      return await charge(session, attempt);
    });
  } finally {
    session.attemptClaimed = false;
  }
}

async function charge(session: CheckoutSession, attempt: SubmitAttempt): Promise<AttemptOutcome> {
  const idempotencyKey = `${session.input.sessionId}:attempt:${session.attempts.length + 1}`;
  const index =
    session.attempts.push(
      pendingAttempt({
        referenceNumber: referenceNumber(uuid4()),
        pgCode: attempt.pgCode,
        method: attempt.method,
        createdAt: workflowNowIso(),
      }),
    ) - 1;
  // Until the gateway answers, the charge is in flight; if the run is canceled meanwhile, the
  // clean-up asks the gateway about it by this key.
  session.charging = { idempotencyKey, index, attempt };
  let outcome: ChargeOutcome;
  try {
    outcome = await sendToGateway(session, attempt, idempotencyKey);
  } catch (error) {
    if (isRefusal(error)) {
      // A refused saved card never reached the gateway: it is not an attempt.
      session.attempts.pop();
      session.charging = undefined;
    }
    throw error;
  }
  session.charging = undefined;
  if (outcome.kind === 'unknown') {
    return awaitLostAnswer(session, index, attempt, idempotencyKey, outcome.savedCard);
  }
  const charged = { charge: outcome.charge, ...(outcome.savedCard ? { savedCard: outcome.savedCard } : {}) };
  if (outcome.charge.status === 'requires_action' && outcome.charge.nextActionUrl) {
    return startChallenge(session, index, attempt, charged, idempotencyKey);
  }
  return settle(session, index, attempt, charged, idempotencyKey);
}

/** Sends the attempt to the gateway: directly for a new card, through the child for a saved one. */
async function sendToGateway(
  session: CheckoutSession,
  attempt: SubmitAttempt,
  idempotencyKey: string,
): Promise<ChargeOutcome> {
  const { input } = session;
  const config = session.config(attempt.pgCode)!;
  if (attempt.method === 'card') {
    return chargeOutcome(() =>
      gatewayActivities.chargeGateway({
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
      }),
    );
  }
  session.tokenCharges += 1;
  const result = await executeChild(TokenChargeWorkflow, {
    workflowId: tokenChargeWorkflowId(input.sessionId, session.tokenCharges),
    // the charge's gateway key (from the attempt number), not the child's id, keeps it single
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
  if (result.kind === 'unknown') return { kind: 'unknown', savedCard: result.card };
  return { kind: 'answered', charge: result.charge, savedCard: result.card };
}
