/**
 * What a charge activity's ending means for the payment. An answer is an answer (a decline
 * included); a request the gateway or the engine refused before anything was charged is a
 * decline; a charge the gateway never answered within the activity's bounds is *unknown* — never a
 * decline — and the workflow asks the gateway by idempotency key until it knows.
 */
import { ActivityFailure, ApplicationFailure, isCancellation } from '@temporalio/workflow';

import type { ChargeResult } from '../activities/types';
import { ActivityFailureType } from '../domain/activity-failures';
import type { SavedCard } from '../domain/payment';

export type ChargeOutcome =
  | { kind: 'answered'; charge: ChargeResult; savedCard?: SavedCard }
  | { kind: 'unknown'; savedCard?: SavedCard };

export async function chargeOutcome(call: () => Promise<ChargeResult>): Promise<ChargeOutcome> {
  try {
    return { kind: 'answered', charge: await call() };
  } catch (error) {
    if (!(error instanceof ActivityFailure) || isCancellation(error)) throw error; // a canceled run cleans up itself
    const cause = error.cause;
    if (cause instanceof ApplicationFailure && cause.nonRetryable) {
      // e.g. an expired single-use card token, or an amount the gateway cannot take
      const [details] = (cause.details ?? []) as [{ code?: string }?];
      const code = cause.type === ActivityFailureType.GatewayRejected ? details?.code : undefined;
      return { kind: 'answered', charge: declinedBeforeCharge(code ?? 'processing_error') };
    }
    return { kind: 'unknown' };
  }
}

/** A decline for a request refused before the gateway made any charge. */
export function declinedBeforeCharge(declineCode: string): ChargeResult {
  return {
    chargeId: '',
    status: 'declined',
    declineCode,
    card: { brand: 'unknown', bin: '', last4: '', exp_month: '', exp_year: '' },
  };
}
