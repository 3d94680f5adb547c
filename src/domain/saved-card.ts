/**
 * May this saved card be charged for this payment? One answer for the customer's submit, the
 * merchant's auto-debit (API pre-checks) and TokenChargeWorkflow (the authority), in the order the
 * refusals are told.
 */
import { isExpired, type Expiry } from './card';
import type { GatewayConfig } from './gateway-config';
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
