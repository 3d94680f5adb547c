import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';

import { createStore, ensureIndexes, type Store } from '../../src/store';
import { WEBHOOK_DELIVERIES_COLLECTION } from '../../src/store/webhook-deliveries';

let client: MongoClient;
let db: Db;
let store: Store;
const ensureWebhookIndexes = (database: Db): Promise<void> => ensureIndexes(database);

beforeAll(async () => {
  client = new MongoClient(process.env.MONGODB_URI!);
  await client.connect();
  db = client.db(`wh_${randomBytes(6).toString('hex')}`);
  await ensureWebhookIndexes(db);
  store = createStore(db);
});

afterAll(async () => {
  await db?.dropDatabase().catch(() => undefined);
  await client?.close();
});

const base = {
  event_id: 'evt_a',
  session_id: 'sess_1',
  merchant_id: 'm_1',
  url: 'https://merchant.example/hook',
};

describe('webhook delivery attempts', () => {
  it('records attempts and lists them back oldest first, for that merchant only', async () => {
    const t0 = Date.parse('2026-01-01T00:00:00.000Z');
    // recorded out of order on purpose
    await store.webhookDeliveries.record({
      ...base,
      attempt: 3,
      outcome: 'delivered',
      status: 200,
      at: new Date(t0 + 60_000),
    });
    await store.webhookDeliveries.record({
      ...base,
      attempt: 1,
      outcome: 'retryable',
      error: 'Timed out after 10000 ms',
      at: new Date(t0),
    });
    await store.webhookDeliveries.record({
      ...base,
      attempt: 2,
      outcome: 'retryable',
      status: 503,
      error: 'HTTP 503: busy',
      at: new Date(t0 + 10_000),
    });
    // same session id under another merchant must not leak
    await store.webhookDeliveries.record({
      ...base,
      merchant_id: 'm_other',
      event_id: 'evt_other',
      attempt: 1,
      outcome: 'delivered',
      status: 200,
      at: new Date(t0 + 5_000),
    });

    const list = await store.webhookDeliveries.list('m_1', 'sess_1');
    expect(list).toEqual([
      { ...base, attempt: 1, outcome: 'retryable', error: 'Timed out after 10000 ms', at: new Date(t0) },
      {
        ...base,
        attempt: 2,
        outcome: 'retryable',
        status: 503,
        error: 'HTTP 503: busy',
        at: new Date(t0 + 10_000),
      },
      { ...base, attempt: 3, outcome: 'delivered', status: 200, at: new Date(t0 + 60_000) },
    ]);

    expect(await store.webhookDeliveries.list('m_2', 'sess_1')).toEqual([]);
    expect(await store.webhookDeliveries.list('m_1', 'sess_unknown')).toEqual([]);
    expect((await store.webhookDeliveries.list('m_other', 'sess_1')).map((e) => e.event_id)).toEqual([
      'evt_other',
    ]);
  });

  it('recording the same attempt twice keeps one entry', async () => {
    const entry = {
      ...base,
      session_id: 'sess_dup',
      event_id: 'evt_dup',
      attempt: 1,
      outcome: 'rejected' as const,
      status: 400,
      at: new Date(),
    };
    await store.webhookDeliveries.record(entry);
    await store.webhookDeliveries.record({ ...entry, at: new Date(entry.at.getTime() + 1000) });
    expect(await store.webhookDeliveries.list('m_1', 'sess_dup')).toHaveLength(1);
  });

  it('has the merchant/session/time index', async () => {
    await ensureWebhookIndexes(db); // idempotent
    const indexes = await db.collection(WEBHOOK_DELIVERIES_COLLECTION).indexes();
    expect(indexes.map((i) => i.key)).toContainEqual({ merchant_id: 1, session_id: 1, at: 1 });
  });
});
