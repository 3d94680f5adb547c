/** The shapes of a payment as merchants see it (CONTRACT §1.1, §1.2) and as MongoDB keeps it. */
import type { CardBrand } from './card';
import type { GatewayConfig } from './gateway-config';
import type { Language } from './language';
import type { CurrencyCode } from './money';
import type { PaymentState } from './states';

export type PaymentType = 'one_off' | 'auto_debit' | 'save_card';
export type AttemptResult = 'success' | 'failed' | 'pending' | 'canceled';

export interface Attempt {
  reference_number: string;
  result: AttemptResult;
  message: string;
  pg_code: string;
  created_at: string;
  decline_code?: string;
  charge_id?: string;
  payment_method: 'card' | 'token';
}

/** What the engine and merchants may know about a card: never the PAN or the CVV. */
export interface CardSummary {
  brand: CardBrand;
  bin: string;
  last4: string;
  exp_month: string;
  exp_year: string;
  name_on_card: string;
}

/**
 * A saved card as the engine passes it around (workflows, records, webhooks): the token and what
 * may be shown, never the PAN or the CVV. The merchant's Card object (CONTRACT §1.3) and the page's
 * saved-card row are presentations of it (api/card-response.ts, web/).
 */
export interface SavedCard {
  token: string;
  customer_id: string;
  brand: CardBrand;
  name_on_card: string;
  last4: string;
  /** "01".."12" */
  expiry_month: string;
  /** two digits */
  expiry_year: string;
  pg_code: string;
  /** auto-debit agreements the card is linked to */
  agreements: string[];
}

export interface CustomerDetails {
  customer_id?: string;
  customer_email?: string;
  customer_phone?: string;
  customer_first_name?: string;
  customer_last_name?: string;
  billing_address?: {
    line1?: string;
    line2?: string;
    city?: string;
    state?: string;
    country?: string;
    postal_code?: string;
  };
}

export type OperationKind = 'refund' | 'capture' | 'void' | 'cancel' | 'expire';

/** One merchant operation on a payment (CONTRACT §1.6), as recorded and returned. */
export interface OperationRecord {
  operation: OperationKind;
  result: 'success' | 'failed';
  /** decimal string; refund and capture only */
  amount?: string;
  message: string;
  reference_number: string;
  created_at: string;
  gateway_reference?: string;
  /** the merchant's Idempotency-Key / Tracking-Key, so a retry finds this operation */
  request_key?: string;
}

/** The MongoDB record of a payment: the system of record that outlives Temporal's retention. */
export interface PaymentRecord extends CustomerDetails {
  _id: string;
  session_id: string;
  merchant_id: string;
  type: 'payment_request' | 'e_commerce';
  amount: string;
  currency_code: CurrencyCode;
  pg_codes: string[];
  /** snapshot of the configs at creation: a payment keeps the rules it was created under */
  gateways: GatewayConfig[];
  order_no?: string;
  expiration_time: string;
  expires_at: string;
  webhook_url?: string;
  redirect_url?: string;
  language: Language;
  extra?: Record<string, unknown>;
  payment_type: PaymentType;
  agreement?: Record<string, unknown>;
  operation: 'purchase' | 'authorize';
  state: PaymentState;
  attempts: Attempt[];
  /** the card saved or used by the successful attempt */
  token?: SavedCard;
  charge_id?: string;
  pg_code?: string;
  /** merchant operations, oldest first */
  operations?: OperationRecord[];
  /** decimal strings: what the gateway has captured and refunded so far */
  captured_amount?: string;
  refunded_amount?: string;
  /** the merchant's attachment: the URL it is served back at */
  attachment?: string;
  /** charged by the merchant (auto-debit or a one-step create), not paid by the customer */
  merchant_initiated?: boolean;
  /** Ottu's `delete` operation: hidden from the merchant API from then on */
  deleted_at?: string;
  created_at: string;
  updated_at: string;
  /** the last revision applied from each writer (see PaymentPatch) */
  revisions?: Partial<Record<RecordWriter, number>>;
  /** set by reconciliation: what an operator must look at */
  needs_attention?: { reason: string; at: string };
  /** when reconciliation last asked the gateway about the unconfirmed attempts */
  unconfirmed_checked_at?: string;
}

/** The workflows that write a payment record, each in its own phase. */
export type RecordWriter = 'checkout' | 'operations';

/**
 * A workflow's change to a payment record. Each writer numbers its writes; the store applies a
 * write only when its revision is higher than the last it applied from that writer, and only when
 * the record may move to the written state, so a late or repeated write is a no-op.
 */
export interface PaymentPatch {
  writer: RecordWriter;
  revision: number;
  state: PaymentState;
  attempts?: Attempt[];
  operations?: OperationRecord[];
  captured_amount?: string;
  refunded_amount?: string;
  token?: SavedCard;
  charge_id?: string;
  pg_code?: string;
}
