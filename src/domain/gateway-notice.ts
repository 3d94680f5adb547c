/**
 * Whether a gateway notification about a charge can still matter to a payment, judged from the
 * payment's record alone (the workflow is the record's only writer): a closed payment, or an
 * attempt with this charge that the workflow has already settled, waits for no news of it. The
 * API then acknowledges the notification without troubling the workflow; anything else goes to
 * the workflow, whose validator has the last word.
 */
import type { PaymentRecord } from './payment';
import { isClosed } from './states';

export type MootNotice = 'payment_closed' | 'attempt_settled';

export function mootNotice(
  payment: Pick<PaymentRecord, 'state' | 'attempts'>,
  chargeId: string,
): MootNotice | undefined {
  if (isClosed(payment.state)) return 'payment_closed';
  const attempt = payment.attempts.find((a) => a.charge_id === chargeId);
  if (attempt && attempt.result !== 'pending') return 'attempt_settled';
  return undefined;
}
