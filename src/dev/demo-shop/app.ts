/**
 * The demo shop: a small merchant site on its own origin that embeds tokenpay's Web Checkout SDK
 * the way an Ottu merchant embeds Ottu's. Its server creates the payment session with the
 * merchant's API key (never in the browser), asks for `sdk_setup_preload_payload`, and renders a
 * page that loads the SDK (pinned with its integrity hash) and calls `Checkout.init` with the
 * merchant's public key. The page lists what the SDK's callbacks told it; `/webhooks` keeps what
 * tokenpay notified, signatures checked.
 *
 * Query parameters, for trying things out: `customer` (default `demo-customer`), `lang` (`en` |
 * `ar`), `amount`, `pg` (comma-separated pg_codes), `preload` (`1` default, `0` none, `invalid` a
 * broken one: the SDK then fetches), `fop` (formsOfPayment), `display` (`column` | `grid`),
 * `theme` (`dark`), `agreement` (an auto-debit agreement id: the payment becomes `auto_debit`).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import express, { type Request } from 'express';

import { verifyWebhook } from '../../webhooks';

export interface DemoShopOptions {
  /** tokenpay as the browser reaches it: the SDK's URL and `merchant_id` */
  tokenpayUrl: string;
  /** tokenpay as this server reaches it (defaults to tokenpayUrl) */
  apiUrl?: string;
  apiKey: string;
  publicKey: string;
  /** the demo merchant's webhook HMAC key: webhooks are kept when it is given */
  webhookKey?: string;
  /** where tokenpay can reach this server, for webhooks (defaults to none) */
  selfUrl?: () => string;
}

const PUBLIC_DIR = path.resolve(__dirname, '..', '..', '..', 'src', 'dev', 'demo-shop', 'public');
const DEFAULT_PG_CODES = ['ottu_pg_kwd_tkn', 'ottu_pg_kwd_tkn_nocvv'];

const escape = (value: unknown): string =>
  String(value ?? '').replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON for a non-executed script block. */
const jsonBlock = (data: unknown): string =>
  JSON.stringify(data).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');

const DARK_THEME = {
  main: { background: '#1f2630' },
  'title-text': { color: '#ffffff' },
  'primary-text': { color: '#f3f5f7' },
  'secondary-text': { color: '#c9d1da' },
  'amount-box': { background: '#2b3440' },
  'methods-block': { background: '#2b3440' },
  'pay-button': { background: '#f2a900', color: '#1f2630' },
};

interface Received {
  at: string;
  verified: boolean;
  body: Record<string, unknown>;
}

function query(req: Request, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' && value.length <= 200 ? value : undefined;
}

export function createDemoShopApp(options: DemoShopOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const tokenpay = new URL(options.tokenpayUrl).origin;
  const apiUrl = (options.apiUrl ?? options.tokenpayUrl).replace(/\/$/, '');
  const webhooks: Received[] = [];

  app.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy': [
        "default-src 'self'",
        `script-src 'self' ${tokenpay}`,
        `frame-src ${tokenpay}`,
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
      ].join('; '),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'strict-origin-when-cross-origin',
    });
    next();
  });
  app.use('/assets', express.static(PUBLIC_DIR, { maxAge: 0, index: false }));

  app.get('/', async (req, res) => {
    const customer = (query(req, 'customer') ?? 'demo-customer').slice(0, 64);
    const lang = query(req, 'lang') === 'ar' ? 'ar' : 'en';
    const preload = query(req, 'preload') ?? '1';
    const agreementId = query(req, 'agreement');
    const orderNo = `demo-${Date.now()}-${randomBytes(3).toString('hex')}`;
    const body: Record<string, unknown> = {
      type: 'e_commerce',
      amount: query(req, 'amount') ?? '12.500',
      currency_code: 'KWD',
      pg_codes: query(req, 'pg')?.split(',') ?? DEFAULT_PG_CODES,
      customer_id: customer,
      order_no: orderNo,
      language: lang,
      include_sdk_setup_preload: preload !== '0',
      ...(options.selfUrl && options.webhookKey ? { webhook_url: `${options.selfUrl()}/webhooks` } : {}),
      ...(agreementId
        ? {
            payment_type: 'auto_debit',
            agreement: { id: agreementId, type: 'recurring', frequency: 'monthly' },
          }
        : {}),
    };
    const [created, integrity] = await Promise.all([
      fetch(`${apiUrl}/b/checkout/v1/pymt-txn/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Api-Key ${options.apiKey}` },
        body: JSON.stringify(body),
      }),
      fetch(`${apiUrl}/checkout/v3/integrity.json`),
    ]);
    const session = (await created.json()) as Record<string, unknown>;
    if (created.status !== 201) {
      res
        .status(502)
        .type('text')
        .send(`tokenpay refused the session: ${JSON.stringify(session)}`);
      return;
    }
    const sdk = (await integrity.json()) as { url: string; integrity: string };
    // the browser loads the SDK from tokenpay's public URL, whatever this server used
    const sdkUrl = `${tokenpay}${new URL(sdk.url).pathname}`;
    const setupPreload =
      preload === 'invalid' ? { session_id: 'not-this-session' } : session.sdk_setup_preload_payload;
    const config = {
      selector: 'checkout',
      merchant_id: tokenpay,
      session_id: session.session_id,
      apiKey: options.publicKey,
      lang,
      displayMode: query(req, 'display') === 'grid' ? 'grid' : 'column',
      ...(query(req, 'fop') ? { formsOfPayment: query(req, 'fop')!.split(',') } : {}),
      ...(query(req, 'theme') === 'dark' ? { theme: DARK_THEME } : {}),
      ...(setupPreload ? { setupPreload } : {}),
    };
    res.type('html').send(`<!DOCTYPE html>
<html lang="${lang}" dir="${lang === 'ar' ? 'rtl' : 'ltr'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo Shop – checkout</title>
<link rel="stylesheet" href="/assets/shop.css">
<script src="${escape(sdkUrl)}" integrity="${escape(sdk.integrity)}" crossorigin="anonymous"
  data-success="successCallback" data-error="errorCallback" data-cancel="cancelCallback"
  data-beforepayment="beforePayment"></script>
<script src="/assets/shop.js" defer></script>
</head>
<body>
<header class="shop-header"><h1>Demo Shop</h1><p>A merchant page on its own origin, embedding tokenpay's Web Checkout SDK.</p></header>
<main class="shop">
<section class="basket" aria-labelledby="basket-title">
<h2 id="basket-title">Your basket</h2>
<p>Tokenpay T-shirt · <strong>${escape(body.amount)} KWD</strong></p>
<p>Order <code>${escape(orderNo)}</code> for customer <code id="customer">${escape(customer)}</code></p>
<p><a href="/?customer=${encodeURIComponent(customer)}&amp;lang=${lang}">Start a new payment</a> · <a href="/?customer=${encodeURIComponent(customer)}&amp;lang=${lang === 'ar' ? 'en' : 'ar'}">${lang === 'ar' ? 'English' : 'العربية'}</a> · <a href="/webhooks">Webhooks received</a></p>
</section>
<section class="payment" aria-labelledby="payment-title">
<h2 id="payment-title">Payment</h2>
<div id="checkout"></div>
</section>
<section class="events" aria-labelledby="events-title">
<h2 id="events-title">What the SDK told this page</h2>
<ol id="events" aria-live="polite"></ol>
</section>
</main>
<script type="application/json" id="shop-config">${jsonBlock(config)}</script>
</body>
</html>
`);
  });

  app.post('/webhooks', express.json({ limit: '64kb' }), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { signature, ...payload } = body;
    const verified =
      !!options.webhookKey &&
      typeof signature === 'string' &&
      verifyWebhook(payload, options.webhookKey, signature);
    webhooks.unshift({ at: new Date().toISOString(), verified, body });
    webhooks.length = Math.min(webhooks.length, 50);
    res.json({ ok: true });
  });

  app.get('/webhooks', (_req, res) => {
    res.json(webhooks);
  });

  return app;
}
