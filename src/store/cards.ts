/** Saved cards (tokens). Dedupe by keyed fingerprint rides on a unique index, not on a lookup. */
import { randomBytes } from 'node:crypto';
import { MongoServerError } from 'mongodb';

import { isExpired, maskLast4, brandName } from '../domain/card';
import type { CardSummary, CardView } from '../domain/payment';
import type { CardBrand } from '../gateway/port';
import type { Collections, SavedCardDoc } from './mongo';

export interface SaveCardInput {
  merchantId: string;
  customerId: string;
  pgCode: string;
  gatewayRef: string;
  fingerprint: string;
  card: CardSummary;
  /** auto-debit agreement the card is saved for */
  agreementId?: string;
}

/** Consecutive wrong CVCs that lock a saved card until it is paid with in full again. */
export const CVC_LOCK_THRESHOLD = 3;

export function isLocked(doc: Pick<SavedCardDoc, 'locked_at'>): boolean {
  return !!doc.locked_at;
}

const DUPLICATE_KEY = 11000;

export function newCardToken(): string {
  return randomBytes(20).toString('hex');
}

/** Saves the card or, when this customer already saved it at this gateway, refreshes that token. */
export async function saveCard(c: Collections, input: SaveCardInput, now: Date): Promise<SavedCardDoc> {
  const doc: SavedCardDoc = {
    _id: newCardToken(),
    merchant_id: input.merchantId,
    customer_id: input.customerId,
    pg_code: input.pgCode,
    gateway_ref: input.gatewayRef,
    fingerprint: input.fingerprint,
    brand: input.card.brand,
    bin: input.card.bin,
    last4: input.card.last4,
    exp_month: input.card.exp_month,
    exp_year: input.card.exp_year,
    name_on_card: input.card.name_on_card,
    agreements: input.agreementId ? [input.agreementId] : [],
    created_at: now,
    last_used_at: now,
    cvc_failures: 0,
    locked_at: null,
  };
  try {
    await c.cards.insertOne(doc);
    await addToWallet(c, doc);
    return doc;
  } catch (error) {
    if (!(error instanceof MongoServerError) || error.code !== DUPLICATE_KEY) throw error;
  }
  // This customer saved this card here before: refresh that token.
  const same = (card: SavedCardDoc): boolean =>
    card.pg_code === input.pgCode && card.fingerprint === input.fingerprint;
  const known = (await walletCards(c, input.merchantId, input.customerId)).find(same);
  const key = known
    ? { _id: known._id }
    : {
        merchant_id: input.merchantId,
        customer_id: input.customerId,
        pg_code: input.pgCode,
        fingerprint: input.fingerprint,
      };
  // Paying with the full card again also lifts a CVC lock.
  await c.cards.updateOne(key, {
    $set: {
      gateway_ref: input.gatewayRef,
      exp_month: input.card.exp_month,
      exp_year: input.card.exp_year,
      name_on_card: input.card.name_on_card,
      last_used_at: now,
      cvc_failures: 0,
      locked_at: null,
    },
    ...(input.agreementId ? { $addToSet: { agreements: input.agreementId } } : {}),
  });
  const existing = await c.cards.findOne(key);
  if (!existing) throw new Error('saved card vanished during dedupe'); // deleted concurrently: retry
  await addToWallet(c, existing); // heals a save that crashed between its two writes
  return existing;
}

const walletId = (merchantId: string, customerId: string): string => `${merchantId}:${customerId}`;

async function addToWallet(c: Collections, card: SavedCardDoc): Promise<void> {
  await c.wallets.updateOne(
    { _id: walletId(card.merchant_id, card.customer_id) },
    { $addToSet: { tokens: card._id } },
    { upsert: true },
  );
}

/** Every card in the customer's wallet, each read by `_id`. */
async function walletCards(c: Collections, merchantId: string, customerId: string): Promise<SavedCardDoc[]> {
  const wallet = await c.wallets.findOne({ _id: walletId(merchantId, customerId) });
  const cards = await Promise.all(
    (wallet?.tokens ?? []).slice(-MAX_CARDS_PER_CUSTOMER).map((token) => c.cards.findOne({ _id: token })),
  );
  // a token whose card is gone (deleted) or not this customer's is simply not there
  return cards.filter(
    (card): card is SavedCardDoc =>
      !!card && card.merchant_id === merchantId && card.customer_id === customerId,
  );
}

/** More than enough for a person; bounds the work of a listing. */
const MAX_CARDS_PER_CUSTOMER = 100;

export async function listCustomerCards(
  c: Collections,
  merchantId: string,
  customerId: string,
  pgCodes?: string[],
): Promise<SavedCardDoc[]> {
  const cards = await walletCards(c, merchantId, customerId);
  return cards
    .filter((card) => !pgCodes || pgCodes.includes(card.pg_code))
    .sort((a, b) => b.last_used_at.getTime() - a.last_used_at.getTime() || (a._id < b._id ? -1 : 1));
}

export async function findCard(
  c: Collections,
  merchantId: string,
  token: string,
): Promise<SavedCardDoc | null> {
  return c.cards.findOne({ _id: token, merchant_id: merchantId });
}

export async function deleteCard(
  c: Collections,
  merchantId: string,
  customerId: string,
  token: string,
): Promise<boolean> {
  const result = await c.cards.deleteOne({ _id: token, merchant_id: merchantId, customer_id: customerId });
  if (result.deletedCount === 1) {
    await c.wallets.updateOne({ _id: walletId(merchantId, customerId) }, { $pull: { tokens: token } });
  }
  return result.deletedCount === 1;
}

/** The Card object of the contract; `preferred` is decided by the caller's ordering. */
export function toCardView(
  doc: SavedCardDoc,
  view: { cvvRequired: boolean; preferred: boolean; now: Date },
): CardView {
  return {
    token: doc._id,
    customer_id: doc.customer_id,
    brand: brandName(doc.brand as CardBrand),
    name_on_card: doc.name_on_card,
    number: maskLast4(doc.last4),
    expiry_month: doc.exp_month,
    expiry_year: doc.exp_year,
    pg_code: doc.pg_code,
    is_preferred: view.preferred,
    is_expired: isExpired({ month: doc.exp_month, year: doc.exp_year }, view.now),
    cvv_required: view.cvvRequired,
    agreements: doc.agreements,
  };
}

/** A successful charge with the saved card: most recently used first, CVC counter reset. */
export async function markCardUsed(
  c: Collections,
  token: string,
  now: Date,
  agreementId?: string,
): Promise<void> {
  await c.cards.updateOne(
    { _id: token },
    {
      $set: { last_used_at: now, cvc_failures: 0 },
      ...(agreementId ? { $addToSet: { agreements: agreementId } } : {}),
    },
  );
}

/** Counts an incorrect_cvc decline; returns true when this one locked the card. */
export async function registerCvcFailure(c: Collections, token: string, now: Date): Promise<boolean> {
  const doc = await c.cards.findOneAndUpdate(
    { _id: token },
    { $inc: { cvc_failures: 1 } },
    { returnDocument: 'after' },
  );
  if (!doc || (doc.cvc_failures ?? 0) < CVC_LOCK_THRESHOLD || doc.locked_at) return false;
  await c.cards.updateOne({ _id: token }, { $set: { locked_at: now } });
  return true;
}

/** The customer paid with the full card: lift any CVC lock on their saved copies of it. */
export async function unlockByFingerprint(
  c: Collections,
  merchantId: string,
  customerId: string,
  fingerprint: string,
): Promise<void> {
  const copies = (await walletCards(c, merchantId, customerId)).filter(
    (card) => card.fingerprint === fingerprint && (card.locked_at || card.cvc_failures),
  );
  for (const card of copies) {
    await c.cards.updateOne({ _id: card._id }, { $set: { cvc_failures: 0, locked_at: null } });
  }
}
