/**
 * May this saved card be charged for this payment? One answer for the customer's submit, the
 * merchant's auto-debit (API pre-checks) and TokenChargeWorkflow (the authority), in the order the
 * refusals are told.
 */
import { isExpired, type Expiry } from './card';
import type { GatewayConfig } from './gateway-config';
import { formatMinorUnits, normalizeAmount, parseMinorUnits, type CurrencyCode } from './money';
import type { PaymentType } from './payment';
import { refusal, type Refusal } from './refusals';

/** Consecutive wrong CVCs that lock a saved card until it is paid with in full again. */
export const CVC_LOCK_THRESHOLD = 3;

/** What the rules need to know about a stored card. */
export interface SavedCardFacts {
  customerId: string;
  pgCode: string;
  locked: boolean;
  expiry: Expiry;
}

export interface SavedCardCharge {
  /** the payment's customer; a card is only ever charged for its owner */
  customerId: string | undefined;
  paymentType: PaymentType;
  /** the pg_code the customer chose, when they chose one (the merchant's auto-debit does not) */
  requestedPgCode?: string;
  /** the gateway config the payment offers for the card's pg_code, if it offers it */
  config: GatewayConfig | undefined;
  /** merchant-initiated (auto-debit): no customer present, so no CVV */
  merchantInitiated: boolean;
  /** the customer gave a CVV (as a gateway cvc_token) */
  cvvGiven: boolean;
  now: Date;
}

export function savedCardRefusal(card: SavedCardFacts | null, charge: SavedCardCharge): Refusal | undefined {
  if (charge.merchantInitiated && charge.paymentType === 'save_card') {
    return refusal('save_card_not_chargeable');
  }
  if (!card || !charge.customerId || card.customerId !== charge.customerId) return refusal('token_not_found');
  const config = charge.config;
  if (!config || (charge.requestedPgCode !== undefined && charge.requestedPgCode !== card.pgCode)) {
    return refusal('token_gateway_mismatch');
  }
  if (charge.merchantInitiated) {
    if (!config.auto_debit_enabled) return refusal('auto_debit_disabled', { pg_code: config.pg_code });
    if (config.cvv_required) return refusal('auto_debit_needs_cvv', { pg_code: config.pg_code });
  }
  if (card.locked) return refusal('token_locked');
  if (isExpired(card.expiry, charge.now)) return refusal('card_expired');
  if (!charge.merchantInitiated && config.cvv_required && !charge.cvvGiven) return refusal('cvv_required');
  return undefined;
}

/** Does the customer have to type the CVV to pay with a card saved for this config? */
export function cvvRequired(config: Pick<GatewayConfig, 'cvv_required'> | undefined): boolean {
  // A card whose gateway the payment does not offer cannot be paid with; asking is the safe side.
  return config?.cvv_required ?? true;
}

/** One more incorrect_cvc: does the card lock now? (`failures` counts this one.) */
export function locksAfter(failures: number): boolean {
  return failures >= CVC_LOCK_THRESHOLD;
}

/**
 * An auto-debit agreement's terms as the merchant gave them on the payment (Ottu's `Agreement`):
 * every limit is optional, and only the ones given bind.
 */
export interface AgreementTerms {
  id: string;
  /** YYYY-MM-DD: no charge before this day */
  start_date?: string;
  /** YYYY-MM-DD: no charge after this day; afterwards the agreement is no longer active */
  expiry_date?: string;
  /** decimal string in the payment's currency */
  max_amount_per_cycle?: string;
  /** at least this many days between two payments (Ottu: "the minimum number of days between payments") */
  cycle_interval_days?: number;
  /** at most this many merchant-initiated payments (Ottu: "the number of merchant-initiated payments") */
  total_cycles?: number;
  /** the payer's schedule as told to the gateway; the binding gap is `cycle_interval_days` */
  frequency?: string;
  /** `fixed`: every charge is the amount of the first */
  amount_variability?: string;
}

/** A payment already made under the agreement (paid or authorized), oldest first. */
export interface AgreementCharge {
  amountMinor: bigint;
  at: Date;
  /** charged by the merchant (auto-debit), not paid by the customer on the page */
  merchantInitiated: boolean;
}

const DAY_MS = 24 * 3600 * 1000;
const isoDay = (date: Date): string => date.toISOString().slice(0, 10);

export interface MerchantInitiatedCharge {
  paymentType: PaymentType;
  /** the payment's agreement, if it has one */
  agreement: AgreementTerms | undefined;
  /** the card the merchant asks to charge */
  token: string;
  /** the customer's card linked to this agreement now, if any */
  linkedToken: string | undefined;
  /** the one-step create (`payment_instrument`): its card becomes the linked one when none is */
  oneStep: boolean;
  amountMinor: bigint;
  currency: CurrencyCode;
  /** earlier charges under this agreement, oldest first (not this payment) */
  history: AgreementCharge[];
  now: Date;
}

/**
 * May the merchant charge this card without the customer, under this agreement? A
 * merchant-initiated charge is bound to its agreement: only an auto_debit payment with one, only
 * the card linked to it (the first charge of a one-step create links its card), and only within
 * the limits the agreement gives (start and expiry day, amount per cycle, a fixed amount, the
 * number of merchant-initiated cycles, the minimum gap in days between payments). Checked after `savedCardRefusal`.
 */
export function agreementRefusal(charge: MerchantInitiatedCharge): Refusal | undefined {
  const terms = charge.agreement;
  if (charge.paymentType !== 'auto_debit' || !terms) return refusal('auto_debit_needs_agreement');
  const agreement_id = terms.id;
  const linkable = charge.oneStep && charge.linkedToken === undefined;
  if (charge.linkedToken !== charge.token && !linkable) {
    return refusal('token_not_linked_to_agreement', { agreement_id });
  }
  const today = isoDay(charge.now);
  if (terms.start_date && today < terms.start_date) {
    return refusal('agreement_not_started', { agreement_id, start_date: terms.start_date });
  }
  if (terms.expiry_date && today > terms.expiry_date) {
    return refusal('agreement_expired', { agreement_id, expiry_date: terms.expiry_date });
  }
  if (terms.max_amount_per_cycle !== undefined) {
    const max = parseMinorUnits(
      normalizeAmount(terms.max_amount_per_cycle, charge.currency),
      charge.currency,
    );
    if (charge.amountMinor > max) {
      return refusal('agreement_amount_exceeded', {
        agreement_id,
        max_amount_per_cycle: formatMinorUnits(max, charge.currency),
      });
    }
  }
  const first = charge.history[0];
  if (terms.amount_variability === 'fixed' && first && first.amountMinor !== charge.amountMinor) {
    return refusal('agreement_amount_fixed', {
      agreement_id,
      amount: formatMinorUnits(first.amountMinor, charge.currency),
    });
  }
  const merchantCharges = charge.history.filter((c) => c.merchantInitiated).length;
  if (terms.total_cycles !== undefined && merchantCharges >= terms.total_cycles) {
    return refusal('agreement_cycles_used', { agreement_id, total_cycles: String(terms.total_cycles) });
  }
  const gapDays = terms.cycle_interval_days;
  const last = charge.history[charge.history.length - 1];
  if (gapDays !== undefined && last) {
    const next = new Date(last.at.getTime() + gapDays * DAY_MS);
    if (charge.now < next) {
      return refusal('agreement_too_soon', { agreement_id, next_charge_after: next.toISOString() });
    }
  }
  return undefined;
}

/**
 * Is the agreement still active (its card locked against deletion)? Until its expiry day has
 * passed or all its cycles are charged; an agreement with neither limit stays active.
 */
export function agreementActive(
  terms: AgreementTerms | undefined,
  merchantCharges: number,
  now: Date,
): boolean {
  if (!terms) return true; // linked, terms unknown: the safe side keeps the card
  if (terms.expiry_date && isoDay(now) > terms.expiry_date) return false;
  if (terms.total_cycles !== undefined && merchantCharges >= terms.total_cycles) return false;
  return true;
}

/** A saved card of the customer, as far as its auto-debit agreements are concerned. */
export interface CardOnAgreements {
  token: string;
  /** the agreements the card was ever charged or saved for */
  agreements: readonly string[];
  lastUsedAt: Date;
}

/**
 * The agreements this card is the current card of: for each of its agreements, the card used
 * most recently among the customer's cards linked to it. Such a card pays the merchant's next
 * auto-debit, so (as on Ottu) the customer cannot remove it until another card replaces it on
 * that agreement.
 */
export function agreementsHeldBy(token: string, customerCards: readonly CardOnAgreements[]): string[] {
  const card = customerCards.find((c) => c.token === token);
  if (!card) return [];
  return card.agreements.filter((agreement) => {
    const current = customerCards
      .filter((c) => c.agreements.includes(agreement))
      .reduce((latest, c) => (c.lastUsedAt.getTime() > latest.lastUsedAt.getTime() ? c : latest));
    return current.token === token;
  });
}

/** May the customer remove this saved card? (Its agreements per `agreementsHeldBy`.) */
export function cardRemovalRefusal(heldAgreements: readonly string[]): Refusal | undefined {
  return heldAgreements.length > 0 ? refusal('card_in_agreement') : undefined;
}
