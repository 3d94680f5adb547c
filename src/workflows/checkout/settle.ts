/**
 * Settling an attempt with the gateway's final answer (approved or declined): the attempt's
 * result, the card bookkeeping the answer calls for, and the session's next state.
 */
import type { ChargeResult } from '../../activities/types';
import { isApproved } from '../../domain/charge';
import { settleAttempt, shouldStoreCard } from '../../domain/checkout';
import type { SavedCard } from '../../domain/payment';
import { storeActivities } from '../proxies';
import type { AttemptOutcome, SubmitAttempt } from '../definitions';
import type { CheckoutSession } from './session';

/** A gateway answer for one attempt, with the saved card it concerned. */
export interface Charged {
  charge: ChargeResult;
  savedCard?: SavedCard;
}

/** Applies a final gateway answer (approved or declined) to attempt `index` and to the session. */
export async function settle(
  session: CheckoutSession,
  index: number,
  attempt: SubmitAttempt,
  { charge: answer, savedCard }: Charged,
): Promise<AttemptOutcome> {
  const config = session.config(attempt.pgCode)!;
  const { attempt: settled, next } = settleAttempt(session.attempts[index]!, answer, {
    attemptsMade: session.attempts.length,
    maxAttempts: config.max_attempts,
  });
  session.attempts[index] = settled;
  if (isApproved(answer.status)) {
    session.chargeId = answer.chargeId;
    session.paidWith = attempt.pgCode;
  }
  await keepCard(session, attempt, answer, savedCard);
  await session.moveTo(next);
  return session.outcomeOf(session.attempts[index]!);
}

/** The card bookkeeping an answer calls for: save a new card, mark or count a saved one, unlock. */
async function keepCard(
  session: CheckoutSession,
  attempt: SubmitAttempt,
  answer: ChargeResult,
  savedCard: SavedCard | undefined,
): Promise<void> {
  const { input } = session;
  const approved = isApproved(answer.status);
  if (attempt.method === 'token' && savedCard) {
    if (approved) session.token = savedCard;
    if (approved || (answer.declineCode === 'incorrect_cvc' && !attempt.merchantInitiated)) {
      await storeActivities.recordSavedCardOutcome({
        token: attempt.token,
        outcome: approved ? 'success' : 'incorrect_cvc',
        ...(input.agreementId ? { agreementId: input.agreementId } : {}),
      });
    }
    return;
  }
  if (attempt.method !== 'card' || !approved || !input.customerId) return;
  const config = session.config(attempt.pgCode)!;
  const store = shouldStoreCard({
    paymentType: input.paymentType,
    saveCardRequested: attempt.saveCard,
    customerId: input.customerId,
    config,
  });
  if (answer.sourceToken && store) {
    session.token = await storeActivities.tokenizeCard({
      merchantId: input.merchantId,
      customerId: input.customerId,
      pgCode: attempt.pgCode,
      sourceToken: answer.sourceToken,
      card: attempt.card,
      fingerprint: attempt.fingerprint,
      ...(input.agreementId ? { agreementId: input.agreementId } : {}),
    });
  } else {
    // Paying with the full card lifts a CVC lock on saved copies of it.
    await storeActivities.unlockSavedCards({
      merchantId: input.merchantId,
      customerId: input.customerId,
      fingerprint: attempt.fingerprint,
    });
  }
}
