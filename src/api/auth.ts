/**
 * Merchant (`Api-Key`) and admin (`Admin-Key`) authentication, with a brute-force guard.
 *
 * Failed-authentication policy (per client IP, `req.ip`):
 * - Only a presented but wrong key counts (a missing header or another scheme is not a guess and
 *   never reaches the database). Successful and otherwise-failing requests (400, 404, ...) never
 *   count, however many a merchant sends at once.
 * - After `failuresPerMinute` failures (env `TOKENPAY_AUTH_FAILURES_PER_MINUTE`, default 30)
 *   within a window that starts at the IP's first failure, every authenticated request from that
 *   IP is refused with 429 `{detail}` and `Retry-After` until the window ends — a correct key
 *   too, so a guesser cannot tell a hit from a miss while blocked. Other IPs are unaffected.
 * - Failed responses carry the IETF `RateLimit` / `RateLimit-Policy` headers (draft 8).
 * The counters live in the store given (the shared MongoDB one in the app, so every API instance
 * counts against one budget; express-rate-limit's MemoryStore otherwise). Behind a proxy,
 * `req.ip` is the client only when `TOKENPAY_TRUST_PROXY` describes the proxies.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  ipKeyGenerator,
  rateLimit,
  type RateLimitRequestHandler,
  type Store as LimitStore,
} from 'express-rate-limit';

import type { Store } from '../store';
import type { MerchantDoc } from '../store/mongo';
import { detail, type HttpError } from './errors';

export interface AuthedRequest extends Request {
  merchant: MerchantDoc;
}

function credential(req: Request, scheme: string): string | undefined {
  const header = req.get('authorization');
  if (!header) return undefined;
  const [kind, ...rest] = header.trim().split(/\s+/);
  if (kind?.toLowerCase() !== scheme.toLowerCase() || rest.length !== 1) return undefined;
  return rest[0];
}

export interface AuthFailureGuardOptions {
  /** failed attempts per IP per window before the IP is refused (`config.rateLimits`) */
  failuresPerMinute: number;
  /** window length; one minute unless a test shortens it */
  windowMs?: number;
  /** where the failures are counted (default: in this process) */
  store?: LimitStore;
}

/** Counts failed authentications per client IP and refuses an IP that has had too many. */
export interface AuthFailureGuard {
  /** Throws the 429 when this request's IP is blocked. */
  check(req: Request, res: Response): Promise<void>;
  /** Counts a failure; resolves with the error to answer (401, or 429 once over the limit). */
  fail(req: Request, res: Response, unauthorized: HttpError): Promise<HttpError>;
}

const TOO_MANY = 'Too many failed authentication attempts from this address. Try again later.';

const clientKey = (req: Request): string => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');

/**
 * One guard can be shared by the merchant and admin middlewares so that an IP has one budget of
 * failures across both (the app passes `config.rateLimits.authFailuresPerMinute`).
 */
export function createAuthFailureGuard(options: AuthFailureGuardOptions): AuthFailureGuard {
  const limit = options.failuresPerMinute;
  const windowMs = options.windowMs ?? 60_000;
  // Called only for failed attempts: every call is one failure of this IP.
  const failures: RateLimitRequestHandler = rateLimit({
    windowMs,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: 'auth-failures',
    keyGenerator: clientKey,
    ...(options.store ? { store: options.store } : {}),
    handler: (_req, _res, next) => next(detail(429, TOO_MANY)),
  });

  return {
    async check(req, res) {
      const info = await failures.getKey(clientKey(req));
      if (!info || info.totalHits < limit) return;
      const resetMs = info.resetTime ? info.resetTime.getTime() - Date.now() : windowMs;
      res.set('Retry-After', String(Math.max(1, Math.ceil(resetMs / 1000))));
      throw detail(429, TOO_MANY);
    },
    fail(req, res, unauthorized) {
      return new Promise<HttpError>((resolve) => {
        const next: NextFunction = (error?: unknown) => {
          resolve(error ? (error as HttpError) : unauthorized);
        };
        void failures(req, res, next);
      });
    },
  };
}

export function merchantAuth(store: Pick<Store, 'merchants'>, guard: AuthFailureGuard): RequestHandler {
  return async (req, res, next) => {
    const apiKey = credential(req, 'Api-Key');
    await guard.check(req, res);
    if (!apiKey) throw detail(401, 'Authentication credentials were not provided or are invalid.');
    const merchant = apiKey.length > 256 ? null : await store.merchants.findByApiKey(apiKey);
    if (!merchant) throw await guard.fail(req, res, detail(401, 'Invalid API key.'));
    (req as AuthedRequest).merchant = merchant;
    next();
  };
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

export function adminAuth(adminKey: string, guard: AuthFailureGuard): RequestHandler {
  const expected = digest(adminKey);
  return async (req, res, next) => {
    const given = credential(req, 'Admin-Key');
    await guard.check(req, res);
    if (!given) throw detail(401, 'Invalid admin key.');
    if (!timingSafeEqual(digest(given), expected)) {
      throw await guard.fail(req, res, detail(401, 'Invalid admin key.'));
    }
    next();
  };
}

export function merchantOf(req: Request): MerchantDoc {
  return (req as AuthedRequest).merchant;
}
