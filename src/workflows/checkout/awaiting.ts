/**
 * Charges whose outcome the gateway has not given yet: a 3-D Secure challenge, or an answer lost
 * in transit. The gateway's word decides, never a guess, and the engine does not depend on the
 * customer's browser to hear it: the gateway's notification, the customer's return and the
 * workflow's own checks on a backoff schedule all end in `checkAwaited`, whichever comes first.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

import type { ChargeResult } from '../../activities/types';
import { ActivityFailureType } from '../../domain/activity-failures';
import {
  abandonedAttempt,
  challengedAttempt,
  unconfirmedAttempt,
  CHALLENGE_TIME_LIMIT_MS,
  gatewayCheckDelayMs,
  MIN_GATEWAY_CHECK_INTERVAL_MS,
} from '../../domain/checkout';
import { refusal } from '../../domain/refusals';
import { isPayable } from '../../domain/states';
import type { AttemptOutcome, AttemptRef, GatewayNotice } from '../definitions';
import { declinedBeforeCharge } from '../gateway-answers';
import { gatewayActivities } from '../proxies';
import { refuse } from '../refusals';
import type { AwaitedCharge, CheckoutSession } from './session';
import { settle, type Charged } from './settle';

/** The gateway asked the customer to authenticate: the attempt waits, the customer is redirected. */
export async function startChallenge(
  session: CheckoutSession,
  index: number,
  attempt: AttemptRef,
  { charge, savedCard }: Charged,
  idempotencyKey: string,
): Promise<AttemptOutcome> {
  const url = charge.nextActionUrl!;
  session.awaiting = {
    kind: 'challenge',
    chargeId: charge.chargeId,
    idempotencyKey,
    attempt,
    index,
    url,
    openedAt: Date.now(),
    checks: 0,
    ...(savedCard ? { savedCard } : {}),
  };
  session.attempts[index] = challengedAttempt(session.attempts[index]!, charge.chargeId);
  await session.persist();
  return { ...session.outcomeOf(session.attempts[index]!), next_action: { type: 'redirect_to_url', url } };
}

/**
 * The gateway's answer to a charge was lost (it did not answer within the activity's bounds):
 * nothing is guessed. The attempt stays pending and the gateway is asked by idempotency key until
 * it says what it did; meanwhile no other attempt may charge.
 */
export async function awaitLostAnswer(
  session: CheckoutSession,
  index: number,
  attempt: AttemptRef,
  idempotencyKey: string,
  savedCard?: Charged['savedCard'],
): Promise<AttemptOutcome> {
  session.awaiting = {
    kind: 'unknown',
    idempotencyKey,
    attempt,
    index,
    openedAt: Date.now(),
    checks: 0,
    ...(savedCard ? { savedCard } : {}),
  };
  await session.persist();
  return session.outcomeOf(session.attempts[index]!);
}

/** When the main loop asks the gateway next (and gives up on a challenge), in workflow time. */
export function nextCheckAt(awaited: AwaitedCharge): number {
  return (awaited.lastCheckAt ?? awaited.openedAt) + gatewayCheckDelayMs(awaited.checks);
}

export function challengeDeadline(awaited: AwaitedCharge): number {
  return awaited.kind === 'challenge' ? awaited.openedAt + CHALLENGE_TIME_LIMIT_MS : Number.POSITIVE_INFINITY;
}

/**
 * Asks the gateway once about the awaited charge and settles it when the gateway has decided.
 * Resolves with the settled attempt's outcome, or undefined while the gateway has not decided (or
 * could not be asked: the next check will).
 */
export async function checkAwaited(session: CheckoutSession): Promise<AttemptOutcome | undefined> {
  const awaited = session.awaiting;
  if (!awaited) return undefined;
  session.checking = true;
  session.checkRequested = false;
  let answer: ChargeResult | null | undefined;
  try {
    answer = await askGateway(awaited);
  } finally {
    awaited.checks += 1;
    awaited.lastCheckAt = Date.now();
    session.checking = false;
  }
  if (session.awaiting !== awaited) return session.outcomeOf(session.attempts[awaited.index]!); // settled meanwhile
  if (answer === undefined) return undefined; // not asked
  if (answer === null) {
    // No charge under the attempt's key: the request never reached the gateway. Nothing moved.
    return settleAwaited(session, awaited, declinedBeforeCharge('processing_error'));
  }
  if (answer.status === 'requires_action') {
    if (awaited.kind === 'unknown') {
      // the lost answer was a challenge: wait for it like any other (the customer can still be
      // sent there from the checkout page)
      awaited.kind = 'challenge';
      awaited.chargeId = answer.chargeId;
      if (answer.nextActionUrl) awaited.url = answer.nextActionUrl;
      session.attempts[awaited.index] = challengedAttempt(session.attempts[awaited.index]!, answer.chargeId);
      await session.persist();
    }
    return undefined;
  }
  return settleAwaited(session, awaited, answer);
}

/** undefined: the gateway could not be asked; null: it has no charge under the attempt's key. */
async function askGateway(awaited: AwaitedCharge): Promise<ChargeResult | null | undefined> {
  try {
    if (awaited.chargeId) return await gatewayActivities.getCharge(awaited.chargeId);
    return await gatewayActivities.lookupCharge(awaited.idempotencyKey);
  } catch (error) {
    if (
      error instanceof ActivityFailure &&
      error.cause instanceof ApplicationFailure &&
      error.cause.type === ActivityFailureType.ChargeNotFound
    ) {
      return null;
    }
    if (error instanceof ActivityFailure) return undefined; // the gateway is away: ask again later
    throw error;
  }
}

async function settleAwaited(
  session: CheckoutSession,
  awaited: AwaitedCharge,
  answer: ChargeResult,
): Promise<AttemptOutcome> {
  session.awaiting = undefined;
  return settle(
    session,
    awaited.index,
    awaited.attempt,
    {
      charge: { ...answer, chargeId: answer.chargeId || awaited.chargeId || '' },
      ...(awaited.savedCard ? { savedCard: awaited.savedCard } : {}),
    },
    awaited.idempotencyKey,
  );
}

/**
 * Ends a challenge nobody completed (its time limit passed, the session expires or closes, or a
 * new attempt supersedes it): the authentication is voided at the gateway so that a late approval
 * can never move money, then the gateway is asked once more — an approval that came first is a
 * payment, not a loss. What is still undecided failed. Resolves true when the challenge ended in a
 * payment.
 */
export async function abandonChallenge(session: CheckoutSession): Promise<boolean> {
  const awaited = session.awaiting;
  if (!awaited || awaited.kind !== 'challenge' || !awaited.chargeId) return false;
  await gatewayActivities
    .gatewayOperation({
      kind: 'void',
      chargeId: awaited.chargeId,
      currency: session.input.currencyCode,
      idempotencyKey: `${session.input.sessionId}:abandon:${awaited.index + 1}`,
    })
    .catch(() => undefined); // answered or not, the check below decides
  const outcome = await checkAwaited(session);
  if (outcome) return outcome.result === 'success';
  if (session.awaiting === awaited) {
    session.awaiting = undefined;
    session.attempts[awaited.index] = abandonedAttempt(session.attempts[awaited.index]!);
    const config = session.config(awaited.attempt.pgCode)!;
    if (isPayable(session.state)) {
      await session.moveTo(session.attempts.length >= config.max_attempts ? 'failed' : 'attempted');
    } else {
      await session.persist();
    }
  }
  return false;
}

/**
 * The session is ending (expiry, an operator's cancel) with a charge still undecided: a challenge
 * is abandoned; a lost answer gets one last look by key, and if the gateway still says nothing,
 * the attempt is recorded as unconfirmed and the payment flagged for reconciliation and operators.
 */
export async function giveUpWaiting(session: CheckoutSession): Promise<void> {
  const awaited = session.awaiting;
  if (!awaited) return;
  if (awaited.kind === 'unknown') await checkAwaited(session);
  if (session.awaiting?.kind === 'challenge') {
    await abandonChallenge(session);
    return;
  }
  if (session.awaiting === awaited) {
    session.awaiting = undefined;
    session.attempts[awaited.index] = unconfirmedAttempt(session.attempts[awaited.index]!);
    session.needsAttention(`the gateway never answered ${awaited.idempotencyKey}`);
    await session.persist();
  }
}

/**
 * The resolveChallenge update: the customer came back from the challenge page. It waits for a
 * check already running (the gateway's notice may have started one) rather than refuse, so the
 * page it answers shows the settled outcome.
 */
export async function customerReturned(session: CheckoutSession): Promise<AttemptOutcome> {
  const waitingFor = session.awaiting?.index;
  return session.exclusive(async () => {
    const outcome = await checkAwaited(session);
    if (outcome) return outcome;
    const awaited = session.awaiting;
    const index = awaited?.index ?? waitingFor;
    const current = index === undefined ? undefined : session.attempts[index];
    if (awaited?.kind === 'challenge' && current && awaited.url) {
      return { ...session.outcomeOf(current), next_action: { type: 'redirect_to_url', url: awaited.url } };
    }
    if (current) return session.outcomeOf(current);
    throw refuse(refusal('no_challenge'));
  });
}

/**
 * A check is worth its history only when something waits for it and no check ran a moment ago:
 * reloading the checkout page a hundred times asks the gateway a handful of times at most (the
 * API lets one return per session through at a time). A check running or asked for is joined.
 */
export function assertWorthChecking(session: CheckoutSession): void {
  const awaited = session.awaiting;
  if (!awaited) throw refuse(refusal('no_challenge'));
  const recent =
    awaited.lastCheckAt !== undefined && Date.now() - awaited.lastCheckAt < MIN_GATEWAY_CHECK_INTERVAL_MS;
  if (recent && !session.checking && !session.checkRequested) throw refuse(refusal('no_challenge'));
}

/** The gatewayNotice update's validator: only a notice about the charge being waited for. */
export function assertNoticeAwaited(session: CheckoutSession, notice: GatewayNotice): void {
  const awaited = session.awaiting;
  if (!awaited || (awaited.chargeId !== undefined && awaited.chargeId !== notice.chargeId)) {
    throw refuse(refusal('no_challenge'));
  }
  if (session.checking || session.checkRequested) throw refuse(refusal('no_challenge'));
}

/** The gatewayNotice update: the main loop checks at once instead of at its next scheduled time. */
export function gatewayNoticed(session: CheckoutSession): void {
  session.checkRequested = true;
}
