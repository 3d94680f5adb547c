/**
 * Codec server: lets the Temporal Web UI (and the `temporal` CLI) show the payloads that the
 * payload codec encrypts, to operators only. The protocol is Temporal's remote codec protocol:
 *
 *   POST /codec/decode   {"payloads": [{"metadata": {"encoding": "<base64>", ...}, "data": "<base64>"}]}
 *   POST /codec/encode   same shape in, same shape out (the UI encodes inputs it sends, e.g. signals)
 *
 * Pointing the UI at it:
 *   - embedded dev server: `temporal server start-dev --ui-codec-endpoint http://127.0.0.1:3000/codec`
 *     (the UI at http://127.0.0.1:8233 then calls this endpoint from the operator's browser, so the
 *     UI's origin must be in `allowedOrigins`);
 *   - the temporalio/ui image: `TEMPORAL_CODEC_ENDPOINT=https://<api host>/codec`, plus
 *     `TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true` to send the operator's credentials;
 *   - per browser: the UI's "Codec Server" settings (endpoint, "include cross-origin credentials",
 *     "pass the user access token");
 *   - CLI: `temporal workflow show -w <id> --codec-endpoint http://127.0.0.1:3000/codec
 *     --codec-auth "Admin-Key $TOKENPAY_ADMIN_KEY"`.
 *
 * With "include credentials" on, the UI sends its cookies and, when the UI has an SSO login,
 * `Authorization: Bearer <access token>`, which a production `authorize` should verify. The embedded
 * dev UI has no login: `devCodecAuthorizer` accepts requests whose Origin is that UI, or that carry
 * `Authorization: Admin-Key <TOKENPAY_ADMIN_KEY>`. An Origin header is only trustworthy from a
 * browser (any local program can send one), so that policy is for the loopback dev setup only.
 *
 * Mount this router before the app's JSON-only check and body parser: it answers CORS preflights
 * and parses its own bodies (up to 2 MB; history payloads are bigger than API requests).
 * Nothing here logs, and no response carries another payload's contents.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, {
  Router,
  type ErrorRequestHandler,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';

import { CodecError } from '../codec/encryption-codec';
import type { AuthFailureGuard } from './auth';
import { detail, HttpError } from './errors';

export interface CodecRoutesOptions {
  codec: PayloadCodec;
  /** The access policy: false (or a rejected promise) → 401. Called for POSTs, not preflights. */
  authorize: (req: Request) => boolean | Promise<boolean>;
  /** Exact origins (scheme://host:port) of the Temporal UI(s) allowed to call from a browser. */
  allowedOrigins: string[];
  /**
   * Failed-key budget per IP shared with the merchant and admin APIs: the codec answers with the
   * admin key, so guessing it here must cost the same as guessing it on /admin.
   */
  guard?: AuthFailureGuard;
}

/** Origins of the UI embedded in `temporal server start-dev` (default UI port 8233). */
export const EMBEDDED_UI_ORIGINS = ['http://127.0.0.1:8233', 'http://localhost:8233'];

const ALLOWED_HEADERS = 'Content-Type, Authorization, X-Namespace';
const MAX_PAYLOADS = 10_000;

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Accepts `Authorization: Admin-Key <adminKey>` (constant-time comparison). */
export function adminKeyAuthorizer(adminKey: string): (req: Request) => boolean {
  const expected = digest(adminKey);
  return (req) => {
    const match = /^\s*Admin-Key\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
  };
}

/**
 * DEV-ONLY policy for the embedded Temporal UI: requests from its browser origin, or with the
 * admin key. Origin is forgeable outside browsers; use only where the API listens on loopback.
 */
export function devCodecAuthorizer(options: {
  adminKey: string;
  uiOrigins?: string[];
}): (req: Request) => boolean {
  const origins = new Set(options.uiOrigins ?? EMBEDDED_UI_ORIGINS);
  const byAdminKey = adminKeyAuthorizer(options.adminKey);
  return (req) => origins.has(req.get('origin') ?? '') || byAdminKey(req);
}

// Standard or URL-safe base64, as proto3 JSON allows.
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
const bodySchema = z.object({
  payloads: z
    .array(
      z.object({
        metadata: z.record(z.string(), base64).nullish(),
        data: base64.nullish(),
      }),
    )
    .max(MAX_PAYLOADS),
});
type JsonPayload = z.infer<typeof bodySchema>['payloads'][number];

const fromJson = ({ metadata, data }: JsonPayload): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(metadata ?? {}).map(([k, v]): [string, Uint8Array] => [k, Buffer.from(v, 'base64')]),
  ),
  data: Buffer.from(data ?? '', 'base64'),
});

const toBase64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

const toJson = ({ metadata, data }: Payload): { metadata: Record<string, string>; data: string } => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, toBase64(v)])),
  data: toBase64(data ?? new Uint8Array()),
});

const problem = (res: Response, status: number, detail: string): void => {
  res.status(status).json({ detail });
};

export function codecRoutes(options: CodecRoutesOptions): Router {
  const { codec, authorize } = options;
  const allowedOrigins = new Set(options.allowedOrigins);
  const router = Router();

  const cors: RequestHandler = (req, res, next) => {
    res.vary('Origin');
    const origin = req.get('origin');
    if (origin !== undefined && allowedOrigins.has(origin)) {
      res.set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Max-Age': '600',
      });
    }
    // Preflights carry no credentials; the browser enforces the headers set above.
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };

  const authenticate: RequestHandler = async (req, res, next) => {
    await options.guard?.check(req, res);
    let allowed = false;
    try {
      allowed = await authorize(req);
    } catch {
      allowed = false;
    }
    if (!allowed) {
      const unauthorized = detail(
        401,
        'Authentication credentials for the codec endpoint were not provided or are invalid.',
      );
      // only a wrong admin key counts as a guess; a request without one is not an attempt
      throw options.guard && /^\s*Admin-Key\s+\S/i.test(req.get('authorization') ?? '')
        ? await options.guard.fail(req, res, unauthorized)
        : unauthorized;
    }
    next();
  };

  // JSON only: a cross-site "simple" request (text/plain, forms) never reaches the codec.
  const requireJson: RequestHandler = (req, res, next) => {
    if (!req.is('application/json')) {
      problem(res, 415, 'Content-Type must be application/json.');
      return;
    }
    next();
  };

  const handle =
    (operation: 'encode' | 'decode'): RequestHandler =>
    async (req, res) => {
      const parsed = bodySchema.safeParse(req.body);
      if (!parsed.success) {
        const where = parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
          .join('; ');
        problem(res, 400, `Expected {"payloads": [{"metadata": {key: base64}, "data": base64}]} (${where}).`);
        return;
      }
      let result: Payload[];
      try {
        result = await codec[operation](parsed.data.payloads.map(fromJson));
      } catch (error) {
        // CodecError messages say why (unknown key id, tampered) and never contain payload data.
        problem(
          res,
          400,
          error instanceof CodecError ? error.message : `The payloads could not be ${operation}d.`,
        );
        return;
      }
      res.set('Cache-Control', 'no-store').json({ payloads: result.map(toJson) });
    };

  // Body-parser errors stay in this router: 4xx with {detail}, never the app's 500.
  const errors: ErrorRequestHandler = (error: { type?: string; status?: number }, _req, res, _next) => {
    if (error instanceof HttpError)
      res.status(error.status).json(error.body); // 401, 429 (+ Retry-After)
    else if (error?.type === 'entity.too.large') problem(res, 413, 'The request body is larger than 2 MB.');
    else if (typeof error?.status === 'number' && error.status >= 400 && error.status < 500)
      problem(res, 400, 'The request body is not valid JSON.');
    else problem(res, 500, 'The codec endpoint failed.');
  };

  const parseJson = express.json({ limit: '2mb', strict: true, type: 'application/json' });
  for (const operation of ['decode', 'encode'] as const) {
    router.options(`/codec/${operation}`, cors);
    router.post(`/codec/${operation}`, cors, authenticate, requireJson, parseJson, handle(operation), errors);
  }
  return router;
}
