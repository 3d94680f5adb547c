/**
 * Customer API (CONTRACT §2): the hosted checkout page and its submit. The session id in the URL
 * is the capability. Card data lives only inside the submit request: it is exchanged for the
 * gateway's single-use token before anything reaches the workflow.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Router, type Request } from 'express';
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';

import type { AppConfig } from '../config';
import { validateCard } from '../domain/card';
import { cardFingerprint } from '../domain/fingerprint';
import type { PaymentRecord } from '../domain/payment';
import { submitPaymentSchema } from '../domain/schemas';
import { isPayable } from '../domain/states';
import { GatewayRejectedError, GatewayUnavailableError, type PaymentGateway } from '../gateway/port';
import { listCustomerCards, toCardView } from '../store/cards';
import type { Collections } from '../store/mongo';
import { renderCheckoutPage, renderNotFoundPage } from '../web/page';
import type { CheckoutView } from '../web/view';
import {
  checkoutWorkflowId,
  pageOpenedSignal,
  resolveChallengeUpdate,
  submitPaymentUpdate,
  type AttemptOutcome,
  type NewCardAttempt,
} from '../workflows/definitions';
import { detail, fieldErrors, notFound } from './errors';

export interface CheckoutDeps {
  config: AppConfig;
  collections: Collections;
  temporal: Client;
  gateway: PaymentGateway;
}

/** How long a customer's request waits for its attempt before answering "pending". */
const SUBMIT_WAIT_MS = 25_000;

const CONFLICT_TYPES = new Set(['NotPayable', 'AttemptInProgress', 'NoChallenge']);

export function checkoutRoutes(deps: CheckoutDeps): Router {
  const router = Router();
  const c = deps.collections;
  const csrfToken = (sessionId: string): string =>
    createHmac('sha256', deps.config.csrfKey).update(`checkout:${sessionId}`).digest('base64url');
  const handleOf = (sessionId: string): WorkflowHandle =>
    deps.temporal.workflow.getHandle(checkoutWorkflowId(sessionId));

  async function load(req: Request): Promise<PaymentRecord | null> {
    const sessionId = String(req.params.sessionId);
    if (!/^[0-9a-f]{64}$/.test(sessionId)) return null;
    return c.payments.findOne({ _id: sessionId });
  }

  router.get('/checkout/:sessionId', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    let record = await load(req);
    if (!record) {
      res
        .status(404)
        .type('html')
        .send(renderNotFoundPage(req.query.language === 'ar' ? 'ar' : 'en'));
      return;
    }
    const handle = handleOf(record._id);
    if (record.state === 'created') {
      await handle.signal(pageOpenedSignal).catch(() => undefined);
    }
    const last = record.attempts[record.attempts.length - 1];
    if (last?.result === 'pending' && last.charge_id) {
      // Back from 3-D Secure: settle the attempt with the gateway's answer before rendering.
      await withTimeout(handle.executeUpdate(resolveChallengeUpdate), SUBMIT_WAIT_MS).catch(() => undefined);
      record = (await c.payments.findOne({ _id: record._id })) ?? record;
    }
    res.type('html').send(renderCheckoutPage(await checkoutView(record)));
  });

  async function checkoutView(record: PaymentRecord): Promise<CheckoutView> {
    const now = new Date();
    const cards = record.customer_id
      ? await listCustomerCards(c, record.merchant_id, record.customer_id, record.pg_codes)
      : [];
    const merchant = await c.merchants.findOne({ _id: record.merchant_id }, { projection: { name: 1 } });
    const last = record.attempts[record.attempts.length - 1];
    const payable = isPayable(record.state) && Date.parse(record.expires_at) > now.getTime();
    return {
      sessionId: record._id,
      merchantName: merchant?.name ?? '',
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
      savedCards: cards.map((card, i) => {
        const view = toCardView(card, {
          cvvRequired: record.gateways.find((g) => g.pg_code === card.pg_code)?.cvv_required ?? true,
          preferred: i === 0,
          now,
        });
        return {
          token: view.token,
          brand: view.brand,
          number: view.number,
          expiry: `${view.expiry_month}/${view.expiry_year}`,
          cvvRequired: view.cvv_required,
          isExpired: view.is_expired,
          isPreferred: view.is_preferred,
        };
      }),
      ...(last
        ? {
            outcome: {
              result: last.result === 'canceled' ? 'failed' : last.result,
              state: record.state,
              message: last.message,
              referenceNumber: last.reference_number,
              ...(record.redirect_url && !payable
                ? { redirectUrl: redirectUrl(record, last.reference_number) }
                : {}),
            },
          }
        : {}),
      submitUrl: `/checkout/${record._id}/submit`,
      csrfToken: csrfToken(record._id),
      staticBase: '/static',
    };
  }

  router.post('/checkout/:sessionId/submit', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (!req.is('application/json')) throw detail(415, 'Send the payment as application/json.');
    const record = await load(req);
    if (!record) throw notFound('No payment with this session id.');
    const givenCsrf = req.get('x-csrf-token');
    if (givenCsrf !== undefined && !safeEqual(givenCsrf, csrfToken(record._id))) {
      throw detail(403, 'This page has expired. Reload it and try again.');
    }
    const body = submitPaymentSchema.parse(req.body);
    if (!record.pg_codes.includes(body.pg_code)) {
      throw fieldErrors({ pg_code: ['This payment method is not available for this payment.'] });
    }
    if (!isPayable(record.state) || Date.parse(record.expires_at) <= Date.now()) {
      throw detail(
        409,
        `This payment is ${isPayable(record.state) ? 'expired' : record.state} and cannot be paid.`,
        {
          state: isPayable(record.state) ? 'expired' : record.state,
        },
      );
    }
    if (body.payment_method !== 'card') {
      throw detail(422, 'Paying with a saved card is not available yet.');
    }

    const validation = validateCard(body.card, new Date());
    if (!validation.ok)
      throw fieldErrors({
        card: Object.fromEntries(Object.entries(validation.errors).map(([k, v]) => [k, [v]])),
      });
    const card = validation.card;

    let gatewayToken;
    try {
      gatewayToken = await deps.gateway.createCardToken({
        number: card.number,
        exp_month: card.expiry.month,
        exp_year: card.expiry.year,
        cvc: card.cvv,
        name: card.name,
      });
    } catch (error) {
      if (error instanceof GatewayRejectedError) throw fieldErrors({ card: { number: [error.message] } });
      if (error instanceof GatewayUnavailableError)
        throw detail(503, 'The payment gateway is unavailable. Try again.');
      throw error;
    }

    const attempt: NewCardAttempt = {
      method: 'card',
      pgCode: body.pg_code,
      gatewayToken: gatewayToken.id,
      card: {
        brand: gatewayToken.card.brand,
        bin: gatewayToken.card.bin,
        last4: gatewayToken.card.last4,
        exp_month: gatewayToken.card.exp_month,
        exp_year: gatewayToken.card.exp_year,
        name_on_card: card.name,
      },
      fingerprint: cardFingerprint(card.number, deps.config.fingerprintKey),
      saveCard: body.save_card,
    };
    const outcome = await submitAttempt(handleOf(record._id), attempt, `submit-${gatewayToken.id}`);
    res.json(withRedirect(record, outcome));
  });

  return router;
}

async function submitAttempt(
  handle: WorkflowHandle,
  attempt: NewCardAttempt,
  updateId: string,
): Promise<AttemptOutcome> {
  try {
    const outcome = await withTimeout(
      handle.executeUpdate(submitPaymentUpdate, { args: [attempt], updateId }),
      SUBMIT_WAIT_MS,
    );
    return (
      outcome ?? {
        result: 'pending',
        state: 'pending',
        message: 'Your payment is being processed. This page will show the result.',
        reference_number: '',
      }
    );
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
      const type = error.cause.type ?? '';
      if (CONFLICT_TYPES.has(type)) throw detail(409, error.cause.message);
      if (type === 'AttemptsExhausted') throw detail(429, error.cause.message);
      if (type === 'UnknownGateway') throw fieldErrors({ pg_code: [error.cause.message] });
    }
    if (error instanceof WorkflowNotFoundError) throw detail(409, 'This payment is closed.');
    throw error;
  }
}

function withRedirect(
  record: PaymentRecord,
  outcome: AttemptOutcome,
): AttemptOutcome & { redirect_url?: string } {
  const final = outcome.result === 'success' || outcome.state === 'failed';
  if (!record.redirect_url || !final) return outcome;
  return { ...outcome, redirect_url: redirectUrl(record, outcome.reference_number) };
}

function redirectUrl(record: PaymentRecord, referenceNumber: string): string {
  const url = new URL(record.redirect_url!);
  url.searchParams.set('session_id', record._id);
  if (record.order_no) url.searchParams.set('order_no', record.order_no);
  url.searchParams.set('reference_number', referenceNumber);
  return url.toString();
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Resolves undefined when `ms` pass first; the work itself goes on. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
