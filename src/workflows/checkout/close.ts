/** The merchant's cancel / expire of an open session (CONTRACT §1.6). */
import { uuid4 } from '@temporalio/workflow';

import { closedState, closeRefusal, isClosingOperation, referenceNumber } from '../../domain/checkout';
import type { OperationOutcome, OperationRequest } from '../definitions';
import { workflowNowIso } from '../notify';
import { assertNoRefusal } from '../refusals';
import { abandonChallenge } from './awaiting';
import type { CheckoutSession } from './session';

export function assertCanClose(session: CheckoutSession, request: OperationRequest): void {
  assertNoRefusal(closeRefusal(request.operation, session.state, session.busy));
}

/** The closeSession update. */
export async function closeSession(
  session: CheckoutSession,
  request: OperationRequest,
): Promise<OperationOutcome> {
  assertCanClose(session, request);
  return session.exclusive(async () => {
    // A challenge left open is voided first; if it was approved before that, the session is paid
    // and the close is refused like any close of a paid payment.
    if (session.awaiting?.kind === 'challenge') await abandonChallenge(session);
    assertCanClose(session, request);
    const operation = request.operation;
    if (!isClosingOperation(operation)) throw new TypeError(`${operation} does not close a session`); // unreachable
    session.closedBy = {
      operation,
      result: 'success',
      message: `${operation} succeeded.`,
      reference_number: referenceNumber(uuid4()),
      created_at: workflowNowIso(),
      ...(request.requestKey ? { request_key: request.requestKey } : {}),
    };
    await session.moveTo(closedState(operation));
    return {
      operation,
      result: 'success',
      state: session.state,
      message: session.closedBy.message,
      reference_number: session.closedBy.reference_number,
    };
  });
}
