/**
 * The hosted checkout page (CONTRACT §2.1). Opening it moves `created` → `pending`; coming back
 * from 3-D Secure settles the attempt with the gateway's answer before the page renders.
 */
import { Router } from 'express';

import { cvvLength, isExpired } from '../domain/card';
import { payabilityRefusal } from '../domain/checkout';
import { customerMessage } from '../domain/decline-messages';
import type { PaymentRecord } from '../domain/payment';
import { refusalMessage } from '../domain/refusals';
import { cardRemovalRefusal, cvvRequired } from '../domain/saved-card';
import { renderCheckoutPage, renderNotFoundPage } from '../web/page';
import type { CheckoutView } from '../web/view';
import { pageOpenedUpdate, resolveChallengeUpdate } from '../workflows/definitions';
import { ATTEMPT_WAIT_MS, checkoutHandle, redirectUrl, withTimeout } from './attempts';
import { csrfToken, loadSession, type CheckoutDeps } from './checkout-session';
import { customerCardRoutes } from './customer-card-routes';
import { sendChallengeReturn } from './sdk-routes';
import { sessionCards } from './session-cards';
import { submitRoutes } from './submit-routes';
import { KeyedThrottle } from './throttle';

export type { CheckoutDeps };

export function checkoutRoutes(deps: CheckoutDeps): Router {
  const router = Router();
  const { store } = deps;
  // page loads of a session reach its workflow once at a time, and at most every 2 s
  const opening = new KeyedThrottle(2_000);
  const returning = new KeyedThrottle(2_000);

  router.get('/checkout/:sessionId', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    let record = await loadSession(store, String(req.params.sessionId));
    if (!record) {
      res
        .status(404)
        .type('html')
        .send(renderNotFoundPage(req.query.language === 'ar' ? 'ar' : 'en'));
      return;
    }
    const handle = checkoutHandle(deps.temporal, record._id);
    const id = record._id;
    if (record.state === 'created') {
      // An update, not a signal: the page shows (and the record says) `pending` once it answers.
      // A refusal (already opened) changes nothing and is not written to history.
      await opening.run(id, () =>
        withTimeout(handle.executeUpdate(pageOpenedUpdate), 5_000).catch(() => undefined),
      );
    }
    const last = record.attempts[record.attempts.length - 1];
    if (last?.result === 'pending') {
      // The customer is back (from 3-D Secure, or reloading): the workflow asks the gateway now.
      await returning.run(id, () =>
        withTimeout(handle.executeUpdate(resolveChallengeUpdate), ATTEMPT_WAIT_MS).catch(() => undefined),
      );
      record = (await store.payments.find(id)) ?? record;
    }
    // Back from 3-D Secure inside the Web Checkout SDK's frame (the gateway's page ran in an
    // iframe of the frame): tell the frame, which shows the outcome and tells the merchant's page.
    if (req.get('sec-fetch-dest') === 'iframe' && (await sendChallengeReturn(deps, res, record))) return;
    res.type('html').send(renderCheckoutPage(await checkoutView(record)));
  });

  async function checkoutView(record: PaymentRecord): Promise<CheckoutView> {
    const now = new Date();
    const cards = await sessionCards(store, record);
    const merchantName = (await store.merchants.nameOf(record.merchant_id)) ?? '';
    const last = record.attempts[record.attempts.length - 1];
    const payable = !payabilityRefusal({ state: record.state, expiresAt: record.expires_at }, now.getTime());
    return {
      sessionId: record._id,
      merchantName,
      language: record.language,
      amount: record.amount,
      currencyCode: record.currency_code,
      ...(record.order_no ? { orderNo: record.order_no } : {}),
      state: record.state,
      payable,
      paymentMethods: record.gateways.map((g) => ({
        code: g.pg_code,
        name: g.name,
        canSaveCard: g.tokenization_enabled && !!record.customer_id,
      })),
      savedCards: cards.map(({ card, heldAgreements }, i) => {
        const locked = cardRemovalRefusal(heldAgreements);
        return {
          token: card.token,
          brand: card.brand,
          last4: card.last4,
          expiry: `${card.expiry_month}/${card.expiry_year}`,
          cvvRequired: cvvRequired(record.gateways.find((g) => g.pg_code === card.pg_code)),
          cvvLength: cvvLength(card.brand),
          isExpired: isExpired({ month: card.expiry_month, year: card.expiry_year }, now),
          isPreferred: i === 0,
          pgCode: card.pg_code,
          ...(locked
            ? { lockedReason: refusalMessage(locked, record.language) }
            : { deleteUrl: `/checkout/${record._id}/cards/${card.token}` }),
        };
      }),
      ...(last
        ? {
            outcome: {
              result: last.result === 'canceled' ? 'failed' : last.result,
              state: record.state,
              message: customerMessage(
                { ...last, charge_pending: last.result === 'pending' && !!last.charge_id },
                record.language,
              ),
              referenceNumber: last.reference_number,
              ...(record.redirect_url && !payable
                ? { redirectUrl: redirectUrl(record, last.reference_number) }
                : {}),
            },
          }
        : {}),
      submitUrl: `/checkout/${record._id}/submit`,
      csrfToken: csrfToken(deps.config, record._id),
      staticBase: '/static',
    };
  }

  router.use(submitRoutes(deps));
  router.use(customerCardRoutes(deps));
  return router;
}
