/**
 * Merchant operations (CONTRACT §1.6). cancel / expire go to the open session's CheckoutWorkflow;
 * refund / capture / void go to the payment's PaymentOperationsWorkflow (started on demand),
 * which applies them one at a time so concurrent requests can never overspend.
 */
import { WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';

import { closeRefusal, isClosingOperation } from '../domain/checkout';
import { MoneyFormatError, normalizeAmount } from '../domain/money';
import { decideOperation, paymentBalance, type OperationDecision } from '../domain/operations';
import type { OperationKind, PaymentRecord } from '../domain/payment';
import { refusal, type Refusal } from '../domain/refusals';
import { isPayable } from '../domain/states';
import type { OperationRequestBody } from '../domain/schemas';
import { PaymentOperationsWorkflow } from '../workflows/operations';
import {
  closeSessionUpdate,
  operationsWorkflowId,
  paymentOperationUpdate,
  recordedOutcome,
  type OperationOutcome,
} from '../workflows/definitions';
import { paymentRunSearchAttributes, PaymentStateAttr } from '../workflows/search-attributes';
import { internalOperation, type InternalOperationAnswer } from '../ottu/operation';
import { checkoutHandle } from './attempts';
import type { CheckoutDeps } from './checkout-session';
import { fieldErrors } from './errors';
import { assertNoRefusal, httpErrorOf, refusalOf as refusalFromWorkflow } from './refusals';

type EngineOperation = Omit<OperationRequestBody, 'operation'> & { operation: OperationKind };

export async function runOperation(
  deps: CheckoutDeps,
  record: PaymentRecord,
  body: EngineOperation,
  trackingKey?: string,
): Promise<OperationOutcome & { session_id: string; order_no?: string; currency_code: string }> {
  let amount: string | undefined;
  if (body.amount !== undefined) {
    try {
      amount = normalizeAmount(body.amount, record.currency_code);
    } catch (error) {
      if (error instanceof MoneyFormatError) throw fieldErrors({ amount: [error.message] });
      throw error;
    }
  }
  // A retry of an operation that already happened (its answer lost to a crash) gets its
  // recorded result, whatever the payment's state is now.
  const done =
    trackingKey &&
    record.operations?.find((o) => o.request_key === trackingKey && o.operation === body.operation);
  if (done) {
    return {
      ...recordedOutcome(done, record.state),
      session_id: record._id,
      ...(record.order_no ? { order_no: record.order_no } : {}),
      currency_code: record.currency_code,
    };
  }
  // The workflow decides; the same rules asked here answer a request that cannot succeed at once.
  const closing = isClosingOperation(body.operation);
  const early = closing
    ? closeRefusal(body.operation, record.state, false)
    : refusalOf(
        decideOperation(paymentBalance(record), { operation: body.operation, ...(amount ? { amount } : {}) }),
      );
  assertNoRefusal(early && { ...early, params: { operation: body.operation, ...early.params } });
  const request = {
    operation: body.operation,
    ...(amount ? { amount } : {}),
    ...(trackingKey ? { requestKey: trackingKey } : {}),
  };
  const updateOptions = {
    args: [request] as [typeof request],
    ...(trackingKey ? { updateId: `op-${trackingKey}` } : {}),
  };
  try {
    const outcome = closing
      ? await checkoutHandle(deps.temporal, record._id).executeUpdate(closeSessionUpdate, updateOptions)
      : await deps.temporal.workflow.executeUpdateWithStart(paymentOperationUpdate, {
          ...updateOptions,
          startWorkflowOperation: new WithStartWorkflowOperation(PaymentOperationsWorkflow, {
            workflowId: operationsWorkflowId(record._id),
            taskQueue: deps.config.temporal.taskQueue,
            args: [{ sessionId: record._id }],
            // one run at a time takes the payment's operations; after a quiet minute it ends and
            // the next operation starts a new one (the record carries everything it needs)
            workflowIdConflictPolicy: 'USE_EXISTING',
            workflowIdReusePolicy: 'ALLOW_DUPLICATE',
            typedSearchAttributes: [
              ...paymentRunSearchAttributes({ sessionId: record._id, merchantId: record.merchant_id }),
              { key: PaymentStateAttr, value: record.state },
            ],
          }),
        });
    return {
      ...outcome,
      session_id: record._id,
      ...(record.order_no ? { order_no: record.order_no } : {}),
      currency_code: record.currency_code,
    };
  } catch (error) {
    const refused = refusalFromWorkflow(error);
    if (refused) throw httpErrorOf({ ...refused, params: { operation: body.operation, ...refused.params } });
    if (error instanceof WorkflowNotFoundError) {
      throw httpErrorOf(refusal('closed_meanwhile', { operation: body.operation }));
    }
    throw error;
  }
}

function refusalOf(decision: OperationDecision): Refusal | undefined {
  return 'refusal' in decision ? decision.refusal : undefined;
}

/**
 * Ottu's `delete`: "paid, authorized … → soft delete; all other states → hard delete". Here both
 * take the payment out of the merchant API (404 from then on) and keep its record, since money may
 * have moved and operators reconcile from it. An open session is first closed the way `cancel`
 * closes it (its CheckoutWorkflow stops taking attempts and the merchant gets the cancel webhook),
 * so nothing can be paid on a deleted payment.
 */
export async function deletePayment(
  deps: CheckoutDeps,
  record: PaymentRecord,
  trackingKey?: string,
): Promise<InternalOperationAnswer> {
  let state = record.state;
  if (isPayable(record.state)) {
    const closed = await runOperation(
      deps,
      record,
      { operation: 'cancel', session_id: record._id },
      trackingKey ? `delete:${trackingKey}` : undefined,
    );
    state = closed.state;
  }
  await deps.store.payments.markDeleted(record.merchant_id, record._id, new Date());
  return internalOperation({
    operation: 'delete',
    result: 'success',
    state,
    message: 'The payment was deleted.',
    session_id: record._id,
    ...(record.order_no ? { order_no: record.order_no } : {}),
    currency_code: record.currency_code,
  });
}
