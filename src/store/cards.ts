/**
 * Saved cards (tokens) and the per-customer wallets that list them. Dedupe by keyed fingerprint
 * rides on a unique index, not on a lookup.
 */
import { randomBytes } from 'node:crypto';
import { MongoServerError, type Collection } from 'mongodb';

import type { CardSummary, SavedCard } from '../domain/payment';
import { locksAfter, type SavedCardFacts } from '../domain/saved-card';
import { LEGACY_KEY_ID, parseCardFingerprints, type FingerprintCandidate } from '../secrets/fingerprint';
import type { SavedCardDoc, WalletDoc } from './mongo';

export interface SaveCardInput {
  merchantId: string;
  customerId: string;
  pgCode: string;
  gatewayRef: string;
  /** `kid:hex[,kid:hex…]` from secrets/fingerprint: the current key's first, then older keys' */
  fingerprint: string;
  card: CardSummary;
  /** auto-debit agreement the card is saved for */
  agreementId?: string;
}

const DUPLICATE_KEY = 11000;

/** More than enough for a person; bounds the work of a listing. */
const MAX_CARDS_PER_CUSTOMER = 100;

export function newCardToken(): string {
  return randomBytes(20).toString('hex');
}

const walletId = (merchantId: string, customerId: string): string => `${merchantId}:${customerId}`;

/** Is this stored card the card one of these fingerprints describes? */
const fingerprintMatches = (card: SavedCardDoc, candidates: FingerprintCandidate[]): boolean =>
  candidates.some(
    (c) => c.value === card.fingerprint && c.keyId === (card.fingerprint_key_id ?? LEGACY_KEY_ID),
  );

/** What may leave the store about a card: never the gateway reference or the fingerprint. */
export function toSavedCard(doc: SavedCardDoc): SavedCard {
  return {
    token: doc._id,
    customer_id: doc.customer_id,
    brand: doc.brand,
    name_on_card: doc.name_on_card,
    last4: doc.last4,
    expiry_month: doc.exp_month,
    expiry_year: doc.exp_year,
    pg_code: doc.pg_code,
    agreements: doc.agreements,
  };
}

/** What the chargeability rules (domain/saved-card.ts) need to know about a stored card. */
export function cardFacts(doc: SavedCardDoc): SavedCardFacts {
  return {
    customerId: doc.customer_id,
    pgCode: doc.pg_code,
    locked: !!doc.locked_at,
    expiry: { month: doc.exp_month, year: doc.exp_year },
  };
}

export class CardsRepository {
  constructor(
    private readonly cards: Collection<SavedCardDoc>,
    private readonly wallets: Collection<WalletDoc>,
  ) {}

  /** Saves the card or, when this customer already saved it at this gateway, refreshes that token. */
  async save(input: SaveCardInput, now: Date): Promise<SavedCardDoc> {
    const [current, ...older] = parseCardFingerprints(input.fingerprint);
    if (!current) throw new Error('a saved card needs a fingerprint');
    if (older.length > 0) await this.rekey(input, current, older);
    const doc: SavedCardDoc = {
      _id: newCardToken(),
      merchant_id: input.merchantId,
      customer_id: input.customerId,
      pg_code: input.pgCode,
      gateway_ref: input.gatewayRef,
      fingerprint: current.value,
      fingerprint_key_id: current.keyId,
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
      await this.cards.insertOne(doc);
      await this.addToWallet(doc);
      if (input.agreementId) await this.unlinkOthers(doc, input.agreementId);
      return doc;
    } catch (error) {
      if (!(error instanceof MongoServerError) || error.code !== DUPLICATE_KEY) throw error;
    }
    // This customer saved this card here before: refresh that token.
    const same = (card: SavedCardDoc): boolean =>
      card.pg_code === input.pgCode && card.fingerprint === current.value;
    const known = (await this.walletCards(input.merchantId, input.customerId)).find(same);
    const key = known
      ? { _id: known._id }
      : {
          merchant_id: input.merchantId,
          customer_id: input.customerId,
          pg_code: input.pgCode,
          fingerprint: current.value,
        };
    // Paying with the full card again also lifts a CVC lock.
    await this.cards.updateOne(key, {
      $set: {
        gateway_ref: input.gatewayRef,
        exp_month: input.card.exp_month,
        exp_year: input.card.exp_year,
        name_on_card: input.card.name_on_card,
        last_used_at: now,
        cvc_failures: 0,
        cvc_failed_attempts: [],
        locked_at: null,
      },
      ...(input.agreementId ? { $addToSet: { agreements: input.agreementId } } : {}),
    });
    const existing = await this.cards.findOne(key);
    if (!existing) throw new Error('saved card vanished during dedupe'); // deleted concurrently: retry
    await this.addToWallet(existing); // heals a save that crashed between its two writes
    if (input.agreementId) await this.unlinkOthers(existing, input.agreementId);
    return existing;
  }

  /**
   * Key rotation: this customer's copy of the card saved under an older fingerprint key is moved
   * to the current key, so saving it again finds it (and the older key can be retired later).
   */
  private async rekey(input: SaveCardInput, current: FingerprintCandidate, older: FingerprintCandidate[]) {
    const stale = (await this.walletCards(input.merchantId, input.customerId)).filter(
      (card) => card.pg_code === input.pgCode && fingerprintMatches(card, older),
    );
    for (const card of stale) {
      try {
        await this.cards.updateOne(
          { _id: card._id },
          { $set: { fingerprint: current.value, fingerprint_key_id: current.keyId } },
        );
      } catch (error) {
        // a copy under the current key exists already: leave this one as it is
        if (!(error instanceof MongoServerError) || error.code !== DUPLICATE_KEY) throw error;
      }
    }
  }

  private async addToWallet(card: SavedCardDoc): Promise<void> {
    await this.wallets.updateOne(
      { _id: walletId(card.merchant_id, card.customer_id) },
      { $addToSet: { tokens: card._id } },
      { upsert: true },
    );
  }

  /** Every card in the customer's wallet, each read by `_id`. */
  private async walletCards(merchantId: string, customerId: string): Promise<SavedCardDoc[]> {
    const wallet = await this.wallets.findOne({ _id: walletId(merchantId, customerId) });
    const cards = await Promise.all(
      (wallet?.tokens ?? [])
        .slice(-MAX_CARDS_PER_CUSTOMER)
        .map((token) => this.cards.findOne({ _id: token })),
    );
    // a token whose card is gone (deleted) or not this customer's is simply not there
    return cards.filter(
      (card): card is SavedCardDoc =>
        !!card && card.merchant_id === merchantId && card.customer_id === customerId,
    );
  }

  /** The customer's cards, most recently used first. */
  async listForCustomer(merchantId: string, customerId: string, pgCodes?: string[]): Promise<SavedCardDoc[]> {
    const cards = await this.walletCards(merchantId, customerId);
    return cards
      .filter((card) => !pgCodes || pgCodes.includes(card.pg_code))
      .sort((a, b) => b.last_used_at.getTime() - a.last_used_at.getTime() || (a._id < b._id ? -1 : 1));
  }

  /** Only ever the given merchant's card. */
  find(merchantId: string, token: string): Promise<SavedCardDoc | null> {
    return this.cards.findOne({ _id: token, merchant_id: merchantId });
  }

  async delete(merchantId: string, customerId: string, token: string): Promise<boolean> {
    const result = await this.cards.deleteOne({
      _id: token,
      merchant_id: merchantId,
      customer_id: customerId,
    });
    if (result.deletedCount === 1) {
      await this.wallets.updateOne({ _id: walletId(merchantId, customerId) }, { $pull: { tokens: token } });
    }
    return result.deletedCount === 1;
  }

  /** A successful charge with the saved card: most recently used first, CVC failures forgotten. */
  async markUsed(token: string, now: Date, agreementId?: string): Promise<void> {
    const card = await this.cards.findOneAndUpdate(
      { _id: token },
      {
        $set: { last_used_at: now, cvc_failures: 0, cvc_failed_attempts: [] },
        ...(agreementId ? { $addToSet: { agreements: agreementId } } : {}),
      },
      { returnDocument: 'after' },
    );
    if (card && agreementId) await this.unlinkOthers(card, agreementId);
  }

  /**
   * An agreement is linked to one card of the customer: the one last used for it. Linking this
   * card unlinks the others, which releases their deletion lock.
   */
  private async unlinkOthers(card: SavedCardDoc, agreementId: string): Promise<void> {
    await this.cards.updateMany(
      {
        merchant_id: card.merchant_id,
        customer_id: card.customer_id,
        agreements: agreementId,
        _id: { $ne: card._id },
      },
      { $pull: { agreements: agreementId } },
    );
  }

  /** The customer's card linked to this agreement (the one last used for it), if any. */
  async linkedTo(merchantId: string, customerId: string, agreementId: string): Promise<SavedCardDoc | null> {
    const [card] = (await this.walletCards(merchantId, customerId))
      .filter((c) => c.agreements.includes(agreementId))
      .sort((a, b) => b.last_used_at.getTime() - a.last_used_at.getTime());
    return card ?? null;
  }

  /**
   * Counts an incorrect_cvc decline of one attempt (a set of attempt keys, so a retried write of
   * the same attempt counts once); resolves true when this one locked the card.
   */
  async registerCvcFailure(token: string, attemptKey: string, now: Date): Promise<boolean> {
    const doc = await this.cards.findOneAndUpdate(
      { _id: token },
      { $addToSet: { cvc_failed_attempts: attemptKey } },
      { returnDocument: 'after' },
    );
    const failures = doc?.cvc_failed_attempts?.length ?? 0;
    if (doc) await this.cards.updateOne({ _id: token }, { $set: { cvc_failures: failures } });
    if (!doc || !locksAfter(failures) || doc.locked_at) return false;
    await this.cards.updateOne({ _id: token }, { $set: { locked_at: now } });
    return true;
  }

  /** The customer paid with the full card: lift any CVC lock on their saved copies of it. */
  async unlockByFingerprint(merchantId: string, customerId: string, fingerprint: string): Promise<void> {
    const candidates = parseCardFingerprints(fingerprint);
    const copies = (await this.walletCards(merchantId, customerId)).filter(
      (card) => fingerprintMatches(card, candidates) && (card.locked_at || card.cvc_failures),
    );
    for (const card of copies) {
      await this.cards.updateOne(
        { _id: card._id },
        { $set: { cvc_failures: 0, cvc_failed_attempts: [], locked_at: null } },
      );
    }
  }
}
