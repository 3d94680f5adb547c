/** Admin API (CONTRACT §5): merchants and their gateway configs. */
import { Router } from 'express';

import { createMerchantSchema, gatewayConfigSchema } from '../domain/schemas';
import type { CurrencyCode } from '../domain/money';
import { createMerchant, putGatewayConfig, toGatewayConfig } from '../store/merchants';
import type { Collections } from '../store/mongo';
import { adminAuth, type AuthFailureGuard } from './auth';
import { notFound } from './errors';

export function adminRoutes(c: Collections, adminKey: string, guard?: AuthFailureGuard): Router {
  const router = Router();
  router.use('/admin', adminAuth(adminKey, guard));

  router.post('/admin/v1/merchants', async (req, res) => {
    const { name } = createMerchantSchema.parse(req.body);
    res.status(201).json(await createMerchant(c, name));
  });

  router.put('/admin/v1/merchants/:merchantId/gateways/:pgCode', async (req, res) => {
    const body = gatewayConfigSchema.parse(req.body);
    const merchantId = String(req.params.merchantId);
    const pgCode = String(req.params.pgCode);
    if (!/^[\w.-]{1,64}$/.test(pgCode)) throw notFound('Invalid pg_code.');
    if (!(await c.merchants.findOne({ _id: merchantId }))) throw notFound('No such merchant.');
    const doc = await putGatewayConfig(c, merchantId, {
      ...body,
      pg_code: pgCode,
      name: body.name ?? pgCode,
      currencies: body.currencies as CurrencyCode[],
    });
    res.json({ merchant_id: merchantId, ...toGatewayConfig(doc) });
  });

  return router;
}
