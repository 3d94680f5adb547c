/**
 * CheckoutWorkflow: one per payment session (`checkout-{session_id}`), the single writer of the
 * payment's state while it is open. It takes the customer's attempts (attempt.ts), waits for what
 * the gateway has not decided yet (awaiting.ts: 3-D Secure, lost answers), takes the merchant's
 * cancel / expire (close.ts), closes the session on success, on exhausted attempts or on expiry,
 * and notifies the merchant. A Cancel sent by an operator through Temporal is cleaned up too
 * (operator-cancel.ts). The rules are the domain's; this file only puts the steps in order.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  log,
  setHandler,
} from '@temporalio/workflow';

import { refusal } from '../../domain/refusals';
import { isClosed, isPayable, type PaymentState } from '../../domain/states';
import {
  amendSessionUpdate,
  closeSessionUpdate,
  gatewayNoticeUpdate,
  pageOpenedSignal,
  pageOpenedUpdate,
  resolveChallengeUpdate,
  statusQuery,
  submitPaymentUpdate,
  type CheckoutInput,
} from '../definitions';
import { refuse } from '../refusals';
import { amendSession, assertCanAmend } from './amend';
import { assertCanAttempt, submit } from './attempt';
import {
  abandonChallenge,
  assertNoticeAwaited,
  assertWorthChecking,
  challengeDeadline,
  checkAwaited,
  customerReturned,
  gatewayNoticed,
  giveUpWaiting,
  nextCheckAt,
} from './awaiting';
import { assertCanClose, closeSession } from './close';
import { notifyClosed } from './notify-closed';
import { cancelledByOperator } from './operator-cancel';
import { CheckoutSession } from './session';

export async function CheckoutWorkflow(input: CheckoutInput): Promise<PaymentState> {
  const session = new CheckoutSession(input);

  setHandler(statusQuery, () => session.status());
  const openPage = async (): Promise<void> => {
    if (session.state === 'created') await session.moveTo('pending');
  };
  setHandler(pageOpenedSignal, openPage); // histories written before openPage was an update
  setHandler(pageOpenedUpdate, openPage, {
    // a page load after the first changes nothing: refused before it reaches history
    validator: () => {
      if (session.state !== 'created') throw refuse(refusal('no_change'));
    },
  });
  setHandler(submitPaymentUpdate, (attempt) => submit(session, attempt), {
    validator: (attempt) => assertCanAttempt(session, attempt),
  });
  setHandler(resolveChallengeUpdate, () => customerReturned(session), {
    validator: () => assertWorthChecking(session),
  });
  setHandler(gatewayNoticeUpdate, () => gatewayNoticed(session), {
    validator: (notice) => assertNoticeAwaited(session, notice),
  });
  setHandler(closeSessionUpdate, (request) => closeSession(session, request), {
    validator: (request) => assertCanClose(session, request),
  });
  setHandler(amendSessionUpdate, (amendment) => amendSession(session, amendment), {
    validator: (amendment) => assertCanAmend(session, amendment),
  });

  try {
    await untilClosed(session);
  } catch (error) {
    if (isCancellation(error)) {
      // An operator canceled the run (Temporal UI or CLI): clean up whatever it cut short, then
      // end as canceled. The record says what really happened to the money.
      await CancellationScope.nonCancellable(() => cancelledByOperator(session));
    }
    throw error;
  }
  await condition(allHandlersFinished);
  await session.backgroundDone();
  await session.written();
  await notifyClosed(session);
  return session.state;
}

/**
 * Waits until the session closes (paid, failed, canceled by the merchant) or expires, asking the
 * gateway about an undecided charge on a backoff schedule (sooner when its notification or the
 * customer asks), and giving up a challenge at its time limit.
 */
async function untilClosed(session: CheckoutSession): Promise<void> {
  while (!isClosed(session.state)) {
    const now = Date.now();
    const awaited = session.awaiting;
    if (now >= session.expiresAtMs && !session.attemptInFlight) break;
    if (awaited && !session.attemptInFlight) {
      if (now >= challengeDeadline(awaited)) {
        log.info('3-D Secure challenge timed out', { sessionId: session.input.sessionId });
        await session.exclusive(() => abandonChallenge(session));
        continue;
      }
      if (session.checkRequested || now >= nextCheckAt(awaited)) {
        await session.exclusive(() => checkAwaited(session));
        continue;
      }
    }
    const wakeAt = awaited
      ? Math.min(session.expiresAtMs, nextCheckAt(awaited), challengeDeadline(awaited))
      : session.expiresAtMs;
    const pokes = session.pokeCount;
    const inFlight = session.attemptInFlight;
    const expiresAt = session.expiresAtMs; // an amended expiry re-arms the wait
    await condition(
      () =>
        isClosed(session.state) ||
        session.checkRequested ||
        session.awaiting !== awaited ||
        session.attemptInFlight !== inFlight ||
        session.pokeCount !== pokes ||
        session.expiresAtMs !== expiresAt,
      Math.max(1, wakeAt - now),
    );
  }
  // Expired (or closed): let a running attempt finish, then settle what still waits.
  await condition(() => !session.attemptInFlight);
  await session.exclusive(async () => {
    if (session.awaiting) await giveUpWaiting(session);
    if (isPayable(session.state)) {
      log.info('Payment session expired', { sessionId: session.input.sessionId });
      await session.moveTo('expired');
    }
  });
}
