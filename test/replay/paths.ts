/**
 * The paths the replay gate must cover: one checked-in history each (test/replay/histories/<name>.json).
 * The recorder (record.ts) has a recording for every name here — TypeScript enforces that — and the
 * coverage test fails while any of them has no history, so a path named here is never silently
 * left out of the gate.
 */
import type * as workflows from '../../src/workflows';

export type WorkflowType = keyof typeof workflows;

export interface RequiredPath {
  workflowType: WorkflowType;
  /** what happens in the history, in a payments engineer's words */
  path: string;
}

export const REQUIRED_PATHS = {
  'checkout-new-card-paid': {
    workflowType: 'CheckoutWorkflow',
    path: 'page opened, a new card paid at once and saved for the customer; the merchant is notified',
  },
  'checkout-saved-card-cvv-paid': {
    workflowType: 'CheckoutWorkflow',
    path: 'a saved card paid with its CVV (as a cvc_token) through a TokenChargeWorkflow child',
  },
  'token-charge-saved-card-cvv': {
    workflowType: 'TokenChargeWorkflow',
    path: 'the child of checkout-saved-card-cvv-paid: saved card loaded, charged with its cvc_token',
  },
  'checkout-3ds-approved': {
    workflowType: 'CheckoutWorkflow',
    path: '3-D Secure challenge; the customer comes back approved; paid',
  },
  'checkout-3ds-rejected': {
    workflowType: 'CheckoutWorkflow',
    path: '3-D Secure challenge rejected (authentication_failed); the session stays open, then expires',
  },
  'checkout-3ds-abandoned-expiry': {
    workflowType: 'CheckoutWorkflow',
    path: '3-D Secure challenge nobody completes: checked on a backoff, voided at its limit, session expires',
  },
  'checkout-decline-then-paid': {
    workflowType: 'CheckoutWorkflow',
    path: 'a declined card, then another card paid',
  },
  'checkout-attempts-exhausted': {
    workflowType: 'CheckoutWorkflow',
    path: 'every allowed attempt declined: the session fails',
  },
  'checkout-canceled': {
    workflowType: 'CheckoutWorkflow',
    path: 'the merchant cancels an open session (closeSession update); the merchant is notified',
  },
  'checkout-expired': {
    workflowType: 'CheckoutWorkflow',
    path: 'a link nobody pays expires at its expiry timer; the merchant is notified',
  },
  'checkout-auto-debit-one-step': {
    workflowType: 'CheckoutWorkflow',
    path: 'one-step merchant-initiated charge of a saved card (auto_debit, no CVV) through a TokenChargeWorkflow child',
  },
  'token-charge-auto-debit': {
    workflowType: 'TokenChargeWorkflow',
    path: 'the child of checkout-auto-debit-one-step: merchant-initiated charge of a card on file',
  },
  'operations-refund': {
    workflowType: 'PaymentOperationsWorkflow',
    path: 'a partial refund of a paid payment, then the run ends after its quiet minute',
  },
  'operations-capture': {
    workflowType: 'PaymentOperationsWorkflow',
    path: 'capture of an authorized payment, then the run ends after its quiet minute',
  },
  'operations-void': {
    workflowType: 'PaymentOperationsWorkflow',
    path: 'void of an authorized payment, then the run ends after its quiet minute',
  },
  'webhook-retried-delivered': {
    workflowType: 'WebhookDeliveryWorkflow',
    path: 'a webhook the merchant answers 503 twice, then takes: delivered',
  },
  'webhook-gave-up': {
    workflowType: 'WebhookDeliveryWorkflow',
    path: 'a webhook the merchant never takes: retried for 48 hours, gives up flagged NeedsAttention',
  },
  reconciliation: {
    workflowType: 'ReconciliationWorkflow',
    path: 'a reconciliation run that restarts one payment and flags another (NeedsAttention)',
  },
  retention: {
    workflowType: 'RetentionWorkflow',
    path: 'a daily retention run purging expired idempotency keys, deliveries and gateway events',
  },
} as const satisfies Record<string, RequiredPath>;

export type PathName = keyof typeof REQUIRED_PATHS;

export const PATH_NAMES = Object.keys(REQUIRED_PATHS) as PathName[];
