/**
 * The load: many concurrent payments through the real HTTP API, as merchants and customers would
 * drive them — new cards (successes and declines), saved cards with CVV, 3-D Secure approvals,
 * partial and full refunds, authorize + capture / void, abandoned sessions that the merchant
 * cancels, and duplicate-click storms. Every payment is driven to a terminal state where the
 * scenario allows; what the driver saw is kept for the reconciliation.
 */
import { CARDS, cardBody, DECLINE_CARDS, isAmex, last4, SUCCESS_CARDS } from './cards';
import { ApiClient, GaveUpError, httpRequest, KeyBlockedError, NetError, type HttpResult } from './http';
import type { LedgerEntry } from '../src/dev/gateway-simulator/model';
import type { LongLivedHooks } from './long-lived';
import { sleep } from './log';
import type { Rng } from './rng';

const CREATE = '/b/checkout/v1/pymt-txn/';
const OPERATION = '/b/pbl/v2/operation/';
const CARDS_API = '/b/pbl/v2/card/';
const PG = 'ottu_pg_kwd_tkn';
const PG_AUTH = 'ottu_pg_kwd_auth';
const PAYABLE = new Set(['created', 'pending', 'attempted']);

export const SCENARIOS = [
  'new_card',
  'new_card_save',
  'decline_then_pay',
  'decline_exhausted',
  'saved_card',
  'three_ds',
  'refund_partial',
  'refund_partial_full',
  'authorize_capture',
  'authorize_void',
  'abandon_cancel',
  'expires',
  'three_ds_abandoned',
  'double_click_storm',
  // long-lived faults (issue 12): time and an operator's hand, see long-lived.ts
  'retry_after_retention',
  'three_ds_no_return',
  'three_ds_other_card',
  'three_ds_page_storm',
  'three_ds_temporal_cancel',
  'three_ds_temporal_terminate',
  // upgrade profile: a challenge left waiting until the new build took over (never in the mix)
  'three_ds_parked',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

const WEIGHTS: ReadonlyArray<readonly [Scenario, number]> = [
  ['new_card', 12],
  ['new_card_save', 8],
  ['decline_then_pay', 10],
  ['decline_exhausted', 5],
  ['saved_card', 18],
  ['three_ds', 10],
  ['refund_partial', 8],
  ['refund_partial_full', 12],
  ['authorize_capture', 4],
  ['authorize_void', 3],
  ['abandon_cancel', 6],
  ['expires', 3],
  ['three_ds_abandoned', 3],
  ['retry_after_retention', 2],
  ['three_ds_no_return', 2],
  ['three_ds_other_card', 2],
  ['three_ds_page_storm', 1],
  ['three_ds_temporal_cancel', 1],
  ['three_ds_temporal_terminate', 1],
];

/** The long-lived faults, each with the check the reconciliation reports on. */
export const LONG_LIVED: ReadonlyArray<{ scenario: Scenario; label: string }> = [
  {
    scenario: 'retry_after_retention',
    label: "same-key create after the key's retention: not the recorded payment, a 2nd run or a rewrite",
  },
  { scenario: 'three_ds_no_return', label: '3-D Secure approved, customer never back: not paid' },
  {
    scenario: 'three_ds_other_card',
    label: 'challenge abandoned for another card: not paid, or the old approval moved money',
  },
  { scenario: 'three_ds_page_storm', label: '100 page loads on a pending challenge: not paid after' },
  {
    scenario: 'three_ds_temporal_cancel',
    label: 'Cancel through Temporal during a challenge: not canceled, or money moved',
  },
  {
    scenario: 'three_ds_temporal_terminate',
    label: 'Terminate during a challenge, then approved: not repaired to paid once',
  },
];

/** How many page loads the storm sends at once. */
export const PAGE_LOADS = 100;

/** Scenarios that leave the session to its expiration_time (the workflow's timer closes it). */
const EXPIRING: ReadonlySet<Scenario> = new Set(['expires', 'three_ds_abandoned']);
const SHORT_EXPIRY = '00:00:20';

interface Customer {
  id: string;
  card: string;
  cvv: string;
  /** the saved card's tokenpay token for PG, once known */
  token?: string;
}

export interface PlannedPayment {
  index: number;
  scenario: Scenario;
  amountMinor: number;
  customer?: number;
  webhook: boolean;
  /** new-card numbers to try, in order */
  cards: string[];
}

export interface DriverProfile {
  payments: number;
  concurrency: number;
  windowMs: number;
  customers: number;
  storms: number;
  /** per payment, for driving it to its end */
  paymentBudgetMs: number;
  /** merchant calls: how long to retry without an answer */
  callBudgetMs: number;
  /** how long a 409 "Idempotency-Key still being processed" is waited out */
  keyBusyBudgetMs: number;
}

/** What the driver did and saw for one payment. */
export interface PaymentRun {
  index: number;
  scenario: Scenario;
  orderNo: string;
  pgCode: string;
  amount: string;
  customerId?: string;
  webhook: boolean;
  saveCard: boolean;
  /** the card the payment was meant to succeed with (for the saved-token check) */
  successCard?: string;
  /** set when the API answered 201 */
  sessionId?: string;
  createProblem?: string;
  /** the create's first answer was lost (the API died); it was retried with the same key */
  createAnswerLost?: boolean;
  /** the token this payment was paid with (saved_card) */
  tokenUsed?: string;
  submits: number;
  submitStatuses: Record<string, number>;
  stormStatuses?: number[];
  operations: Array<{
    /** the merchant's n-th operation request on this payment (retries of one request share it) */
    n: number;
    operation: string;
    amount?: string;
    status: number | 'blocked' | 'no_answer';
    result?: string;
    /** no answer at first (the API died), then retried with the same Idempotency-Key */
    answerLost?: boolean;
    retryMs?: number;
  }>;
  lastSeenState?: string;
  /** long-lived faults: whether the fault happened as planned, and what its check found */
  longLived?: {
    exercised: boolean;
    /** why the check failed (undefined: as expected) */
    failure?: string;
    /** what happened, for the log */
    detail?: string;
    /** page-load storm: history events the loads added, and their answers */
    historyAdded?: number;
    pageLoads?: Record<string, number>;
  };
  problems: string[];
  startedAt: number;
  ms?: number;
  finished: boolean;
}

export function planPayments(
  rng: Rng,
  profile: DriverProfile,
): { plan: PlannedPayment[]; customers: number } {
  const plan: PlannedPayment[] = [];
  const customers = Math.max(1, profile.customers);
  // Right after the first saves, every scenario once (saved cards last: their tokens must be known).
  const coverage = [
    ...rng.shuffle(WEIGHTS.map(([scenario]) => scenario).filter((sc) => sc !== 'saved_card')),
    'saved_card' as const,
  ];
  // Storms at evenly spread positions after those.
  const first = customers + coverage.length;
  const stormAt = new Set<number>();
  for (let n = 0; n < profile.storms; n++) {
    stormAt.add(
      Math.min(
        profile.payments - 1,
        first + Math.round(((n + 1) * (profile.payments - first)) / (profile.storms + 1)),
      ),
    );
  }
  for (let index = 0; index < profile.payments; index++) {
    let scenario: Scenario;
    let customer: number | undefined;
    if (index < customers) {
      scenario = 'new_card_save'; // every customer saves a card first
      customer = index;
    } else if (index < customers + coverage.length) {
      scenario = coverage[index - customers]!; // then every scenario once
    } else if (stormAt.has(index)) {
      scenario = 'double_click_storm';
    } else {
      scenario = rng.weighted(WEIGHTS);
    }
    if (customer === undefined && !scenario.startsWith('three_ds') && rng.chance(0.8))
      customer = rng.int(0, customers - 1);
    if (scenario === 'saved_card' || scenario === 'new_card_save') customer ??= rng.int(0, customers - 1);
    let cards: string[] = [];
    if (scenario === 'decline_then_pay') cards = [rng.pick(DECLINE_CARDS)];
    if (scenario === 'decline_exhausted')
      cards = [rng.pick(DECLINE_CARDS), rng.pick(DECLINE_CARDS), rng.pick(DECLINE_CARDS)];
    if (scenario.startsWith('three_ds')) cards = [CARDS.threeDs];
    plan.push({
      index,
      scenario,
      amountMinor: rng.int(1_000, 99_999),
      ...(customer !== undefined ? { customer } : {}),
      webhook: rng.chance(0.85),
      cards,
    });
  }
  return { plan, customers };
}

function kwd(minor: number): string {
  return `${Math.floor(minor / 1000)}.${String(minor % 1000).padStart(3, '0')}`;
}

type AttemptSpec =
  | { kind: 'card'; number: string; cvv: string; save: boolean }
  | { kind: 'token'; token: string; cvv: string };

interface PaymentView {
  state: string;
  attempts: Array<{ result: string; charge_id?: string }>;
  refunded_amount?: string;
  token?: { token: string };
}

export class Driver {
  readonly runs: PaymentRun[] = [];
  private readonly customers: Customer[] = [];
  private stopStarting = false;
  private readonly extra: Array<Promise<void>> = [];
  private releaseParked: () => void = () => undefined;
  private readonly parked = new Promise<void>((resolve) => (this.releaseParked = resolve));

  constructor(
    private readonly api: ApiClient,
    private readonly simulatorUrl: string,
    private readonly webhookUrl: () => string,
    private readonly profile: DriverProfile,
    private readonly runId: string,
    rng: Rng,
    customerCount: number,
    private readonly signal: AbortSignal,
    private readonly log: (line: string) => void,
    private readonly hooks: LongLivedHooks,
  ) {
    for (let i = 0; i < customerCount; i++) {
      const card = rng.pick(SUCCESS_CARDS);
      this.customers.push({
        id: `chaos-${runId}-c${i}`,
        card,
        cvv: isAmex(card) ? String(rng.int(1000, 9999)) : String(rng.int(100, 999)),
      });
    }
  }

  /** Stop starting new payments (the time window is over); in-flight ones finish. */
  stop(): void {
    this.stopStarting = true;
  }

  /** Runs the plan with `concurrency` customers at a time; payment i starts no earlier than i × spacing. */
  async run(plan: PlannedPayment[], loadStart: number): Promise<void> {
    const spacing = this.profile.windowMs / Math.max(1, plan.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      for (;;) {
        if (this.signal.aborted || this.stopStarting) return;
        const p = plan[next++];
        if (!p) return;
        const wait = loadStart + p.index * spacing - Date.now();
        if (wait > 0) await sleep(wait, this.signal);
        if (this.signal.aborted || Date.now() - loadStart > this.profile.windowMs) return;
        await this.runPayment(p);
      }
    };
    await Promise.all(Array.from({ length: this.profile.concurrency }, lane));
    await this.drain();
  }

  /** Waits for the extra payments, including any started while waiting. */
  async drain(): Promise<void> {
    for (let seen = -1; seen !== this.extra.length;) {
      seen = this.extra.length;
      await Promise.all(this.extra);
    }
  }

  /**
   * An extra payment outside the plan, for a fault that needs one: the merchant creates a
   * session and cancels it (the fault then strikes while that cancel is answered).
   */
  startCancelVictim(): void {
    if (this.signal.aborted) return;
    const p: PlannedPayment = {
      index: 100_000 + this.extra.length,
      scenario: 'abandon_cancel',
      amountMinor: 4_321,
      webhook: true,
      cards: [],
    };
    this.extra.push(this.runPayment(p));
  }

  /**
   * Payments whose customer stops in a 3-D Secure challenge and comes back (approves, returns to
   * the page) only after `release()`: runs the version that started them must finish.
   */
  startParked(count: number, amountMinor: (i: number) => number): void {
    for (let i = 0; i < count && !this.signal.aborted; i++) {
      this.extra.push(
        this.runPayment({
          index: 200_000 + i,
          scenario: 'three_ds_parked',
          amountMinor: amountMinor(i),
          webhook: true,
          cards: [CARDS.threeDs],
        }),
      );
    }
  }

  /** The parked customers come back from their challenges. */
  release(): void {
    this.releaseParked();
  }

  /** Parked payments whose challenge was waiting when they were released. */
  parkedWaiting = 0;

  private async runPayment(p: PlannedPayment): Promise<void> {
    const customer = p.customer !== undefined ? this.customers[p.customer] : undefined;
    let scenario = p.scenario;
    // A saved card needs a customer whose token we know; otherwise this customer saves one now.
    if (scenario === 'saved_card' && !customer?.token) scenario = 'new_card_save';
    const auth = scenario === 'authorize_capture' || scenario === 'authorize_void';
    const run: PaymentRun = {
      index: p.index,
      scenario,
      orderNo: `chaos-${this.runId}-${p.index}`,
      pgCode: auth ? PG_AUTH : PG,
      amount: kwd(p.amountMinor),
      ...(customer ? { customerId: customer.id } : {}),
      webhook: p.webhook,
      saveCard: scenario === 'new_card_save' && !!customer,
      submits: 0,
      submitStatuses: {},
      operations: [],
      problems: [],
      startedAt: Date.now(),
      finished: false,
    };
    this.runs.push(run);
    const deadline = Date.now() + this.profile.paymentBudgetMs;
    try {
      await this.drive(run, p, customer, deadline);
    } catch (error) {
      if (error instanceof GaveUpError || error instanceof KeyBlockedError) run.problems.push(error.message);
      else run.problems.push(`driver error: ${(error as Error).stack ?? String(error)}`);
    } finally {
      if (run.sessionId && !this.signal.aborted && !EXPIRING.has(run.scenario)) {
        await this.ensureClosed(run).catch(() => undefined);
      }
      run.ms = Date.now() - run.startedAt;
      run.finished = true;
      const ll = run.longLived;
      if (ll) {
        this.log(
          `#${run.index} ${run.scenario} ${run.sessionId ?? ''}: ${ll.failure ? `NOT AS EXPECTED: ${ll.failure} — ` : ''}${ll.exercised ? '' : '(not exercised) '}${ll.detail ?? ''}`,
        );
      }
    }
  }

  private async drive(run: PaymentRun, p: PlannedPayment, customer: Customer | undefined, deadline: number) {
    const sid = await this.create(run);
    if (!sid) return;
    await this.openPage(run, sid);
    const success = customer?.card ?? SUCCESS_CARDS[p.index % SUCCESS_CARDS.length]!;
    const cvv = customer?.cvv ?? (isAmex(success) ? '7382' : '738');
    const card = (number: string, save = false): AttemptSpec => ({
      kind: 'card',
      number,
      cvv: number === success ? cvv : isAmex(number) ? '1234' : '123',
      save,
    });

    switch (run.scenario) {
      case 'abandon_cancel':
        await this.operation(run, sid, 'cancel');
        return;
      case 'expires':
        return; // the page was opened; nobody pays; the session expires by itself
      case 'three_ds_abandoned': {
        // The customer never comes back from 3-D Secure: at expiry the workflow asks the gateway,
        // cancels the challenge and closes the session as expired.
        const r = await this.submit(run, sid, card(CARDS.threeDs)).catch(() => undefined);
        if (r?.status !== 200 || r.body?.result !== 'pending') {
          run.problems.push(`3-D Secure submit answered ${r?.status ?? 'nothing'} ${r?.body?.result ?? ''}`);
        }
        return;
      }
      case 'double_click_storm': {
        run.successCard = success;
        const spec = card(success);
        const results = await Promise.all(
          Array.from({ length: 10 }, () => this.submit(run, sid, spec).catch(() => undefined)),
        );
        run.stormStatuses = results.map((r) => r?.status ?? 0);
        await this.pay(run, sid, [spec], deadline);
        return;
      }
      case 'saved_card': {
        const token = customer!.token!;
        run.tokenUsed = token;
        run.successCard = customer!.card;
        await this.pay(run, sid, [{ kind: 'token', token, cvv: customer!.cvv }], deadline);
        return;
      }
      case 'retry_after_retention':
        run.successCard = success;
        await this.retryAfterRetention(run, sid, card(success), deadline);
        return;
      case 'three_ds_no_return':
      case 'three_ds_other_card':
      case 'three_ds_page_storm':
      case 'three_ds_temporal_cancel':
      case 'three_ds_temporal_terminate':
        await this.longLivedChallenge(run, sid, card(CARDS.threeDs), card(success), deadline);
        return;
      case 'three_ds_parked': {
        run.successCard = CARDS.threeDs;
        const url = await this.startChallenge(run, sid, card(CARDS.threeDs));
        await this.parked;
        if (url && PAYABLE.has((await this.view(sid)).state)) this.parkedWaiting++;
        // back from the challenge: approve it, open the page (pay() does both), within a new budget
        await this.pay(
          run,
          sid,
          [card(CARDS.threeDs), card(success), card(success)],
          Date.now() + this.profile.paymentBudgetMs,
        );
        return;
      }
      case 'three_ds':
        run.successCard = CARDS.threeDs;
        await this.pay(run, sid, [card(CARDS.threeDs)], deadline);
        return;
      case 'decline_exhausted':
        await this.pay(
          run,
          sid,
          p.cards.map((n) => card(n)),
          deadline,
        );
        return;
      case 'decline_then_pay':
        run.successCard = success;
        await this.pay(run, sid, [...p.cards.map((n) => card(n)), card(success)], deadline);
        return;
      default: {
        run.successCard = success;
        const state = await this.pay(run, sid, [card(success, run.saveCard)], deadline);
        if (run.saveCard && state === 'paid' && customer) await this.learnToken(run, customer);
        if (run.scenario === 'refund_partial' || run.scenario === 'refund_partial_full') {
          if (state !== 'paid') return;
          const partial = kwd(Math.max(1, Math.floor(p.amountMinor / 3)));
          await this.operation(run, sid, 'refund', partial);
          if (run.scenario === 'refund_partial_full') await this.operation(run, sid, 'refund');
        }
        if (run.scenario === 'authorize_capture' && state === 'authorized')
          await this.operation(run, sid, 'capture');
        if (run.scenario === 'authorize_void' && state === 'authorized')
          await this.operation(run, sid, 'void');
      }
    }
  }

  private createBody(run: PaymentRun) {
    return {
      type: 'e_commerce',
      amount: run.amount,
      currency_code: 'KWD',
      pg_codes: [run.pgCode],
      order_no: run.orderNo,
      customer_first_name: 'Chaos',
      customer_email: 'chaos@example.com',
      ...(run.customerId ? { customer_id: run.customerId } : {}),
      ...(run.webhook ? { webhook_url: this.webhookUrl() } : {}),
      ...(EXPIRING.has(run.scenario) ? { expiration_time: SHORT_EXPIRY } : {}),
      extra: { chaos_index: run.index },
    };
  }

  private async create(run: PaymentRun): Promise<string | undefined> {
    const body = this.createBody(run);
    let r: HttpResult;
    try {
      r = await this.api.merchant('POST', CREATE, body, {
        idempotencyKey: `${run.orderNo}-create`,
        tag: 'create',
        budgetMs: this.profile.callBudgetMs,
        keyBusyBudgetMs: this.profile.keyBusyBudgetMs,
      });
    } catch (error) {
      if (!(error instanceof KeyBlockedError || error instanceof GaveUpError)) throw error;
      run.createProblem = error.message;
      // We do not know whether the payment exists: close it by order_no, as a merchant would.
      await this.operation(run, undefined, 'cancel').catch(() => undefined);
      return undefined;
    }
    if (r.status !== 201) {
      run.createProblem = `create answered ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;
      return undefined;
    }
    run.sessionId = r.body.session_id as string;
    if (r.retried && (r.retried.noAnswer > 0 || r.retried.keyBusy > 0)) {
      run.createAnswerLost = true;
      this.log(
        `#${run.index} create: answer lost, retried with the same key for ${(r.retried.ms / 1000).toFixed(1)} s → ${r.status} ${run.sessionId}`,
      );
    }
    run.lastSeenState = 'created';
    return run.sessionId;
  }

  /** The customer opens the checkout page (created → pending; settles a returning 3-D Secure). */
  private async openPage(run: PaymentRun, sid: string): Promise<void> {
    const until = Date.now() + this.profile.callBudgetMs;
    while (!this.signal.aborted && Date.now() < until) {
      try {
        const r = await this.api.customer('GET', `/checkout/${sid}`);
        if (r.status < 500) return;
      } catch (error) {
        if (!(error instanceof NetError)) throw error;
      }
      await sleep(500, this.signal);
    }
    run.problems.push('checkout page did not open');
  }

  private async view(sid: string): Promise<PaymentView> {
    const r = await this.api.merchant<PaymentView>('GET', `${CREATE}${sid}/`, undefined, {
      budgetMs: this.profile.callBudgetMs,
    });
    if (r.status !== 200) throw new Error(`GET payment answered ${r.status}`);
    return r.body;
  }

  private submit(run: PaymentRun, sid: string, spec: AttemptSpec): Promise<HttpResult> {
    run.submits++;
    const body =
      spec.kind === 'card'
        ? {
            pg_code: run.pgCode,
            payment_method: 'card',
            card: cardBody(spec.number, spec.cvv),
            save_card: spec.save,
          }
        : { pg_code: run.pgCode, payment_method: 'token', token: spec.token, cvv: spec.cvv };
    return this.api.customer('POST', `/checkout/${sid}/submit`, body, { tag: 'submit', sessionId: sid }).then(
      (r) => {
        const key = String(r.status);
        run.submitStatuses[key] = (run.submitStatuses[key] ?? 0) + 1;
        return r;
      },
      (error: unknown) => {
        run.submitStatuses.no_answer = (run.submitStatuses.no_answer ?? 0) + 1;
        throw error;
      },
    );
  }

  /** The 3-D Secure page's Approve button (a form POST at the simulator). */
  private async approve(url: string): Promise<void> {
    for (let i = 0; i < 5; i++) {
      try {
        const r = await httpRequest('POST', url, { form: { outcome: 'approve' }, redirect: 'manual' });
        if (r.status === 303 || r.status === 404) return;
      } catch (error) {
        if (!(error instanceof NetError)) throw error;
      }
      await sleep(500, this.signal);
    }
  }

  /**
   * Submits the attempts in order until the payment leaves the payable states; the next attempt
   * is chosen from the attempts the record shows, so a lost answer never skips or repeats a card
   * by mistake. Returns the state it ended in (or the payable state when the plan is used up).
   */
  private async pay(run: PaymentRun, sid: string, specs: AttemptSpec[], deadline: number): Promise<string> {
    let next = 0;
    for (;;) {
      if (this.signal.aborted) return 'aborted';
      if (Date.now() > deadline) {
        run.problems.push(`payment not settled within ${this.profile.paymentBudgetMs} ms`);
        this.log(`payment #${run.index} (${sid}) not settled within ${this.profile.paymentBudgetMs} ms`);
        return run.lastSeenState ?? 'unknown';
      }
      const rec = await this.view(sid);
      run.lastSeenState = rec.state;
      if (!PAYABLE.has(rec.state)) return rec.state;
      const last = rec.attempts[rec.attempts.length - 1];
      if (last?.result === 'pending' && last.charge_id) {
        // A 3-D Secure challenge waits: approve it, come back to the page (which settles it).
        await this.approve(`${this.simulatorUrl}/3ds/${encodeURIComponent(last.charge_id)}`);
        await this.openPage(run, sid);
        await sleep(300, this.signal);
        continue;
      }
      next = Math.max(next, rec.attempts.length);
      if (next >= specs.length) return rec.state;
      let r: HttpResult;
      try {
        r = await this.submit(run, sid, specs[next]!);
      } catch (error) {
        if (!(error instanceof NetError)) throw error;
        await sleep(1_000, this.signal);
        continue;
      }
      if (r.status === 200) {
        const result = r.body?.result;
        if (result === 'failed') next++;
        if (result === 'pending' && r.body?.next_action?.url) {
          await this.approve(r.body.next_action.url as string);
          await this.openPage(run, sid);
        } else if (result === 'pending') {
          await sleep(2_000, this.signal);
        }
        await this.settled(sid, rec.attempts.length);
        continue;
      }
      if ([400, 404, 423].includes(r.status)) {
        run.problems.push(`submit answered ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
        return rec.state;
      }
      // 409 (attempt in flight / not payable), 429 (attempts used up), 5xx: look again shortly.
      await sleep(r.status === 429 ? 200 : 1_000, this.signal);
    }
  }

  /**
   * Same-key create retried after the key's retention: the payment is paid, the daily retention
   * (a day later by its clock) forgets the key, then the merchant sends the same create with the
   * same key. The answer must be the recorded payment, with no second run and nothing rewritten.
   */
  private async retryAfterRetention(
    run: PaymentRun,
    sid: string,
    spec: AttemptSpec,
    deadline: number,
  ): Promise<void> {
    const ll: NonNullable<PaymentRun['longLived']> = { exercised: false };
    run.longLived = ll;
    const state = await this.pay(run, sid, [spec], deadline);
    if (state !== 'paid') {
      ll.detail = `not paid (${state}): retention not tried`;
      return;
    }
    // the payment's run is over (nothing writes its record any more): a day passes
    const closedBy = Date.now() + 30_000;
    while ((await this.hooks.checkoutStatus(sid)) === 'RUNNING' && Date.now() < closedBy)
      await sleep(500, this.signal);
    const before = await this.hooks.record(sid);
    const key = `${run.orderNo}-create`;
    const purged = await this.hooks.retention(Date.now());
    if (await this.hooks.keyStored(key)) {
      ll.failure = `the retention (${purged.idempotencyKeys} keys purged) kept the key`;
      return;
    }
    ll.exercised = true;
    const r = await this.api.merchant('POST', CREATE, this.createBody(run), {
      idempotencyKey: key,
      tag: 'create',
      budgetMs: this.profile.callBudgetMs,
      keyBusyBudgetMs: this.profile.keyBusyBudgetMs,
    });
    const after = await this.hooks.record(sid);
    // a second run would show within a moment (visibility is eventually consistent)
    let runs = 0;
    for (let i = 0; i < 6; i++) {
      runs = Math.max(runs, await this.hooks.checkoutRuns(sid));
      await sleep(500, this.signal);
    }
    const problems: string[] = [];
    if (r.status >= 300 || r.body?.session_id !== sid || r.body?.state !== 'paid')
      problems.push(`answered ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
    if (runs !== 1) problems.push(`${runs} runs of its workflow`);
    if (JSON.stringify(after) !== JSON.stringify(before)) problems.push('its record was rewritten');
    if (problems.length) ll.failure = problems.join('; ');
    ll.detail = `${purged.idempotencyKeys} keys purged; retry answered ${r.status} ${r.body?.state ?? ''}`;
  }

  /** Submits the 3-D Secure card until a challenge waits; its approval URL (undefined: none came). */
  private async startChallenge(run: PaymentRun, sid: string, spec: AttemptSpec): Promise<string | undefined> {
    for (let tries = 0; tries < 4 && !this.signal.aborted; tries++) {
      const rec = await this.view(sid);
      run.lastSeenState = rec.state;
      const last = rec.attempts[rec.attempts.length - 1];
      if (last?.result === 'pending' && last.charge_id)
        return `${this.simulatorUrl}/3ds/${encodeURIComponent(last.charge_id)}`;
      if (!PAYABLE.has(rec.state) || rec.attempts.length >= 2) return undefined;
      const r = await this.submit(run, sid, spec).catch(() => undefined);
      if (r?.status === 200 && r.body?.result === 'pending' && r.body.next_action?.url)
        return r.body.next_action.url;
      await this.settled(sid, rec.attempts.length);
      if (r?.status === 409) await sleep(1_000, this.signal);
    }
    return undefined;
  }

  /** The gateway's charges for this session, by attempt number. */
  private async charges(sid: string): Promise<Map<number, LedgerEntry>> {
    const r = await httpRequest<{ entries: LedgerEntry[] }>('GET', `${this.simulatorUrl}/v1/ledger`, {
      timeoutMs: 10_000,
    });
    const out = new Map<number, LedgerEntry>();
    for (const e of r.body.entries ?? []) {
      const m = /^(.+):attempt:(\d+)$/.exec(e.idempotency_key);
      if (e.type === 'charge' && m?.[1] === sid) out.set(Number(m[2]), e);
    }
    return out;
  }

  /** Polls the record in MongoDB (not through the API, which could nudge the payment) until `done`. */
  private async recordUntil(
    sid: string,
    done: (state: string | undefined) => boolean,
    timeoutMs: number,
  ): Promise<string | undefined> {
    const until = Date.now() + timeoutMs;
    let state: string | undefined;
    while (!this.signal.aborted) {
      state = (await this.hooks.record(sid))?.state;
      if (done(state) || Date.now() > until) return state;
      await sleep(500, this.signal);
    }
    return state;
  }

  /** Polls the ledger until the attempt's charge is decided (neither missing nor pending). */
  private async chargeDecided(sid: string, attempt: number, timeoutMs: number): Promise<string | undefined> {
    const until = Date.now() + timeoutMs;
    let status: string | undefined;
    while (!this.signal.aborted) {
      status = (await this.charges(sid).catch(() => undefined))?.get(attempt)?.status;
      if ((status && status !== 'pending') || Date.now() > until) return status;
      await sleep(500, this.signal);
    }
    return status;
  }

  /** The long-lived faults that start with a 3-D Secure challenge waiting (issue 12). */
  private async longLivedChallenge(
    run: PaymentRun,
    sid: string,
    threeDs: AttemptSpec,
    other: AttemptSpec,
    deadline: number,
  ): Promise<void> {
    const ll: NonNullable<PaymentRun['longLived']> = { exercised: false };
    run.longLived = ll;
    const url = await this.startChallenge(run, sid, threeDs);
    if (!url) {
      ll.detail = 'no challenge came (gateway faults): paid the usual way';
      run.successCard = CARDS.threeDs;
      await this.pay(run, sid, [threeDs, other, other], deadline);
      return;
    }
    const challengeAttempt = (await this.view(sid)).attempts.length;
    const fail = (why: string) => {
      ll.failure = ll.failure ? `${ll.failure}; ${why}` : why;
    };
    switch (run.scenario) {
      case 'three_ds_no_return': {
        // Approved on the gateway's page; the customer closes the tab and never comes back.
        run.successCard = CARDS.threeDs;
        await this.approve(url);
        ll.exercised = true;
        const state = await this.recordUntil(sid, (s) => !!s && !PAYABLE.has(s), deadline - Date.now());
        ll.detail = `record ${state} without the customer`;
        if (state !== 'paid') fail(`record ${state ?? 'missing'} after the approval`);
        return;
      }
      case 'three_ds_other_card': {
        // The customer closes the challenge and pays with another card; the old challenge is
        // approved later (a second tab): it must move no money.
        run.successCard = other.kind === 'card' ? other.number : undefined;
        const r = await this.submit(run, sid, other).catch(() => undefined);
        ll.exercised = r?.status === 200;
        ll.detail = `other card answered ${r?.status ?? 'nothing'} ${r?.body?.state ?? r?.body?.result ?? ''}`;
        if (!ll.exercised) {
          // (a fault cut it short: the session is finished the usual way)
          await this.pay(run, sid, [threeDs, other, other], deadline);
          return;
        }
        const state = await this.pay(run, sid, [threeDs, other, other], deadline);
        await this.approve(url);
        const old = await this.chargeDecided(sid, challengeAttempt, 20_000);
        ll.detail += `; old challenge approved later → ${old ?? 'no charge'}`;
        if (state !== 'paid') fail(`ended ${state}`);
        if (old === 'succeeded' || old === 'authorized' || old === 'pending')
          fail(`the old challenge's charge is ${old}`);
        return;
      }
      case 'three_ds_page_storm': {
        run.successCard = CARDS.threeDs;
        const before = await this.hooks.historyLength(sid);
        const loads = await Promise.all(
          Array.from({ length: PAGE_LOADS }, () =>
            this.api.customer('GET', `/checkout/${sid}`).then(
              (r) => String(r.status),
              () => 'no answer',
            ),
          ),
        );
        const after = await this.hooks.historyLength(sid);
        ll.exercised = true;
        ll.historyAdded = after - before;
        ll.pageLoads = {};
        for (const s of loads) ll.pageLoads[s] = (ll.pageLoads[s] ?? 0) + 1;
        // then the customer approves and pays as usual
        const state = await this.pay(run, sid, [threeDs], deadline);
        ll.detail = `+${ll.historyAdded} history events; then ${state}`;
        if (state !== 'paid') fail(`ended ${state}`);
        return;
      }
      case 'three_ds_temporal_cancel': {
        await this.hooks.cancel(sid);
        ll.exercised = true;
        const state = await this.recordUntil(sid, (s) => !!s && !PAYABLE.has(s), 30_000);
        await this.approve(url); // the customer approves the voided challenge anyway
        const charge = await this.chargeDecided(sid, challengeAttempt, 20_000);
        const status = await this.hooks.checkoutStatus(sid);
        ll.detail = `record ${state}, run ${status}, charge ${charge ?? 'none'}`;
        if (state !== 'canceled') fail(`record ${state ?? 'missing'}`);
        if (charge === 'succeeded' || charge === 'authorized' || charge === 'pending')
          fail(`the challenge's charge is ${charge}`);
        return;
      }
      case 'three_ds_temporal_terminate': {
        run.successCard = CARDS.threeDs;
        await this.hooks.terminate(sid, 'chaos: an operator terminated the run during a challenge');
        ll.exercised = true;
        await this.approve(url);
        await this.chargeDecided(sid, challengeAttempt, 20_000);
        const stale = await this.hooks.record(sid);
        if (stale && !PAYABLE.has(stale.state)) fail(`record ${stale.state} with no run to write it`);
        // the next reconciliation (its clock past the quiet period) restarts the run from the record
        const summary = await this.hooks.reconcile(Date.parse(stale?.updated_at ?? '') + 1 || Date.now());
        const state = await this.recordUntil(sid, (s) => !!s && !PAYABLE.has(s), 45_000);
        const successful = [...(await this.charges(sid)).values()].filter(
          (e) => e.status === 'succeeded' || e.status === 'authorized',
        ).length;
        const runs = await this.hooks.checkoutRuns(sid);
        ll.detail = `reconciliation restarted ${summary.restarted.length} (${summary.restarted.includes(sid) ? 'this one' : 'not this one'}), flagged ${summary.flagged.length}; record ${state}, ${successful} successful charge(s), ${runs} runs`;
        if (state !== 'paid') fail(`record ${state ?? 'missing'} after reconciliation`);
        if (successful !== 1) fail(`${successful} successful charges`);
        if (runs !== 2) fail(`${runs} runs`);
        return;
      }
    }
  }

  /** Waits briefly for the record to show the attempt (the workflow writes it asynchronously). */
  private async settled(sid: string, attemptsBefore: number): Promise<void> {
    const until = Date.now() + 5_000;
    while (Date.now() < until && !this.signal.aborted) {
      const rec = await this.view(sid);
      if (!PAYABLE.has(rec.state) || rec.attempts.length > attemptsBefore) return;
      await sleep(200, this.signal);
    }
  }

  private async learnToken(run: PaymentRun, customer: Customer): Promise<void> {
    const r = await this.api.merchant(
      'POST',
      CARDS_API,
      { type: 'sandbox', customer_id: customer.id, pg_codes: [PG] },
      {
        budgetMs: this.profile.callBudgetMs,
      },
    );
    if (r.status !== 200 || !Array.isArray(r.body)) {
      run.problems.push(`list cards answered ${r.status}`);
      return;
    }
    const saved = (r.body as Array<{ token: string; number: string }>).find((c) =>
      c.number.endsWith(last4(customer.card)),
    );
    if (saved) customer.token = saved.token;
    else run.problems.push('saved card not listed right after the payment');
  }

  /**
   * A merchant operation. The Idempotency-Key is reused on every retry of the same request; a
   * refusal that may pass later (409 attempt in progress) is retried under a new key.
   */
  private async operation(
    run: PaymentRun,
    sid: string | undefined,
    operation: 'refund' | 'capture' | 'void' | 'cancel',
    amount?: string,
  ): Promise<void> {
    const n = new Set(run.operations.map((o) => o.n)).size + 1;
    const body = {
      operation,
      ...(sid ? { session_id: sid } : { order_no: run.orderNo }),
      ...(amount ? { amount } : {}),
    };
    for (let tries = 1; ; tries++) {
      const entry: PaymentRun['operations'][number] = {
        n,
        operation,
        ...(amount ? { amount } : {}),
        status: 'no_answer',
      };
      try {
        const r = await this.api.merchant('POST', OPERATION, body, {
          idempotencyKey: `${run.orderNo}-op${n}-${operation}-try${tries}`,
          ...(operation === 'refund' || operation === 'cancel' ? { tag: operation } : {}),
          ...(sid ? { sessionId: sid } : {}),
          budgetMs: this.profile.callBudgetMs,
          keyBusyBudgetMs: this.profile.keyBusyBudgetMs,
        });
        entry.status = r.status;
        if (typeof r.body?.result === 'string') entry.result = r.body.result;
        if (r.retried && (r.retried.noAnswer > 0 || r.retried.keyBusy > 0)) {
          entry.answerLost = true;
          entry.retryMs = r.retried.ms;
          this.log(
            `#${run.index} ${operation}${amount ? ` ${amount}` : ''} on ${sid ?? run.orderNo}: answer lost, retried with the same key for ${(r.retried.ms / 1000).toFixed(1)} s → ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`,
          );
        }
        if (typeof r.body?.state === 'string') run.lastSeenState = r.body.state;
        run.operations.push(entry);
        if (r.status === 409 && tries < 20 && !this.signal.aborted) {
          await sleep(1_000, this.signal);
          continue;
        }
        if (r.status !== 200 && !(operation === 'cancel' && !sid)) {
          run.problems.push(`${operation} answered ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
        }
        return;
      } catch (error) {
        if (error instanceof KeyBlockedError) entry.status = 'blocked';
        else if (!(error instanceof GaveUpError)) throw error;
        run.operations.push(entry);
        run.problems.push((error as Error).message);
        return;
      }
    }
  }

  /** A session the scenario left open (or gave up on) is canceled by the merchant. */
  private async ensureClosed(run: PaymentRun): Promise<void> {
    const sid = run.sessionId!;
    const until = Date.now() + this.profile.callBudgetMs;
    while (Date.now() < until && !this.signal.aborted) {
      const rec = await this.view(sid);
      run.lastSeenState = rec.state;
      if (!PAYABLE.has(rec.state)) return;
      const last = rec.attempts[rec.attempts.length - 1];
      if (last?.result === 'pending' && last.charge_id) {
        await this.approve(`${this.simulatorUrl}/3ds/${encodeURIComponent(last.charge_id)}`);
        await this.openPage(run, sid);
        continue;
      }
      const before = run.operations.length;
      await this.operation(run, sid, 'cancel');
      if (run.operations.slice(before).some((o) => o.status === 200)) return;
      await sleep(1_000, this.signal);
    }
    if (!this.signal.aborted) run.problems.push('session left open: could not cancel it');
  }

  /** One line of progress: finished payments, and where the others are. */
  progress(): string {
    const done = this.runs.filter((r) => r.finished).length;
    const open = new Map<string, number>();
    for (const r of this.runs.filter((x) => !x.finished)) {
      const where = r.lastSeenState ?? (r.sessionId ? 'created' : 'creating');
      open.set(where, (open.get(where) ?? 0) + 1);
    }
    const inFlight = [...open].map(([k, v]) => `${k} ${v}`).join(', ');
    return `${done}/${this.runs.length} payments finished${inFlight ? ` (in flight: ${inFlight})` : ''}`;
  }

  customerTokens(): Array<{ customerId: string; token?: string; last4: string }> {
    return this.customers.map((c) => ({
      customerId: c.id,
      ...(c.token ? { token: c.token } : {}),
      last4: last4(c.card),
    }));
  }
}

/**
 * After the load: sessions the driver left open (its time ran out) are closed by the merchant —
 * a pending 3-D Secure is approved and settled, anything still payable is canceled.
 */
export async function closeLeftovers(
  api: ApiClient,
  simulatorUrl: string,
  runs: PaymentRun[],
  budgetMs: number,
): Promise<number> {
  const open = runs.filter(
    (r) =>
      r.sessionId &&
      !EXPIRING.has(r.scenario) &&
      (r.lastSeenState === undefined || PAYABLE.has(r.lastSeenState)),
  );
  let closed = 0;
  await Promise.all(
    open.map(async (run) => {
      const sid = run.sessionId!;
      const until = Date.now() + budgetMs;
      for (let i = 0; Date.now() < until; i++) {
        try {
          const rec = await api.merchant<PaymentView>('GET', `${CREATE}${sid}/`, undefined, {
            budgetMs: 5_000,
          });
          run.lastSeenState = rec.body.state;
          if (!PAYABLE.has(rec.body.state)) return;
          const last = rec.body.attempts[rec.body.attempts.length - 1];
          if (last?.result === 'pending' && last.charge_id) {
            await httpRequest('POST', `${simulatorUrl}/3ds/${encodeURIComponent(last.charge_id)}`, {
              form: { outcome: 'approve' },
              redirect: 'manual',
            }).catch(() => undefined);
            await api.customer('GET', `/checkout/${sid}`).catch(() => undefined);
            continue;
          }
          const r = await api.merchant(
            'POST',
            OPERATION,
            { operation: 'cancel', session_id: sid },
            {
              idempotencyKey: `${run.orderNo}-leftover-cancel-${i}`,
              budgetMs: 5_000,
              keyBusyBudgetMs: 5_000,
            },
          );
          run.operations.push({
            n: new Set(run.operations.map((o) => o.n)).size + 1,
            operation: 'cancel',
            status: r.status,
            ...(typeof r.body?.result === 'string' ? { result: r.body.result } : {}),
          });
          if (r.status === 200) {
            closed++;
            run.problems.push('left open by the driver; canceled after the load');
            return;
          }
        } catch {
          /* try again until the budget is used up */
        }
        await sleep(1_000);
      }
    }),
  );
  return closed;
}
