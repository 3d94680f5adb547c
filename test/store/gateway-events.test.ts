/** The gateway_events repository on the real Mongo-wire server: one document per event id. */
import { randomBytes } from 'node:crypto';

import { ensureIndexes, createStore, type Store } from '../../src/store';
import { connectMongo, type Mongo } from '../../src/store/mongo';
import { withDatabase } from '../support/harness';

let mongo: Mongo;
let store: Store;

beforeAll(async () => {
  mongo = await connectMongo(withDatabase(process.env.MONGODB_URI!, `ge_${randomBytes(4).toString('hex')}`));
  await ensureIndexes(mongo.db);
  store = createStore(mongo.db);
});

afterAll(async () => {
  await mongo.db.dropDatabase().catch(() => undefined);
  await mongo.close();
});

const doc = (id: string, receivedAt = new Date()) => ({
  _id: id,
  type: 'charge.succeeded',
  charge_id: 'ch_1',
  status: 'succeeded',
  session_id: 'ab'.repeat(32),
  received_at: receivedAt,
});

it('the first receipt of an event id wins; later ones see the stored document', async () => {
  const id = `evt_${randomBytes(8).toString('hex')}`;
  expect(await store.gatewayEvents.receive(doc(id))).toMatchObject({ first: true });
  const again = await store.gatewayEvents.receive({ ...doc(id), status: 'declined' });
  expect(again.first).toBe(false);
  expect(again.doc).toMatchObject({ _id: id, status: 'succeeded' });
  expect(again.doc.handled_at).toBeUndefined();

  await store.gatewayEvents.handled(id, 'forwarded', new Date());
  expect((await store.gatewayEvents.receive(doc(id))).doc).toMatchObject({
    outcome: 'forwarded',
    handled_at: expect.any(Date),
  });
});

it('concurrent receipts of one event: exactly one first', async () => {
  const id = `evt_${randomBytes(8).toString('hex')}`;
  const results = await Promise.all(Array.from({ length: 10 }, () => store.gatewayEvents.receive(doc(id))));
  expect(results.filter((r) => r.first)).toHaveLength(1);
  expect(await mongo.db.collection('gateway_events').countDocuments({ _id: id as never })).toBe(1);
});

it('retention: forgets what was received before a cutoff, nothing newer', async () => {
  const old = `evt_old${randomBytes(8).toString('hex')}`;
  const recent = `evt_new${randomBytes(8).toString('hex')}`;
  await store.gatewayEvents.receive(doc(old, new Date(Date.now() - 8 * 24 * 3600_000)));
  await store.gatewayEvents.receive(doc(recent));
  const deleted = await store.gatewayEvents.deleteReceivedBefore(new Date(Date.now() - 7 * 24 * 3600_000));
  expect(deleted).toBeGreaterThanOrEqual(1);
  expect(await store.gatewayEvents.find(old)).toBeNull();
  expect(await store.gatewayEvents.find(recent)).not.toBeNull();
});
