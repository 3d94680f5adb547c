/**
 * Merchant API: Ottu's Checkout API (CONTRACT §1, §9): payments (create, retrieve, update),
 * payment methods, saved cards, auto-debit, operations, inquiry and attachments. Every POST, PUT
 * and PATCH takes JSON, form-urlencoded or multipart bodies (body-parsers.ts).
 */
import { Router, type Request } from 'express';

import { cvvRequired } from '../domain/saved-card';
import { refusal } from '../domain/refusals';
import {
  autoDebitSchema,
  createPaymentSchema,
  inquirySchema,
  listCardsSchema,
  operationSchema,
  paymentMethodsSchema,
  replacePaymentSchema,
  updatePaymentSchema,
} from '../domain/schemas';
import { cardObject } from '../ottu/card';
import { externalOperation, internalOperation } from '../ottu/operation';
import { toSavedCard } from '../store/cards';
import { attachmentRoutes, storeUploadedFile } from './attachments';
import { merchantAuth, merchantOf, type AuthFailureGuard } from './auth';
import { assertChargeable, chargeSavedCard } from './auto-debit';
import { merchantBodyParsers } from './body-parsers';
import type { CheckoutDeps } from './checkout-session';
import { detail, notFound } from './errors';
import { idempotency } from './idempotency';
import { inquire } from './inquiry';
import { notOffered } from './not-offered';
import { deletePayment, runOperation } from './operations';
import { paymentMethods } from './payment-methods';
import { updatePayment } from './payment-update';
import { createPayment, paymentResponse, type PaymentDeps } from './payments';
import { lockingAgreements } from './agreement-locks';
import { assertNoRefusal } from './refusals';
import { loadSdkSetup } from './session-cards';

type MerchantDeps = PaymentDeps & CheckoutDeps & { authGuard: AuthFailureGuard };

export function merchantRoutes(deps: MerchantDeps): Router {
  const router = Router();
  const { store } = deps;
  const baseUrl = deps.config.publicBaseUrl;
  router.use(merchantAuth(store, deps.authGuard));
  // after the key check: nobody without a key gets a body parsed
  router.use(...merchantBodyParsers());

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
          ...(body.agreement ? { agreement: body.agreement } : {}),
          amount: body.amount,
          currency: body.currency_code,
        },
        body.payment_instrument.payload.token,
      );
    }
    const attachment = await storeUploadedFile(deps, req, 'attachment');
    const record = await createPayment(
      deps,
      merchant,
      body,
      req.get('idempotency-key'),
      attachment ? { attachment: attachment.url } : {},
    );
    if (body.payment_instrument) {
      // One step: create, then charge the saved card; the answer is the charge's result.
      res.status(201).json(
        await chargeSavedCard(deps, merchant, record, body.payment_instrument.payload.token, {
          oneStep: true,
        }),
      );
      return;
    }
    res.status(201).json({
      ...paymentResponse(record, baseUrl),
      ...(withPreload ? { sdk_setup_preload_payload: await loadSdkSetup(store, record, baseUrl) } : {}),
    });
  });

  // With or without the trailing slash: ottu-py retrieves and updates without it (Express routing
  // is not strict, and test/api/ottu-api.test.ts keeps it so).
  router.get('/checkout/v1/pymt-txn/:sessionId/', async (req, res) => {
    const record = await store.payments.findForMerchant(merchantOf(req)._id, String(req.params.sessionId));
    if (!record) throw notFound('No payment with this session_id.');
    res.json(paymentResponse(record, baseUrl));
  });

  const update = (full: boolean) => async (req: Request, res: import('express').Response) => {
    const merchant = merchantOf(req);
    const record = await store.payments.findForMerchant(merchant._id, String(req.params.sessionId));
    if (!record) throw notFound('No payment with this session_id.');
    const body = (full ? replacePaymentSchema : updatePaymentSchema).parse(req.body);
    const attachment = await storeUploadedFile(deps, req, 'attachment', record._id);
    const updated = await updatePayment(deps, merchant, record, body, attachment?.url);
    res.json(paymentResponse(updated, baseUrl));
  };
  router.put('/checkout/v1/pymt-txn/:sessionId/', idempotency(store), update(true));
  router.patch('/checkout/v1/pymt-txn/:sessionId/', idempotency(store), update(false));

  router.get('/checkout/v1/pymt-txn/:sessionId/webhooks/', async (req, res) => {
    const merchantId = merchantOf(req)._id;
    const sessionId = String(req.params.sessionId);
    if (!(await store.payments.existsForMerchant(merchantId, sessionId))) {
      throw notFound('No payment with this session_id.');
    }
    res.json({ deliveries: await store.webhookDeliveries.list(merchantId, sessionId) });
  });

  router.use(attachmentRoutes(deps));

  router.post('/pbl/v2/payment-methods/', async (req, res) => {
    const filter = paymentMethodsSchema.parse(req.body);
    res.json(await paymentMethods(store, merchantOf(req)._id, filter, baseUrl));
  });

  router.post('/pbl/v2/operation/', idempotency(store, { acceptTrackingKey: true }), async (req, res) => {
    const body = operationSchema.parse(req.body);
    const merchant = merchantOf(req);
    const record = body.session_id
      ? await store.payments.findForMerchant(merchant._id, body.session_id)
      : await store.payments.findByOrderNo(merchant._id, body.order_no!);
    if (!record) throw notFound('No payment with this session_id or order_no.');
    const key = req.get('idempotency-key') ?? req.get('tracking-key');
    const { operation } = body;
    if (operation === 'delete') {
      res.json(await deletePayment(deps, record, key));
      return;
    }
    const outcome = await runOperation(deps, record, { ...body, operation }, key);
    res.json(
      operation === 'cancel' || operation === 'expire'
        ? internalOperation({ ...outcome, operation })
        : externalOperation(record, { ...outcome, operation }, merchant.webhook_hmac_key, new Date()),
    );
  });

  router.post('/pbl/v2/inquiry/', idempotency(store), async (req, res) => {
    const body = inquirySchema.parse(req.body);
    const merchant = merchantOf(req);
    const record = body.session_id
      ? await store.payments.findForMerchant(merchant._id, body.session_id)
      : await store.payments.findByOrderNo(merchant._id, body.order_no!);
    if (!record) throw notFound('No payment with this session_id or order_no.');
    const key = req.get('idempotency-key');
    res.json(
      await inquire(deps, merchant, record, {
        notify: body.notify_webhook_url,
        ...(body.webhook_url ? { webhookUrl: body.webhook_url } : {}),
        ...(key ? { requestKey: key } : {}),
      }),
    );
  });

  // Ottu serves the same auto-debit at two paths.
  for (const path of ['/pbl/v2/auto-debit/', '/pbl/v2/payment/auto-debit/']) {
    router.post(path, idempotency(store), async (req, res) => {
      const body = autoDebitSchema.parse(req.body);
      const merchant = merchantOf(req);
      const record = await store.payments.findForMerchant(merchant._id, body.session_id);
      if (!record) throw notFound('No payment with this session_id.');
      res.json(await chargeSavedCard(deps, merchant, record, body.token));
    });
  }

  router.post('/pbl/v2/card/', async (req, res) => {
    const body = listCardsSchema.parse(req.body);
    const merchantId = merchantOf(req)._id;
    const [listed, configs] = await Promise.all([
      store.cards.listForCustomer(merchantId, body.customer_id, body.pg_codes),
      store.merchants.listGatewayConfigs(merchantId),
    ]);
    // With agreement_id: at most the one card last used for that agreement (Ottu).
    const cards = body.agreement_id
      ? listed.filter((card) => card.agreements.includes(body.agreement_id!)).slice(0, 1)
      : listed;
    const now = new Date();
    res.json(
      cards.map((card, i) => {
        const config = configs.find((g) => g.pg_code === card.pg_code);
        return cardObject(toSavedCard(card), {
          cvvRequired: cvvRequired(config),
          preferred: i === 0,
          now,
        });
      }),
    );
  });

  router.delete('/pbl/v2/card/:token/', async (req, res) => {
    const customerId = typeof req.query.customer_id === 'string' ? req.query.customer_id : '';
    if (!customerId)
      throw detail(400, 'customer_id is required.', { customer_id: ['This field is required.'] });
    const merchantId = merchantOf(req)._id;
    const token = String(req.params.token);
    const card = await store.cards.find(merchantId, token);
    if (!card || card.customer_id !== customerId) throw notFound('No saved card with this token.');
    const locking = await lockingAgreements(
      store,
      card,
      await store.cards.listForCustomer(merchantId, customerId),
      new Date(),
    );
    if (locking.length > 0)
      assertNoRefusal(refusal('card_linked_to_agreement', { agreements: locking.join(', ') }));
    const deleted = await store.cards.delete(merchantId, customerId, token);
    if (!deleted) throw notFound('No saved card with this token.');
    res.status(204).end();
  });

  router.use(notOffered);
  return router;
}
