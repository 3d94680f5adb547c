/**
 * View model of the hosted checkout page (contract §2.1). The API layer builds it from the
 * payment session; `renderCheckoutPage` turns it into HTML. It never carries a full PAN or a CVV.
 */

import type { CardBrand } from '../domain/card';
import type { Language } from '../domain/language';

export type { Language };

export interface SavedCardView {
  token: string;
  /** the brand key; the page shows its name in the page's language */
  brand: CardBrand;
  /** the last 4 digits: all of the number the page ever shows */
  last4: string;
  /** the brand's CVV length (domain/card.ts) */
  cvvLength: number;
  /** "MM/YY", e.g. "01/39" */
  expiry: string;
  cvvRequired: boolean;
  isExpired: boolean;
  isPreferred: boolean;
  /**
   * The pg_code the card was saved with. Optional: when set, the page submits the saved card with
   * this pg_code instead of the selected payment method's.
   */
  pgCode?: string;
  /** where the customer removes the card (DELETE); absent when it cannot be removed */
  deleteUrl?: string;
  /** why the card cannot be removed (it pays an active auto-debit agreement), in the page's language */
  lockedReason?: string;
}

export interface OutcomeView {
  result: 'success' | 'failed' | 'pending';
  state: string;
  message: string;
  referenceNumber?: string;
  redirectUrl?: string;
}

export interface PaymentMethodView {
  /** pg_code */
  code: string;
  name: string;
  /** true → the "Save your card" checkbox is offered for this method */
  canSaveCard: boolean;
}

export interface CheckoutView {
  sessionId: string;
  merchantName: string;
  language: Language;
  /** Exact decimal string, e.g. "20.230" — never parsed to a float. */
  amount: string;
  currencyCode: string;
  orderNo?: string;
  /** Contract §3 state: created, pending, attempted, paid, authorized, failed, expired, canceled, ... */
  state: string;
  /** false when paid / failed / expired / canceled / authorized (no form is rendered). */
  payable: boolean;
  paymentMethods: PaymentMethodView[];
  /** Preferred first; expired ones are shown disabled. */
  savedCards: SavedCardView[];
  /** The session's outcome when closed (or the last attempt's while still payable). */
  outcome?: OutcomeView;
  /** e.g. "/checkout/<id>/submit" */
  submitUrl: string;
  /** Sent as header "X-CSRF-Token" on submit. */
  csrfToken: string;
  /** e.g. "/static" */
  staticBase: string;
}
