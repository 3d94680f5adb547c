/**
 * Which auto-debit agreements lock a saved card against deletion — one answer for the merchant's
 * card delete, the customer's removal on the hosted page and in the SDK, and the cards they are
 * shown. A card locks an agreement while it is the card that agreement charges (the customer's card
 * linked to it that was used last: domain/saved-card.ts `agreementsHeldBy`) and the agreement is
 * still active by the terms of its latest payment (`agreementActive`).
 */
import { agreementActive, agreementsHeldBy } from '../domain/saved-card';
import { isSuccess } from '../domain/states';
import type { Store } from '../store';
import type { SavedCardDoc } from '../store/mongo';
import { agreementTermsOf } from './auto-debit';

export async function lockingAgreements(
  store: Store,
  card: SavedCardDoc,
  customerCards: readonly SavedCardDoc[],
  now: Date,
): Promise<string[]> {
  const held = agreementsHeldBy(
    card._id,
    customerCards.map((c) => ({ token: c._id, agreements: c.agreements, lastUsedAt: c.last_used_at })),
  );
  const locking: string[] = [];
  for (const id of held) {
    const payments = await store.payments.underAgreement(card.merchant_id, card.customer_id, id);
    const merchantCharges = payments.filter(
      (p) => p.merchant_initiated && (isSuccess(p.state) || p.state === 'refunded' || p.state === 'voided'),
    ).length;
    if (agreementActive(agreementTermsOf(payments.at(-1)?.agreement), merchantCharges, now)) locking.push(id);
  }
  return locking;
}
