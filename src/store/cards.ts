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
    agreements: [],
    created_at: now,
    last_used_at: now,
  };
  try {
    await c.cards.insertOne(doc);
    return doc;
  } catch (error) {
    if (!(error instanceof MongoServerError) || error.code !== DUPLICATE_KEY) throw error;
  }
  const key = {
    merchant_id: input.merchantId,
    customer_id: input.customerId,
    pg_code: input.pgCode,
    fingerprint: input.fingerprint,
  };
  await c.cards.updateOne(key, {
    $set: {
      gateway_ref: input.gatewayRef,
      exp_month: input.card.exp_month,
      exp_year: input.card.exp_year,
      name_on_card: input.card.name_on_card,
      last_used_at: now,
    },
  });
  const existing = await c.cards.findOne(key);
  if (!existing) throw new Error('saved card vanished during dedupe'); // deleted concurrently: retry
  return existing;
}

export async function listCustomerCards(
  c: Collections,
  merchantId: string,
  customerId: string,
  pgCodes?: string[],
): Promise<SavedCardDoc[]> {
  return c.cards
    .find({
      merchant_id: merchantId,
      customer_id: customerId,
      ...(pgCodes ? { pg_code: { $in: pgCodes } } : {}),
    })
    .sort({ last_used_at: -1, _id: 1 })
    .limit(100)
    .toArray();
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
