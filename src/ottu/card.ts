/**
 * Ottu's Card object (CONTRACT §1.3), the merchant's view of a saved card in the User Cards API,
 * payment responses and webhooks: the brand as a display name, the number masked.
 */
import { isCardBrand, isExpired, maskLast4, type CardBrand } from '../domain/card';
import type { PaymentRecord, SavedCard } from '../domain/payment';
import { cvvRequired } from '../domain/saved-card';

export interface CardObject {
  token: string;
  customer_id: string;
  brand: string;
  name_on_card: string;
  number: string;
  expiry_month: string;
  expiry_year: string;
  pg_code: string;
  /** the gateway provider, from Ottu's closed list of them */
  pg_name: string;
  is_preferred: boolean;
  is_expired: boolean;
  cvv_required: boolean;
  agreements: string[];
}

/**
 * Ottu's `pg_name` is the gateway provider, one of a closed list (knet, cybersource, ...,
 * ottu_sandbox). tokenpay's gateway is its sandbox PSP (the gateway simulator), so its cards
 * name the sandbox provider.
 */
export const GATEWAY_PROVIDER = 'ottu_sandbox';

/** How brands read in Ottu's card objects ("Visa, Mastercard"). */
export const BRAND_DISPLAY_NAMES: Record<CardBrand, string> = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  amex: 'American Express',
  unknown: 'Card',
};

/** A stored brand: a key; records written before keys and names were apart hold the name. */
function brandKey(stored: string): CardBrand {
  if (isCardBrand(stored)) return stored;
  const byName = (Object.keys(BRAND_DISPLAY_NAMES) as CardBrand[]).find(
    (k) => BRAND_DISPLAY_NAMES[k] === stored,
  );
  return byName ?? 'unknown';
}

export function cardObject(
  card: SavedCard,
  view: { cvvRequired: boolean; preferred: boolean; now: Date },
): CardObject {
  // Records written before `last4` existed kept the masked number.
  const last4 = card.last4 ?? String((card as { number?: string }).number ?? '').slice(-4);
  return {
    token: card.token,
    customer_id: card.customer_id,
    brand: BRAND_DISPLAY_NAMES[brandKey(card.brand)],
    name_on_card: card.name_on_card,
    number: maskLast4(last4),
    expiry_month: card.expiry_month,
    expiry_year: card.expiry_year,
    pg_code: card.pg_code,
    pg_name: GATEWAY_PROVIDER,
    is_preferred: view.preferred,
    is_expired: isExpired({ month: card.expiry_month, year: card.expiry_year }, view.now),
    cvv_required: view.cvvRequired,
    agreements: card.agreements,
  };
}

/** The card a payment saved or used, as merchants see cards. */
export function paymentCard(
  record: Pick<PaymentRecord, 'token' | 'gateways'>,
  now: Date,
): CardObject | undefined {
  const token = record.token;
  if (!token) return undefined;
  const config = record.gateways.find((g) => g.pg_code === token.pg_code);
  return cardObject(token, { cvvRequired: cvvRequired(config), preferred: true, now });
}
