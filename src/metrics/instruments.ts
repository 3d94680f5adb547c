/**
 * tokenpay's own metrics. API: HTTP requests, payments created, checkout submits. Worker
 * (activities): gateway requests, declines, payments reaching a closed state, webhook deliveries.
 * Both processes register all of them (an unused family is exposed without samples); the
 * `service` default label tells the processes apart.
 *
 * Labels are bounded and never personal: no session ids, customer ids, card data or raw URLs.
 */
import { Counter, Histogram } from 'prom-client';

import { registry } from './registry';

export const httpRequestDuration = new Histogram({
  name: 'tokenpay_http_request_duration_seconds',
  help: 'API requests by method, route pattern (never the raw URL) and status code.',
  labelNames: ['method', 'route', 'status_code'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const paymentsCreated = new Counter({
  name: 'tokenpay_payments_created_total',
  help: 'Payments created through POST /b/checkout/v1/pymt-txn/ (idempotent replays not counted).',
  labelNames: ['currency_code', 'payment_type'] as const,
  registers: [registry],
});

export const checkoutSubmits = new Counter({
  name: 'tokenpay_checkout_submits_total',
  help: 'Customer submits (POST /checkout/{session_id}/submit) by payment method and outcome: result is success|failed|pending for a 200, refused for a 4xx, error for a 5xx.',
  labelNames: ['payment_method', 'result', 'status_code'] as const,
  registers: [registry],
});

export const gatewayRequestDuration = new Histogram({
  name: 'tokenpay_gateway_request_duration_seconds',
  help: 'Requests to the payment gateway by operation and outcome (charge status, ok, rejected, unavailable, error).',
  labelNames: ['operation', 'outcome'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const gatewayDeclines = new Counter({
  name: 'tokenpay_gateway_declines_total',
  help: 'Declined payment attempts by decline code (counted once, when the attempt is recorded).',
  labelNames: ['decline_code'] as const,
  registers: [registry],
});

export const paymentsFinalized = new Counter({
  name: 'tokenpay_payments_finalized_total',
  help: 'Payments entering a closed state (paid, authorized, failed, expired, canceled, refunded, voided) by state and gateway (pg_code). Counted on the transition, so a retried activity does not count twice.',
  labelNames: ['state', 'gateway'] as const,
  registers: [registry],
});

export const webhookDeliveries = new Counter({
  name: 'tokenpay_webhook_deliveries_total',
  help: 'Webhook delivery attempts by kind (payment, operation) and outcome (delivered, retryable, rejected).',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});

export const webhookRetries = new Counter({
  name: 'tokenpay_webhook_delivery_retries_total',
  help: 'Webhook delivery attempts after the first (Temporal activity retries) by kind and outcome.',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});

export const reconciliationRestarts = new Counter({
  name: 'tokenpay_reconciliation_restarts_total',
  help: 'Payments whose workflow was gone (terminated, failed) and that reconciliation restarted from the record.',
  registers: [registry],
});

export const reconciliationFlags = new Counter({
  name: 'tokenpay_reconciliation_needs_attention_total',
  help: 'Payments reconciliation could not repair and flagged NeedsAttention for an operator.',
  registers: [registry],
});

export const gatewayNotifications = new Counter({
  name: 'tokenpay_gateway_notifications_total',
  help: "The gateway's server-to-server notifications received, by what the API did with them.",
  labelNames: ['outcome'] as const,
  registers: [registry],
});

/** A label value from outside (decline codes, pg_codes): kept only when short and plain. */
export function boundedLabel(value: unknown, fallback = 'other'): string {
  return typeof value === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(value) ? value : fallback;
}
