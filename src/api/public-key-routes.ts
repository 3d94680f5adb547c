/**
 * Admin API for merchants' public keys (CONTRACT §9): the keys that initialise the Web Checkout
 * SDK for a merchant's sessions, and the web origins each lets embed the checkout frame. Mounted
 * behind the admin key by `adminRoutes`.
 */
import { Router } from 'express';

import { createPublicKeySchema } from '../domain/schemas';
import { KEY_PREFIX_FORMAT } from '../domain/web-origin';
import type { Store } from '../store';
import { toPublicKeyView } from '../store/public-keys';
import { notFound } from './errors';

export function publicKeyRoutes(store: Store): Router {
  const router = Router();

  async function merchantIdOf(param: unknown): Promise<string> {
    const merchantId = String(param);
    if (!(await store.merchants.find(merchantId))) throw notFound('No such merchant.');
    return merchantId;
  }

  router.post('/admin/v1/merchants/:merchantId/public-keys', async (req, res) => {
    const body = createPublicKeySchema.parse(req.body);
    const merchantId = await merchantIdOf(req.params.merchantId);
    const { publicKey, doc } = await store.publicKeys.create(merchantId, body.allowed_origins, new Date());
    res.status(201).json({ public_key: publicKey, ...toPublicKeyView(doc) });
  });

  router.get('/admin/v1/merchants/:merchantId/public-keys', async (req, res) => {
    const merchantId = await merchantIdOf(req.params.merchantId);
    res.json((await store.publicKeys.list(merchantId)).map(toPublicKeyView));
  });

  router.delete('/admin/v1/merchants/:merchantId/public-keys/:keyPrefix', async (req, res) => {
    const merchantId = await merchantIdOf(req.params.merchantId);
    const prefix = String(req.params.keyPrefix);
    const revoked =
      KEY_PREFIX_FORMAT.test(prefix) && (await store.publicKeys.revoke(merchantId, prefix, new Date()));
    if (!revoked) throw notFound('This merchant has no public key with this prefix.');
    res.status(204).end();
  });

  return router;
}
