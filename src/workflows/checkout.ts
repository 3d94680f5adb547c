/**
 * CheckoutWorkflow: one per payment session (`checkout-{session_id}`), the single writer of the
 * payment's state. It waits for the customer's attempts, charges through an activity whose
 * gateway idempotency key comes from the persisted attempt number (saved cards through a child
 * TokenChargeWorkflow), saves the card when asked and allowed, and closes the session on
 * success, on exhausted attempts or on expiry.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  executeChild,
  log,
  setHandler,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';

import type { ChargeResult } from '../activities/types';
import { declineMessage, statusMessage } from '../domain/decline-messages';
import type { GatewayConfig } from '../domain/gateway-config';
import type { Attempt, CardView, OperationRecord } from '../domain/payment';
import { isClosed, isPayable, type PaymentState } from '../domain/states';
import { gatewayActivities, storeActivities } from './activities';
import {
  type AttemptOutcome,
  type CheckoutInput,
  type OperationOutcome,
  closeSessionUpdate,
  operationEventId,
  paymentEventId,
  type CheckoutStatus,
  type SubmitAttempt,
  type TokenRejection,
  pageOpenedSignal,
  pageOpenedUpdate,
  resolveChallengeUpdate,
  statusQuery,
  submitPaymentUpdate,
  tokenChargeWorkflowId,
} from './definitions';
import { CustomerId, MerchantId, OrderNo, PaymentStateAttr } from './search-attributes';
import { notifyMerchant, workflowNowIso } from './notify';
import { TokenChargeWorkflow } from './token-charge';

/** Update failure types the API maps to HTTP statuses. */
const REJECTION_FAILURE: Record<TokenRejection, string> = {
  token_not_found: 'TokenNotFound',
  token_locked: 'TokenLocked',
  gateway_mismatch: 'TokenNotUsable',
  card_expired: 'TokenNotUsable',
  cvv_required: 'CvvRequired',
  auto_debit_disabled: 'AutoDebitDisabled',
};

/** A gateway answer for one attempt, with the card it concerned. */
interface Charged {
  charge: ChargeResult;
  /** the saved card used, for token attempts */
  savedCard?: CardView;
}

interface PendingChallenge {
  chargeId: string;
  attempt: SubmitAttempt;
  savedCard?: CardView;
  index: number;
  url: string;
}

export async function CheckoutWorkflow(input: CheckoutInput): Promise<PaymentState> {
  let state: PaymentState = 'created';
  const attempts: Attempt[] = [];
  let token: CardView | undefined;
  let chargeId: string | undefined;
  let paidWith: string | undefined;
  let attemptInFlight = false;
  let tokenCharges = 0;
  let challenge: PendingChallenge | undefined;
  /** set when a merchant's cancel / expire closed the session */
  let closedBy: OperationRecord | undefined;
  const expiresAtMs = Date.parse(input.expiresAt);
  /** save_card and auto_debit links exist to store the card: the agreement is the consent */
  const alwaysSave = input.paymentType === 'save_card' || input.paymentType === 'auto_debit';

  const configOf = (pgCode: string): GatewayConfig | undefined =>
    input.gateways.find((g) => g.pg_code === pgCode);

  // Records are written one at a time, each with the latest state, so a slow write can never
  // overwrite a newer one in MongoDB.
  let recording: Promise<void> = Promise.resolve();
  function persist(): Promise<void> {
    recording = recording.then(() =>
      storeActivities.recordPayment(input.sessionId, {
        state,
        attempts,
        ...(token ? { token } : {}),
        ...(chargeId ? { charge_id: chargeId } : {}),
        ...(paidWith ? { pg_code: paidWith } : {}),
        ...(closedBy ? { operations: [closedBy] } : {}),
      }),
    );
    return recording;
  }

  async function moveTo(next: PaymentState): Promise<void> {
    state = next;
    upsertSearchAttributes([{ key: PaymentStateAttr, value: next }]);
    await persist();
  }

  const outcomeOf = (attempt: Attempt): AttemptOutcome => ({
    result: attempt.result,
    state,
    message: attempt.message,
    reference_number: attempt.reference_number,
    ...(attempt.decline_code ? { decline_code: attempt.decline_code } : {}),
    ...(token && attempt.result === 'success' ? { token } : {}),
  });

  /** Applies a final gateway answer (not requires_action) to attempt `index`. */
  async function settle(
    index: number,
    attempt: SubmitAttempt,
    { charge, savedCard }: Charged,
  ): Promise<AttemptOutcome> {
    const record = attempts[index]!;
    const config = configOf(attempt.pgCode)!;
    const succeeded = charge.status === 'succeeded' || charge.status === 'authorized';
    if (succeeded) {
      chargeId = charge.chargeId;
      paidWith = attempt.pgCode;
      attempts[index] = {
        ...record,
        result: 'success',
        message: statusMessage('success'),
        charge_id: charge.chargeId,
      };
    } else {
      attempts[index] = {
        ...record,
        result: 'failed',
        message: declineMessage(charge.declineCode),
        ...(charge.chargeId ? { charge_id: charge.chargeId } : {}),
        ...(charge.declineCode ? { decline_code: charge.declineCode } : {}),
      };
    }

    if (attempt.method === 'token' && savedCard) {
      token = succeeded ? savedCard : token;
      if (succeeded || (charge.declineCode === 'incorrect_cvc' && !attempt.merchantInitiated)) {
        await storeActivities.recordSavedCardOutcome({
          token: attempt.token,
          outcome: succeeded ? 'success' : 'incorrect_cvc',
          ...(input.agreementId ? { agreementId: input.agreementId } : {}),
        });
      }
    } else if (attempt.method === 'card' && succeeded && input.customerId) {
      if (charge.sourceToken && config.tokenization_enabled && (attempt.saveCard || alwaysSave)) {
        token = await storeActivities.tokenizeCard({
          merchantId: input.merchantId,
          customerId: input.customerId,
          pgCode: attempt.pgCode,
          sourceToken: charge.sourceToken,
          card: attempt.card,
          fingerprint: attempt.fingerprint,
          cvvRequired: config.cvv_required,
          ...(input.agreementId ? { agreementId: input.agreementId } : {}),
        });
      } else {
        // Paying with the full card lifts a CVC lock on saved copies of it.
        await storeActivities.unlockSavedCards({
          merchantId: input.merchantId,
          customerId: input.customerId,
          fingerprint: attempt.fingerprint,
        });
      }
    }

    if (succeeded) await moveTo(charge.status === 'authorized' ? 'authorized' : 'paid');
    else await moveTo(attempts.length >= config.max_attempts ? 'failed' : 'attempted');
    return outcomeOf(attempts[index]!);
  }

  function assertCanAttempt(attempt: SubmitAttempt): void {
    if (!isPayable(state) || Date.now() >= expiresAtMs) {
      const shown = isPayable(state) ? 'expired' : state;
      throw ApplicationFailure.nonRetryable(`This payment is ${shown}.`, 'NotPayable');
    }
    if (attemptInFlight || challenge) {
      throw ApplicationFailure.nonRetryable('A payment attempt is already in progress.', 'AttemptInProgress');
    }
    const config = configOf(attempt.pgCode);
    if (!config)
      throw ApplicationFailure.nonRetryable(`Unknown pg_code ${attempt.pgCode}.`, 'UnknownGateway');
    if (attempts.length >= config.max_attempts) {
      throw ApplicationFailure.nonRetryable('No payment attempts left.', 'AttemptsExhausted');
    }
    if (attempt.method === 'token' && !input.customerId) {
      throw ApplicationFailure.nonRetryable(
        'Saved cards need a customer_id on the payment.',
        'TokenNotFound',
      );
    }
  }

  /** Sends the attempt to the gateway: directly for a new card, through the child for a saved one. */
  async function charge(attempt: SubmitAttempt, idempotencyKey: string): Promise<Charged> {
    const config = configOf(attempt.pgCode)!;
    if (attempt.method === 'card') {
      const charged = await gatewayActivities
        .chargeGateway({
          idempotencyKey,
          pgCode: attempt.pgCode,
          amount: input.amount,
          currency: input.currencyCode,
          capture: config.operation === 'purchase',
          gatewayToken: attempt.gatewayToken,
          storeCard: !!input.customerId && config.tokenization_enabled && (attempt.saveCard || alwaysSave),
          returnUrl: input.returnUrl,
          threeDs: config.three_ds === 'never' ? 'never' : 'if_required',
        })
        .catch(asDecline);
      return { charge: charged };
    }
    tokenCharges += 1;
    const result = await executeChild(TokenChargeWorkflow, {
      workflowId: tokenChargeWorkflowId(input.sessionId, tokenCharges),
      args: [
        {
          sessionId: input.sessionId,
          merchantId: input.merchantId,
          customerId: input.customerId!,
          token: attempt.token,
          pgCode: attempt.pgCode,
          ...(attempt.cvcToken ? { cvcToken: attempt.cvcToken } : {}),
          merchantInitiated: attempt.merchantInitiated,
          amount: input.amount,
          currencyCode: input.currencyCode,
          config,
          returnUrl: input.returnUrl,
          idempotencyKey,
        },
      ],
      typedSearchAttributes: [
        { key: MerchantId, value: input.merchantId },
        { key: PaymentStateAttr, value: 'pending' },
        ...(input.customerId ? [{ key: CustomerId, value: input.customerId }] : []),
        ...(input.orderNo ? [{ key: OrderNo, value: input.orderNo }] : []),
      ],
    });
    if (result.kind === 'rejected') {
      throw ApplicationFailure.nonRetryable(result.message, REJECTION_FAILURE[result.code], result.code);
    }
    return { charge: result.charge, savedCard: result.card };
  }

  setHandler(statusQuery, (): CheckoutStatus => ({
    state,
    attempts,
    attemptInFlight,
    challengePending: !!challenge,
  }));

  const openPage = async (): Promise<void> => {
    if (state === 'created') await moveTo('pending');
  };
  setHandler(pageOpenedSignal, openPage);
  setHandler(pageOpenedUpdate, openPage);

  setHandler(
    submitPaymentUpdate,
    async (attempt): Promise<AttemptOutcome> => {
      // Validated again here: the validator and the handler may see different states when two
      // updates arrive in one workflow task (a double-clicked Pay).
      assertCanAttempt(attempt);
      attemptInFlight = true;
      try {
        const attemptNo = attempts.length + 1;
        const startedAt = new Date(Date.now()).toISOString();
        // A rejected saved card never reached the gateway: it is not an attempt.
        const charged = await charge(attempt, `${input.sessionId}:attempt:${attemptNo}`);
        const index =
          attempts.push({
            reference_number: referenceNumber(),
            result: 'pending',
            message: 'Processing.',
            pg_code: attempt.pgCode,
            created_at: startedAt,
            payment_method: attempt.method,
          }) - 1;
        const { charge: result } = charged;
        if (result.status === 'requires_action' && result.nextActionUrl) {
          challenge = {
            chargeId: result.chargeId,
            attempt,
            index,
            url: result.nextActionUrl,
            ...(charged.savedCard ? { savedCard: charged.savedCard } : {}),
          };
          attempts[index] = {
            ...attempts[index]!,
            charge_id: result.chargeId,
            message: statusMessage('authentication_required'),
          };
          await persist();
          return {
            ...outcomeOf(attempts[index]!),
            next_action: { type: 'redirect_to_url', url: result.nextActionUrl },
          };
        }
        return await settle(index, attempt, charged);
      } finally {
        attemptInFlight = false;
      }
    },
    { validator: assertCanAttempt },
  );

  async function resolveChallenge(): Promise<AttemptOutcome | undefined> {
    const pending = challenge;
    if (!pending) return undefined;
    const result = await gatewayActivities.getCharge(pending.chargeId);
    if (challenge !== pending) return outcomeOf(attempts[pending.index]!); // settled meanwhile
    if (result.status === 'requires_action') return undefined;
    challenge = undefined;
    return settle(pending.index, pending.attempt, {
      charge: result,
      ...(pending.savedCard ? { savedCard: pending.savedCard } : {}),
    });
  }

  setHandler(
    resolveChallengeUpdate,
    async (): Promise<AttemptOutcome> => {
      const outcome = await resolveChallenge();
      const last = attempts[attempts.length - 1];
      if (outcome) return outcome;
      if (challenge && last) {
        return { ...outcomeOf(last), next_action: { type: 'redirect_to_url', url: challenge.url } };
      }
      throw ApplicationFailure.nonRetryable('No authentication is pending.', 'NoChallenge');
    },
    {
      validator: () => {
        if (!challenge) throw ApplicationFailure.nonRetryable('No authentication is pending.', 'NoChallenge');
      },
    },
  );

  setHandler(
    closeSessionUpdate,
    async (request): Promise<OperationOutcome> => {
      assertCanClose(request.operation);
      closedBy = {
        operation: request.operation,
        result: 'success',
        message: `${request.operation} succeeded.`,
        reference_number: referenceNumber(),
        created_at: workflowNowIso(),
        ...(request.requestKey ? { request_key: request.requestKey } : {}),
      };
      await moveTo(request.operation === 'cancel' ? 'canceled' : 'expired');
      return {
        operation: request.operation,
        result: 'success',
        state,
        message: closedBy.message,
        reference_number: closedBy.reference_number,
      };
    },
    { validator: (request) => assertCanClose(request.operation) },
  );

  function assertCanClose(operation: string): void {
    if (operation !== 'cancel' && operation !== 'expire') {
      throw ApplicationFailure.nonRetryable(
        `${operation} needs a paid or authorized payment.`,
        'OperationRefused',
      );
    }
    if (!isPayable(state)) {
      throw ApplicationFailure.nonRetryable(
        `A ${state} payment cannot be ${operation}ed.`,
        'OperationRefused',
      );
    }
    if (attemptInFlight || challenge) {
      throw ApplicationFailure.nonRetryable(
        'A payment attempt is in progress; try again shortly.',
        'AttemptInProgress',
      );
    }
  }

  // Wait until the session closes or its expiration_time passes.
  await condition(() => isClosed(state), Math.max(0, expiresAtMs - Date.now()));
  await condition(() => !attemptInFlight);
  if (challenge) {
    // The customer never came back from 3-D Secure: the gateway's word decides, never a guess.
    let outcome = await resolveChallenge();
    if (!outcome && challenge) {
      // Cancel the authentication at the gateway so a late approval cannot move money, then ask
      // again: if the customer approved in the meantime, the payment is paid, not lost.
      const pending = challenge;
      await gatewayActivities
        .gatewayOperation({
          kind: 'void',
          chargeId: pending.chargeId,
          currency: input.currencyCode,
          idempotencyKey: `${input.sessionId}:abandon:${pending.index + 1}`,
        })
        .catch(() => undefined);
      outcome = await resolveChallenge();
    }
    if (!outcome && challenge) {
      const { index } = challenge;
      attempts[index] = {
        ...attempts[index]!,
        result: 'failed',
        message: declineMessage('authentication_abandoned'),
        decline_code: 'authentication_abandoned',
      };
      challenge = undefined;
    }
  }
  if (isPayable(state)) {
    log.info('Payment session expired', { sessionId: input.sessionId });
    await moveTo('expired');
  }
  await condition(allHandlersFinished);
  await recording;
  if (input.webhookUrl) {
    const last = attempts[attempts.length - 1];
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
      result: webhookResult(state),
      ...(reference ? { referenceNumber: reference } : {}),
    });
  }
  return state;
}

/**
 * The gateway refused the request itself (e.g. the single-use card token expired while the
 * customer waited): the attempt failed, nothing was charged.
 */
function asDecline(error: unknown): ChargeResult {
  if (
    error instanceof ActivityFailure &&
    error.cause instanceof ApplicationFailure &&
    error.cause.type === 'GatewayRejected'
  ) {
    const [details] = error.cause.details as [{ code?: string }?];
    return {
      chargeId: '',
      status: 'declined',
      declineCode: details?.code ?? 'processing_error',
      card: { brand: 'unknown', bin: '', last4: '', exp_month: '', exp_year: '' },
    };
  }
  throw error;
}

function webhookResult(state: PaymentState): 'success' | 'canceled' | 'failed' {
  if (state === 'paid' || state === 'authorized') return 'success';
  return state === 'canceled' ? 'canceled' : 'failed';
}

function referenceNumber(): string {
  return `TP${uuid4().replace(/-/g, '').slice(0, 14).toUpperCase()}`;
}
