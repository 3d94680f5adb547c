/**
 * The session's customer and their saved cards (CONTRACT §9), on the hosted page and in the SDK
 * frame: the setup object the SDK renders from, and removing a saved card. Only the session's own
 * customer's cards, only through the session's capability (its id in the URL) and the page's
 * CSRF token. A card paying an active auto-debit agreement is refused (409) as on Ottu.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Router, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';

import { payabilityRefusal } from '../domain/checkout';
import type { PaymentRecord } from '../domain/payment';
import { refusal } from '../domain/refusals';
import { cardRemovalRefusal } from '../domain/saved-card';
import { cardDeletedEventId } from '../domain/webhook';
import type { WebhookEventInput } from '../activities/types';
import { toSavedCard } from '../store/cards';
import { webhookWorkflowId } from '../workflows/definitions';
import { WebhookDeliveryWorkflow } from '../workflows/webhook-delivery';
import { isValidCsrfToken, loadSession, type CheckoutDeps } from './checkout-session';
import { detail, notFound } from './errors';
import { assertNoRefusal, httpErrorOf } from './refusals';
import { customerCards, loadSdkSetup } from './session-cards';

/** A notification waits this long before it checks the card is gone and tells the merchant. */
const CARD_DELETED_NOTICE_DELAY = '2 seconds';

export function customerCardRoutes(deps: CheckoutDeps): Router {
  const router = Router();
  const { store } = deps;

  router.get('/checkout/:sessionId/sdk-setup', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const record = await loadSession(store, String(req.params.sessionId));
    if (!record) throw notFound('No payment with this session id.');
    res.json(await loadSdkSetup(store, record, deps.config.publicBaseUrl));
  });

  const limit = rateLimit({
    windowMs: 60_000,
    limit: deps.config.rateLimits.submitPerIpPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req: Request, res: Response) => {
      res.status(429).json({ detail: 'Too many requests from this network. Wait a minute and try again.' });
    },
  });

  router.delete('/checkout/:sessionId/cards/:token', limit, async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const record = await loadSession(store, String(req.params.sessionId));
    if (!record) throw notFound('No payment with this session id.');
    const csrf = req.get('x-csrf-token');
    if (!csrf || !isValidCsrfToken(deps.config, record._id, csrf)) {
      throw detail(403, 'This page has expired. Reload it and try again.');
    }
    if (payabilityRefusal({ state: record.state, expiresAt: record.expires_at }, Date.now())) {
      throw httpErrorOf(refusal('session_closed'), record.language);
    }
    const token = String(req.params.token);
    const cards = record.customer_id
      ? await customerCards(store, record.merchant_id, record.customer_id)
      : [];
    const found = cards.find(({ doc }) => doc._id === token);
    if (!found) throw httpErrorOf(refusal('token_not_found'), record.language);
    assertNoRefusal(cardRemovalRefusal(found.heldAgreements), record.language);

    // Tell the merchant first, delivered only once the card is gone: a crash between the two
    // steps sends nothing, and a retried removal delivers the same event.
    if (record.webhook_url) await noticeCardDeleted(deps, record, found.doc);
    if (!(await store.cards.delete(record.merchant_id, record.customer_id!, token))) {
      throw httpErrorOf(refusal('token_not_found'), record.language);
    }
    req.log?.info({ session_id: record._id }, 'customer removed a saved card');
    res.status(204).end();
  });

  return router;
}

async function noticeCardDeleted(
  deps: CheckoutDeps,
  record: PaymentRecord,
  doc: Parameters<typeof toSavedCard>[0],
): Promise<void> {
  const eventId = cardDeletedEventId(record._id, doc._id);
  const event: WebhookEventInput = {
    eventId,
    sessionId: record._id,
    merchantId: record.merchant_id,
    url: record.webhook_url!,
    timestampUtc: new Date().toISOString(),
    kind: 'card_deleted',
    state: record.state,
    result: 'success',
    card: toSavedCard(doc),
  };
  try {
    await deps.temporal.workflow.start(WebhookDeliveryWorkflow, {
      workflowId: webhookWorkflowId(eventId),
      taskQueue: deps.config.temporal.taskQueue,
      args: [event],
      startDelay: CARD_DELETED_NOTICE_DELAY,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
