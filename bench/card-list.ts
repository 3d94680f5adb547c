/**
 * Phase 3, saved-card listing as the cards collection grows: the merchant's
 * `POST /b/pbl/v2/card/` for one customer with 5 saved cards, timed one request at a time (so
 * the numbers are latency, not queueing), with 1,000 and then 100,000 cards in the collection.
 * The synthetic cards are SavedCardDoc documents of the demo merchant, 5 per customer (so 200
 * and 20,000 customers), inserted directly with insertMany in batches, with the collection's
 * indexes in place as in production.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import { createStore } from '../src/store';
import type { SavedCardDoc } from '../src/store/mongo';
import { DEMO_MERCHANT_ID } from '../src/store/seed';
import { timed } from './loop';
import { summarize, type Summary } from './stats';
import { describeFailure, PG_CODE, type Tokenpay } from './tokenpay';

export const CARDS_PER_CUSTOMER = 5;
const MEASURED_CUSTOMER = 'cust-0';

export interface CardListOptions {
  sizes: number[];
  warmup: number;
  /** measured list requests per size, at most */
  requests: number;
  /**
   * per size: the measured requests stop once this much time has passed and 3 were measured
   * (a list that scans the whole collection is slow: 100,000 cards may take seconds per request)
   */
  timeBudgetMs: number;
  batchSize: number;
  /** insertMany calls in flight at once */
  insertConcurrency: number;
  /** stop inserting after this long (the size actually reached is reported) */
  insertTimeLimitMs: number;
  /**
   * performance.now() after which the phase wraps up: no inserting, and each size gets one
   * measured request at most (keeps the whole run within its time even on a busy machine)
   */
  deadline: number;
  log: (line: string) => void;
}

export interface CardListPoint {
  /** size asked for */
  target: number;
  /** documents in the collection when measured */
  cards: number;
  /** HTTP list endpoint, ms */
  http: Summary;
  /** the store query alone (cards.listForCustomer), ms */
  query: Summary;
  /** time to insert the documents added for this size, and their rate */
  insertMs: number;
  insertPerSecond: number;
  /** what the server says about the list query (explain), shortened */
  plan: string;
}

function syntheticCard(index: number, now: number): SavedCardDoc {
  const customer = Math.floor(index / CARDS_PER_CUSTOMER);
  const used = new Date(now - (index % 997) * 3_600_000);
  return {
    _id: randomBytes(20).toString('hex'),
    merchant_id: DEMO_MERCHANT_ID,
    customer_id: `cust-${customer}`,
    pg_code: index % 3 === 2 ? 'ottu_pg_kwd_tkn_nocvv' : PG_CODE,
    gateway_ref: `src_${randomBytes(12).toString('hex')}`,
    fingerprint: randomBytes(32).toString('hex'),
    brand: index % 2 === 0 ? 'visa' : 'mastercard',
    bin: index % 2 === 0 ? '424242' : '512345',
    last4: String(1000 + (index % 9000)),
    exp_month: String(1 + (index % 12)).padStart(2, '0'),
    exp_year: String(30 + (index % 10)),
    name_on_card: `Customer ${customer}`,
    agreements: [],
    created_at: used,
    last_used_at: used,
  };
}

/** Inserts cards [from, to) in batches; stops early at the deadline. Returns the count inserted. */
async function insertCards(
  tp: Tokenpay,
  from: number,
  to: number,
  options: CardListOptions,
  deadline: number,
): Promise<number> {
  const now = Date.now();
  let next = from;
  let inserted = 0;
  let lastLog = performance.now();
  const inserter = async (): Promise<void> => {
    while (next < to && performance.now() < deadline) {
      const start = next;
      const end = Math.min(to, start + options.batchSize);
      next = end;
      const docs: SavedCardDoc[] = [];
      for (let i = start; i < end; i++) docs.push(syntheticCard(i, now));
      const result = await tp.collections.cards.insertMany(docs, { ordered: false });
      inserted += result.insertedCount;
      // …and their wallets (what saveCard keeps beside each card), one document per customer
      const wallets = new Map<string, string[]>();
      for (const doc of docs)
        wallets.set(doc.customer_id, [...(wallets.get(doc.customer_id) ?? []), doc._id]);
      // (plain inserts: an upsert per customer is far slower on FerretDB; a customer whose cards
      // straddle two batches gets the rest added to the wallet the first batch made)
      const walletDocs = [...wallets].map(([customer, tokens]) => ({
        _id: `${DEMO_MERCHANT_ID}:${customer}`,
        tokens,
      }));
      await tp.collections.wallets.insertMany(walletDocs, { ordered: false }).catch(async () => {
        for (const w of walletDocs) {
          await tp.collections.wallets.updateOne(
            { _id: w._id },
            { $addToSet: { tokens: { $each: w.tokens } } },
            { upsert: true },
          );
        }
      });
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        options.log(`  … ${from + inserted} cards`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.insertConcurrency) }, inserter));
  return inserted;
}

async function explainPlan(tp: Tokenpay): Promise<string> {
  try {
    const plan = await tp.collections.cards
      .find({ merchant_id: DEMO_MERCHANT_ID, customer_id: MEASURED_CUSTOMER })
      .sort({ last_used_at: -1, _id: 1 })
      .limit(100)
      .explain();
    const p = plan as Record<string, unknown>;
    const interesting = Object.fromEntries(
      Object.entries(p).filter(([k]) => /pushdown|queryPlanner|winningPlan|sort|limit/i.test(k)),
    );
    return JSON.stringify(Object.keys(interesting).length ? interesting : p).slice(0, 400);
  } catch (error) {
    return `explain failed: ${(error as Error).message}`;
  }
}

/**
 * Times the HTTP list endpoint one request at a time (warm-up first; at least 3 measured), then
 * the store query alone while the size's time budget lasts.
 */
async function measureList(
  tp: Tokenpay,
  cards: number,
  options: CardListOptions,
): Promise<{ http: number[]; query: number[] }> {
  const auth = { authorization: `Api-Key ${tp.apiKey}` };
  const listBody = { type: 'sandbox', customer_id: MEASURED_CUSTOMER };
  const listOnce = async (): Promise<number> => {
    const [reply, ms] = await timed(() => tp.request('POST', '/b/pbl/v2/card/', listBody, auth));
    if (reply.status !== 200 || !Array.isArray(reply.body) || reply.body.length !== CARDS_PER_CUSTOMER) {
      throw describeFailure(`card list with ${cards} cards`, reply);
    }
    return ms;
  };
  // Budget from the start of this size. A warm-up request slower than 1 s is a full scan that
  // warming cannot speed up: it counts as a measured sample and ends the warm-up.
  const t0 = performance.now();
  const elapsed = (): number => performance.now() - t0;
  const late = (): boolean => performance.now() >= options.deadline;
  const http: number[] = [];
  for (
    let i = 0;
    i < options.warmup && (i === 0 || (elapsed() < options.timeBudgetMs * 0.15 && !late()));
    i++
  ) {
    const ms = await listOnce();
    if (ms > 1_000) {
      http.push(ms);
      break;
    }
  }
  while (
    http.length < options.requests &&
    (http.length < 3 || elapsed() < options.timeBudgetMs * 0.85) &&
    (http.length < 1 || !late())
  ) {
    http.push(await listOnce());
  }
  // The store query alone, for comparison, only within the budget.
  const query: number[] = [];
  const store = createStore(tp.mongo.db);
  while (query.length < 10 && elapsed() < options.timeBudgetMs && !late()) {
    const [docs, ms] = await timed(() => store.cards.listForCustomer(DEMO_MERCHANT_ID, MEASURED_CUSTOMER));
    if (docs.length !== CARDS_PER_CUSTOMER) throw new Error(`store query found ${docs.length} cards`);
    query.push(ms);
  }
  return { http, query };
}

export async function runCardList(tp: Tokenpay, options: CardListOptions): Promise<CardListPoint[]> {
  // Start from an empty collection: the tokenpay phase saved one card per payment.
  await tp.collections.cards.deleteMany({});
  await tp.collections.wallets.deleteMany({});
  const deadline = Math.min(performance.now() + options.insertTimeLimitMs, options.deadline);
  const points: CardListPoint[] = [];
  let have = 0;

  for (const target of [...options.sizes].sort((a, b) => a - b)) {
    const [inserted, insertMs] = await timed(() => insertCards(tp, have, target, options, deadline));
    have += inserted;
    // estimatedDocumentCount: a filtered count is a full scan on FerretDB (seconds at 100,000)
    const cards = await tp.collections.cards.estimatedDocumentCount();
    options.log(
      `cards: ${cards} in the collection (+${inserted} in ${Math.round(insertMs)} ms, ` +
        `${Math.round(inserted / (insertMs / 1000))}/s)`,
    );

    const { http, query } = await measureList(tp, cards, options);
    points.push({
      target,
      cards,
      http: summarize(http),
      query: summarize(query),
      insertMs,
      insertPerSecond: inserted / (insertMs / 1000),
      plan: await explainPlan(tp),
    });
    if (cards < target) {
      options.log(`card insertion stopped at its time limit: ${cards} of ${target}; later sizes skipped`);
      break;
    }
  }
  return points;
}
