/**
 * Messages of the payment workflows, defined once and shared by the workflows and their callers
 * (API, tests). Nothing here may carry a PAN or a CVV: cards arrive as single-use gateway tokens.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

import type { ChargeResult } from '../activities/types';
import type { ChargeStatus } from '../domain/charge';
import type { GatewayConfig } from '../domain/gateway-config';
import type { CurrencyCode } from '../domain/money';
import type {
  AttemptResult,
  Attempt,
  CardSummary,
  OperationKind,
  OperationRecord,
  PaymentType,
  SavedCard,
} from '../domain/payment';
import type { Refusal } from '../domain/refusals';
import type { PaymentState } from '../domain/states';

export const checkoutWorkflowId = (sessionId: string): string => `checkout-${sessionId}`;
export const tokenChargeWorkflowId = (sessionId: string, n: number): string =>
  `token-charge-${sessionId}-${n}`;

export interface CheckoutInput {
  sessionId: string;
  merchantId: string;
  customerId?: string;
  orderNo?: string;
  /** normalised decimal string in major units */
  amount: string;
  currencyCode: CurrencyCode;
  paymentType: PaymentType;
  gateways: GatewayConfig[];
  /** ISO-8601; the expiry timer fires then */
  expiresAt: string;
  /** where the gateway's 3-D Secure page sends the customer back */
  returnUrl: string;
  /** auto-debit agreement a saved card is linked to */
  agreementId?: string;
  /** the merchant's webhook endpoint, notified on every terminal state */
  webhookUrl?: string;
  /**
   * A run that continues a payment whose earlier run ended without finishing it (terminated by an
   * operator, or a create retried after its record was written): the record as it was.
   */
  resume?: {
    state: PaymentState;
    attempts: Attempt[];
    /** the last revision the earlier run wrote */
    revision: number;
    token?: SavedCard;
    chargeId?: string;
    paidWith?: string;
  };
}

/** A new card, already exchanged for the gateway's single-use token by the API. */
export interface NewCardAttempt {
  method: 'card';
  pgCode: string;
  gatewayToken: string;
  card: CardSummary;
  /** keyed HMAC of the PAN: lets one card saved twice yield one token, reveals nothing */
  fingerprint: string;
  saveCard: boolean;
}

/** A saved card (tokenpay token); the CVV, when required, arrives as a gateway `cvc_token`. */
export interface SavedCardAttempt {
  method: 'token';
  pgCode: string;
  token: string;
  cvcToken?: string;
  /** merchant-initiated (auto-debit): no customer present, no CVV */
  merchantInitiated: boolean;
}

export type SubmitAttempt = NewCardAttempt | SavedCardAttempt;

/** An attempt a resumed run found pending in the record: what it was sent with is not known. */
export interface RecoveredAttempt {
  method: 'recovered';
  pgCode: string;
}

export type AttemptRef = SubmitAttempt | RecoveredAttempt;

export interface TokenChargeInput {
  sessionId: string;
  merchantId: string;
  customerId: string;
  paymentType: PaymentType;
  token: string;
  pgCode: string;
  cvcToken?: string;
  merchantInitiated: boolean;
  amount: string;
  currencyCode: CurrencyCode;
  config: GatewayConfig;
  returnUrl: string;
  /** the parent's attempt key: the child charges under it */
  idempotencyKey: string;
}

export type TokenChargeResult =
  | { kind: 'charged'; charge: ChargeResult; card: SavedCard }
  /** the gateway's answer was lost: the parent asks it by idempotency key */
  | { kind: 'unknown'; card: SavedCard }
  | { kind: 'rejected'; refusal: Refusal };

export interface NextAction {
  type: 'redirect_to_url';
  url: string;
}

/** What the customer's submit request answers (CONTRACT §2.2). */
export interface AttemptOutcome {
  result: AttemptResult;
  state: PaymentState;
  message: string;
  reference_number: string;
  decline_code?: string;
  token?: SavedCard;
  next_action?: NextAction;
}

export interface CheckoutStatus {
  state: PaymentState;
  attempts: Attempt[];
  attemptInFlight: boolean;
  challengePending: boolean;
}

/**
 * The gateway told the engine (a verified server-to-server notification, CONTRACT §9) that a
 * charge of this payment changed. The workflow then asks the gateway itself and settles what it
 * was waiting for; its validator refuses a notice about nothing it waits for, so a stray or
 * repeated notice adds no history.
 */
export interface GatewayNotice {
  /** the gateway's event id (notices are deduplicated by it before they get here) */
  eventId: string;
  chargeId: string;
  status: ChargeStatus;
}

export const submitPaymentUpdate = defineUpdate<AttemptOutcome, [SubmitAttempt]>('submitPayment');
export const gatewayNoticeUpdate = defineUpdate<void, [GatewayNotice]>('gatewayNotice');
/** The customer came back from the 3-D Secure page: ask the gateway and settle the attempt. */
export const resolveChallengeUpdate = defineUpdate<AttemptOutcome, []>('resolveChallenge');
/** The checkout page was opened: created → pending, recorded before the update returns. */
export const pageOpenedUpdate = defineUpdate<void, []>('openPage');
/** Kept for histories written before `openPage` existed. */
export const pageOpenedSignal = defineSignal('pageOpened');
export const statusQuery = defineQuery<CheckoutStatus>('status');

export const operationsWorkflowId = (sessionId: string): string => `operations-${sessionId}`;
export const webhookWorkflowId = (eventId: string): string => `webhook-${eventId}`;

export interface OperationRequest {
  operation: OperationKind;
  /** decimal string in major units; refund and capture (default: all that remains) */
  amount?: string;
  /** the merchant's Idempotency-Key / Tracking-Key: a repeat returns the recorded result */
  requestKey?: string;
}

/** The answer of an operation (CONTRACT §1.6). */
export interface OperationOutcome {
  operation: OperationKind;
  result: 'success' | 'failed';
  state: PaymentState;
  amount?: string;
  message: string;
  reference_number?: string;
}

/** The answer of an operation already recorded, for a retry of the same request. */
export function recordedOutcome(done: OperationRecord, state: PaymentState): OperationOutcome {
  return {
    operation: done.operation,
    result: done.result,
    state,
    ...(done.amount ? { amount: done.amount } : {}),
    message: done.message,
    reference_number: done.reference_number,
  };
}

export interface PaymentOperationsInput {
  sessionId: string;
}

/** refund / capture / void on a closed payment, one at a time (PaymentOperationsWorkflow) */
export const paymentOperationUpdate = defineUpdate<OperationOutcome, [OperationRequest]>('paymentOperation');
/** cancel / expire on an open session (CheckoutWorkflow) */
export const closeSessionUpdate = defineUpdate<OperationOutcome, [OperationRequest]>('closeSession');

export type { OperationRecord };

/**
 * New terms for an open session (PUT/PATCH of the payment): only what the workflow uses. Absent
 * fields stay as they are.
 */
export interface SessionAmendment {
  amount?: string;
  currencyCode?: CurrencyCode;
  gateways?: GatewayConfig[];
  /** ISO-8601: the expiry timer re-arms for it */
  expiresAt?: string;
  customerId?: string;
  orderNo?: string;
  webhookUrl?: string;
  agreementId?: string;
}

/** Changes an open session's terms; refused once it is closed or while an attempt runs. */
export const amendSessionUpdate = defineUpdate<{ state: PaymentState }, [SessionAmendment]>('amendSession');
