/**
 * Ottu services tokenpay does not offer: an Ottu integration calling one gets a clear answer
 * naming what is missing (501 Not Implemented, `{"detail": ...}`), never a bare 404 that reads
 * like a wrong base URL. README ("Where tokenpay differs from Ottu") lists the same paths.
 *
 * One middleware that matches the paths, not routes: these are not operations of tokenpay's API,
 * so /openapi.json (which documents every route) does not offer them to generated clients.
 */
import type { RequestHandler } from 'express';

import { detail } from './errors';

export const NOT_OFFERED: readonly { method: 'get' | 'post'; path: string; service: string }[] = [
  { method: 'post', path: '/pbl/v2/cash-payment/', service: 'Cash payments' },
  { method: 'post', path: '/pbl/v2/payment/cash/', service: 'Cash payments' },
  { method: 'post', path: '/pbl/v2/payment/apple-pay/', service: 'Apple Pay' },
  { method: 'post', path: '/pbl/v2/payment/google-pay/', service: 'Google Pay' },
  { method: 'post', path: '/pbl/v2/payment/wallet/', service: 'Wallet payments' },
  { method: 'post', path: '/wallet/ottu/v1/accounts/', service: 'Ottu wallets' },
  { method: 'post', path: '/wallet/ottu/v1/entries/', service: 'Ottu wallets' },
  { method: 'post', path: '/wallet/ottu/v1/operations/', service: 'Ottu wallets' },
  {
    method: 'get',
    path: '/checkout/v1/wallet/payment-sessions/:sessionId/finalization-status/',
    service: 'Ottu wallets',
  },
  { method: 'post', path: '/invoice/v1/invoice/', service: 'Invoices' },
  { method: 'post', path: '/pbl/v2/message-notification/', service: 'SMS and WhatsApp notifications' },
  {
    method: 'post',
    path: '/pbl/v2/notifications/send/:channel/',
    service: 'SMS, e-mail and WhatsApp notifications',
  },
  { method: 'post', path: '/pbl/v2/send-notification/', service: 'SMS, e-mail and WhatsApp notifications' },
  { method: 'get', path: '/api/v1/reports/files/', service: 'Reports' },
  { method: 'get', path: '/api/v1/reports/files/:token/download/', service: 'Reports' },
  {
    method: 'post',
    path: '/checkout/api/sdk/v1/pre-payment-option-check/:sessionId/',
    service: 'Buy-now-pay-later pre-payment checks (Tabby, Tamara, Taly)',
  },
];

const matchers = NOT_OFFERED.map(({ method, path, service }) => ({
  method: method.toUpperCase(),
  pattern: new RegExp(`^${path.replace(/:\w+/g, '[^/]+').replace(/\/$/, '')}/?$`),
  service,
}));

export const notOffered: RequestHandler = (req, _res, next) => {
  const hit = matchers.find((m) => m.method === req.method && m.pattern.test(req.path));
  if (!hit) return next();
  throw detail(
    501,
    `${hit.service}: this Ottu service is not offered by tokenpay, which takes card payments only. See README, "Where tokenpay differs from Ottu".`,
  );
};
