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
  setHandler,
  uuid4,
} from '@temporalio/workflow';

import type { PaymentForOperations } from '../activities/types';
import { formatMinorUnits, MoneyFormatError, parseMinorUnits } from '../domain/money';
import type { OperationRecord } from '../domain/payment';
import type { PaymentState } from '../domain/states';
import { gatewayActivities, storeActivities } from './activities';
import {
  operationEventId,
  paymentOperationUpdate,
  recordedOutcome,
  type OperationOutcome,
  type OperationRequest,
  type PaymentOperationsInput,
} from './definitions';
import { notifyMerchant, workflowNowIso } from './notify';

const IDLE = '1 minute';

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
    const check = decide(p, request);
    if ('refusal' in check) throw ApplicationFailure.nonRetryable(check.refusal, 'OperationRefused');

    const n = p.operations.length + 1;
    const reference = `OP${uuid4().replace(/-/g, '').slice(0, 14).toUpperCase()}`;
    let gatewayReference: string;
    try {
      ({ gatewayReference } = await gatewayActivities.gatewayOperation({
        chargeId: p.chargeId!,
        kind: request.operation as 'refund' | 'capture' | 'void',
        ...(check.amount ? { amount: check.amount } : {}),
        currency: p.currencyCode,
        idempotencyKey: `${p.sessionId}:operation:${n}`,
      }));
    } catch (error) {
      if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) {
        throw ApplicationFailure.nonRetryable(
          `The gateway refused the ${request.operation}: ${error.cause.message}`,
          'OperationRefused',
        );
      }
      throw error;
    }

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
    payment = { ...p, ...check.next, operations: [...p.operations, record] };
    await storeActivities.recordPayment(p.sessionId, {
      state: payment.state,
      operations: payment.operations,
      captured_amount: payment.capturedAmount,
      refunded_amount: payment.refundedAmount,
    });
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

type Decision =
  | { refusal: string }
  | { amount?: string; next: Pick<PaymentForOperations, 'state' | 'capturedAmount' | 'refundedAmount'> };

/** The rules of §1.6, on exact money. */
function decide(p: PaymentForOperations, request: OperationRequest): Decision {
  const money = (value: string): bigint => parseMinorUnits(value, p.currencyCode);
  const fmt = (minor: bigint): string => formatMinorUnits(minor, p.currencyCode);
  if (!p.chargeId) return { refusal: `There is no charge to ${request.operation} on this payment.` };
  let requested: bigint | undefined;
  try {
    requested = request.amount === undefined ? undefined : money(request.amount);
  } catch (error) {
    if (error instanceof MoneyFormatError) return { refusal: error.message };
    throw error;
  }
  if (requested !== undefined && requested <= 0n) return { refusal: 'The amount must be greater than 0.' };
  const captured = money(p.capturedAmount);
  const refunded = money(p.refundedAmount);
  const same = { capturedAmount: p.capturedAmount, refundedAmount: p.refundedAmount };

  switch (request.operation) {
    case 'refund': {
      if (p.state !== 'paid')
        return { refusal: `Only a paid payment can be refunded; this one is ${p.state}.` };
      const remaining = captured - refunded;
      const amount = requested ?? remaining;
      if (amount > remaining)
        return { refusal: `The refund exceeds what remains refundable (${fmt(remaining)}).` };
      const total = refunded + amount;
      const state: PaymentState = total === captured ? 'refunded' : 'paid';
      return {
        amount: fmt(amount),
        next: { state, capturedAmount: p.capturedAmount, refundedAmount: fmt(total) },
      };
    }
    case 'capture': {
      if (p.state !== 'authorized')
        return { refusal: `Only an authorized payment can be captured; this one is ${p.state}.` };
      const authorized = money(p.amount);
      const amount = requested ?? authorized;
      if (amount > authorized)
        return { refusal: `The capture exceeds the authorized amount (${fmt(authorized)}).` };
      return {
        amount: fmt(amount),
        next: { state: 'paid', capturedAmount: fmt(amount), refundedAmount: p.refundedAmount },
      };
    }
    case 'void':
      if (p.state !== 'authorized')
        return { refusal: `Only an authorized payment can be voided; this one is ${p.state}.` };
      if (requested !== undefined) return { refusal: 'A void takes no amount.' };
      return { next: { state: 'voided', ...same } };
    default:
      return { refusal: `${request.operation} applies only to an open payment.` };
  }
}
