/**
 * `POST /gateway/notifications`: the gateway's server-to-server notifications of charge outcomes
 * (CONTRACT §9). Mounted before the JSON body parser: the signature covers the raw body, so the
 * body is read as bytes, verified, and only then parsed.
 *
 * 1. Authenticate: `Tokenpay-Gateway-Signature` (HMAC-SHA256 of `"<t>.<raw body>"`, constant-time
 *    compare): missing, malformed or wrong → 401; right but signed outside the replay window
 *    (±5 minutes) → 400.
 * 2. Parse: JSON, then the notification's shape → 400 in the contract's shapes.
 * 3. Deduplicate by event id (`store.gatewayEvents`): an event already dealt with → 200 at once.
 * 4. Find the payment from the charge's idempotency key (`{session_id}:attempt:{n}`, …). Unless
 *    its record shows the notice is moot (the payment closed, or the attempt with this charge
 *    already settled: `domain/gateway-notice.ts`), send its CheckoutWorkflow the `gatewayNotice` update, `updateId` = event id (a redelivery joins the
 *    same update). The API waits until the workflow accepted (or refused) the notice, 5 s at
 *    most, then up to 2 s for its handler; what the workflow does after that is its own business.
 *    A refused notice (the workflow waits for nothing it is about), a closed workflow, an unknown
 *    payment: all are normal, acknowledged with 200 so the gateway stops retrying. Temporal or
 *    MongoDB away, or the workflow not taking the notice in time → 503, so the gateway retries.
 *
 * Nothing here needs card data, and the notification carries none.
 */
import express, { Router, type Request, type RequestHandler } from 'express';
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
  type Client,
  type WorkflowUpdateHandle,
} from '@temporalio/client';

import { parseGatewayKey } from '../domain/gateway-key';
import { mootNotice } from '../domain/gateway-notice';
import {
  gatewayNotificationSchema,
  SIGNATURE_HEADER,
  verifyNotificationSignature,
  type GatewayNotification,
} from '../gateway/notifications';
import type { Logger } from '../logger';
import { gatewayNotifications } from '../metrics/instruments';
import type { Store } from '../store';
import type { GatewayEventOutcome } from '../store/gateway-events';
import { gatewayNoticeUpdate } from '../workflows/definitions';
import { checkoutHandle, withTimeout } from './attempts';
import { detail } from './errors';

export const GATEWAY_NOTIFICATIONS_PATH = '/gateway/notifications';
/** How long the API waits for the workflow to accept (or refuse) a notice before answering 503. */
export const NOTICE_ACCEPT_WAIT_MS = 5_000;
/** How long it then waits for the workflow's handler to finish (the answer is 200 either way). */
export const NOTICE_RESULT_WAIT_MS = 2_000;
const BODY_LIMIT = '64kb';

export interface GatewayNotificationDeps {
  store: Store;
  temporal: Client;
  secret: string;
  logger: Logger;
}

type Answer = { received: true; duplicate?: true };

export function gatewayNotificationRoutes(deps: GatewayNotificationDeps): Router {
  const router = Router();
  router.post(
    GATEWAY_NOTIFICATIONS_PATH,
    requireUtf8Json,
    express.raw({ type: 'application/json', limit: BODY_LIMIT }),
    async (req, res) => {
      res.set('Cache-Control', 'no-store');
      res.json(await receive(deps, req));
    },
  );
  return router;
}

async function receive(deps: GatewayNotificationDeps, req: Request): Promise<Answer> {
  const log = (req as { log?: Logger }).log ?? deps.logger;
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const check = verifyNotificationSignature({
    header: req.get(SIGNATURE_HEADER),
    body,
    secret: deps.secret,
    nowS: Math.floor(Date.now() / 1000),
  });
  if (!check.ok) {
    gatewayNotifications.inc({ outcome: check.reason === 'mismatch' ? 'bad_signature' : check.reason });
    if (check.reason === 'stale' || check.reason === 'future') {
      log.warn({ signed_at: check.timestamp }, 'gateway notification signed outside the replay window');
      throw detail(
        400,
        `The signature's timestamp is more than 5 minutes ${check.reason === 'stale' ? 'old' : 'ahead'}.`,
      );
    }
    log.warn({ reason: check.reason }, 'gateway notification refused: not signed by the gateway');
    throw detail(401, `A valid ${SIGNATURE_HEADER} header is required.`);
  }

  const notification = parseNotification(body);
  const { id: eventId, charge } = notification;
  const key = parseGatewayKey(charge.idempotency_key);
  const received = await deps.store.gatewayEvents.receive({
    _id: eventId,
    type: notification.type,
    charge_id: charge.id,
    status: charge.status,
    ...(key ? { session_id: key.sessionId } : {}),
    received_at: new Date(),
  });
  const eventLog = log.child({ event_id: eventId, ...(key ? { session_id: key.sessionId } : {}) });
  if (!received.first && received.doc.handled_at) {
    gatewayNotifications.inc({ outcome: 'duplicate' });
    eventLog.debug({ outcome: received.doc.outcome }, 'gateway notification already handled');
    return { received: true, duplicate: true };
  }

  const outcome = await forward(deps, notification, key?.sessionId);
  await deps.store.gatewayEvents.handled(eventId, outcome, new Date());
  gatewayNotifications.inc({ outcome });
  if (outcome === 'forwarded') eventLog.info({ type: notification.type }, 'gateway notification forwarded');
  else eventLog.debug({ type: notification.type, outcome }, 'gateway notification acknowledged');
  return { received: true };
}

async function forward(
  deps: GatewayNotificationDeps,
  notification: GatewayNotification,
  sessionId: string | undefined,
): Promise<GatewayEventOutcome> {
  if (!sessionId) return 'unknown_charge';
  const payment = await deps.store.payments.find(sessionId);
  if (!payment) return 'unknown_payment';
  const moot = mootNotice(payment, notification.charge.id);
  if (moot) return moot;
  const handle = checkoutHandle(deps.temporal, sessionId);
  const deadline = Date.now() + NOTICE_ACCEPT_WAIT_MS;
  let update: WorkflowUpdateHandle<void> | undefined;
  try {
    // the deadline ends the RPC (and its retries) too, so nothing keeps running after the answer
    update = await withTimeout(
      deps.temporal.withDeadline(deadline, () =>
        handle.startUpdate(gatewayNoticeUpdate, {
          args: [
            {
              eventId: notification.id,
              chargeId: notification.charge.id,
              status: notification.charge.status,
            },
          ],
          updateId: notification.id,
          waitForStage: WorkflowUpdateStage.ACCEPTED,
        }),
      ),
      NOTICE_ACCEPT_WAIT_MS + 1_000,
    );
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'workflow_closed';
    if (error instanceof WorkflowUpdateFailedError) return 'not_waiting';
    gatewayNotifications.inc({ outcome: 'unavailable' });
    throw error; // Temporal away (→ 503), or a bug
  }
  if (update === undefined) {
    gatewayNotifications.inc({ outcome: 'unavailable' });
    throw detail(503, 'The payment workflow did not take the notification in time. Retry later.');
  }
  // A refused notice (the validator) is already known to the handle; an accepted one is the
  // workflow's business from here: its result is awaited briefly, never more.
  try {
    await deps.temporal.withDeadline(Date.now() + NOTICE_RESULT_WAIT_MS, () => update.result());
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) return 'not_waiting';
  }
  return 'forwarded';
}

function parseNotification(body: Buffer): GatewayNotification {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    gatewayNotifications.inc({ outcome: 'invalid' });
    throw detail(400, 'The request body is not valid JSON.');
  }
  const result = gatewayNotificationSchema.safeParse(parsed);
  if (!result.success) {
    gatewayNotifications.inc({ outcome: 'invalid' });
    throw result.error; // → 400 field errors
  }
  return result.data;
}

/** A notification is UTF-8 JSON: any other declared type or charset is 415. */
const requireUtf8Json: RequestHandler = (req, _res, next) => {
  const length = req.get('content-length');
  const hasBody =
    (length !== undefined || req.get('transfer-encoding') !== undefined) && Number(length ?? 1) > 0;
  if (!hasBody) {
    next();
    return;
  }
  if (!req.is('application/json')) throw detail(415, 'Content-Type must be application/json.');
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(req.get('content-type') ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw detail(415, 'Notifications must be UTF-8 JSON.');
  }
  next();
};
