/**
 * 3-D Secure inside a checkout session: an attempt the gateway challenged waits here until the
 * gateway says how it ended. The gateway's word decides, never a guess.
 */
import { abandonedAttempt, challengedAttempt } from '../../domain/checkout';
import { refusal } from '../../domain/refusals';
import { gatewayActivities } from '../proxies';
import type { AttemptOutcome, SubmitAttempt } from '../definitions';
import { refuse } from '../refusals';
import type { CheckoutSession } from './session';
import { settle, type Charged } from './settle';

/** The gateway asked the customer to authenticate: the attempt waits, the customer is redirected. */
export async function startChallenge(
  session: CheckoutSession,
  index: number,
  attempt: SubmitAttempt,
  { charge, savedCard }: Charged,
): Promise<AttemptOutcome> {
  const url = charge.nextActionUrl!;
  session.challenge = { chargeId: charge.chargeId, attempt, index, url, ...(savedCard ? { savedCard } : {}) };
  session.attempts[index] = challengedAttempt(session.attempts[index]!, charge.chargeId);
  await session.persist();
  return { ...session.outcomeOf(session.attempts[index]!), next_action: { type: 'redirect_to_url', url } };
}

/** Asks the gateway; settles the attempt when the challenge has ended, else resolves undefined. */
export async function resolveChallenge(session: CheckoutSession): Promise<AttemptOutcome | undefined> {
  const pending = session.challenge;
  if (!pending) return undefined;
  const result = await gatewayActivities.getCharge(pending.chargeId);
  if (session.challenge !== pending) return session.outcomeOf(session.attempts[pending.index]!); // settled meanwhile
  if (result.status === 'requires_action') return undefined;
  session.challenge = undefined;
  return settle(session, pending.index, pending.attempt, {
    charge: result,
    ...(pending.savedCard ? { savedCard: pending.savedCard } : {}),
  });
}

export function assertChallengePending(session: CheckoutSession): void {
  if (!session.challenge) throw refuse(refusal('no_challenge'));
}

/** The resolveChallenge update: the customer came back from the challenge page. */
export async function customerReturned(session: CheckoutSession): Promise<AttemptOutcome> {
  const outcome = await resolveChallenge(session);
  if (outcome) return outcome;
  const last = session.attempts[session.attempts.length - 1];
  if (session.challenge && last) {
    return {
      ...session.outcomeOf(last),
      next_action: { type: 'redirect_to_url', url: session.challenge.url },
    };
  }
  throw refuse(refusal('no_challenge'));
}

/**
 * The session ends with a challenge nobody completed: ask the gateway; if it has not decided,
 * cancel the authentication there so a late approval cannot move money, then ask again (an
 * approval in the meantime is a payment, not a loss). What is still undecided failed.
 */
export async function settleAbandonedChallenge(session: CheckoutSession): Promise<void> {
  if (!session.challenge) return;
  let outcome = await resolveChallenge(session);
  if (!outcome && session.challenge) {
    const pending = session.challenge;
    await gatewayActivities
      .gatewayOperation({
        kind: 'void',
        chargeId: pending.chargeId,
        currency: session.input.currencyCode,
        idempotencyKey: `${session.input.sessionId}:abandon:${pending.index + 1}`,
      })
      .catch(() => undefined);
    outcome = await resolveChallenge(session);
  }
  if (!outcome && session.challenge) {
    const { index } = session.challenge;
    session.attempts[index] = abandonedAttempt(session.attempts[index]!);
    session.challenge = undefined;
  }
}
