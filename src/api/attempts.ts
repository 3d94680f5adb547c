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
import { ApplicationFailure } from '@temporalio/common';

import { statusMessage } from '../domain/decline-messages';
import type { PaymentRecord } from '../domain/payment';
import {
  checkoutWorkflowId,
  submitPaymentUpdate,
  type AttemptOutcome,
  type SubmitAttempt,
} from '../workflows/definitions';
import { detail, fieldErrors, notFound, type HttpError } from './errors';

/** How long a request waits for its attempt before answering "pending". */
export const ATTEMPT_WAIT_MS = 25_000;

const FAILURES: Record<string, (message: string) => HttpError> = {
  NotPayable: (m) => detail(409, m),
  AttemptInProgress: (m) => detail(409, m),
  NoChallenge: (m) => detail(409, m),
  AttemptsExhausted: (m) => detail(429, m),
  UnknownGateway: (m) => fieldErrors({ pg_code: [m] }),
  TokenNotFound: (m) => notFound(m),
  TokenLocked: (m) => detail(423, m),
  TokenNotUsable: (m) => fieldErrors({ token: [m] }),
  CvvRequired: (m) => fieldErrors({ cvv: [m] }),
  AutoDebitDisabled: (m) => detail(422, m),
};

export function checkoutHandle(temporal: Client, sessionId: string): WorkflowHandle {
  return temporal.workflow.getHandle(checkoutWorkflowId(sessionId));
}

export async function submitAttempt(
  handle: WorkflowHandle,
  attempt: SubmitAttempt,
  updateId: string,
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
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
      const toHttp = FAILURES[error.cause.type ?? ''];
      if (toHttp) throw toHttp(error.cause.message);
    }
    if (error instanceof WorkflowNotFoundError) throw detail(409, 'This payment is closed.');
    throw error;
  }
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
