/**
 * CheckoutWorkflow: one per payment session (`checkout-{session_id}`), the single writer of the
 * payment's state. It waits for the customer's attempts, charges through an activity whose
 * gateway idempotency key comes from the persisted attempt number, saves the card when asked and
 * allowed, and closes the session on success, on exhausted attempts or on expiry.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  log,
} from '@temporalio/workflow';

import type { createActivities } from '../activities';
import type { ChargeResult } from '../activities/types';
import type { GatewayConfig } from '../domain/gateway-config';
import type { Attempt, CardView } from '../domain/payment';
import { isClosed, isPayable, type PaymentState } from '../domain/states';
import { declineMessage } from '../domain/decline-messages';
import {
  type AttemptOutcome,
  type CheckoutInput,
  type CheckoutStatus,
  type NewCardAttempt,
  pageOpenedSignal,
  resolveChallengeUpdate,
  statusQuery,
  submitPaymentUpdate,
} from './definitions';
import { PaymentStateAttr } from './search-attributes';

type Activities = ReturnType<typeof createActivities>;

/**
 * Charging retries transport failures for as long as the gateway might still answer: the
 * activity itself reconciles unknown outcomes by idempotency key, so a retry never charges twice.
 */
const gateway = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});
const store = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

interface PendingChallenge {
  chargeId: string;
  attempt: NewCardAttempt;
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
  let challenge: PendingChallenge | undefined;
  const expiresAtMs = Date.parse(input.expiresAt);

  const configOf = (pgCode: string): GatewayConfig | undefined =>
    input.gateways.find((g) => g.pg_code === pgCode);

  // Records are written one at a time, each with the latest state, so a slow write can never
  // overwrite a newer one in MongoDB.
  let recording: Promise<void> = Promise.resolve();
  function persist(): Promise<void> {
    recording = recording.then(() =>
      store.recordPayment(input.sessionId, {
        state,
        attempts,
        ...(token ? { token } : {}),
        ...(chargeId ? { charge_id: chargeId } : {}),
        ...(paidWith ? { pg_code: paidWith } : {}),
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
    ...(token && attempt.result === 'success' ? { token } : {}),
  });

  /** Applies a final gateway answer (not requires_action) to attempt `index`. */
  async function settle(
    index: number,
    attempt: NewCardAttempt,
    charge: ChargeResult,
  ): Promise<AttemptOutcome> {
    const record = attempts[index]!;
    const config = configOf(attempt.pgCode)!;
    if (charge.status === 'succeeded' || charge.status === 'authorized') {
      chargeId = charge.chargeId;
      paidWith = attempt.pgCode;
      attempts[index] = {
        ...record,
        result: 'success',
        message: 'Payment successful.',
        charge_id: charge.chargeId,
      };
      if (attempt.saveCard && input.customerId && config.tokenization_enabled && charge.sourceToken) {
        token = await store.tokenizeCard({
          merchantId: input.merchantId,
          customerId: input.customerId,
          pgCode: attempt.pgCode,
          sourceToken: charge.sourceToken,
          card: attempt.card,
          fingerprint: attempt.fingerprint,
          cvvRequired: config.cvv_required,
        });
      }
      await moveTo(charge.status === 'authorized' ? 'authorized' : 'paid');
    } else {
      attempts[index] = {
        ...record,
        result: 'failed',
        message: declineMessage(charge.declineCode),
        charge_id: charge.chargeId,
        ...(charge.declineCode ? { decline_code: charge.declineCode } : {}),
      };
      const exhausted = attempts.length >= config.max_attempts;
      await moveTo(exhausted ? 'failed' : 'attempted');
    }
    return outcomeOf(attempts[index]!);
  }

  function assertCanAttempt(pgCode: string): void {
    if (!isPayable(state) || Date.now() >= expiresAtMs) {
      throw ApplicationFailure.nonRetryable(
        `This payment is ${isPayable(state) ? 'expired' : state}.`,
        'NotPayable',
      );
    }
    if (attemptInFlight || challenge) {
      throw ApplicationFailure.nonRetryable('A payment attempt is already in progress.', 'AttemptInProgress');
    }
    const config = configOf(pgCode);
    if (!config) throw ApplicationFailure.nonRetryable(`Unknown pg_code ${pgCode}.`, 'UnknownGateway');
    if (attempts.length >= config.max_attempts) {
      throw ApplicationFailure.nonRetryable('No payment attempts left.', 'AttemptsExhausted');
    }
  }

  setHandler(statusQuery, (): CheckoutStatus => ({
    state,
    attempts,
    attemptInFlight,
    challengePending: !!challenge,
  }));

  setHandler(pageOpenedSignal, async () => {
    if (state === 'created') await moveTo('pending');
  });

  setHandler(
    submitPaymentUpdate,
    async (attempt): Promise<AttemptOutcome> => {
      // Validated again here: the validator and the handler may see different states when two
      // updates arrive in one workflow task (a double-clicked Pay).
      assertCanAttempt(attempt.pgCode);
      attemptInFlight = true;
      try {
        const config = configOf(attempt.pgCode)!;
        const attemptNo = attempts.length + 1;
        const index =
          attempts.push({
            reference_number: referenceNumber(),
            result: 'pending',
            message: 'Processing.',
            pg_code: attempt.pgCode,
            created_at: new Date(Date.now()).toISOString(),
            payment_method: 'card',
          }) - 1;
        const charge = await gateway.chargeGateway({
          idempotencyKey: `${input.sessionId}:attempt:${attemptNo}`,
          pgCode: attempt.pgCode,
          amount: input.amount,
          currency: input.currencyCode,
          capture: config.operation === 'purchase',
          gatewayToken: attempt.gatewayToken,
          storeCard: attempt.saveCard && !!input.customerId && config.tokenization_enabled,
          returnUrl: input.returnUrl,
          threeDs: config.three_ds === 'never' ? 'never' : 'if_required',
        });
        if (charge.status === 'requires_action' && charge.nextActionUrl) {
          challenge = { chargeId: charge.chargeId, attempt, index, url: charge.nextActionUrl };
          attempts[index] = {
            ...attempts[index]!,
            charge_id: charge.chargeId,
            message: 'Authentication required.',
          };
          await persist();
          return {
            ...outcomeOf(attempts[index]!),
            next_action: { type: 'redirect_to_url', url: charge.nextActionUrl },
          };
        }
        return await settle(index, attempt, charge);
      } finally {
        attemptInFlight = false;
      }
    },
    { validator: (attempt) => assertCanAttempt(attempt.pgCode) },
  );

  async function resolveChallenge(): Promise<AttemptOutcome | undefined> {
    const pending = challenge;
    if (!pending) return undefined;
    const charge = await gateway.getCharge(pending.chargeId);
    if (challenge !== pending) return outcomeOf(attempts[pending.index]!); // settled meanwhile
    if (charge.status === 'requires_action') return undefined;
    challenge = undefined;
    return settle(pending.index, pending.attempt, charge);
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

  // Wait until the session closes or its expiration_time passes.
  await condition(() => isClosed(state), Math.max(0, expiresAtMs - Date.now()));
  await condition(() => !attemptInFlight);
  if (challenge) {
    // The customer never came back from 3-D Secure: the gateway's word decides, never a guess.
    const outcome = await resolveChallenge();
    if (!outcome && challenge) {
      const { index } = challenge;
      attempts[index] = {
        ...attempts[index]!,
        result: 'failed',
        message: 'Authentication was not completed.',
      };
      challenge = undefined;
    }
  }
  if (isPayable(state)) {
    log.info('Payment session expired', { sessionId: input.sessionId });
    await moveTo('expired');
  }
  await condition(allHandlersFinished);
  return state;
}

function referenceNumber(): string {
  return `TP${uuid4().replace(/-/g, '').slice(0, 14).toUpperCase()}`;
}
