/**
 * One delivery attempt of a webhook (CONTRACT §4). Retrying is the caller's job (an activity and
 * its retry policy); this only says whether another attempt can help:
 * 2xx → delivered; 429, 5xx, timeout, connection error → retryable; any other 4xx, a 3xx
 * (redirects are never followed), an unusable URL or a target the policy refuses → rejected, final.
 *
 * The target is checked on every attempt (`targets.ts`): DNS is resolved again and the address
 * connected to is the one checked. The receiver's answer body is never kept — the result carries
 * its status and the time it took — and the connection is closed as soon as the status line and
 * headers arrived, so a receiver cannot make tokenpay read (or store) anything it sends.
 */
import http from 'node:http';
import https from 'node:https';
import ipaddr from 'ipaddr.js';

import { deliveryOutcomeOf, type DeliveryOutcome } from '../domain/webhook';
import type { SignedWebhookPayload } from './payload';
import { addressProblem, guardedLookup, OPEN_TARGETS, type Resolver, type TargetPolicy } from './targets';

export type { DeliveryOutcome };

export interface DeliveryResult {
  outcome: DeliveryOutcome;
  status?: number;
  /** why it was not delivered, in tokenpay's words (never the receiver's body) */
  error?: string;
  durationMs: number;
}

export interface DeliverOptions {
  url: string;
  body: SignedWebhookPayload;
  timeoutMs: number;
  /** which addresses may be connected to (production refuses private ones); default: any */
  policy?: TargetPolicy;
  /** name resolution (tests stand in for DNS); default: the system's */
  resolver?: Resolver;
}

export const WEBHOOK_USER_AGENT = 'tokenpay-webhooks/1';
const MAX_ERROR_LENGTH = 200;

export async function deliverWebhookOnce(options: DeliverOptions): Promise<DeliveryResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const policy = options.policy ?? OPEN_TARGETS;

  const target = checkUrl(options.url, policy);
  if (typeof target === 'string') return { outcome: 'rejected', error: target, durationMs: elapsed() };

  const payload = Buffer.from(JSON.stringify(options.body), 'utf8');
  const client = target.protocol === 'https:' ? https : http;
  return new Promise<DeliveryResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<DeliveryResult, 'durationMs'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, durationMs: elapsed() });
    };
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': String(payload.byteLength),
          'User-Agent': WEBHOOK_USER_AGENT,
          'X-Tokenpay-Event-Id': options.body.event_id,
          'X-Tokenpay-Signature': options.body.signature,
        },
        lookup: guardedLookup(policy, options.resolver),
        agent: false, // one connection per attempt: nothing pooled across merchants
      },
      (response) => {
        // The status is the answer; the body is not read at all (the connection is closed).
        const status = response.statusCode ?? 0;
        const outcome = deliveryOutcomeOf(status);
        finish(outcome === 'delivered' ? { outcome, status } : { outcome, status, error: `HTTP ${status}` });
        response.destroy();
        request.destroy();
      },
    );
    const timer = setTimeout(() => {
      finish({ outcome: 'retryable', error: `Timed out after ${options.timeoutMs} ms` });
      request.destroy();
    }, options.timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ETARGETREFUSED') finish({ outcome: 'rejected', error: error.message });
      else finish({ outcome: 'retryable', error: describeError(error) });
    });
    request.end(payload);
  });
}

/** The URL to post to, or why it is not one. */
function checkUrl(raw: string, policy: TargetPolicy): URL | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'Invalid webhook URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `Unsupported webhook URL scheme ${url.protocol.slice(0, 20)}`;
  }
  if (url.username || url.password) return 'Webhook URL must not contain credentials';
  // A literal address is connected to without a lookup: check it here.
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host) && !policy.allowedHosts.has(host.toLowerCase())) {
    const problem = addressProblem(host, policy);
    if (problem) return `Refused to connect: ${problem}`;
  }
  return url;
}

function describeError(error: NodeJS.ErrnoException): string {
  const text =
    error.code && !error.message.includes(error.code) ? `${error.code}: ${error.message}` : error.message;
  return text.slice(0, MAX_ERROR_LENGTH);
}
