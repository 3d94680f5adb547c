/**
 * Refusals (domain/refusals.ts) as the contract's HTTP errors: one table decides the status and
 * the shape, whether the refusal was decided here or in a workflow (which throws it as an
 * ApplicationFailure carrying the refusal).
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';

import type { Language } from '../domain/language';
import { isRefusal, REFUSALS, refusalMessage, type Refusal } from '../domain/refusals';
import { addFieldError, type FieldErrors } from '../domain/schemas';
import { HttpError } from './errors';

export function httpErrorOf(r: Refusal, language: Language = 'en'): HttpError {
  const message = refusalMessage(r, language);
  const shape = REFUSALS[r.code].shape;
  switch (shape.kind) {
    case 'field':
      return new HttpError(400, addFieldError({} as FieldErrors, [...shape.path], message));
    case 'operation':
      return new HttpError(400, { detail: message, operation: r.params?.operation, result: 'failed' });
    case 'detail': {
      const extra = Object.fromEntries(
        (shape.bodyParams ?? []).filter((p) => r.params?.[p] !== undefined).map((p) => [p, r.params![p]]),
      );
      return new HttpError(shape.status, { detail: message, ...extra });
    }
  }
}

/** The refusal a workflow answered an update with, if that is what the error is. */
export function refusalOf(error: unknown): Refusal | undefined {
  if (!(error instanceof WorkflowUpdateFailedError) || !(error.cause instanceof ApplicationFailure)) {
    return undefined;
  }
  const [candidate] = error.cause.details ?? [];
  return isRefusal(candidate) && REFUSALS[candidate.code].failureType === error.cause.type
    ? candidate
    : undefined;
}

/** Throws the HTTP error of a refusal, when there is one. */
export function assertNoRefusal(r: Refusal | undefined, language: Language = 'en'): void {
  if (r) throw httpErrorOf(r, language);
}
