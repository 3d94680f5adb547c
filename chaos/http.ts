/**
 * HTTP against the API under fault injection. Merchant POSTs are retried across the API's
 * downtime (connection refused or reset, 5xx) with the same Idempotency-Key; a 409 "still being
 * processed" for that key is waited out within a budget. Customer calls are sent once and the
 * caller decides from the payment's state what to do next.
 */
import { sleep } from './log';

/** The fields of the API's JSON answers the driver looks at (all optional: bodies are untrusted). */
export interface ApiBody {
  session_id?: string;
  result?: string;
  state?: string;
  detail?: string;
  next_action?: { type?: string; url?: string };
}

export interface HttpResult<T = ApiBody> {
  status: number;
  body: T;
  headers: Headers;
  /** merchant calls: what it took to get this answer */
  retried?: { noAnswer: number; serverErrors: number; keyBusy: number; ms: number };
}

/** The request got no HTTP answer (connection refused or reset, timeout). */
export class NetError extends Error {
  override readonly name = 'NetError';
}

export interface RequestOptions {
  body?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  timeoutMs?: number;
  redirect?: 'manual' | 'follow';
  /** abandons the request (e.g. when the load's time is up) */
  signal?: AbortSignal;
}

/**
 * Every 500 "Internal error" the API answered, by method and path prefix. A dependency being away is answered 503 (retry);
 * a 500 is a bug even under faults, so the report requires none.
 */
export const internalErrors = new Map<string, number>();

export async function httpRequest<T = ApiBody>(
  method: string,
  url: string,
  options: RequestOptions = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  let payload: string | undefined;
  if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  } else if (options.form) {
    payload = new URLSearchParams(options.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
      redirect: options.redirect ?? 'follow',
      signal: options.signal
        ? AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? 60_000), options.signal])
        : AbortSignal.timeout(options.timeoutMs ?? 60_000),
    });
    text = await response.text();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new NetError(
      `${method} ${new URL(url).pathname}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
    );
  }
  let body: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  const detail = (body as ApiBody | undefined)?.detail;
  // The API's unhandled-error answer (the simulator's injected 5xx are its own, expected).
  if (response.status === 500 && typeof detail === 'string' && detail.startsWith('Internal error')) {
    const key = `${method} ${new URL(url).pathname.split('/').slice(0, 4).join('/')}`;
    internalErrors.set(key, (internalErrors.get(key) ?? 0) + 1);
  }
  return { status: response.status, body: body as T, headers: response.headers };
}

export interface RetryStats {
  /** merchant/customer calls retried because the API gave no answer */
  netRetries: number;
  /** ... because it answered 5xx */
  serverErrorRetries: number;
  /** ... because the Idempotency-Key was "still being processed" (409) */
  keyBusyRetries: number;
  /** merchant POSTs whose key stayed busy for the whole budget */
  keysBlocked: number;
  /** distinct 5xx bodies seen, for the report */
  serverErrors: Map<string, number>;
}

export function newRetryStats(): RetryStats {
  return { netRetries: 0, serverErrorRetries: 0, keyBusyRetries: 0, keysBlocked: 0, serverErrors: new Map() };
}

export class KeyBlockedError extends Error {
  override readonly name = 'KeyBlockedError';
}

export class GaveUpError extends Error {
  override readonly name = 'GaveUpError';
}

const isKeyBusy = (r: HttpResult<unknown>): boolean => {
  const detail = (r.body as ApiBody | undefined)?.detail;
  return r.status === 409 && typeof detail === 'string' && /Idempotency-Key/i.test(detail);
};

/** Kinds of requests a fault can be timed to hit while they are in flight. */
export const REQUEST_TAGS = ['create', 'submit', 'refund', 'cancel'] as const;
export type RequestTag = (typeof REQUEST_TAGS)[number];

/** A request of a tracked kind, waiting for its answer. */
export interface InFlight {
  tag: RequestTag;
  sessionId?: string;
}

export class ApiClient {
  private readonly live = new Set<InFlight>();

  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
    readonly stats: RetryStats,
    private readonly signal: AbortSignal,
  ) {}

  private noteServerError(r: HttpResult<unknown>): void {
    const given = (r.body as ApiBody | undefined)?.detail;
    const detail = typeof given === 'string' ? given : String(r.body).slice(0, 80);
    const key = `${r.status} ${detail}`;
    this.stats.serverErrors.set(key, (this.stats.serverErrors.get(key) ?? 0) + 1);
  }

  /**
   * A merchant call, retried until it gets a non-5xx answer: POSTs carry `idempotencyKey` on every
   * try. Throws KeyBlockedError when the key stays busy for `keyBusyBudgetMs`, GaveUpError when
   * no answer came within `budgetMs`.
   */
  async merchant<T = ApiBody>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body: unknown,
    opts: {
      idempotencyKey?: string;
      budgetMs: number;
      keyBusyBudgetMs?: number;
      timeoutMs?: number;
      tag?: RequestTag;
      sessionId?: string;
    },
  ): Promise<HttpResult<T>> {
    const started = Date.now();
    let firstBusyAt: number | undefined;
    let delay = 250;
    let lastProblem = '';
    const retried = { noAnswer: 0, serverErrors: 0, keyBusy: 0, ms: 0 };
    for (;;) {
      if (this.signal.aborted) throw new GaveUpError(`${method} ${path}: run aborted`);
      try {
        const r = await this.tracked(
          opts.tag && { tag: opts.tag, ...(opts.sessionId ? { sessionId: opts.sessionId } : {}) },
          httpRequest<T>(method, `${this.baseUrl}${path}`, {
            ...(body !== undefined ? { body } : {}),
            headers: {
              authorization: `Api-Key ${this.apiKey}`,
              ...(opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {}),
            },
            timeoutMs: opts.timeoutMs ?? 60_000,
            signal: this.signal,
          }),
        );
        if (r.status >= 500) {
          this.stats.serverErrorRetries++;
          this.noteServerError(r);
          lastProblem = `HTTP ${r.status}`;
          retried.serverErrors++;
        } else if (isKeyBusy(r)) {
          this.stats.keyBusyRetries++;
          firstBusyAt ??= Date.now();
          if (Date.now() - firstBusyAt > (opts.keyBusyBudgetMs ?? opts.budgetMs)) {
            this.stats.keysBlocked++;
            throw new KeyBlockedError(
              `${method} ${path}: Idempotency-Key ${opts.idempotencyKey} still "being processed" after ${Math.round((Date.now() - firstBusyAt) / 1000)} s`,
            );
          }
          lastProblem = 'key busy';
          retried.keyBusy++;
        } else {
          retried.ms = Date.now() - started;
          return { ...r, retried };
        }
      } catch (error) {
        if (!(error instanceof NetError)) throw error;
        this.stats.netRetries++;
        lastProblem = error.message;
        retried.noAnswer++;
      }
      const extra = firstBusyAt === undefined ? 0 : (opts.keyBusyBudgetMs ?? opts.budgetMs);
      if (Date.now() - started > opts.budgetMs + extra) {
        throw new GaveUpError(`${method} ${path}: no answer within ${opts.budgetMs} ms (${lastProblem})`);
      }
      await sleep(delay, this.signal);
      delay = Math.min(2_000, delay * 2);
    }
  }

  /** A customer call, sent once (the caller re-reads the payment to decide what's next). */
  customer<T = ApiBody>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    track?: InFlight,
  ): Promise<HttpResult<T>> {
    return this.tracked(
      track,
      httpRequest<T>(method, `${this.baseUrl}${path}`, {
        ...(body !== undefined ? { body } : {}),
        timeoutMs: 60_000,
        signal: this.signal,
      }),
    );
  }

  private async tracked<R>(track: InFlight | undefined, request: Promise<R>): Promise<R> {
    if (!track) return request;
    const entry = { ...track };
    this.live.add(entry);
    try {
      return await request;
    } finally {
      this.live.delete(entry);
    }
  }

  /** The first request of this kind in flight (waiting up to `timeoutMs` for one). */
  async waitForInFlight(tag: RequestTag, timeoutMs: number): Promise<InFlight | undefined> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      for (const entry of this.live) if (entry.tag === tag) return entry;
      if (Date.now() > until || this.signal.aborted) return undefined;
      await sleep(5);
    }
  }
}
