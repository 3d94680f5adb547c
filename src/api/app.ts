/** The HTTP API: merchant, customer (checkout pages), admin, health, metrics and API docs. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Client } from '@temporalio/client';

import type { AppConfig } from '../config';
import type { PaymentGateway } from '../gateway/port';
import { sessionIdIn, type Logger } from '../logger';
import { answeredJson, httpMetrics, routeLabel } from '../metrics/http';
import { bearerAllowed, exposition, METRICS_CONTENT_TYPE } from '../metrics/registry';
import type { Store } from '../store';
import { staticDir } from '../web/static';
import { EncryptionCodec } from '../codec/encryption-codec';
import { adminRoutes } from './admin-routes';
import { createAuthFailureGuard } from './auth';
import { checkoutRoutes } from './checkout-routes';
import {
  anyOf,
  codecRoutes,
  devUiOriginAuthorizer,
  oidcAuthorizer,
  operatorKeyAuthorizer,
  type CodecAuthorizer,
} from './codec-routes';
import { errorHandler } from './errors';
import { gatewayNotificationRoutes } from './gateway-notification-routes';
import { limitJsonDepth, MAX_JSON_DEPTH, requireJson } from './body-parsers';
import { healthRoutes } from './health-routes';
import { merchantRoutes } from './merchant-routes';
import { openApiRoutes } from './openapi/docs';
import { limiterStore } from './rate-limit-store';
import { sdkRoutes } from './sdk-routes';
import { buildOpenApiDocument, routeMatcher } from './openapi/document';

export interface AppDeps {
  config: AppConfig;
  store: Store;
  temporal: Client;
  gateway: PaymentGateway;
  logger: Logger;
}

/** An incoming X-Request-Id is kept when it is this safe; otherwise one is generated. */
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const PROPS_GIVEN = Symbol('tokenpay.logPropsGiven');
const QUIET_PATHS = /^\/(?:healthz|readyz|metrics)$|^\/(?:static|docs)\//;

const pathOf = (req: IncomingMessage): string =>
  ((req as { originalUrl?: string }).originalUrl ?? req.url ?? '').split('?')[0] ?? '';

/** The payment a request is about: in its path, or in the JSON it was answered with. */
function sessionIdOf(req: IncomingMessage, res: ServerResponse): string | undefined {
  return sessionIdIn(pathOf(req)) ?? sessionIdIn(answeredJson(res as express.Response)?.session_id);
}

/**
 * One JSON line per request (pino-http) with `request_id`, the route pattern, status and
 * duration, and `session_id` when the request is about a payment. Headers, bodies and query
 * values that could carry card data or credentials are not serialized (and redacted by the
 * logger if they were).
 */
function requestLogging(logger: Logger, match: (path: string) => string | undefined): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // request_id on every line of the request: the completion line and handlers' `req.log` lines
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'request_id', responseTime: 'duration_ms' },
    // Called when the request starts and again when it ends: the second call adds only what the
    // first could not know (a session id from the answer), so no key appears twice in a line.
    customProps: (req, res) => {
      const pathSession = sessionIdIn(pathOf(req));
      const marked = req as { [PROPS_GIVEN]?: boolean };
      if (!marked[PROPS_GIVEN]) {
        marked[PROPS_GIVEN] = true;
        return { route: routeLabel(pathOf(req), match), ...(pathSession ? { session_id: pathSession } : {}) };
      }
      const answered = sessionIdOf(req, res);
      return !pathSession && answered ? { session_id: answered } : {};
    },
    serializers: {
      req: (req: {
        method: string;
        url: string;
        remoteAddress?: string;
        headers: Record<string, unknown>;
      }) => ({
        method: req.method,
        // a card number put in a URL by a misbehaving client is not logged either
        url: String(req.url).replace(/(?<![0-9a-f])\d{12,19}(?![0-9a-f])/gi, '[redacted]'),
        remote_address: req.remoteAddress,
        user_agent: req.headers['user-agent'],
      }),
      res: (res: { statusCode: number }) => ({ status_code: res.statusCode }),
    },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    autoLogging: { ignore: (req) => QUIET_PATHS.test(pathOf(req)) },
  });
}

/** Who may decode through /codec: operators' keys, the OIDC issuer's tokens, (dev) the embedded UI. */
function codecAuthorizer(config: AppConfig): CodecAuthorizer {
  const policies: CodecAuthorizer[] = [operatorKeyAuthorizer(config.codec.operators)];
  if (config.codec.oidc) policies.push(oidcAuthorizer(config.codec.oidc));
  if (config.codec.trustUiOrigin) policies.push(devUiOriginAuthorizer(config.codec.uiOrigins));
  return anyOf(...policies);
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Behind a load balancer `req.ip` (logs, rate limits) is the client only when the proxies are
  // described here: a hop count or their addresses (TOKENPAY_TRUST_PROXY).
  app.set('trust proxy', deps.config.trustProxy);
  const document = buildOpenApiDocument({ publicBaseUrl: deps.config.publicBaseUrl });
  const metrics = deps.config.metrics;
  const matchRoute = routeMatcher(Object.keys(document.paths));
  app.use(requestLogging(deps.logger, matchRoute));
  app.use(httpMetrics(matchRoute));
  const gatewayOrigin = new URL(deps.config.gateway.url).origin;
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          formAction: ["'self'", gatewayOrigin],
          frameAncestors: ["'none'"],
          upgradeInsecureRequests: null,
        },
      },
      strictTransportSecurity: false, // set by the TLS-terminating proxy in production
    }),
  );
  app.use('/static', express.static(staticDir, { maxAge: '1h', index: false }));
  app.use(openApiRoutes(document));
  app.get('/metrics', async (req, res) => {
    if (!bearerAllowed(metrics.token, req.get('authorization'))) {
      res.status(401).json({ detail: 'A valid bearer token is required for /metrics.' });
      return;
    }
    const sources = metrics.workerUrl
      ? [{ name: 'worker', url: metrics.workerUrl, token: metrics.token }]
      : [];
    res
      .set('Cache-Control', 'no-store')
      .type(METRICS_CONTENT_TYPE)
      .send(await exposition(sources));
  });
  app.use(
    healthRoutes({
      ...deps,
      namespace: deps.config.temporal.namespace,
      taskQueue: deps.config.temporal.taskQueue,
    }),
  );
  // One budget of failed key attempts per IP across the merchant, admin and codec endpoints.
  const authGuard = createAuthFailureGuard({
    failuresPerMinute: deps.config.rateLimits.authFailuresPerMinute,
    ...limiterStore(deps.config.rateLimitStore, deps.store.rateLimits, {
      prefix: 'auth-failures',
      limit: deps.config.rateLimits.authFailuresPerMinute,
      windowMs: 60_000,
    }),
  });
  // Before the JSON limits below: the Temporal UI posts whole histories to be decoded.
  app.use(
    codecRoutes({
      guard: authGuard,
      codec: new EncryptionCodec(deps.config.codec.keys),
      authorize: codecAuthorizer(deps.config),
      audit: (entry) =>
        deps.logger[entry.outcome === 'refused' ? 'warn' : 'info'](
          { audit: 'codec', ...entry },
          `codec ${entry.operation} ${entry.outcome}`,
        ),
      allowedOrigins: deps.config.codec.uiOrigins,
    }),
  );
  // Before the JSON parser too: the gateway signs the raw body, so this route reads it as bytes.
  app.use(
    gatewayNotificationRoutes({
      store: deps.store,
      temporal: deps.temporal,
      secret: deps.config.gateway.notifySecret,
      logger: deps.logger,
    }),
  );
  // Ottu's merchant API parses its own bodies (JSON, forms, multipart) once the key is checked;
  // everything after it is JSON-only (body-parsers.ts says why).
  app.use('/b', merchantRoutes({ ...deps, authGuard }));
  app.use(requireJson);
  app.use(express.json({ limit: '64kb', strict: true }));
  app.use(limitJsonDepth(MAX_JSON_DEPTH));
  app.use(adminRoutes(deps.store, deps.config.adminKey, authGuard));
  app.use(sdkRoutes(deps));
  app.use(checkoutRoutes(deps));
  app.use((_req, res) => {
    res.status(404).json({ detail: 'Not found.' });
  });
  // Unhandled errors are logged with the request's logger: request_id and session_id included.
  const logErrors: ErrorRequestHandler = (error, req, res, next) => {
    const logger = (req as { log?: Logger }).log ?? deps.logger;
    const sessionId = sessionIdOf(req, res);
    errorHandler(sessionId ? logger.child({ session_id: sessionId }) : logger)(error, req, res, next);
  };
  app.use(logErrors);
  return app;
}
