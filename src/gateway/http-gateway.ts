import {
  GatewayRejectedError,
  GatewayUnavailableError,
  type Charge,
  type ChargeRequest,
  type GatewayToken,
  type PaymentGateway,
  type RawCard,
  type Refund,
} from './port';

export interface HttpGatewayOptions {
  /** e.g. http://127.0.0.1:4010 */
  baseUrl: string;
  /** per-request timeout, default 10000 ms */
  timeoutMs?: number;
}

interface CallOptions {
  body?: unknown;
  idempotencyKey?: string;
  /** answer undefined instead of throwing on 404 (lookups) */
  notFoundAsUndefined?: boolean;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The adapter for the simulator's Stripe-shaped HTTP API.
 *
 * Errors: no answer (network error, timeout, abort), 5xx, 409 (the same Idempotency-Key is still
 * being processed) and unreadable 2xx answers throw GatewayUnavailableError — the outcome is unknown
 * and the caller must reconcile. Other 4xx throw GatewayRejectedError. Request bodies (which may
 * hold card data) never appear in an error or a log line.
 */
export class HttpGateway implements PaymentGateway {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(options: HttpGatewayOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async createCardToken(card: RawCard): Promise<GatewayToken> {
    return asToken(await this.call('POST', '/v1/tokens', { body: { card } }));
  }

  async createCvcToken(sourceToken: string, cvc: string): Promise<GatewayToken> {
    return asToken(await this.call('POST', '/v1/tokens', { body: { source_token: sourceToken, cvc } }));
  }

  async charge(request: ChargeRequest, idempotencyKey: string): Promise<Charge> {
    return asCharge(await this.call('POST', '/v1/charges', { body: request, idempotencyKey }));
  }

  async getCharge(chargeId: string): Promise<Charge | undefined> {
    const answer = await this.call('GET', `/v1/charges/${encodeURIComponent(chargeId)}`, {
      notFoundAsUndefined: true,
    });
    return answer === undefined ? undefined : asCharge(answer);
  }

  async findChargeByIdempotencyKey(idempotencyKey: string): Promise<Charge | undefined> {
    const answer = await this.call(
      'GET',
      `/v1/charges?idempotency_key=${encodeURIComponent(idempotencyKey)}`,
      {
        notFoundAsUndefined: true,
      },
    );
    if (answer === undefined) return undefined;
    const data = (answer as { data?: unknown }).data;
    if (!Array.isArray(data)) throw new GatewayUnavailableError('gateway answered an unreadable charge list');
    return data.length === 0 ? undefined : asCharge(data[0]);
  }

  async capture(chargeId: string, amount: number, idempotencyKey: string): Promise<Charge> {
    const path = `/v1/charges/${encodeURIComponent(chargeId)}/capture`;
    return asCharge(await this.call('POST', path, { body: { amount }, idempotencyKey }));
  }

  async refund(chargeId: string, amount: number, idempotencyKey: string): Promise<Refund> {
    const path = `/v1/charges/${encodeURIComponent(chargeId)}/refund`;
    return asRefund(await this.call('POST', path, { body: { amount }, idempotencyKey }));
  }

  async void(chargeId: string, idempotencyKey: string): Promise<Charge> {
    const path = `/v1/charges/${encodeURIComponent(chargeId)}/void`;
    return asCharge(await this.call('POST', path, { body: {}, idempotencyKey }));
  }

  async ping(): Promise<boolean> {
    try {
      const response = await fetch(`${this.baseUrl}/healthz`, {
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.arrayBuffer();
      return response.ok;
    } catch {
      return false;
    }
  }

  private async call(method: 'GET' | 'POST', path: string, options: CallOptions): Promise<unknown> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (options.idempotencyKey !== undefined) headers['Idempotency-Key'] = options.idempotencyKey;
    const what = `${method} ${path.split('?')[0]}`;

    let status: number;
    let text: string;
    try {
      const response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (err) {
      throw new GatewayUnavailableError(`gateway did not answer ${what}: ${describeTransportError(err)}`);
    }

    if (status >= 500 || status === 409) {
      throw new GatewayUnavailableError(`gateway answered ${status} to ${what}${errorSuffix(text)}`);
    }
    if (status === 404 && options.notFoundAsUndefined) return undefined;
    if (status >= 400) {
      const error = readError(text);
      throw new GatewayRejectedError(
        error.message ?? `gateway rejected ${what}`,
        error.code ?? `http_${status}`,
        status,
      );
    }
    if (status < 200 || status >= 300) {
      throw new GatewayUnavailableError(`gateway answered an unexpected ${status} to ${what}`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new GatewayUnavailableError(`gateway answered ${status} to ${what} with a body that is not JSON`);
    }
  }
}

function readError(text: string): { code?: string; message?: string } {
  try {
    const error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    return {
      ...(typeof error?.code === 'string' ? { code: error.code } : {}),
      ...(typeof error?.message === 'string' ? { message: error.message } : {}),
    };
  } catch {
    return {};
  }
}

function errorSuffix(text: string): string {
  const error = readError(text);
  return error.code ? ` (${error.code})` : '';
}

function describeTransportError(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return 'timed out';
    if (err.name === 'AbortError') return 'aborted';
    const cause = (err as { cause?: unknown }).cause;
    const code =
      typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
    return code ? `${err.message} (${code})` : err.message;
  }
  return 'unknown error';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asCharge(value: unknown): Charge {
  if (
    !isObject(value) ||
    typeof value['id'] !== 'string' ||
    typeof value['status'] !== 'string' ||
    typeof value['amount'] !== 'number' ||
    !isObject(value['card'])
  ) {
    throw new GatewayUnavailableError('gateway answered an unreadable charge');
  }
  return value as unknown as Charge;
}

function asRefund(value: unknown): Refund {
  if (!isObject(value) || typeof value['id'] !== 'string' || typeof value['amount'] !== 'number') {
    throw new GatewayUnavailableError('gateway answered an unreadable refund');
  }
  return value as unknown as Refund;
}

function asToken(value: unknown): GatewayToken {
  if (!isObject(value) || typeof value['id'] !== 'string' || !isObject(value['card'])) {
    throw new GatewayUnavailableError('gateway answered an unreadable token');
  }
  return value as unknown as GatewayToken;
}
