/**
 * The hosted checkout page (CONTRACT §2.1). Opening it moves `created` → `pending`; coming back
 * from 3-D Secure settles the attempt with the gateway's answer before the page renders.
 */
import { Router } from 'express';

import { cvvLength, isExpired } from '../domain/card';
import { payabilityRefusal } from '../domain/checkout';
import { customerMessage } from '../domain/decline-messages';
import type { PaymentRecord } from '../domain/payment';
import { cvvRequired } from '../domain/saved-card';
import { renderCheckoutPage, renderNotFoundPage } from '../web/page';
import type { CheckoutView } from '../web/view';
import { pageOpenedUpdate, resolveChallengeUpdate } from '../workflows/definitions';
import { ATTEMPT_WAIT_MS, checkoutHandle, redirectUrl, withTimeout } from './attempts';
import { csrfToken, loadSession, type CheckoutDeps } from './checkout-session';
import { customerCardRoutes } from './customer-card-routes';
import { submitRoutes } from './submit-routes';

export type { CheckoutDeps };

export function checkoutRoutes(deps: CheckoutDeps): Router {
  const router = Router();
  const { store } = deps;

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
    if (record.state === 'created') {
      // An update, not a signal: the page shows (and the record says) `pending` once it answers.
      await withTimeout(handle.executeUpdate(pageOpenedUpdate), 5_000).catch(() => undefined);
    }
    const last = record.attempts[record.attempts.length - 1];
    if (last?.result === 'pending' && last.charge_id) {
      await withTimeout(handle.executeUpdate(resolveChallengeUpdate), ATTEMPT_WAIT_MS).catch(() => undefined);
      record = (await store.payments.find(record._id)) ?? record;
    }
    res.type('html').send(renderCheckoutPage(await checkoutView(record)));
  });

  async function checkoutView(record: PaymentRecord): Promise<CheckoutView> {
    const now = new Date();
    const cards = record.customer_id
      ? await store.cards.listForCustomer(record.merchant_id, record.customer_id, record.pg_codes)
      : [];
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
      savedCards: cards.map((card, i) => ({
        token: card._id,
        brand: card.brand,
        last4: card.last4,
        expiry: `${card.exp_month}/${card.exp_year}`,
        cvvRequired: cvvRequired(record.gateways.find((g) => g.pg_code === card.pg_code)),
        cvvLength: cvvLength(card.brand),
        isExpired: isExpired({ month: card.exp_month, year: card.exp_year }, now),
        isPreferred: i === 0,
        pgCode: card.pg_code,
      })),
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
