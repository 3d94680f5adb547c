/**
 * The store: one repository per collection. Nothing outside `store/` touches a collection; the
 * API, the activities and the tools get a `Store` and ask it.
 */
import type { Db } from 'mongodb';

import { AttachmentsRepository } from './attachments';
import { CardsRepository } from './cards';
import { GatewayEvents } from './gateway-events';
import { IdempotencyKeys } from './idempotency-keys';
import { MerchantsRepository } from './merchants';
import { collections } from './mongo';
import { PaymentsRepository } from './payments';
import { PublicKeysRepository } from './public-keys';
import { RateLimitTickets } from './rate-limits';
import { WebhookDeliveryLog } from './webhook-deliveries';

export interface Store {
  payments: PaymentsRepository;
  cards: CardsRepository;
  merchants: MerchantsRepository;
  idempotencyKeys: IdempotencyKeys;
  webhookDeliveries: WebhookDeliveryLog;
  /** the gateway's notifications received (deduplication by event id) */
  gatewayEvents: GatewayEvents;
  attachments: AttachmentsRepository;
  publicKeys: PublicKeysRepository;
  /** rate-limit counters shared by every API instance */
  rateLimits: RateLimitTickets;
  /** true when the database answers (readiness) */
  ping(): Promise<boolean>;
}

export function createStore(db: Db): Store {
  const c = collections(db);
  return {
    payments: new PaymentsRepository(c.payments),
    cards: new CardsRepository(c.cards, c.wallets),
    merchants: new MerchantsRepository(c.merchants, c.gatewayConfigs),
    idempotencyKeys: new IdempotencyKeys(c.idempotency),
    webhookDeliveries: new WebhookDeliveryLog(c.webhookDeliveries),
    gatewayEvents: new GatewayEvents(c.gatewayEvents),
    attachments: new AttachmentsRepository(c.attachments),
    publicKeys: new PublicKeysRepository(c.publicKeys),
    rateLimits: new RateLimitTickets(c.rateLimits),
    ping: async () => (await db.command({ ping: 1 })).ok === 1,
  };
}

export { connectMongo, ensureIndexes, type Mongo } from './mongo';
