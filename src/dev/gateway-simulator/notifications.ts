/**
 * Server-to-server notifications of charge outcomes, the way real PSPs tell a merchant's engine
 * (Stripe's webhooks, Adyen's notifications): a signed JSON POST per event, delivered at least
 * once from an outbox, retried with exponential backoff, given up after a bounded time.
 *
 * Signature (Stripe's scheme): `Tokenpay-Gateway-Signature: t=<unix seconds>,v1=<hex>` where
 * `<hex>` is HMAC-SHA256 with the shared secret over `"<t>.<raw body>"`. Each attempt is signed
 * with the time of that attempt; the body (event id included) is the same on every attempt.
 *
 * Outcomes: 2xx ends delivery; 5xx, 408, 429, timeouts and connection errors are retried; any
 * other 4xx is final (the receiver refused this event for good, as CONTRACT §4 treats the
 * engine's own webhooks). The outbox lives in the simulator's state, so with a data file a restart
 * resumes what was not delivered; without one it lives and dies with the process.
 */
import { createHmac } from 'node:crypto';

import type { ChargeRecord, OutboxEntry } from './model';
import type { Clock } from './clock';
import type { FaultInjector } from './faults';
import { newId } from './ids';
import type { SimStore } from './store';

export const SIGNATURE_HEADER = 'Tokenpay-Gateway-Signature';

export type NotificationType =
  | 'charge.succeeded'
  | 'charge.authorized'
  | 'charge.declined'
  /** a 3-D Secure challenge was completed (approved or rejected): `charge.status` says which */
  | 'charge.challenge_completed'
  /** a pending 3-D Secure challenge was canceled by a void: the charge is declined */
  | 'charge.challenge_canceled';

/** The wire form of a notification: never card data, only what identifies the charge and its outcome. */
export interface NotificationEvent {
  id: string;
  type: NotificationType;
  /** epoch seconds (the simulator's clock) */
  created: number;
  charge: {
    id: string;
    status: ChargeRecord['status'];
    idempotency_key: string;
    decline_code: string | null;
    amount: number;
    currency: string;
  };
}

export interface RetryPolicy {
  /** delay before the second attempt; doubles after each failure */
  initialMs: number;
  /** the longest delay between two attempts */
  maxMs: number;
  /** no attempt is made later than this after the event was made */
  giveUpAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  initialMs: 1_000,
  maxMs: 30 * 60_000,
  giveUpAfterMs: 24 * 60 * 60_000,
};

export interface NotifierOptions {
  /** where to POST; without it nothing is sent (and nothing is queued) */
  url?: string;
  secret: string;
  retry?: Partial<RetryPolicy>;
  /** per attempt; a slower receiver counts as a timeout (default 10 s) */
  timeoutMs?: number;
  /** drop / delay faults (POST /_sim/faults with GATEWAY_SIM_FAULTS=1) */
  faults?: FaultInjector;
  /** one line per delivery outcome (the simulator's process prints them as JSON) */
  log?: (entry: Record<string, unknown>) => void;
}

export interface NotifierStats {
  enabled: boolean;
  pending: number;
  delivered: number;
  /** refused for good by the receiver (a 4xx other than 408/429) */
  rejected: number;
  gave_up: number;
  /** dropped by an injected fault */
  dropped: number;
  /** attempts that failed and were retried (or given up) */
  failed_attempts: number;
}

/** Concurrent deliveries at most; the rest wait for a slot. */
const MAX_IN_FLIGHT = 16;
/** Outbox changes after a delivery are written at most this often (enqueues commit at once). */
const COMMIT_DEBOUNCE_MS = 200;
const MAX_ERROR_LENGTH = 300;

export function signNotification(secret: string, timestamp: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

export class Notifier {
  private readonly retry: RetryPolicy;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Map<string, AbortController>();
  private readonly waiting: string[] = [];
  private commitTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly counts = { delivered: 0, rejected: 0, gave_up: 0, dropped: 0, failed_attempts: 0 };

  constructor(
    private readonly store: SimStore,
    private readonly clock: Clock,
    private readonly options: NotifierOptions,
  ) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  get enabled(): boolean {
    return this.options.url !== undefined;
  }

  /** Schedules what the outbox held when the simulator started (a restart resumes delivery). */
  resume(): void {
    if (!this.enabled) return;
    for (const entry of Object.values(this.store.state.outbox)) this.schedule(entry);
  }

  /**
   * Queues the notification of a charge's outcome. Called inside a PSP mutation, before its
   * commit: the event is stored with the charge or not at all. Delivery starts after the commit.
   */
  enqueue(type: NotificationType, charge: ChargeRecord): void {
    if (!this.enabled || this.disposed) return;
    const fault = this.options.faults?.take('notification');
    if (fault?.mode === 'drop_notification') {
      this.counts.dropped += 1;
      return;
    }
    const event: NotificationEvent = {
      id: newId('evt_'),
      type,
      created: Math.floor(this.clock.nowMs() / 1000),
      charge: {
        id: charge.id,
        status: charge.status,
        idempotency_key: charge.idempotency_key,
        decline_code: charge.decline_code ?? null,
        amount: charge.amount,
        currency: charge.currency,
      },
    };
    const now = Date.now();
    const entry: OutboxEntry = {
      id: event.id,
      type,
      body: JSON.stringify(event),
      created_ms: now,
      attempts: 0,
      next_attempt_ms: now + (fault?.mode === 'delay_notification' ? fault.latency_ms : 0),
    };
    this.store.state.outbox[entry.id] = entry;
    // after the caller's commit (same tick), so a crash can never send an uncommitted event
    setImmediate(() => this.schedule(entry));
  }

  stats(): NotifierStats {
    return {
      enabled: this.enabled,
      pending: Object.keys(this.store.state.outbox).length,
      ...this.counts,
    };
  }

  /** Undelivered events, oldest first (for /_sim/notifications). */
  pending(): Array<Omit<OutboxEntry, 'body'>> {
    return Object.values(this.store.state.outbox)
      .sort((a, b) => a.created_ms - b.created_ms)
      .map(({ body: _body, ...rest }) => rest);
  }

  /** Stops every timer and in-flight attempt; writes the outbox as it stands. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.inFlight.values()) controller.abort();
    this.inFlight.clear();
    this.waiting.length = 0;
    if (this.commitTimer) {
      clearTimeout(this.commitTimer);
      this.commitTimer = undefined;
      this.store.commit();
    }
  }

  private schedule(entry: OutboxEntry): void {
    if (this.disposed || this.timers.has(entry.id) || this.inFlight.has(entry.id)) return;
    const delay = Math.max(0, entry.next_attempt_ms - Date.now());
    const timer = setTimeout(() => {
      this.timers.delete(entry.id);
      this.start(entry.id);
    }, delay);
    timer.unref?.();
    this.timers.set(entry.id, timer);
  }

  private start(id: string): void {
    if (this.disposed) return;
    const entry = this.store.state.outbox[id];
    if (!entry) return;
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      this.waiting.push(id);
      return;
    }
    const controller = new AbortController();
    this.inFlight.set(id, controller);
    void this.attempt(entry, controller).finally(() => {
      this.inFlight.delete(id);
      // still in the outbox: a retry, at its next_attempt_ms
      const retry = this.store.state.outbox[id];
      if (retry) this.schedule(retry);
      const next = this.waiting.shift();
      if (next !== undefined) this.start(next);
    });
  }

  private async attempt(entry: OutboxEntry, controller: AbortController): Promise<void> {
    const timeout = setTimeout(() => controller.abort(), this.options.timeoutMs ?? 10_000);
    let outcome: 'delivered' | 'retry' | 'rejected';
    let detail: string;
    try {
      const response = await fetch(this.options.url!, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'tokenpay-gateway-simulator',
          [SIGNATURE_HEADER]: signNotification(
            this.options.secret,
            Math.floor(Date.now() / 1000),
            entry.body,
          ),
        },
        body: entry.body,
        signal: controller.signal,
        redirect: 'manual',
      });
      await response.arrayBuffer().catch(() => undefined);
      detail = `HTTP ${response.status}`;
      if (response.status >= 200 && response.status < 300) outcome = 'delivered';
      else if (response.status >= 500 || response.status === 408 || response.status === 429)
        outcome = 'retry';
      else outcome = 'rejected';
    } catch (error) {
      outcome = 'retry';
      detail = controller.signal.aborted ? 'timeout' : describe(error);
    } finally {
      clearTimeout(timeout);
    }
    if (this.disposed) return; // shutting down: the entry stays in the outbox as it was
    entry.attempts += 1;
    const log = {
      msg: 'gateway notification',
      event_id: entry.id,
      type: entry.type,
      attempt: entry.attempts,
    };
    if (outcome === 'delivered' || outcome === 'rejected') {
      this.counts[outcome] += 1;
      delete this.store.state.outbox[entry.id];
      this.options.log?.({ ...log, outcome, detail });
      this.commitSoon();
      return;
    }
    this.counts.failed_attempts += 1;
    const delay = this.backoff(entry.attempts);
    if (Date.now() + delay > entry.created_ms + this.retry.giveUpAfterMs) {
      this.counts.gave_up += 1;
      delete this.store.state.outbox[entry.id];
      this.options.log?.({ ...log, outcome: 'gave_up', detail });
      this.commitSoon();
      return;
    }
    entry.next_attempt_ms = Date.now() + delay;
    entry.last_error = detail.slice(0, MAX_ERROR_LENGTH);
    this.options.log?.({ ...log, outcome: 'retry', detail, retry_in_ms: delay });
    this.commitSoon();
  }

  /** initial × 2^(n-1), capped, plus up to 10 % jitter so retries of many events spread out. */
  private backoff(attempts: number): number {
    const base = Math.min(this.retry.maxMs, this.retry.initialMs * 2 ** Math.min(attempts - 1, 40));
    return Math.round(base * (1 + Math.random() * 0.1));
  }

  private commitSoon(): void {
    if (this.commitTimer) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      this.store.commit();
    }, COMMIT_DEBOUNCE_MS);
    this.commitTimer.unref?.();
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
