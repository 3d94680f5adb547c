/** What the customer-facing routes share: loading a session by its capability id, CSRF tokens. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Client } from '@temporalio/client';

import type { AppConfig } from '../config';
import type { PaymentRecord } from '../domain/payment';
import type { PaymentGateway } from '../gateway/port';
import type { Store } from '../store';

export interface CheckoutDeps {
  config: AppConfig;
  store: Store;
  temporal: Client;
  gateway: PaymentGateway;
}

/** A session id is 64 hex digits; anything else is not looked up at all. */
export async function loadSession(store: Store, sessionId: string): Promise<PaymentRecord | null> {
  if (!/^[0-9a-f]{64}$/.test(sessionId)) return null;
  return store.payments.find(sessionId);
}

export function csrfToken(config: AppConfig, sessionId: string): string {
  return createHmac('sha256', config.csrfKey).update(`checkout:${sessionId}`).digest('base64url');
}

export function isValidCsrfToken(config: AppConfig, sessionId: string, given: string): boolean {
  const left = Buffer.from(given);
  const right = Buffer.from(csrfToken(config, sessionId));
  return left.length === right.length && timingSafeEqual(left, right);
}
