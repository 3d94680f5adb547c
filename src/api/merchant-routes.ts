/** Merchant API: payments and saved cards (CONTRACT §1.1–§1.4). */
import { Router } from 'express';

import { cvvRequired } from '../domain/saved-card';
import { autoDebitSchema, createPaymentSchema, listCardsSchema, operationSchema } from '../domain/schemas';
import { cardObject } from '../ottu/card';
import { toSavedCard } from '../store/cards';
import { merchantAuth, merchantOf, type AuthFailureGuard } from './auth';
import { assertChargeable, chargeSavedCard } from './auto-debit';
import { runOperation } from './operations';
import { detail, notFound } from './errors';
import { idempotency } from './idempotency';
import type { CheckoutDeps } from './checkout-session';
import { createPayment, paymentResponse, type PaymentDeps } from './payments';
import { loadSdkSetup } from './session-cards';

export function merchantRoutes(deps: PaymentDeps & CheckoutDeps & { authGuard: AuthFailureGuard }): Router {
  const router = Router();
  const { store } = deps;
  router.use(merchantAuth(store, deps.authGuard));

  router.post('/checkout/v1/pymt-txn/', idempotency(store), async (req, res) => {
    const { include_sdk_setup_preload: withPreload, ...body } = createPaymentSchema.parse(req.body);
    const merchant = merchantOf(req);
    if (body.payment_instrument) {
      await assertChargeable(
        deps,
        merchant,
        {
          ...(body.customer_id ? { customerId: body.customer_id } : {}),
          pgCodes: body.pg_codes,
          ...(body.payment_type ? { paymentType: body.payment_type } : {}),
        },
        body.payment_instrument.payload.token,
      );
    }
    const record = await createPayment(deps, merchant, body, req.get('idempotency-key'));
    if (body.payment_instrument) {
      // One step: create, then charge the saved card; the answer is the charge's result.
      res
        .status(201)
        .json(await chargeSavedCard(deps, merchant, record, body.payment_instrument.payload.token));
      return;
    }
    res.status(201).json({
      ...paymentResponse(record, deps.config.publicBaseUrl),
      ...(withPreload
        ? { sdk_setup_preload_payload: await loadSdkSetup(store, record, deps.config.publicBaseUrl) }
        : {}),
    });
  });

  router.get('/checkout/v1/pymt-txn/:sessionId/', async (req, res) => {
    const record = await store.payments.findForMerchant(merchantOf(req)._id, String(req.params.sessionId));
    if (!record) throw notFound('No payment with this session_id.');
    res.json(paymentResponse(record, deps.config.publicBaseUrl));
  });

  router.get('/checkout/v1/pymt-txn/:sessionId/webhooks/', async (req, res) => {
    const merchantId = merchantOf(req)._id;
    const sessionId = String(req.params.sessionId);
    if (!(await store.payments.existsForMerchant(merchantId, sessionId))) {
      throw notFound('No payment with this session_id.');
    }
    res.json({ deliveries: await store.webhookDeliveries.list(merchantId, sessionId) });
  });

  router.post('/pbl/v2/operation/', idempotency(store, { acceptTrackingKey: true }), async (req, res) => {
    const body = operationSchema.parse(req.body);
    const merchantId = merchantOf(req)._id;
    const record = body.session_id
      ? await store.payments.findForMerchant(merchantId, body.session_id)
      : await store.payments.findByOrderNo(merchantId, body.order_no!);
    if (!record) throw notFound('No payment with this session_id or order_no.');
    const key = req.get('idempotency-key') ?? req.get('tracking-key');
    res.json(await runOperation(deps, record, body, key));
  });

  router.post('/pbl/v2/auto-debit/', idempotency(store), async (req, res) => {
    const body = autoDebitSchema.parse(req.body);
    const merchant = merchantOf(req);
    const record = await store.payments.findForMerchant(merchant._id, body.session_id);
    if (!record) throw notFound('No payment with this session_id.');
    res.json(await chargeSavedCard(deps, merchant, record, body.token));
  });

  router.post('/pbl/v2/card/', async (req, res) => {
    const body = listCardsSchema.parse(req.body);
    const merchantId = merchantOf(req)._id;
    const [cards, configs] = await Promise.all([
      store.cards.listForCustomer(merchantId, body.customer_id, body.pg_codes),
      store.merchants.listGatewayConfigs(merchantId),
    ]);
    const now = new Date();
    res.json(
      cards.map((card, i) =>
        cardObject(toSavedCard(card), {
          cvvRequired: cvvRequired(configs.find((g) => g.pg_code === card.pg_code)),
          preferred: i === 0,
          now,
        }),
      ),
    );
  });

  router.delete('/pbl/v2/card/:token/', async (req, res) => {
    const customerId = typeof req.query.customer_id === 'string' ? req.query.customer_id : '';
    if (!customerId)
      throw detail(400, 'customer_id is required.', { customer_id: ['This field is required.'] });
    const deleted = await store.cards.delete(merchantOf(req)._id, customerId, String(req.params.token));
    if (!deleted) throw notFound('No saved card with this token.');
    res.status(204).end();
  });

  return router;
}
