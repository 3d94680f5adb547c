/**
 * The state of one checkout session inside CheckoutWorkflow, and the only way to change it:
 * `moveTo` asserts the domain's transition table, keeps the `PaymentState` search attribute
 * current and writes the record. Records are written one at a time, each with the latest state and
 * a revision one higher than the last, so a slow or retried write can never overwrite a newer one
 * (the store ignores a write whose revision it has seen).
 */
import { CancellationScope, log, upsertSearchAttributes } from '@temporalio/workflow';

import type { AttemptContext } from '../../domain/checkout';
import type { GatewayConfig } from '../../domain/gateway-config';
import type { Attempt, OperationRecord, SavedCard } from '../../domain/payment';
import { assertTransition, isPayable, type PaymentState } from '../../domain/states';
import type {
  AttemptOutcome,
  AttemptRef,
  CheckoutInput,
  CheckoutStatus,
  SubmitAttempt,
} from '../definitions';
import { recordUntilDone } from '../record';
import { NeedsAttention, PaymentStateAttr } from '../search-attributes';

/**
 * A charge whose outcome the gateway has not given yet: a 3-D Secure challenge the customer has
 * not completed, or an answer lost in transit (`unknown`: the gateway is asked by the attempt's
 * idempotency key).
 */
export interface AwaitedCharge {
  kind: 'challenge' | 'unknown';
  /** the gateway's charge (a challenge always has one) */
  chargeId?: string;
  /** the attempt's gateway idempotency key */
  idempotencyKey: string;
  attempt: AttemptRef;
  /** the saved card used, for token attempts */
  savedCard?: SavedCard;
  /** the attempt's index in `attempts` */
  index: number;
  /** where the customer authenticates (challenge) */
  url?: string;
  /** workflow time it began waiting */
  openedAt: number;
  /** gateway checks made so far, and when the last one ran */
  checks: number;
  lastCheckAt?: number;
}

export class CheckoutSession {
  private current: PaymentState = 'created';
  readonly attempts: Attempt[] = [];
  /** the card saved or charged by the successful attempt */
  token?: SavedCard;
  chargeId?: string;
  /** the pg_code of the successful attempt */
  paidWith?: string;
  /** the merchant's cancel / expire that closed the session */
  closedBy?: OperationRecord;
  /** a submit holds the session's one attempt slot (set at once, so a double click is refused) */
  attemptClaimed = false;
  /** the attempt being sent to the gateway right now, until its answer is applied */
  charging?: { idempotencyKey: string; index: number; attempt: SubmitAttempt };
  /** bumped by anything that changes what the main loop waits for (see `poke`) */
  private pokes = 0;
  awaiting?: AwaitedCharge;
  /** a gateway check of the awaited charge is running */
  checking = false;
  /** a notice or the customer's return asks for a check before the next scheduled one */
  checkRequested = false;
  /** saved-card charges so far: numbers their child workflows */
  tokenCharges = 0;
  private revision = 0;
  private recording: Promise<void> = Promise.resolve();
  private lock: Promise<unknown> = Promise.resolve();
  private readonly background: Promise<void>[] = [];

  constructor(readonly input: CheckoutInput) {
    const resume = input.resume;
    if (!resume) return;
    // A run that continues a payment: the record is where it starts.
    this.current = resume.state;
    this.attempts.push(...resume.attempts);
    this.revision = resume.revision;
    if (resume.token) this.token = resume.token;
    if (resume.chargeId) this.chargeId = resume.chargeId;
    if (resume.paidWith) this.paidWith = resume.paidWith;
    this.tokenCharges = resume.attempts.filter((a) => a.payment_method === 'token').length;
    const index = resume.attempts.length - 1;
    const last = resume.attempts[index];
    if (last?.result === 'pending' && isPayable(resume.state)) {
      // the gateway's answer to it never reached the record: ask the gateway, never guess
      this.awaiting = {
        kind: last.charge_id ? 'challenge' : 'unknown',
        ...(last.charge_id ? { chargeId: last.charge_id } : {}),
        idempotencyKey: `${input.sessionId}:attempt:${index + 1}`,
        attempt: { method: 'recovered', pgCode: last.pg_code },
        index,
        openedAt: Date.now(),
        checks: 0,
      };
    }
  }

  get state(): PaymentState {
    return this.current;
  }

  get expiresAtMs(): number {
    return Date.parse(this.input.expiresAt);
  }

  get attemptInFlight(): boolean {
    return this.attemptClaimed;
  }

  /** Wakes the main loop to look again (a changed expiry, a new thing to wait for). */
  poke(): void {
    this.pokes += 1;
  }

  get pokeCount(): number {
    return this.pokes;
  }

  /**
   * Another attempt must wait: one is being charged, or the gateway's answer to the last one was
   * lost (charging again could charge twice). A pending challenge does not block: a new attempt
   * supersedes it.
   */
  get busy(): boolean {
    return this.attemptInFlight || this.awaiting?.kind === 'unknown';
  }

  config(pgCode: string): GatewayConfig | undefined {
    return this.input.gateways.find((g) => g.pg_code === pgCode);
  }

  attemptContext(): AttemptContext {
    return {
      state: this.current,
      expiresAt: this.input.expiresAt,
      ...(this.input.customerId ? { customerId: this.input.customerId } : {}),
      gateways: this.input.gateways,
      attemptsMade: this.attempts.length,
      busy: this.busy,
    };
  }

  /**
   * Runs `work` after every earlier exclusive work has finished: attempts, gateway checks and
   * closes never interleave, so each sees the session as the last one left it.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    // the work runs in the caller's cancellation scope, not in the one the chain was started in
    const scope = CancellationScope.current();
    const run = this.lock.then(() => scope.run(work));
    this.lock = run.catch(() => undefined);
    return run;
  }

  async moveTo(next: PaymentState): Promise<void> {
    assertTransition(this.current, next);
    this.current = next;
    upsertSearchAttributes([{ key: PaymentStateAttr, value: next }]);
    await this.persist();
  }

  /** Writes the record as it is now, after every write queued before. */
  persist(): Promise<void> {
    const revision = ++this.revision;
    const patch = {
      writer: 'checkout' as const,
      revision,
      state: this.current,
      attempts: this.attempts,
      ...(this.token ? { token: this.token } : {}),
      ...(this.chargeId ? { charge_id: this.chargeId } : {}),
      ...(this.paidWith ? { pg_code: this.paidWith } : {}),
      ...(this.closedBy ? { operations: [this.closedBy] } : {}),
    };
    const scope = CancellationScope.current(); // a clean-up's writes must not be canceled with the run
    // a write cut short by a cancel must not stop the writes after it (the clean-up's)
    this.recording = this.recording
      .catch(() => undefined)
      .then(() => scope.run(() => recordUntilDone(this.input.sessionId, patch)));
    return this.recording;
  }

  /** Resolves once every record write queued so far is done. */
  written(): Promise<void> {
    return this.recording;
  }

  /** Work that must finish before the workflow does, but must not hold the answer (saving a card). */
  later(work: Promise<void>): void {
    this.background.push(work);
  }

  async backgroundDone(): Promise<void> {
    await Promise.all(this.background);
  }

  /** Marks the payment for an operator (search attribute NeedsAttention), with the reason logged. */
  needsAttention(reason: string): void {
    log.warn('Payment needs attention', { sessionId: this.input.sessionId, reason });
    upsertSearchAttributes([{ key: NeedsAttention, value: true }]);
  }

  outcomeOf(attempt: Attempt): AttemptOutcome {
    return {
      result: attempt.result,
      state: this.current,
      message: attempt.message,
      reference_number: attempt.reference_number,
      ...(attempt.decline_code ? { decline_code: attempt.decline_code } : {}),
      ...(this.token && attempt.result === 'success' ? { token: this.token } : {}),
    };
  }

  status(): CheckoutStatus {
    return {
      state: this.current,
      attempts: this.attempts,
      attemptInFlight: this.attemptInFlight,
      challengePending: this.awaiting?.kind === 'challenge',
    };
  }
}
