/** Admin API (CONTRACT §5, §9): merchants, their gateway configs and their public keys. */
import { Router } from 'express';

import { createMerchantSchema, gatewayConfigSchema } from '../domain/schemas';
import type { CurrencyCode } from '../domain/money';
import type { Store } from '../store';
import { toGatewayConfig } from '../store/merchants';
import { adminAuth, type AuthFailureGuard } from './auth';
import { notFound } from './errors';
import { publicKeyRoutes } from './public-key-routes';

export function adminRoutes(store: Store, adminKey: string, guard: AuthFailureGuard): Router {
  const router = Router();
  router.use('/admin', adminAuth(adminKey, guard));

  router.post('/admin/v1/merchants', async (req, res) => {
    const { name } = createMerchantSchema.parse(req.body);
    res.status(201).json(await store.merchants.create(name));
  });

  router.put('/admin/v1/merchants/:merchantId/gateways/:pgCode', async (req, res) => {
    const body = gatewayConfigSchema.parse(req.body);
    const merchantId = String(req.params.merchantId);
    const pgCode = String(req.params.pgCode);
    if (!/^[\w.-]{1,64}$/.test(pgCode)) throw notFound('Invalid pg_code.');
    if (!(await store.merchants.find(merchantId))) throw notFound('No such merchant.');
    const doc = await store.merchants.putGatewayConfig(merchantId, {
      ...body,
      pg_code: pgCode,
      name: body.name ?? pgCode,
      currencies: body.currencies as CurrencyCode[],
    });
    res.json({ merchant_id: merchantId, ...toGatewayConfig(doc) });
  });

  router.use(publicKeyRoutes(store));

  return router;
}
