/**
 * An operator canceled the payment's run through Temporal (UI or CLI). Whatever the cancel cut
 * short is finished here, in a non-cancellable scope: a charge in flight is looked up by its key,
 * a pending challenge is voided, an authorization is voided, and a session still open is recorded
 * `canceled`; then the merchant is notified. A captured payment stays `paid` (money is returned by
 * a refund, not by a cancel).
 */
import { log, uuid4 } from '@temporalio/workflow';

import { referenceNumber } from '../../domain/checkout';
import { isPayable } from '../../domain/states';
import { workflowNowIso } from '../notify';
import { gatewayActivities } from '../proxies';
import { giveUpWaiting } from './awaiting';
import { notifyClosed } from './notify-closed';
import type { CheckoutSession } from './session';

/** The request key recorded on the cancel an operator made through Temporal. */
export const OPERATOR_CANCEL_KEY = 'temporal-cancel';

export async function cancelledByOperator(session: CheckoutSession): Promise<void> {
  log.warn('Payment run canceled by an operator: cleaning up', { sessionId: session.input.sessionId });
  const cut = session.charging;
  if (cut && !session.awaiting) {
    // the attempt's charge may or may not have happened: ask the gateway by its key
    session.charging = undefined;
    session.awaiting = {
      kind: 'unknown',
      idempotencyKey: cut.idempotencyKey,
      attempt: cut.attempt,
      index: cut.index,
      openedAt: Date.now(),
      checks: 0,
    };
  }
  await giveUpWaiting(session);
  if (session.state === 'authorized' && session.chargeId) {
    // an authorization the operator canceled is released, not left to lapse
    await gatewayActivities.gatewayOperation({
      kind: 'void',
      chargeId: session.chargeId,
      currency: session.input.currencyCode,
      idempotencyKey: `${session.input.sessionId}:operator-cancel`,
    });
    await session.moveTo('voided');
  }
  if (isPayable(session.state)) {
    session.closedBy = {
      operation: 'cancel',
      result: 'success',
      message: 'cancel succeeded.',
      reference_number: referenceNumber(uuid4()),
      created_at: workflowNowIso(),
      request_key: OPERATOR_CANCEL_KEY,
    };
    await session.moveTo('canceled');
  }
  await session.written();
  await notifyClosed(session);
}
