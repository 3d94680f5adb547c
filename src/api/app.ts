/** The HTTP API: merchant, customer (checkout pages), admin and health routes. */
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';

import type { AppConfig } from '../config';
import type { PaymentGateway } from '../gateway/port';
import type { Logger } from '../logger';
import type { Collections } from '../store/mongo';
import { staticDir } from '../web/static';
import { EncryptionCodec } from '../codec/encryption-codec';
import { loadCodecKeys } from '../codec/keys';
import { adminRoutes } from './admin-routes';
import { checkoutRoutes } from './checkout-routes';
import { adminKeyAuthorizer, codecRoutes, devCodecAuthorizer } from './codec-routes';
import { detail, errorHandler } from './errors';
import { healthRoutes } from './health-routes';
import { merchantRoutes } from './merchant-routes';

export interface AppDeps {
  config: AppConfig;
  db: Db;
  collections: Collections;
  temporal: Client;
  gateway: PaymentGateway;
  logger: Logger;
}

/** Bodies are JSON only: anything else is 415, which also stops cross-site form posts. */
const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = req.get('content-length') !== undefined || req.get('transfer-encoding') !== undefined;
  if (
    ['POST', 'PUT', 'PATCH'].includes(req.method) &&
    hasBody &&
    Number(req.get('content-length') ?? 1) > 0
  ) {
    if (!req.is('application/json')) throw detail(415, 'Content-Type must be application/json.');
  }
  next();
};

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
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
  app.use(
    healthRoutes({
      ...deps,
      namespace: deps.config.temporal.namespace,
      taskQueue: deps.config.temporal.taskQueue,
    }),
  );
  // Before the JSON limits below: the Temporal UI posts whole histories to be decoded.
  app.use(
    codecRoutes({
      codec: new EncryptionCodec(loadCodecKeys()),
      authorize: deps.config.codec.trustUiOrigin
        ? devCodecAuthorizer({ adminKey: deps.config.adminKey, uiOrigins: deps.config.codec.uiOrigins })
        : adminKeyAuthorizer(deps.config.adminKey),
      allowedOrigins: deps.config.codec.uiOrigins,
    }),
  );
  app.use(requireJson);
  app.use(express.json({ limit: '64kb', strict: true }));
  app.use(adminRoutes(deps.collections, deps.config.adminKey));
  app.use(checkoutRoutes(deps));
  app.use('/b', merchantRoutes(deps));
  app.use((_req, res) => {
    res.status(404).json({ detail: 'Not found.' });
  });
  app.use(errorHandler(deps.logger));
  return app;
}
