/**
 * Signing gateway notifications the way the gateway does (CONTRACT §9), for the tests of the
 * engine's `POST /gateway/notifications`. Independent of the simulator's signer on purpose.
 */
import { createHmac, randomBytes } from 'node:crypto';

import { DEV_DEFAULTS } from '../../src/config';
import { SIGNATURE_HEADER } from '../../src/gateway/notifications';

export const NOTIFICATIONS_PATH = '/gateway/notifications';
export { SIGNATURE_HEADER };

export const nowS = (): number => Math.floor(Date.now() / 1000);

/** `t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>">` */
export function signature(body: string | Buffer, options: { secret?: string; t?: number } = {}): string {
  const t = options.t ?? nowS();
  const hmac = createHmac('sha256', options.secret ?? DEV_DEFAULTS.gatewayNotifySecret)
    .update(`${t}.`)
    .update(body)
    .digest('hex');
  return `t=${t},v1=${hmac}`;
}

export const eventId = (): string => `evt_${randomBytes(16).toString('hex')}`;
export const chargeId = (): string => `ch_${randomBytes(16).toString('hex')}`;

export interface NotificationBody {
  id: string;
  type: string;
  created: number;
  charge: {
    id: string;
    status: string;
    idempotency_key: string;
    decline_code: string | null;
    amount: number;
    currency: string;
  };
}

/** A `charge.challenge_completed` (succeeded) notification about attempt 1 of the session. */
export function notification(
  sessionId: string,
  overrides: { id?: string; type?: string; charge?: Partial<NotificationBody['charge']> } = {},
): NotificationBody {
  return {
    id: overrides.id ?? eventId(),
    type: overrides.type ?? 'charge.challenge_completed',
    created: nowS(),
    charge: {
      id: chargeId(),
      status: 'succeeded',
      idempotency_key: `${sessionId}:attempt:1`,
      decline_code: null,
      amount: 20230,
      currency: 'KWD',
      ...overrides.charge,
    },
  };
}

/** Headers of a notification signed now with the dev default secret (or as given). */
export function signedHeaders(
  body: string | Buffer,
  options: { secret?: string; t?: number } = {},
): Record<string, string> {
  return { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature(body, options) };
}
