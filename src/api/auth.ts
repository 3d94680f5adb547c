/** Merchant (`Api-Key`) and admin (`Admin-Key`) authentication. */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler, Request } from 'express';

import { findMerchantByApiKey } from '../store/merchants';
import type { Collections, MerchantDoc } from '../store/mongo';
import { detail } from './errors';

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

export function merchantAuth(c: Collections): RequestHandler {
  return async (req, _res, next) => {
    const apiKey = credential(req, 'Api-Key');
    if (!apiKey || apiKey.length > 256)
      throw detail(401, 'Authentication credentials were not provided or are invalid.');
    const merchant = await findMerchantByApiKey(c, apiKey);
    if (!merchant) throw detail(401, 'Invalid API key.');
    (req as AuthedRequest).merchant = merchant;
    next();
  };
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

export function adminAuth(adminKey: string): RequestHandler {
  const expected = digest(adminKey);
  return (req, _res, next) => {
    const given = credential(req, 'Admin-Key');
    if (!given || !timingSafeEqual(digest(given), expected)) throw detail(401, 'Invalid admin key.');
    next();
  };
}

export function merchantOf(req: Request): MerchantDoc {
  return (req as AuthedRequest).merchant;
}
