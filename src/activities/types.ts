/** Inputs and results of activities: plain data that is safe to put in workflow history. */
import type { ChargeAnswer } from '../domain/charge';
import type { CurrencyCode } from '../domain/money';
import type { PaymentBalance } from '../domain/operations';
import type { CardSummary, OperationRecord, SavedCard } from '../domain/payment';
import type { SavedCardFacts } from '../domain/saved-card';
import type { PaymentState } from '../domain/states';
import type { GatewayCard } from '../gateway/port';

export interface ChargeGatewayInput {
  /** derived from the session and the persisted attempt number: a retry reuses it */
  idempotencyKey: string;
  pgCode: string;
  /** decimal string in major units */
  amount: string;
  currency: CurrencyCode;
  capture: boolean;
  gatewayToken?: string;
  sourceToken?: string;
  cvcToken?: string;
  storeCard: boolean;
  returnUrl?: string;
  threeDs: 'never' | 'if_required';
  merchantInitiated?: boolean;
}

export interface ChargeResult extends ChargeAnswer {
  card: GatewayCard;
  sourceToken?: string;
  nextActionUrl?: string;
}

export interface TokenizeCardInput {
  merchantId: string;
  customerId: string;
  pgCode: string;
  sourceToken: string;
  card: CardSummary;
  fingerprint: string;
  agreementId?: string;
}

export interface SavedCardForCharge {
  facts: SavedCardFacts;
  card: SavedCard;
  /** the gateway's card-on-file reference */
  gatewayRef: string;
}

export interface SavedCardOutcome {
  token: string;
  outcome: 'success' | 'incorrect_cvc';
  /** the attempt's gateway key: an attempt's wrong CVC counts once, however often it is written */
  attemptKey: string;
  agreementId?: string;
}

/** What the operations workflow needs to know about a payment to decide an operation. */
export interface PaymentForOperations extends PaymentBalance {
  sessionId: string;
  merchantId: string;
  /** the last revision the operations workflow wrote to the record */
  revision: number;
  operations: OperationRecord[];
  webhookUrl?: string;
}

export interface GatewayOperationInput {
  chargeId: string;
  kind: 'refund' | 'capture' | 'void';
  /** decimal string; not for void */
  amount?: string;
  currency: CurrencyCode;
  idempotencyKey: string;
}

export interface GatewayOperationResult {
  gatewayReference: string;
}

/** One webhook notification; the body is rebuilt identically on every retry. */
export interface WebhookEventInput {
  eventId: string;
  sessionId: string;
  merchantId: string;
  url: string;
  timestampUtc: string;
  /** `card_deleted`: the session's customer removed a saved card (`card` says which) */
  kind: 'payment' | 'operation' | 'card_deleted';
  state: PaymentState;
  result: 'success' | 'failed' | 'pending' | 'canceled';
  operation?: string;
  amount?: string;
  referenceNumber?: string;
  /** the card a `card_deleted` event is about: what may be shown of it, never the PAN */
  card?: SavedCard;
}
