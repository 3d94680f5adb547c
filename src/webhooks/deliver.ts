/**
 * One delivery attempt of a webhook (CONTRACT §4). Retrying is the caller's job (an activity and
 * its retry policy); this only says whether another attempt can help:
 * 2xx → delivered; 429, 5xx, timeout, connection error → retryable; any other 4xx, a 3xx
 * (redirects are never followed) or an unusable URL → rejected, final.
 */
import { deliveryOutcomeOf, type DeliveryOutcome } from '../domain/webhook';
import type { SignedWebhookPayload } from './payload';

export type { DeliveryOutcome };

export interface DeliveryResult {
  outcome: DeliveryOutcome;
  status?: number;
  error?: string;
  durationMs: number;
}

export interface DeliverOptions {
  url: string;
  body: SignedWebhookPayload;
  timeoutMs: number;
  fetchImpl?: typeof fetch;
}

export const WEBHOOK_USER_AGENT = 'tokenpay-webhooks/1';
/** Longest piece of a receiver's response body ever kept in `error`. */
export const MAX_RESPONSE_SNIPPET = 500;
/** Bytes read from an error response at most: enough for the snippet, never the whole body. */
const MAX_RESPONSE_READ_BYTES = 4096;

export async function deliverWebhookOnce(options: DeliverOptions): Promise<DeliveryResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);

  const target = checkUrl(options.url);
  if (typeof target === 'string') return { outcome: 'rejected', error: target, durationMs: elapsed() };

  const fetchImpl = options.fetchImpl ?? fetch;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);

  try {
    let response: Response;
    try {
      response = await fetchImpl(target.href, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': WEBHOOK_USER_AGENT,
          'X-Tokenpay-Event-Id': options.body.event_id,
          'X-Tokenpay-Signature': options.body.signature,
        },
        body: JSON.stringify(options.body),
        redirect: 'manual',
        signal: controller.signal,
      });
    } catch (error) {
      return {
        outcome: 'retryable',
        error: timedOut ? `Timed out after ${options.timeoutMs} ms` : describeFetchError(error),
        durationMs: elapsed(),
      };
    }

    const status = response.status;
    const outcome = deliveryOutcomeOf(status);
    if (outcome === 'delivered') {
      await response.body?.cancel().catch(() => undefined);
      return { outcome, status, durationMs: elapsed() };
    }
    const snippet = await readSnippet(response);
    const error = `HTTP ${status}${snippet ? `: ${snippet}` : ''}`;
    return { outcome, status, error, durationMs: elapsed() };
  } finally {
    clearTimeout(timer);
  }
}

/** The URL to post to, or why it is not one. */
function checkUrl(raw: string): URL | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'Invalid webhook URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `Unsupported webhook URL scheme ${url.protocol.slice(0, 20)}`;
  }
  // fetch refuses these anyway; refusing here keeps it a final outcome, not an endless retry.
  if (url.username || url.password) return 'Webhook URL must not contain credentials';
  return url;
}

/** The start of an error response's body, on one line, at most MAX_RESPONSE_SNIPPET characters. */
async function readSnippet(response: Response): Promise<string> {
  const body = response.body;
  if (!body) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_RESPONSE_READ_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // a body cut short (or the timeout) still leaves what was read
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\p{Cc}+/gu, ' ') // control characters, newlines included
    .trim();
  return text.length > MAX_RESPONSE_SNIPPET ? `${text.slice(0, MAX_RESPONSE_SNIPPET - 1)}…` : text;
}

function describeFetchError(error: unknown): string {
  // Duck-typed, not instanceof: fetch's errors may come from another realm (vm, test runners).
  const outer = asErrorLike(error);
  const cause = asErrorLike(outer?.cause);
  const code = cause?.code ?? outer?.code;
  const message = cause?.message ?? outer?.message ?? String(error);
  const text = code && !message.includes(code) ? `${code}: ${message}` : message;
  return text.slice(0, MAX_RESPONSE_SNIPPET);
}

function asErrorLike(value: unknown): { message?: string; code?: string; cause?: unknown } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { message?: unknown; code?: unknown; cause?: unknown };
  return {
    message: typeof v.message === 'string' && v.message ? v.message : undefined,
    code: typeof v.code === 'string' ? v.code : undefined,
    cause: v.cause,
  };
}
