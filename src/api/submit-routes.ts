/**
 * The customer's pay request (CONTRACT §2.2). Card data lives only inside this request: a new
 * card is exchanged for the gateway's single-use token and a saved card's CVV for a cvc_token
 * before anything reaches the workflow. The pre-checks here are the domain's rules, asked early
 * for a fast answer; the workflow asks them again and is the authority.
 */
import { randomUUID } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';

import { cvvLength, isValidCvv, validateCard } from '../domain/card';
import { attemptRefusal } from '../domain/checkout';
import { customerMessage } from '../domain/decline-messages';
import type { PaymentRecord } from '../domain/payment';
import { refusal } from '../domain/refusals';
import { savedCardRefusal } from '../domain/saved-card';
import { submitPaymentSchema, type SubmitPaymentRequest } from '../domain/schemas';
import { GatewayRejectedError, GatewayUnavailableError } from '../gateway/port';
import { paymentCard, type CardObject } from '../ottu/card';
import { cardFingerprints } from '../secrets/fingerprint';
import { cardFacts } from '../store/cards';
import type { AttemptOutcome, NewCardAttempt, SubmitAttempt } from '../workflows/definitions';
import { checkoutHandle, redirectUrl, submitAttempt } from './attempts';
import { isValidCsrfToken, loadSession, type CheckoutDeps } from './checkout-session';
import { detail, fieldErrors, notFound } from './errors';
import { limiterStore } from './rate-limit-store';
import { assertNoRefusal, httpErrorOf } from './refusals';

type PreparedAttempt = { attempt: SubmitAttempt; updateId: string };

/** The answer of a submit (CONTRACT §2.2): the attempt's outcome, the card as merchants see cards. */
export type SubmitResponse = Omit<AttemptOutcome, 'token'> & { token?: CardObject; redirect_url?: string };

export function submitRoutes(deps: CheckoutDeps): Router {
  const router = Router();

  router.post('/checkout/:sessionId/submit', ...submitLimits(deps), async (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (!req.is('application/json')) throw detail(415, 'Send the payment as application/json.');
    const record = await loadSession(deps.store, String(req.params.sessionId));
    if (!record) throw notFound('No payment with this session id.');
    const givenCsrf = req.get('x-csrf-token');
    if (givenCsrf !== undefined && !isValidCsrfToken(deps.config, record._id, givenCsrf)) {
      throw detail(403, 'This page has expired. Reload it and try again.');
    }
    const body = submitPaymentSchema.parse(req.body);
    assertNoRefusal(
      attemptRefusal(
        {
          state: record.state,
          expiresAt: record.expires_at,
          ...(record.customer_id ? { customerId: record.customer_id } : {}),
          gateways: record.gateways,
          attemptsMade: record.attempts.length,
          busy: false, // the workflow knows; it answers 409 itself
        },
        { pgCode: body.pg_code, method: body.payment_method },
        Date.now(),
      ),
      record.language,
    );
    const { attempt, updateId } =
      body.payment_method === 'card'
        ? await newCardAttempt(deps, record.merchant_id, body)
        : await savedCardAttempt(deps, record, body);
    const outcome = await submitAttempt(
      checkoutHandle(deps.temporal, record._id),
      attempt,
      updateId,
      record.language,
    );
    // The page shows `message` as it is: in the customer's language.
    const message = customerMessage({ ...outcome, charge_pending: !!outcome.next_action }, record.language);
    res.json(submitResponse(record, { ...outcome, message }));
  });

  return router;
}

/** Validates the card and exchanges it for the gateway's single-use token: no PAN goes further. */
async function newCardAttempt(
  deps: CheckoutDeps,
  merchantId: string,
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
    fingerprint: cardFingerprints(card.number, merchantId, deps.config.fingerprintKeys),
    saveCard: body.save_card,
  };
  // One single-use token is one attempt: a retried request joins the same update.
  return { attempt, updateId: `submit-${gatewayToken.id}` };
}

/** A saved card: the chargeability rules first, then the CVV is exchanged for a cvc_token. */
async function savedCardAttempt(
  deps: CheckoutDeps,
  record: PaymentRecord,
  body: Extract<SubmitPaymentRequest, { payment_method: 'token' }>,
): Promise<PreparedAttempt> {
  const doc = await deps.store.cards.find(record.merchant_id, body.token);
  const config = record.gateways.find((g) => g.pg_code === body.pg_code);
  assertNoRefusal(
    savedCardRefusal(doc && cardFacts(doc), {
      customerId: record.customer_id,
      paymentType: record.payment_type,
      requestedPgCode: body.pg_code,
      config,
      merchantInitiated: false,
      cvvGiven: body.cvv !== undefined && body.cvv !== '',
      now: new Date(),
    }),
    record.language,
  );
  let cvcToken: string | undefined;
  if (config?.cvv_required && doc && body.cvv) {
    if (!isValidCvv(body.cvv, doc.brand)) {
      throw httpErrorOf(refusal('cvv_invalid', { length: String(cvvLength(doc.brand)) }), record.language);
    }
    const cvv = body.cvv;
    cvcToken = (await gatewayCall(() => deps.gateway.createCvcToken(doc.gateway_ref, cvv))).id;
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

/**
 * Per-IP and per-session limits on submits: card testing and CVV guessing get a 429. Counted in
 * the store every API instance shares, per client address (`req.ip`: the customer's, behind a
 * proxy that `TOKENPAY_TRUST_PROXY` describes).
 */
function submitLimits(deps: CheckoutDeps): RequestHandler[] {
  const { config } = deps;
  const tooMany = (message: string) => (_req: Request, res: Response) => {
    res.status(429).json({ detail: message });
  };
  const store = (prefix: string, limit: number) =>
    limiterStore(config.rateLimitStore, deps.store.rateLimits, { prefix, limit, windowMs: 60_000 });
  return [
    rateLimit({
      windowMs: 60_000,
      limit: config.rateLimits.submitPerIpPerMinute,
      ...store('submit-ip', config.rateLimits.submitPerIpPerMinute),
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: tooMany('Too many payment attempts from this network. Wait a minute and try again.'),
    }),
    rateLimit({
      windowMs: 60_000,
      limit: config.rateLimits.submitPerSessionPerMinute,
      ...store('submit-session', config.rateLimits.submitPerSessionPerMinute),
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: (req) => `session:${String(req.params.sessionId)}`,
      handler: tooMany('Too many payment attempts for this payment. Wait a minute and try again.'),
    }),
  ];
}

function submitResponse(record: PaymentRecord, outcome: AttemptOutcome): SubmitResponse {
  const { token, ...rest } = outcome;
  const card = token && paymentCard({ token, gateways: record.gateways }, new Date());
  const final = outcome.result === 'success' || outcome.state === 'failed';
  return {
    ...rest,
    ...(card ? { token: card } : {}),
    ...(record.redirect_url && final ? { redirect_url: redirectUrl(record, outcome.reference_number) } : {}),
  };
}
