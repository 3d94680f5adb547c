/**
 * CheckoutWorkflow: one per payment session (`checkout-{session_id}`), the single writer of the
 * payment's state. It waits for the customer's attempts (attempt.ts), lets 3-D Secure finish
 * (challenge.ts), takes the merchant's cancel / expire (close.ts) and closes the session on
 * success, on exhausted attempts or on expiry; then it notifies the merchant. The rules are the
 * domain's; this file only puts the steps in order.
 */
import { allHandlersFinished, condition, log, setHandler } from '@temporalio/workflow';

import { isClosed, resultOf, type PaymentState } from '../../domain/states';
import { operationEventId, paymentEventId } from '../../domain/webhook';
import {
  amendSessionUpdate,
  closeSessionUpdate,
  pageOpenedSignal,
  pageOpenedUpdate,
  resolveChallengeUpdate,
  statusQuery,
  submitPaymentUpdate,
  type CheckoutInput,
} from '../definitions';
import { notifyMerchant, workflowNowIso } from '../notify';
import { amendSession, assertCanAmend } from './amend';
import { assertCanAttempt, submit } from './attempt';
import { assertChallengePending, customerReturned, settleAbandonedChallenge } from './challenge';
import { assertCanClose, closeSession } from './close';
import { CheckoutSession } from './session';

export async function CheckoutWorkflow(input: CheckoutInput): Promise<PaymentState> {
  const session = new CheckoutSession(input);

  setHandler(statusQuery, () => session.status());
  const openPage = async (): Promise<void> => {
    if (session.state === 'created') await session.moveTo('pending');
  };
  setHandler(pageOpenedSignal, openPage);
  setHandler(pageOpenedUpdate, openPage);
  setHandler(submitPaymentUpdate, (attempt) => submit(session, attempt), {
    validator: (attempt) => assertCanAttempt(session, attempt),
  });
  setHandler(resolveChallengeUpdate, () => customerReturned(session), {
    validator: () => assertChallengePending(session),
  });
  setHandler(closeSessionUpdate, (request) => closeSession(session, request), {
    validator: (request) => assertCanClose(session, request),
  });
  setHandler(amendSessionUpdate, (amendment) => amendSession(session, amendment), {
    validator: (amendment) => assertCanAmend(session, amendment),
  });

  // Until the session closes or its expiration_time passes; an amended expiry re-arms the timer.
  // Without an amendment this is the one timer it always was, so older histories replay as before.
  for (;;) {
    const deadline = session.expiresAtMs;
    const woke = await condition(
      () => isClosed(session.state) || session.expiresAtMs !== deadline,
      Math.max(0, deadline - Date.now()),
    );
    if (!woke || isClosed(session.state)) break;
  }
  await condition(() => !session.attemptInFlight);
  await settleAbandonedChallenge(session);
  if (!isClosed(session.state)) {
    log.info('Payment session expired', { sessionId: input.sessionId });
    await session.moveTo('expired');
  }
  await condition(allHandlersFinished);
  await session.written();
  await notifyClosed(session);
  return session.state;
}

/** The merchant hears how the session ended (a cancel / expire as that operation's event). */
async function notifyClosed(session: CheckoutSession): Promise<void> {
  const { input, closedBy, state } = session;
  if (!input.webhookUrl) return;
  const last = session.attempts[session.attempts.length - 1];
  const reference = closedBy?.reference_number ?? last?.reference_number;
  await notifyMerchant({
    eventId: closedBy ? operationEventId(input.sessionId, 1) : paymentEventId(input.sessionId, state),
    sessionId: input.sessionId,
    merchantId: input.merchantId,
    url: input.webhookUrl,
    timestampUtc: workflowNowIso(),
    kind: closedBy ? 'operation' : 'payment',
    ...(closedBy ? { operation: closedBy.operation } : {}),
    state,
    result: resultOf(state),
    ...(reference ? { referenceNumber: reference } : {}),
  });
}
