/**
 * The merchant's update of an open session (PUT/PATCH /b/checkout/v1/pymt-txn/{session_id}/):
 * later attempts charge the new amount through the new gateways, and the expiry timer re-arms for
 * the new expiry (workflow.ts waits on `expiresAtMs` and wakes when it changes).
 */
import { upsertSearchAttributes } from '@temporalio/workflow';

import { amendRefusal } from '../../domain/checkout';
import type { PaymentState } from '../../domain/states';
import type { SessionAmendment } from '../definitions';
import { assertNoRefusal } from '../refusals';
import { CustomerId, OrderNo } from '../search-attributes';
import type { CheckoutSession } from './session';

export function assertCanAmend(session: CheckoutSession, amendment: SessionAmendment): void {
  // workflow time: the validator runs in the workflow, deterministic on replay
  assertNoRefusal(
    amendRefusal(
      // busy: an attempt runs, or one waits for 3-D Secure or a lost answer (charged at the old amount)
      { state: session.state, busy: session.busy || !!session.awaiting, expiresAt: session.input.expiresAt },
      amendment.expiresAt,
      Date.now(),
    ),
  );
}

/** The amendSession update. */
export function amendSession(session: CheckoutSession, amendment: SessionAmendment): { state: PaymentState } {
  assertCanAmend(session, amendment);
  Object.assign(session.input, amendment);
  const attributes = [
    ...(amendment.customerId ? [{ key: CustomerId, value: amendment.customerId }] : []),
    ...(amendment.orderNo ? [{ key: OrderNo, value: amendment.orderNo }] : []),
  ];
  if (attributes.length > 0) upsertSearchAttributes(attributes);
  return { state: session.state };
}
