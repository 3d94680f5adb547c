/**
 * Codec server: lets the Temporal Web UI (and the `temporal` CLI) show the payloads that the
 * payload codec encrypts, to operators only. The protocol is Temporal's remote codec protocol:
 *
 *   POST /codec/decode   {"payloads": [{"metadata": {"encoding": "<base64>", ...}, "data": "<base64>"}]}
 *   POST /codec/encode   same shape in, same shape out (the UI encodes inputs it sends, e.g. signals)
 *
 * Who may call it (never the admin key, which administers merchants):
 *   - operators with their own credentials (`TOKENPAY_CODEC_CREDENTIALS=alice:<secret>,…`), sent as
 *     `Authorization: Bearer <secret>` (CLI: `--codec-auth "Bearer <secret>"`) or as HTTP Basic
 *     `alice:<secret>` (a browser behind a front proxy that asks for it: the cluster profile and
 *     compose put the UI and /codec on one origin behind such a proxy);
 *   - bearer tokens of an OIDC issuer (`TOKENPAY_CODEC_OIDC_ISSUER`, `…_AUDIENCE`), verified
 *     against the issuer's published keys: the UI's SSO login with `TEMPORAL_CODEC_PASS_ACCESS_TOKEN`;
 *   - DEV ONLY (`TOKENPAY_CODEC_TRUST_UI_ORIGIN=1`, refused in production): the embedded dev UI's
 *     browser Origin. An Origin header proves nothing outside a browser.
 *
 * Every decode and encode writes one audit line: who (operator or token subject), how
 * authenticated, the namespace (`X-Namespace`), the workflow ids when the caller's page names
 * them (a same-origin UI's Referer; a cross-origin UI sends only its origin), how many payloads,
 * and the outcome — never payload contents. Refused attempts are logged too.
 *
 * Mount this router before the app's JSON-only check and body parser: it answers CORS preflights
 * and parses its own bodies (up to 2 MB; history payloads are bigger than API requests).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
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

/** Who is decoding, as the audit log names them. */
export interface CodecPrincipal {
  who: string;
  method: 'operator-key' | 'oidc' | 'dev-ui-origin';
}

export type CodecAuthorizer = (
  req: Request,
) => CodecPrincipal | undefined | Promise<CodecPrincipal | undefined>;

/** One line per decode / encode and per refused attempt: never payload contents. */
export interface CodecAuditEntry {
  operation: 'decode' | 'encode';
  outcome: 'ok' | 'refused' | 'invalid';
  who?: string;
  method?: CodecPrincipal['method'];
  namespace?: string;
  workflow_ids?: string[];
  payloads?: number;
  client_ip?: string;
}

export interface CodecRoutesOptions {
  codec: PayloadCodec;
  /** The access policy: undefined (or a rejected promise) → 401. Called for POSTs, not preflights. */
  authorize: CodecAuthorizer;
  /** Receives the audit entries (the app writes them to the log). */
  audit?: (entry: CodecAuditEntry) => void;
  /** Exact origins (scheme://host:port) of the Temporal UI(s) allowed to call from a browser. */
  allowedOrigins: string[];
  /**
   * Failed-key budget per IP shared with the merchant and admin APIs: guessing an operator's
   * secret here costs the same as guessing a key there.
   */
  guard?: AuthFailureGuard;
}

/** Origins of the UI embedded in `temporal server start-dev` (default UI port 8233). */
export const EMBEDDED_UI_ORIGINS = ['http://127.0.0.1:8233', 'http://localhost:8233'];

const ALLOWED_HEADERS = 'Content-Type, Authorization, X-Namespace';
const MAX_PAYLOADS = 10_000;

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** The credential in `Authorization`: a bearer token, or the secret of HTTP Basic (with its user). */
function credentialOf(
  req: Request,
): { scheme: 'bearer' | 'basic'; secret: string; user?: string } | undefined {
  const match = /^\s*(Bearer|Basic)\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
  if (!match) return undefined;
  if (match[1]!.toLowerCase() === 'bearer') return { scheme: 'bearer', secret: match[2]! };
  const decoded = Buffer.from(match[2]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { scheme: 'basic', user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** True when the request presents a credential (so a failure is a guess worth counting). */
export const presentsCredential = (req: Request): boolean => credentialOf(req) !== undefined;

/**
 * Operators' own secrets (`TOKENPAY_CODEC_CREDENTIALS`): `Bearer <secret>` or Basic
 * `operator:<secret>`, compared in constant time against every configured secret.
 */
export function operatorKeyAuthorizer(operators: ReadonlyMap<string, string>): CodecAuthorizer {
  const expected = [...operators].map(([who, secret]) => ({ who, digest: digest(secret) }));
  return (req) => {
    const credential = credentialOf(req);
    if (!credential || expected.length === 0) return undefined;
    const given = digest(credential.secret);
    let found: string | undefined;
    for (const operator of expected) {
      // every entry is compared: the time taken says nothing about which one matched
      if (timingSafeEqual(given, operator.digest) && (credential.user ?? operator.who) === operator.who) {
        found ??= operator.who;
      }
    }
    return found ? { who: found, method: 'operator-key' } : undefined;
  };
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
 * Bearer tokens of an OIDC issuer: signature (the issuer's JWKS, found through its discovery
 * document), issuer, audience (when configured) and expiry are verified. The operator is the
 * token's `email`, `preferred_username` or `sub`.
 */
export function oidcAuthorizer(options: { issuer: string; audience?: string }): CodecAuthorizer {
  let keys: Promise<JWTVerifyGetKey> | undefined;
  const jwks = (): Promise<JWTVerifyGetKey> => {
    keys ??= (async () => {
      const discovery = `${options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const res = await fetch(discovery, { signal: AbortSignal.timeout(5_000) });
      if (!res.ok) throw new Error(`OIDC discovery ${discovery} answered ${res.status}`);
      const { jwks_uri: uri } = (await res.json()) as { jwks_uri?: string };
      if (!uri) throw new Error(`OIDC discovery ${discovery} has no jwks_uri`);
      return createRemoteJWKSet(new URL(uri));
    })().catch((error: unknown) => {
      keys = undefined; // try discovery again on the next request
      throw error;
    });
    return keys;
  };
  return async (req) => {
    const credential = credentialOf(req);
    if (credential?.scheme !== 'bearer' || !JWT_SHAPE.test(credential.secret)) return undefined;
    const { payload } = await jwtVerify(credential.secret, await jwks(), {
      issuer: options.issuer,
      ...(options.audience ? { audience: options.audience } : {}),
      algorithms: ASYMMETRIC,
    });
    const who = [payload.email, payload.preferred_username, payload.sub].find(
      (v): v is string => typeof v === 'string' && v.length > 0,
    );
    return who ? { who: who.slice(0, 200), method: 'oidc' } : undefined;
  };
}

/**
 * DEV-ONLY policy for the embedded Temporal UI: requests from its browser origin. Origin is
 * forgeable outside browsers; use only where the API listens on loopback (`npm start`).
 */
export function devUiOriginAuthorizer(uiOrigins: string[] = EMBEDDED_UI_ORIGINS): CodecAuthorizer {
  const origins = new Set(uiOrigins);
  return (req) => {
    const origin = req.get('origin') ?? '';
    return origins.has(origin) ? { who: `dev-ui ${origin}`, method: 'dev-ui-origin' } : undefined;
  };
}

/** The first policy that recognises the caller wins. */
export function anyOf(...policies: CodecAuthorizer[]): CodecAuthorizer {
  return async (req) => {
    for (const policy of policies) {
      const principal = await policy(req);
      if (principal) return principal;
    }
    return undefined;
  };
}

/** Workflow ids named by the caller's page: the UI's path `/namespaces/{ns}/workflows/{id}/…`. */
export function workflowIdsFromReferer(referer: string | undefined): string[] | undefined {
  if (!referer) return undefined;
  try {
    const match = /\/namespaces\/[^/]+\/workflows\/([^/?#]+)/.exec(new URL(referer).pathname);
    return match ? [decodeURIComponent(match[1]!).slice(0, 300)] : undefined;
  } catch {
    return undefined;
  }
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

/**
 * Bytes of a decoded payload as base64. A payload decoded from protobuf that encodes `null` or
 * nothing (`binary/null`, a void result) has no data: protobufjs then leaves the field's default,
 * which is not always a Uint8Array (an empty array, or absent).
 */
const toBase64 = (bytes: Uint8Array | ArrayLike<number> | string | null | undefined): string => {
  if (bytes == null) return '';
  if (typeof bytes === 'string') return bytes; // already base64 (protobufjs's JSON form)
  if (bytes instanceof Uint8Array)
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  return Buffer.from(Array.from(bytes)).toString('base64');
};

const toJson = ({ metadata, data }: Payload): { metadata: Record<string, string>; data: string } => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, toBase64(v)])),
  data: toBase64(data),
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

  const audit = options.audit ?? (() => undefined);
  const operationOf = (req: Request): 'decode' | 'encode' =>
    req.path.endsWith('/encode') ? 'encode' : 'decode';
  const context = (req: Request) => {
    const namespace = req.get('x-namespace');
    const workflowIds = workflowIdsFromReferer(req.get('referer'));
    return {
      ...(namespace ? { namespace: namespace.slice(0, 200) } : {}),
      ...(workflowIds ? { workflow_ids: workflowIds } : {}),
      ...(req.ip ? { client_ip: req.ip } : {}),
    };
  };

  const authenticate: RequestHandler = async (req, res, next) => {
    await options.guard?.check(req, res);
    let principal: CodecPrincipal | undefined;
    try {
      principal = await authorize(req);
    } catch {
      principal = undefined;
    }
    if (!principal) {
      audit({ operation: operationOf(req), outcome: 'refused', ...context(req) });
      const unauthorized = detail(
        401,
        'Authentication credentials for the codec endpoint were not provided or are invalid.',
      );
      // only a presented but wrong credential counts as a guess; a request without one does not
      throw options.guard && presentsCredential(req)
        ? await options.guard.fail(req, res, unauthorized)
        : unauthorized;
    }
    res.locals.codecPrincipal = principal;
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
      const principal = res.locals.codecPrincipal as CodecPrincipal;
      const entry = { operation, who: principal.who, method: principal.method, ...context(req) };
      const parsed = bodySchema.safeParse(req.body);
      if (!parsed.success) {
        audit({ ...entry, outcome: 'invalid' });
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
        audit({ ...entry, outcome: 'invalid', payloads: parsed.data.payloads.length });
        // CodecError messages say why (unknown key id, tampered) and never contain payload data.
        problem(
          res,
          400,
          error instanceof CodecError ? error.message : `The payloads could not be ${operation}d.`,
        );
        return;
      }
      audit({ ...entry, outcome: 'ok', payloads: result.length });
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
