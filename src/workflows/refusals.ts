/**
 * Refusals leave a workflow as non-retryable ApplicationFailures whose type is the refusal's
 * failure type and whose details carry the refusal itself, so the API maps it with the same table
 * (domain/refusals.ts) and never by matching a string.
 */
import { ApplicationFailure } from '@temporalio/workflow';

import { REFUSALS, refusalMessage, type Refusal } from '../domain/refusals';

export function refuse(r: Refusal): ApplicationFailure {
  return ApplicationFailure.create({
    message: refusalMessage(r),
    type: REFUSALS[r.code].failureType,
    details: [r],
    nonRetryable: true,
  });
}

/** Throws the refusal, if there is one (for update validators). */
export function assertNoRefusal(r: Refusal | undefined): void {
  if (r) throw refuse(r);
}

/** Is this error a refusal thrown by `refuse`? */
export function isRefusal(error: unknown): error is ApplicationFailure {
  return (
    error instanceof ApplicationFailure &&
    Object.values(REFUSALS).some((spec) => spec.failureType === error.type)
  );
}
