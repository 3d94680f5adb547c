/**
 * Sending a payment attempt to its CheckoutWorkflow and turning the workflow's refusals into the
 * contract's HTTP errors. Shared by the customer's submit and merchant-initiated charges.
 */
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';

import { statusMessage } from '../domain/decline-messages';
import type { Language } from '../domain/language';
import type { PaymentRecord } from '../domain/payment';
import { refusal } from '../domain/refusals';
import {
  checkoutWorkflowId,
  submitPaymentUpdate,
  type AttemptOutcome,
  type SubmitAttempt,
} from '../workflows/definitions';
import { httpErrorOf, refusalOf } from './refusals';

/** How long a request waits for its attempt before answering "pending". */
export const ATTEMPT_WAIT_MS = 25_000;

export function checkoutHandle(temporal: Client, sessionId: string): WorkflowHandle {
  return temporal.workflow.getHandle(checkoutWorkflowId(sessionId));
}

export async function submitAttempt(
  handle: WorkflowHandle,
  attempt: SubmitAttempt,
  updateId: string,
  language: Language = 'en',
): Promise<AttemptOutcome> {
  try {
    const outcome = await withTimeout(
      handle.executeUpdate(submitPaymentUpdate, { args: [attempt], updateId }),
      ATTEMPT_WAIT_MS,
    );
    return (
      outcome ?? {
        result: 'pending',
        state: 'pending',
        message: statusMessage('pending'),
        reference_number: '',
      }
    );
  } catch (error) {
    const refused = refusalOf(error);
    if (refused) throw httpErrorOf(refused, language);
    // the run closed (finished, or an operator canceled it) before the attempt could be taken
    if (error instanceof WorkflowNotFoundError || isCanceledRun(error)) {
      throw httpErrorOf(refusal('session_closed'), language);
    }
    throw error;
  }
}

function isCanceledRun(error: unknown): boolean {
  return error instanceof WorkflowUpdateFailedError && error.cause instanceof CancelledFailure;
}

export function redirectUrl(record: PaymentRecord, referenceNumber: string): string {
  const url = new URL(record.redirect_url!);
  url.searchParams.set('session_id', record._id);
  if (record.order_no) url.searchParams.set('order_no', record.order_no);
  url.searchParams.set('reference_number', referenceNumber);
  return url.toString();
}

/** Resolves undefined when `ms` pass first; the work itself goes on. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
