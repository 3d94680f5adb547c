/**
 * Activities: the only place workflows touch the world (gateway, MongoDB). Built from explicit
 * dependencies so the worker, tests and tools wire them the same way.
 */
import { ApplicationFailure, Context, log } from '@temporalio/activity';

import { ActivityFailureType } from '../domain/activity-failures';
import { minorUnitsToNumber, MoneyFormatError, parseMinorUnits, type CurrencyCode } from '../domain/money';
import { paymentBalance } from '../domain/operations';
import type { PaymentPatch, SavedCard } from '../domain/payment';
import {
  GatewayRejectedError,
  GatewayUnavailableError,
  type Charge,
  type PaymentGateway,
} from '../gateway/port';
import { countPaymentTransition, countWebhookAttempt, instrumentGateway } from '../metrics/payments';
import { cardFacts, toSavedCard } from '../store/cards';
import type { Store } from '../store';
import { buildWebhookPayload, deliverWebhookOnce, signedPayload } from '../webhooks';
import type { TargetPolicy } from '../webhooks/targets';
import type {
  ChargeGatewayInput,
  ChargeResult,
  GatewayOperationInput,
  GatewayOperationResult,
  PaymentForOperations,
  WebhookEventInput,
  SavedCardForCharge,
  SavedCardOutcome,
  TokenizeCardInput,
} from './types';

export interface ActivityDeps {
  store: Store;
  gateway: PaymentGateway;
  now?: () => Date;
  /** where webhooks may be delivered (production refuses private targets); default: anywhere */
  targets?: TargetPolicy;
}

export function createActivities(deps: ActivityDeps) {
  const { store } = deps;
  const gateway = instrumentGateway(deps.gateway);
  const now = deps.now ?? (() => new Date());

  return {
    /**
     * Charges once per idempotency key. A transport failure is an unknown outcome: ask the
     * gateway what it did under this key before letting Temporal retry the same request.
     */
    async chargeGateway(input: ChargeGatewayInput): Promise<ChargeResult> {
      const request = {
        amount: gatewayAmount(input.amount, input.currency),
        currency: input.currency,
        capture: input.capture,
        ...(input.gatewayToken ? { token: input.gatewayToken } : {}),
        ...(input.sourceToken ? { source_token: input.sourceToken } : {}),
        ...(input.cvcToken ? { cvc_token: input.cvcToken } : {}),
        store_card: input.storeCard,
        ...(input.returnUrl ? { return_url: input.returnUrl } : {}),
        three_d_secure: input.threeDs,
        ...(input.merchantInitiated ? { merchant_initiated: true } : {}),
      };
      try {
        return toChargeResult(await gateway.charge(request, input.idempotencyKey));
      } catch (error) {
        if (error instanceof GatewayUnavailableError) {
          const known = await gateway.findChargeByIdempotencyKey(input.idempotencyKey).catch(() => undefined);
          if (known) {
            log.warn('Reconciled an unknown charge outcome', {
              idempotencyKey: input.idempotencyKey,
              status: known.status,
            });
            return toChargeResult(known);
          }
          throw error; // retryable: the same key is safe to send again
        }
        if (error instanceof GatewayRejectedError) {
          // e.g. an expired single-use token: the attempt fails, retrying cannot help.
          throw ApplicationFailure.nonRetryable(error.message, ActivityFailureType.GatewayRejected, {
            code: error.code,
          });
        }
        throw error;
      }
    },

    /** What the gateway did under an idempotency key; null when it has no such charge. */
    async lookupCharge(idempotencyKey: string): Promise<ChargeResult | null> {
      const charge = await gateway.findChargeByIdempotencyKey(idempotencyKey);
      return charge ? toChargeResult(charge) : null;
    },

    async getCharge(chargeId: string): Promise<ChargeResult> {
      const charge = await gateway.getCharge(chargeId);
      if (!charge)
        throw ApplicationFailure.nonRetryable(
          `Gateway has no charge ${chargeId}`,
          ActivityFailureType.ChargeNotFound,
        );
      return toChargeResult(charge);
    },

    /** Stores the card on file as a tokenpay token; the same card saved again yields the same token. */
    async tokenizeCard(input: TokenizeCardInput): Promise<SavedCard> {
      const doc = await store.cards.save(
        {
          merchantId: input.merchantId,
          customerId: input.customerId,
          pgCode: input.pgCode,
          gatewayRef: input.sourceToken,
          fingerprint: input.fingerprint,
          card: input.card,
          ...(input.agreementId ? { agreementId: input.agreementId } : {}),
        },
        now(),
      );
      return toSavedCard(doc);
    },

    /** The merchant's saved card (whose it is, the chargeability rules decide). */
    async loadSavedCard(input: { merchantId: string; token: string }): Promise<SavedCardForCharge | null> {
      const doc = await store.cards.find(input.merchantId, input.token);
      if (!doc) return null;
      return { facts: cardFacts(doc), card: toSavedCard(doc), gatewayRef: doc.gateway_ref };
    },

    async recordSavedCardOutcome(input: SavedCardOutcome): Promise<void> {
      if (input.outcome === 'success') await store.cards.markUsed(input.token, now(), input.agreementId);
      else if (await store.cards.registerCvcFailure(input.token, input.attemptKey, now())) {
        log.warn('Saved card locked after repeated incorrect CVCs', { token: input.token });
      }
    },

    async unlockSavedCards(input: {
      merchantId: string;
      customerId: string;
      fingerprint: string;
    }): Promise<void> {
      await store.cards.unlockByFingerprint(input.merchantId, input.customerId, input.fingerprint);
    },

    async loadPaymentForOperations(sessionId: string): Promise<PaymentForOperations> {
      const record = await store.payments.find(sessionId);
      if (!record)
        throw ApplicationFailure.nonRetryable(`No payment ${sessionId}`, ActivityFailureType.PaymentNotFound);
      return {
        ...paymentBalance(record),
        sessionId,
        merchantId: record.merchant_id,
        revision: record.revisions?.operations ?? 0,
        operations: record.operations ?? [],
        ...(record.webhook_url ? { webhookUrl: record.webhook_url } : {}),
      };
    },

    /**
     * Refund, capture or void under an idempotency key derived from the persisted operation
     * number. A transport failure is retried with the same key: the gateway replays a committed
     * operation instead of repeating it, which is how an unknown outcome gets resolved.
     */
    async gatewayOperation(input: GatewayOperationInput): Promise<GatewayOperationResult> {
      const minor = input.amount ? gatewayAmount(input.amount, input.currency) : 0;
      try {
        if (input.kind === 'refund') {
          return { gatewayReference: (await gateway.refund(input.chargeId, minor, input.idempotencyKey)).id };
        }
        if (input.kind === 'capture') {
          return {
            gatewayReference: (await gateway.capture(input.chargeId, minor, input.idempotencyKey)).id,
          };
        }
        return { gatewayReference: (await gateway.void(input.chargeId, input.idempotencyKey)).id };
      } catch (error) {
        if (error instanceof GatewayRejectedError) {
          throw ApplicationFailure.nonRetryable(error.message, ActivityFailureType.GatewayRejected, {
            code: error.code,
          });
        }
        throw error;
      }
    },

    /**
     * One delivery attempt of a webhook. Retryable outcomes throw so Temporal retries with
     * backoff; a final rejection (4xx) fails without retry. Every attempt is logged for merchants.
     */
    async deliverWebhook(event: WebhookEventInput): Promise<void> {
      const [record, merchant] = await Promise.all([
        store.payments.find(event.sessionId),
        store.merchants.find(event.merchantId),
      ]);
      if (!record || !merchant)
        throw ApplicationFailure.nonRetryable(
          'Payment or merchant is gone',
          ActivityFailureType.WebhookOrphan,
        );
      // A removal is announced before it is made (api/customer-card-routes.ts): only tell the
      // merchant once the card is really gone.
      if (
        event.kind === 'card_deleted' &&
        event.card &&
        (await store.cards.find(event.merchantId, event.card.token))
      ) {
        throw ApplicationFailure.nonRetryable('The card was not removed', ActivityFailureType.WebhookOrphan);
      }
      const payload = buildWebhookPayload(
        { ...record, state: event.state },
        {
          eventId: event.eventId,
          timestampUtc: event.timestampUtc,
          kind: event.kind,
          result: event.result,
          ...(event.operation ? { operation: event.operation } : {}),
          ...(event.amount ? { amount: event.amount } : {}),
          ...(event.referenceNumber ? { referenceNumber: event.referenceNumber } : {}),
          ...(event.card ? { card: event.card } : {}),
        },
      );
      const result = await deliverWebhookOnce({
        url: event.url,
        body: signedPayload(payload, merchant.webhook_hmac_key),
        timeoutMs: 10_000,
        ...(deps.targets ? { policy: deps.targets } : {}),
      });
      await store.webhookDeliveries.record({
        event_id: event.eventId,
        session_id: event.sessionId,
        merchant_id: event.merchantId,
        url: event.url,
        attempt: Context.current().info.attempt,
        outcome: result.outcome,
        ...(result.status !== undefined ? { status: result.status } : {}),
        ...(result.error ? { error: result.error } : {}),
        duration_ms: result.durationMs,
        at: now(),
      });
      countWebhookAttempt(event.kind, result.outcome, Context.current().info.attempt);
      if (result.outcome === 'retryable')
        throw new Error(`Webhook not delivered: ${result.error ?? result.status}`);
      if (result.outcome === 'rejected') {
        throw ApplicationFailure.nonRetryable(
          `Webhook rejected: ${result.error ?? result.status}`,
          ActivityFailureType.WebhookRejected,
        );
      }
    },

    async recordPayment(sessionId: string, patch: PaymentPatch): Promise<void> {
      const before = await store.payments.record(sessionId, patch, now());
      countPaymentTransition({ before, patch }); // metrics: counts the change, so retries don't double
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

/**
 * An amount as the gateway's integer minor units. An amount that cannot be one is a bug or bad
 * input upstream: retrying cannot fix it, so it fails the activity for good (and the attempt
 * cleanly) instead of retrying forever.
 */
function gatewayAmount(amount: string, currency: CurrencyCode): number {
  try {
    return minorUnitsToNumber(parseMinorUnits(amount, currency));
  } catch (error) {
    if (error instanceof MoneyFormatError) {
      throw ApplicationFailure.nonRetryable(
        `Invalid amount: ${error.message}`,
        ActivityFailureType.InvalidRequest,
      );
    }
    throw error;
  }
}

function toChargeResult(charge: Charge): ChargeResult {
  return {
    chargeId: charge.id,
    status: charge.status,
    card: charge.card,
    ...(charge.decline_code ? { declineCode: charge.decline_code } : {}),
    ...(charge.source_token ? { sourceToken: charge.source_token } : {}),
    ...(charge.next_action ? { nextActionUrl: charge.next_action.url } : {}),
  };
}
