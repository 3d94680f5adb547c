/**
 * PaymentOperationsWorkflow (`operations-{session_id}`): refund, capture and void on a closed
 * payment, strictly one at a time, so two concurrent refunds can never spend more than was
 * captured. Each operation's gateway idempotency key comes from its persisted number. Started
 * on demand with update-with-start; it ends after a quiet minute (the record in MongoDB carries
 * everything the next run needs).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  setHandler,
  sleep,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';

import type { PaymentForOperations } from '../activities/types';
import { referenceNumber } from '../domain/checkout';
import { decideOperation } from '../domain/operations';
import type { OperationRecord } from '../domain/payment';
import { refusal } from '../domain/refusals';
import { operationEventId } from '../domain/webhook';
import { gatewayActivities, storeActivities } from './proxies';
import {
  paymentOperationUpdate,
  recordedOutcome,
  type OperationOutcome,
  type OperationRequest,
  type PaymentOperationsInput,
} from './definitions';
import { notifyMerchant, workflowNowIso } from './notify';
import { recordUntilDone } from './record';
import { refuse } from './refusals';
import { PaymentStateAttr } from './search-attributes';

const IDLE = '1 minute';

/**
 * A gateway operation whose answer was lost (the activity ran out of time) is sent again under the
 * same idempotency key after a durable wait: the gateway replays a committed operation instead of
 * repeating it, so this learns what happened without ever doing it twice.
 */
async function untilAnswered<T>(call: () => Promise<T>): Promise<T> {
  for (let wait = 5_000; ; wait = Math.min(wait * 2, 300_000)) {
    try {
      return await call();
    } catch (error) {
      const lost = error instanceof ActivityFailure && !(error.cause instanceof ApplicationFailure);
      if (!lost) throw error;
      log.warn('A gateway operation went unanswered; asking again under the same key', { waitMs: wait });
      await sleep(wait);
    }
  }
}

export async function PaymentOperationsWorkflow(input: PaymentOperationsInput): Promise<void> {
  let payment: PaymentForOperations | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  let handled = 0;

  /** One operation at a time, in arrival order. */
  function serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = tail.then(work);
    tail = run.catch(() => undefined);
    return run;
  }

  async function apply(request: OperationRequest): Promise<OperationOutcome> {
    payment ??= await storeActivities.loadPaymentForOperations(input.sessionId);
    const p = payment;
    // A retry of an operation that already happened (its answer lost to a crash) gets the
    // recorded result, even in a later run of this workflow: the record is in MongoDB.
    const done = request.requestKey && p.operations.find((o) => o.request_key === request.requestKey);
    if (done) return recordedOutcome(done, p.state);
    const check = decideOperation(p, request);
    if ('refusal' in check) throw refuse(check.refusal);

    const n = p.operations.length + 1;
    const reference = referenceNumber(uuid4(), 'OP');
    const gatewayReference = await untilAnswered(() =>
      gatewayActivities.gatewayOperation({
        chargeId: p.chargeId!,
        kind: check.operation,
        ...(check.amount ? { amount: check.amount } : {}),
        currency: p.currencyCode,
        idempotencyKey: `${p.sessionId}:operation:${n}`,
      }),
    ).then(
      (answer) => answer.gatewayReference,
      (error: unknown) => {
        if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) {
          throw refuse(
            refusal('gateway_refused_operation', { operation: check.operation, reason: error.cause.message }),
          );
        }
        throw error;
      },
    );

    const record: OperationRecord = {
      operation: request.operation,
      result: 'success',
      ...(check.amount ? { amount: check.amount } : {}),
      message: `${request.operation} succeeded.`,
      reference_number: reference,
      created_at: workflowNowIso(),
      gateway_reference: gatewayReference,
      ...(request.requestKey ? { request_key: request.requestKey } : {}),
    };
    payment = { ...p, ...check.next, operations: [...p.operations, record], revision: p.revision + 1 };
    await recordUntilDone(p.sessionId, {
      writer: 'operations',
      revision: payment.revision,
      state: payment.state,
      operations: payment.operations,
      captured_amount: payment.capturedAmount,
      refunded_amount: payment.refundedAmount,
    });
    // the payment's state as operators search it follows its operations (refunded, voided, …)
    upsertSearchAttributes([{ key: PaymentStateAttr, value: payment.state }]);
    if (payment.webhookUrl) {
      await notifyMerchant({
        eventId: operationEventId(p.sessionId, n),
        sessionId: p.sessionId,
        merchantId: p.merchantId,
        url: payment.webhookUrl,
        timestampUtc: record.created_at,
        kind: 'operation',
        operation: request.operation,
        state: payment.state,
        result: 'success',
        ...(check.amount ? { amount: check.amount } : {}),
        referenceNumber: reference,
      });
    }
    return {
      operation: request.operation,
      result: 'success',
      state: payment.state,
      ...(check.amount ? { amount: check.amount } : {}),
      message: record.message,
      reference_number: reference,
    };
  }

  setHandler(paymentOperationUpdate, (request) => {
    handled++;
    return serialize(() => apply(request));
  });

  // Stay while operations keep coming; end after a quiet minute.
  for (;;) {
    const seen = handled;
    const busy = await condition(() => handled !== seen, IDLE);
    if (!busy && allHandlersFinished()) break;
  }
  await condition(allHandlersFinished);
}
