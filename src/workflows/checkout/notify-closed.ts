/** The merchant hears how the session ended (a cancel / expire as that operation's event). */
import { resultOf } from '../../domain/states';
import { operationEventId, paymentEventId } from '../../domain/webhook';
import { notifyMerchant, workflowNowIso } from '../notify';
import type { CheckoutSession } from './session';

export async function notifyClosed(session: CheckoutSession): Promise<void> {
  const { input, closedBy, state } = session;
  if (!input.webhookUrl) return;
  const last = session.attempts[session.attempts.length - 1];
  const reference = closedBy?.reference_number ?? last?.reference_number;
  await notifyMerchant({
    eventId: closedBy ? operationEventId(input.sessionId, 1) : paymentEventId(input.sessionId, state),
    sessionId: input.sessionId,
    merchantId: input.merchantId,
    url: input.webhookUrl,
    timestampUtc: workflowNowIso(),
    kind: closedBy ? 'operation' : 'payment',
    ...(closedBy ? { operation: closedBy.operation } : {}),
    state,
    result: resultOf(state),
    ...(reference ? { referenceNumber: reference } : {}),
  });
}
