/**
 * Settling an attempt with the gateway's final answer (approved or declined): the attempt's
 * result and the session's next state are recorded first; the card bookkeeping the answer calls
 * for comes after, and a failing save is retried on its own, never holding the payment.
 */
import { ActivityFailure, log, sleep } from '@temporalio/workflow';

import type { ChargeResult } from '../../activities/types';
import { isApproved } from '../../domain/charge';
import { settleAttempt, shouldStoreCard } from '../../domain/checkout';
import type { SavedCard } from '../../domain/payment';
import type { AttemptOutcome, AttemptRef } from '../definitions';
import { storeActivities } from '../proxies';
import type { CheckoutSession } from './session';

/** A gateway answer for one attempt, with the saved card it concerned. */
export interface Charged {
  charge: ChargeResult;
  savedCard?: SavedCard;
}

/** How long a card save keeps being retried before an operator is asked to look. */
const SAVE_RETRY_FOR_MS = 24 * 3600_000;

/** Applies a final gateway answer (approved or declined) to attempt `index` and to the session. */
export async function settle(
  session: CheckoutSession,
  index: number,
  attempt: AttemptRef,
  { charge: answer, savedCard }: Charged,
  idempotencyKey: string,
): Promise<AttemptOutcome> {
  const config = session.config(attempt.pgCode)!;
  const { attempt: settled, next } = settleAttempt(session.attempts[index]!, answer, {
    attemptsMade: session.attempts.length,
    maxAttempts: config.max_attempts,
  });
  session.attempts[index] = settled;
  const approved = isApproved(answer.status);
  if (approved) {
    session.chargeId = answer.chargeId;
    session.paidWith = attempt.pgCode;
    if (attempt.method === 'token' && savedCard) session.token = savedCard;
  }
  await session.moveTo(next);
  await keepCard(session, attempt, answer, idempotencyKey);
  return session.outcomeOf(session.attempts[index]!);
}

/** The card bookkeeping an answer calls for: save a new card, mark or count a saved one, unlock. */
async function keepCard(
  session: CheckoutSession,
  attempt: AttemptRef,
  answer: ChargeResult,
  idempotencyKey: string,
): Promise<void> {
  const { input } = session;
  const approved = isApproved(answer.status);
  if (attempt.method === 'recovered') return; // what it was sent with is not known: nothing to save
  if (attempt.method === 'token') {
    if (approved || (answer.declineCode === 'incorrect_cvc' && !attempt.merchantInitiated)) {
      await soonOrLater(session, 'saved card outcome', () =>
        storeActivities.recordSavedCardOutcome({
          token: attempt.token,
          outcome: approved ? 'success' : 'incorrect_cvc',
          // one count per attempt, however often the write is retried
          attemptKey: idempotencyKey,
          ...(input.agreementId ? { agreementId: input.agreementId } : {}),
        }),
      );
    }
    return;
  }
  if (!approved || !input.customerId) return;
  const customerId = input.customerId;
  const store = shouldStoreCard({
    paymentType: input.paymentType,
    saveCardRequested: attempt.saveCard,
    customerId,
    config: session.config(attempt.pgCode)!,
  });
  if (answer.sourceToken && store) {
    const sourceToken = answer.sourceToken;
    await soonOrLater(session, 'card save', async () => {
      session.token = await storeActivities.tokenizeCard({
        merchantId: input.merchantId,
        customerId,
        pgCode: attempt.pgCode,
        sourceToken,
        card: attempt.card,
        fingerprint: attempt.fingerprint,
        ...(input.agreementId ? { agreementId: input.agreementId } : {}),
      });
      await session.persist();
    });
  } else {
    // Paying with the full card lifts a CVC lock on saved copies of it.
    await soonOrLater(session, 'card unlock', () =>
      storeActivities.unlockSavedCards({
        merchantId: input.merchantId,
        customerId,
        fingerprint: attempt.fingerprint,
      }),
    );
  }
}

/**
 * Tries `work` now (bounded by its activity's timeouts); if it fails, it is retried in the
 * background with durable timers and the answer goes out without waiting for it.
 */
async function soonOrLater(
  session: CheckoutSession,
  what: string,
  work: () => Promise<unknown>,
): Promise<void> {
  try {
    await work();
    return;
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    log.warn(`${what} failed; retrying in the background`, { sessionId: session.input.sessionId });
  }
  session.later(
    (async () => {
      const giveUpAt = Date.now() + SAVE_RETRY_FOR_MS;
      for (let wait = 5_000; Date.now() < giveUpAt; wait = Math.min(wait * 2, 600_000)) {
        await sleep(wait);
        try {
          await work();
          return;
        } catch (error) {
          if (!(error instanceof ActivityFailure)) throw error;
        }
      }
      session.needsAttention(`${what} kept failing for a day`);
    })(),
  );
}
