/**
 * The Web Checkout SDK (CONTRACT §9): the script a merchant's page loads, its subresource-integrity
 * hash, and the frame it embeds.
 *
 * - `GET /checkout/v3/checkout.min.js`: the SDK at a stable URL (fixes reach merchants within five
 *   minutes); `GET /checkout/v3/checkout.{hash}.min.js`: the same bytes at an immutable URL, for a
 *   page that pins them with `integrity`; `GET /checkout/v3/integrity.json` says which.
 * - `GET /checkout/v3/frame/{session_id}?pk=&origin=&lang=&fop=&display=`: the payment form. It
 *   renders only for a session of the public key's merchant, for a parent origin the key allows,
 *   and its CSP `frame-ancestors` lists exactly the key's allowed origins, so no other site can
 *   frame it. Back from 3-D Secure (`?return=1`, no key) it allows the merchant's active keys'
 *   origins.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Router, type Response } from 'express';
import { minify } from 'terser';

import { payabilityRefusal } from '../domain/checkout';
import { customerMessage } from '../domain/decline-messages';
import { languageOf } from '../domain/language';
import { refusal, refusalMessage } from '../domain/refusals';
import { cardDeleteUrl, checkoutUrlOf } from '../ottu/sdk-preload';
import {
  DEFAULT_FORMS_OF_PAYMENT,
  FORMS_OF_PAYMENT,
  renderChallengeReturn,
  renderSdkFrame,
  type FormOfPayment,
} from '../web/frame';
import { escapeHtml } from '../web/html';
import { messagesFor } from '../web/i18n';
import { documentHead } from '../web/page';
import { sdkSourceFile } from '../web/static';
import { pageOpenedUpdate } from '../workflows/definitions';
import { checkoutHandle, withTimeout } from './attempts';
import { csrfToken, loadSession, type CheckoutDeps } from './checkout-session';

export const SDK_VERSION = 'v3';
const STABLE_MAX_AGE_S = 300;
const IMMUTABLE_MAX_AGE_S = 31_536_000;

export interface SdkScript {
  code: string;
  /** `sha384-…`, for `<script integrity>` */
  integrity: string;
  /** names the immutable URL: `checkout.{hash}.min.js` */
  hash: string;
}

let script: Promise<SdkScript> | undefined;

/** The SDK minified once per process (terser), with its integrity hash. */
export function sdkScript(): Promise<SdkScript> {
  script ??= (async () => {
    const source = await fs.promises.readFile(sdkSourceFile, 'utf8');
    const result = await minify(source, { ecma: 2020, compress: true, mangle: true });
    const code = `${result.code ?? source}\n`;
    return {
      code,
      integrity: `sha384-${createHash('sha384').update(code).digest('base64')}`,
      hash: createHash('sha256').update(code).digest('hex').slice(0, 16),
    };
  })();
  return script;
}

function sendScript(res: Response, code: string, maxAgeS: number, immutable: boolean): void {
  res
    .set({
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': `public, max-age=${maxAgeS}${immutable ? ', immutable' : ''}`,
      // any merchant page may load it, with crossorigin="anonymous" for its integrity check
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    })
    .send(code);
}

/** The frame's CSP: the hosted page's, but framed by exactly `ancestors` (or by no one). */
function frameHeaders(res: Response, ancestors: readonly string[], gatewayOrigin: string): void {
  res.removeHeader('X-Frame-Options');
  res.set({
    'Cache-Control': 'no-store',
    'Content-Security-Policy': [
      "default-src 'self'",
      "base-uri 'self'",
      "script-src 'self'",
      "script-src-attr 'none'",
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      "connect-src 'self'",
      "object-src 'none'",
      // the gateway's 3-D Secure page runs in an iframe inside the frame
      `frame-src 'self' ${gatewayOrigin}`,
      `form-action 'self' ${gatewayOrigin}`,
      `frame-ancestors ${ancestors.length ? ancestors.join(' ') : "'none'"}`,
    ].join('; '),
  });
}

/**
 * The end of a 3-D Secure challenge inside the frame: the gateway returned to the hosted page's
 * URL in the iframe the frame opened for it. Framed by the frame ('self') inside the merchant's
 * page (its keys' origins).
 */
export async function sendChallengeReturn(
  deps: CheckoutDeps,
  res: Response,
  record: { merchant_id: string; language: string },
): Promise<boolean> {
  const origins = await deps.store.publicKeys.originsOf(record.merchant_id);
  if (!origins.length) return false;
  frameHeaders(res, ["'self'", ...origins], new URL(deps.config.gateway.url).origin);
  res.type('html').send(renderChallengeReturn(languageOf(record.language)));
  return true;
}

function unavailablePage(language: 'en' | 'ar'): string {
  const msg = messagesFor(language);
  return `${documentHead(language, msg.page_title, '/static', [])}
<body>
<main class="checkout checkout--message">
<section class="outcome outcome--closed" aria-labelledby="outcome-title">
<div class="outcome__icon" aria-hidden="true"></div>
<h1 class="outcome__title" id="outcome-title">${escapeHtml(msg.frame_unavailable)}</h1>
</section>
</main>
</body>
</html>
`;
}

/** `fop`: Ottu's formsOfPayment as the SDK passed them (`none` when it listed none tokenpay has). */
function formsOfPayment(value: unknown): FormOfPayment[] {
  if (typeof value !== 'string') return [...DEFAULT_FORMS_OF_PAYMENT];
  const given = value.split(',');
  return FORMS_OF_PAYMENT.filter((f) => given.includes(f));
}

export function sdkRoutes(deps: CheckoutDeps): Router {
  const router = Router();
  const { store, config } = deps;
  const gatewayOrigin = new URL(config.gateway.url).origin;
  const base = config.publicBaseUrl;

  router.get(`/checkout/${SDK_VERSION}/checkout.min.js`, async (_req, res) => {
    sendScript(res, (await sdkScript()).code, STABLE_MAX_AGE_S, false);
  });

  router.get(`/checkout/${SDK_VERSION}/integrity.json`, async (_req, res) => {
    const sdk = await sdkScript();
    res
      .set({ 'Cache-Control': `public, max-age=${STABLE_MAX_AGE_S}`, 'Access-Control-Allow-Origin': '*' })
      .json({
        version: SDK_VERSION,
        url: `${base}/checkout/${SDK_VERSION}/checkout.${sdk.hash}.min.js`,
        integrity: sdk.integrity,
        stable_url: `${base}/checkout/${SDK_VERSION}/checkout.min.js`,
      });
  });

  router.get(`/checkout/${SDK_VERSION}/checkout.:hash.min.js`, async (req, res) => {
    const sdk = await sdkScript();
    if (String(req.params.hash) !== sdk.hash) {
      res.status(404).json({ detail: 'No such SDK version: get the current one from integrity.json.' });
      return;
    }
    sendScript(res, sdk.code, IMMUTABLE_MAX_AGE_S, true);
  });

  router.get(`/checkout/${SDK_VERSION}/frame/:sessionId`, async (req, res) => {
    const record = await loadSession(store, String(req.params.sessionId));
    const given = req.query.lang ?? req.query.language;
    const language = given === 'en' || given === 'ar' ? given : languageOf(record?.language);
    const pk = typeof req.query.pk === 'string' ? req.query.pk : undefined;
    const returned = req.query.return === '1';
    let allowed: string[] = [];
    if (record && pk) {
      const key = pk.length <= 128 ? await store.publicKeys.verify(pk) : null;
      if (key && key.merchant_id === record.merchant_id) allowed = key.allowed_origins;
    } else if (record && returned) {
      allowed = await store.publicKeys.originsOf(record.merchant_id);
    }
    const origin = typeof req.query.origin === 'string' ? req.query.origin : undefined;
    const parentOrigin = origin && allowed.includes(origin) ? origin : undefined;
    if (!record || !allowed.length || (pk && !parentOrigin)) {
      // an unknown session, a key that is not this merchant's (or revoked), an origin it does
      // not allow: nobody may frame the answer
      frameHeaders(res, [], gatewayOrigin);
      res
        .status(record ? 403 : 404)
        .type('html')
        .send(unavailablePage(language));
      return;
    }
    frameHeaders(res, allowed, gatewayOrigin);
    let current = record;
    if (current.state === 'created') {
      // as opening the hosted page: the session is pending once someone sees the form
      await withTimeout(
        checkoutHandle(deps.temporal, current._id).executeUpdate(pageOpenedUpdate),
        5_000,
      ).catch(() => undefined);
      current = (await store.payments.find(current._id)) ?? current;
    }
    const last = current.attempts[current.attempts.length - 1];
    const payable = !payabilityRefusal({ state: current.state, expiresAt: current.expires_at }, Date.now());
    res.type('html').send(
      renderSdkFrame({
        sessionId: current._id,
        merchantName: (await store.merchants.nameOf(current.merchant_id)) ?? '',
        language,
        amount: current.amount,
        currencyCode: current.currency_code,
        ...(current.order_no ? { orderNo: current.order_no } : {}),
        state: current.state,
        payable: payable && current.gateways.length > 0,
        ...(last
          ? {
              outcome: {
                result: last.result === 'canceled' ? 'failed' : last.result,
                state: current.state,
                message: customerMessage(
                  { ...last, charge_pending: last.result === 'pending' && !!last.charge_id },
                  language,
                ),
                referenceNumber: last.reference_number,
              },
            }
          : {}),
        csrfToken: csrfToken(config, current._id),
        submitUrl: `/checkout/${current._id}/submit`,
        setupUrl: `/checkout/${current._id}/sdk-setup`,
        cardsUrl: cardDeleteUrl(base, current._id, '').replace(/\/$/, ''),
        checkoutUrl: checkoutUrlOf(base, current._id),
        staticBase: '/static',
        ...(parentOrigin ? { parentOrigin } : {}),
        allowedOrigins: allowed,
        formsOfPayment: formsOfPayment(req.query.fop),
        displayMode: req.query.display === 'grid' ? 'grid' : 'column',
        returnedFromChallenge: returned,
        returnUrl: `/checkout/${SDK_VERSION}/frame/${current._id}?${new URLSearchParams({
          return: '1',
          lang: language,
          display: req.query.display === 'grid' ? 'grid' : 'column',
          ...(typeof req.query.fop === 'string' ? { fop: req.query.fop } : {}),
          ...(parentOrigin ? { origin: parentOrigin } : {}),
        }).toString()}`,
        lockedReason: refusalMessage(refusal('card_in_agreement'), language),
      }),
    );
  });

  return router;
}
