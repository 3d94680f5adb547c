/**
 * Worker-side instrumentation, called from the activities: gateway latency (a decorator around
 * the PaymentGateway port), declines and closed states (from the state transition a
 * `recordPayment` made), webhook delivery attempts.
 */
import type { Attempt } from '../domain/payment';
import { isClosed, type PaymentState } from '../domain/states';
import {
  GatewayRejectedError,
  GatewayUnavailableError,
  type Charge,
  type PaymentGateway,
} from '../gateway/port';
import {
  boundedLabel,
  gatewayDeclines,
  gatewayRequestDuration,
  paymentsFinalized,
  reconciliationFlags,
  reconciliationRestarts,
  webhookDeliveries,
  webhookRetries,
} from './instruments';

const INSTRUMENTED = Symbol('tokenpay.instrumentedGateway');

function errorOutcome(error: unknown): string {
  if (error instanceof GatewayRejectedError) return 'rejected';
  if (error instanceof GatewayUnavailableError) return 'unavailable';
  return 'error';
}

async function timed<T>(operation: string, call: () => Promise<T>, outcomeOf: (r: T) => string): Promise<T> {
  const end = gatewayRequestDuration.startTimer({ operation });
  try {
    const result = await call();
    end({ outcome: outcomeOf(result) });
    return result;
  } catch (error) {
    end({ outcome: errorOutcome(error) });
    throw error;
  }
}

const ok = (): string => 'ok';
const chargeStatus = (charge: Charge | undefined): string => (charge ? charge.status : 'not_found');

/** The gateway with every request timed in `tokenpay_gateway_request_duration_seconds`. */
export function instrumentGateway(gateway: PaymentGateway): PaymentGateway {
  if ((gateway as { [INSTRUMENTED]?: boolean })[INSTRUMENTED]) return gateway;
  const instrumented: PaymentGateway & { [INSTRUMENTED]: boolean } = {
    [INSTRUMENTED]: true,
    createCardToken: (card) => timed('create_token', () => gateway.createCardToken(card), ok),
    createCvcToken: (source, cvc) => timed('create_cvc_token', () => gateway.createCvcToken(source, cvc), ok),
    charge: (request, key) => timed('charge', () => gateway.charge(request, key), chargeStatus),
    getCharge: (id) => timed('get_charge', () => gateway.getCharge(id), chargeStatus),
    findChargeByIdempotencyKey: (key) =>
      timed('find_charge', () => gateway.findChargeByIdempotencyKey(key), chargeStatus),
    capture: (id, amount, key) => timed('capture', () => gateway.capture(id, amount, key), ok),
    refund: (id, amount, key) => timed('refund', () => gateway.refund(id, amount, key), ok),
    void: (id, key) => timed('void', () => gateway.void(id, key), ok),
    ping: () =>
      timed(
        'ping',
        () => gateway.ping(),
        (up) => (up ? 'ok' : 'unavailable'),
      ),
  };
  return instrumented;
}

/** What `recordPayment` read (the record before its update) and wrote. */
export interface RecordedTransition {
  before: { state?: PaymentState; pg_code?: string; attempts?: Attempt[] } | null;
  patch: { state: PaymentState; pg_code?: string; attempts?: Attempt[] };
}

/**
 * Counts what a `recordPayment` changed: attempts that newly carry a decline code, and the
 * payment entering a closed state. Counting the change (not the call) keeps a retried activity
 * from counting twice: the retry finds the state already written.
 */
export function countPaymentTransition({ before, patch }: RecordedTransition): void {
  if (!before) return; // the write was not applied (stale or repeated): nothing changed
  const previous = before.attempts ?? [];
  for (const [i, attempt] of (patch.attempts ?? []).entries()) {
    if (attempt.decline_code && !previous[i]?.decline_code) {
      gatewayDeclines.inc({ decline_code: boundedLabel(attempt.decline_code) });
    }
  }
  if (before.state !== patch.state && isClosed(patch.state)) {
    const attempts = patch.attempts ?? previous;
    const gateway = patch.pg_code ?? before.pg_code ?? attempts[attempts.length - 1]?.pg_code;
    paymentsFinalized.inc({ state: patch.state, gateway: boundedLabel(gateway, 'none') });
  }
}

/** One webhook delivery attempt (attempt is Temporal's 1-based activity attempt). */
export function countWebhookAttempt(kind: string, outcome: string, attempt: number): void {
  const labels = { kind: boundedLabel(kind), outcome: boundedLabel(outcome) };
  webhookDeliveries.inc(labels);
  if (attempt > 1) webhookRetries.inc(labels);
}

/** What a reconciliation run found (restarted runs, payments flagged for an operator). */
export function countReconciliation(summary: { restarted: string[]; flagged: unknown[] }): void {
  reconciliationRestarts.inc(summary.restarted.length);
  reconciliationFlags.inc(summary.flagged.length);
}
