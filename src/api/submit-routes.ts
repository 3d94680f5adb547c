/**
 * The customer's pay request (CONTRACT §2.2). Card data lives only inside this request: a new
 * card is exchanged for the gateway's single-use token and a saved card's CVV for a cvc_token
 * before anything reaches the workflow.
 */
import { randomUUID } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';

import type { AppConfig } from '../config';
import { cvvLength, isValidCvv, validateCard } from '../domain/card';
import { customerMessage } from '../domain/decline-messages';
import { cardFingerprint } from '../domain/fingerprint';
import type { PaymentRecord } from '../domain/payment';
import { submitPaymentSchema, type SubmitPaymentRequest } from '../domain/schemas';
import { isPayable } from '../domain/states';
import { GatewayRejectedError, GatewayUnavailableError, type CardBrand } from '../gateway/port';
import { findCard, isLocked } from '../store/cards';
import type { AttemptOutcome, NewCardAttempt, SubmitAttempt } from '../workflows/definitions';
import { checkoutHandle, redirectUrl, submitAttempt } from './attempts';
import { isValidCsrfToken, loadSession, type CheckoutDeps } from './checkout-session';
import { detail, fieldErrors, notFound } from './errors';

type PreparedAttempt = { attempt: SubmitAttempt; updateId: string };

export function submitRoutes(deps: CheckoutDeps): Router {
  const router = Router();

  router.post('/checkout/:sessionId/submit', ...submitLimits(deps.config), async (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (!req.is('application/json')) throw detail(415, 'Send the payment as application/json.');
    const record = await loadSession(deps.collections, String(req.params.sessionId));
    if (!record) throw notFound('No payment with this session id.');
    const givenCsrf = req.get('x-csrf-token');
    if (givenCsrf !== undefined && !isValidCsrfToken(deps.config, record._id, givenCsrf)) {
      throw detail(403, 'This page has expired. Reload it and try again.');
    }
    const body = submitPaymentSchema.parse(req.body);
    if (!record.pg_codes.includes(body.pg_code)) {
      throw fieldErrors({ pg_code: ['This payment method is not available for this payment.'] });
    }
    if (!isPayable(record.state) || Date.parse(record.expires_at) <= Date.now()) {
      const shown = isPayable(record.state) ? 'expired' : record.state;
      throw detail(409, `This payment is ${shown} and cannot be paid.`, { state: shown });
    }
    const { attempt, updateId } =
      body.payment_method === 'card'
        ? await newCardAttempt(deps, body)
        : await savedCardAttempt(deps, record, body);
    const outcome = await submitAttempt(checkoutHandle(deps.temporal, record._id), attempt, updateId);
    // The page shows `message` as it is: in the customer's language.
    const message = customerMessage({ ...outcome, charge_pending: !!outcome.next_action }, record.language);
    res.json(withRedirect(record, { ...outcome, message }));
  });

  return router;
}

/** Validates the card and exchanges it for the gateway's single-use token: no PAN goes further. */
async function newCardAttempt(
  deps: CheckoutDeps,
  body: Extract<SubmitPaymentRequest, { payment_method: 'card' }>,
): Promise<PreparedAttempt> {
  const validation = validateCard(body.card, new Date());
  if (!validation.ok) {
    throw fieldErrors({
      card: Object.fromEntries(Object.entries(validation.errors).map(([k, v]) => [k, [v]])),
    });
  }
  const card = validation.card;
  const gatewayToken = await gatewayCall(() =>
    deps.gateway.createCardToken({
      number: card.number,
      exp_month: card.expiry.month,
      exp_year: card.expiry.year,
      cvc: card.cvv,
      name: card.name,
    }),
  );
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
  // One single-use token is one attempt: a retried request joins the same update.
  return { attempt, updateId: `submit-${gatewayToken.id}` };
}

/**
 * A saved card: ownership, gateway, lock and the CVV rule are checked here for a fast, clear
 * answer, and again by TokenChargeWorkflow, which is the authority.
 */
async function savedCardAttempt(
  deps: CheckoutDeps,
  record: PaymentRecord,
  body: Extract<SubmitPaymentRequest, { payment_method: 'token' }>,
): Promise<PreparedAttempt> {
  const card = record.customer_id ? await findCard(deps.collections, record.merchant_id, body.token) : null;
  if (!card || card.customer_id !== record.customer_id) throw notFound('No saved card with this token.');
  if (card.pg_code !== body.pg_code) {
    throw fieldErrors({ token: ['This card was saved for another payment method.'] });
  }
  if (isLocked(card)) {
    throw detail(
      423,
      'This saved card is locked after too many wrong security codes. Pay with the full card details.',
    );
  }
  const config = record.gateways.find((g) => g.pg_code === body.pg_code)!;
  let cvcToken: string | undefined;
  if (config.cvv_required) {
    const brand = card.brand as CardBrand;
    if (!body.cvv) throw fieldErrors({ cvv: ['Enter the card security code (CVV).'] });
    if (!isValidCvv(body.cvv, brand))
      throw fieldErrors({ cvv: [`Enter the ${cvvLength(brand)}-digit security code.`] });
    const cvv = body.cvv;
    cvcToken = (await gatewayCall(() => deps.gateway.createCvcToken(card.gateway_ref, cvv))).id;
  }
  return {
    attempt: {
      method: 'token',
      pgCode: body.pg_code,
      token: body.token,
      merchantInitiated: false,
      ...(cvcToken ? { cvcToken } : {}),
    },
    updateId: `submit-${cvcToken ?? randomUUID()}`,
  };
}

async function gatewayCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof GatewayRejectedError) throw fieldErrors({ card: { number: [error.message] } });
    if (error instanceof GatewayUnavailableError) {
      throw detail(503, 'The payment gateway is unavailable. Try again.');
    }
    throw error;
  }
}

/** Per-IP and per-session limits on submits: card testing and CVV guessing get a 429. */
function submitLimits(config: AppConfig): RequestHandler[] {
  const tooMany = (message: string) => (_req: Request, res: Response) => {
    res.status(429).json({ detail: message });
  };
  return [
    rateLimit({
      windowMs: 60_000,
      limit: config.rateLimits.submitPerIpPerMinute,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: tooMany('Too many payment attempts from this network. Wait a minute and try again.'),
    }),
    rateLimit({
      windowMs: 60_000,
      limit: config.rateLimits.submitPerSessionPerMinute,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: (req) => `session:${String(req.params.sessionId)}`,
      handler: tooMany('Too many payment attempts for this payment. Wait a minute and try again.'),
    }),
  ];
}

function withRedirect(
  record: PaymentRecord,
  outcome: AttemptOutcome,
): AttemptOutcome & { redirect_url?: string } {
  const final = outcome.result === 'success' || outcome.state === 'failed';
  if (!record.redirect_url || !final) return outcome;
  return { ...outcome, redirect_url: redirectUrl(record, outcome.reference_number) };
}
