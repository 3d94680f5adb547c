/**
 * Ottu's `CheckoutSDK` object (`sdk_setup_preload_payload` in `static/Ottu_API.yaml`): what the
 * Web Checkout SDK renders a session from. A merchant asks for it on create
 * (`include_sdk_setup_preload: true`) and passes it to `Checkout.init({setupPreload})`, so the
 * SDK renders without fetching; the SDK frame fetches the same object when it has none (or an
 * invalid one). Built from the payment record (its gateway configs as they were at creation) and
 * the customer's saved cards, each with `cvv_required` and the `delete_url` the customer removes
 * it with. Pure: the caller loads the cards and gives the time.
 *
 * Where tokenpay's object differs from Ottu's schema: `billing` is an object (Ottu's spec types
 * it as a string while describing an object); `cancel_url` is null (tokenpay has no
 * customer-side cancel: the merchant cancels with the operations API); `payment_services` and
 * `flex_methods` are empty (no wallets or buy-now-pay-later here). Cards carry three fields of
 * tokenpay's own: `delete_url` (null when the card cannot be removed), `is_locked` and
 * `locked_reason` (a card paying an active auto-debit agreement).
 */
import type { Language } from '../domain/language';
import { formatMinorUnits } from '../domain/money';
import type { PaymentRecord, SavedCard } from '../domain/payment';
import { refusal, refusalMessage } from '../domain/refusals';
import { cardRemovalRefusal, cvvRequired } from '../domain/saved-card';
import { cardObject, type CardObject } from './card';

/** A saved card the session offers, with the auto-debit agreements it is the current card of. */
export interface SessionCard {
  card: SavedCard;
  heldAgreements: string[];
}

export type SdkCard = CardObject & {
  delete_url: string | null;
  is_locked: boolean;
  locked_reason: string | null;
};

export interface SdkPaymentMethod {
  code: string;
  name: string;
  type: PaymentRecord['type'];
  amount: string;
  currency_code: string;
  fee: string;
  fee_description: string;
  icon: string;
  icons: string[];
  /** `card_form`: the SDK's own card form (new card, save card, saved cards) */
  flow: 'card_form';
  /** the hosted checkout page, for a customer the SDK sends away */
  redirect_url: string;
  can_save_card: boolean;
}

export interface SdkSetupPreload {
  session_id: string;
  type: PaymentRecord['type'];
  state: PaymentRecord['state'];
  amount: string;
  currency_code: string;
  customer_id?: string;
  customer_phone?: string;
  language: Language;
  operation: PaymentRecord['operation'];
  payment_type: PaymentRecord['payment_type'];
  expiration_time: string;
  is_amount_editable: false;
  billing: {
    total: { label: string; amount: string; currency_code: string };
    fee: { label: string; amount: string; currency_code: string };
  };
  cancel_url: null;
  cards: SdkCard[];
  payment_methods: SdkPaymentMethod[];
  payment_services: [];
  flex_methods: [];
  sdk_studio: Record<string, never>;
  /** the latest attempt's answer, as the SDK's callbacks would tell it; empty before any */
  response: {
    status?: string;
    message?: string;
    reference_number?: string;
    pg_code?: string;
  };
}

export interface SdkSetupInput {
  record: PaymentRecord;
  cards: readonly SessionCard[];
  publicBaseUrl: string;
  now: Date;
}

export const checkoutUrlOf = (publicBaseUrl: string, sessionId: string): string =>
  `${publicBaseUrl}/checkout/${sessionId}`;

/** Where the session's customer removes a saved card (DELETE, with the page's CSRF token). */
export const cardDeleteUrl = (publicBaseUrl: string, sessionId: string, token: string): string =>
  `${checkoutUrlOf(publicBaseUrl, sessionId)}/cards/${token}`;

export function sdkSetupPreload({ record, cards, publicBaseUrl, now }: SdkSetupInput): SdkSetupPreload {
  const zero = formatMinorUnits(0n, record.currency_code);
  const checkoutUrl = checkoutUrlOf(publicBaseUrl, record._id);
  const last = record.attempts.at(-1);
  // Ottu: a save_card session hides the saved cards (the customer is saving a new one).
  const shown = record.payment_type === 'save_card' ? [] : cards;
  return {
    session_id: record._id,
    type: record.type,
    state: record.state,
    amount: record.amount,
    currency_code: record.currency_code,
    ...(record.customer_id ? { customer_id: record.customer_id } : {}),
    ...(record.customer_phone ? { customer_phone: record.customer_phone } : {}),
    language: record.language,
    operation: record.operation,
    payment_type: record.payment_type,
    expiration_time: record.expires_at,
    is_amount_editable: false,
    billing: {
      total: { label: 'Total', amount: record.amount, currency_code: record.currency_code },
      fee: { label: 'Fee', amount: zero, currency_code: record.currency_code },
    },
    cancel_url: null,
    cards: shown.map(({ card, heldAgreements }, i) => {
      const locked = cardRemovalRefusal(heldAgreements);
      return {
        ...cardObject(card, {
          cvvRequired: cvvRequired(record.gateways.find((g) => g.pg_code === card.pg_code)),
          preferred: i === 0,
          now,
        }),
        delete_url: locked ? null : cardDeleteUrl(publicBaseUrl, record._id, card.token),
        is_locked: !!locked,
        locked_reason: locked ? refusalMessage(refusal('card_in_agreement'), record.language) : null,
      };
    }),
    payment_methods: record.gateways.map((g) => ({
      code: g.pg_code,
      name: g.name,
      type: record.type,
      amount: record.amount,
      currency_code: record.currency_code,
      fee: zero,
      fee_description: '',
      icon: '',
      icons: [],
      flow: 'card_form' as const,
      redirect_url: checkoutUrl,
      can_save_card: g.tokenization_enabled && !!record.customer_id,
    })),
    payment_services: [],
    flex_methods: [],
    sdk_studio: {},
    response: last
      ? {
          status: last.result,
          message: last.message,
          reference_number: last.reference_number,
          pg_code: last.pg_code,
        }
      : {},
  };
}
