/**
 * API metrics: one middleware, first in the chain, that times every request and labels it with
 * the route pattern of the OpenAPI document (never the raw URL: session ids and tokens are in
 * paths), and counts payments created and checkout submits from the JSON the routes answer.
 */
import type { Request, RequestHandler, Response } from 'express';

import { CURRENCY_CODES } from '../domain/money';
import { checkoutSubmits, httpRequestDuration, paymentsCreated } from './instruments';

export const CREATE_PAYMENT_ROUTE = '/b/checkout/v1/pymt-txn/';
export const SUBMIT_ROUTE = '/checkout/{session_id}/submit';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const JSON_BODY = Symbol('tokenpay.jsonBody');

type Locals = { [JSON_BODY]?: unknown };

/** The JSON a route answered with (captured by `httpMetrics`), for metrics and log fields. */
export function answeredJson(res: Response): Record<string, unknown> | undefined {
  const body = (res.locals as Locals)[JSON_BODY];
  return body && typeof body === 'object' && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : undefined;
}

/** The bounded route label: a documented path template, or a fixed name. */
export function routeLabel(path: string, match: (path: string) => string | undefined): string {
  const template = match(path);
  if (template) return template;
  if (/^\/static\//.test(path)) return '/static/*';
  if (/^\/docs\//.test(path)) return '/docs/*';
  return 'unmatched';
}

export function httpMetrics(match: (path: string) => string | undefined): RequestHandler {
  return (req, res, next) => {
    const end = httpRequestDuration.startTimer();
    const path = req.path; // before routers strip their mount paths from req.url
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      (res.locals as Locals)[JSON_BODY] = body;
      return json(body);
    };
    let done = false;
    const record = (): void => {
      if (done) return;
      done = true;
      const route = routeLabel(path, match);
      const status = res.writableFinished ? String(res.statusCode) : 'aborted';
      end({ method: METHODS.has(req.method) ? req.method : 'OTHER', route, status_code: status });
      if (req.method === 'POST') countOutcome(req, res, route);
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };
}

function countOutcome(req: Request, res: Response, route: string): void {
  const body = answeredJson(res);
  if (route === CREATE_PAYMENT_ROUTE && res.statusCode === 201 && res.get('Idempotent-Replayed') !== 'true') {
    const currency = String(body?.currency_code ?? '');
    const paymentType = String(body?.payment_type ?? '');
    paymentsCreated.inc({
      currency_code: (CURRENCY_CODES as readonly string[]).includes(currency) ? currency : 'other',
      payment_type: ['one_off', 'auto_debit', 'save_card'].includes(paymentType) ? paymentType : 'other',
    });
  }
  if (route === SUBMIT_ROUTE) {
    const method = (req.body as { payment_method?: unknown } | undefined)?.payment_method;
    const status = res.statusCode;
    const result =
      status === 200
        ? ['success', 'failed', 'pending', 'canceled'].includes(String(body?.result))
          ? String(body?.result)
          : 'other'
        : status >= 500
          ? 'error'
          : 'refused';
    checkoutSubmits.inc({
      payment_method: method === 'card' || method === 'token' ? method : 'other',
      result,
      status_code: String(status),
    });
  }
}
