/**
 * Hostile input against the admin API (CONTRACT §5, §9): `POST /admin/v1/merchants`,
 * `PUT /admin/v1/merchants/{merchant_id}/gateways/{pg_code}` and
 * `POST /admin/v1/merchants/{merchant_id}/public-keys`, bodies and path parameters.
 */
import { ADMIN_KEY, startHarness, type Harness } from '../support/harness';
import {
  expectAlive,
  expectNoFailures,
  newStats,
  runCase,
  summary,
  type BodyEndpoint,
  type Outcome,
  type Stats,
  standardHostileCases,
} from '../support/hostile';

jest.setTimeout(600_000);

let h: Harness;
const stats: Stats = newStats();
let merchantId: string;

beforeAll(async () => {
  h = await startHarness();
  const created = await h.request('POST', '/admin/v1/merchants', {
    body: { name: 'Hostile target' },
    headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
  });
  merchantId = created.body.merchant_id;
});
afterAll(async () => {
  console.log(summary('hostile/admin', stats, h));
  await h?.close();
});

const auth = () => ({ authorization: `Admin-Key ${ADMIN_KEY}` });

async function dropMerchant(o: Outcome): Promise<void> {
  const id = (o.body as { merchant_id?: unknown })?.merchant_id;
  if (typeof id === 'string' && id !== merchantId) await h.collections.merchants.deleteOne({ _id: id });
}

const createMerchant: BodyEndpoint = {
  name: 'POST merchants',
  method: 'POST',
  path: () => '/admin/v1/merchants',
  headers: auth,
  base: () => ({ name: 'Shop' }),
  cleanup: dropMerchant,
};

const gatewayConfig = () => ({
  name: 'Card',
  currencies: ['KWD', 'USD'],
  operation: 'purchase',
  tokenization_enabled: true,
  cvv_required: true,
  auto_debit_enabled: false,
  three_ds: 'challenge_if_required',
  max_attempts: 3,
});

const putGateway: BodyEndpoint = {
  name: 'PUT gateway',
  method: 'PUT',
  path: () => `/admin/v1/merchants/${merchantId}/gateways/pg-hostile`,
  headers: auth,
  base: gatewayConfig,
  watch: async () => {
    const doc = await h.collections.gatewayConfigs.findOne({ _id: `${merchantId}/pg-hostile` });
    if (!doc) return null;
    const { updated_at: _u, ...rest } = doc;
    return rest;
  },
};

const createPublicKey: BodyEndpoint = {
  name: 'POST public-keys',
  method: 'POST',
  path: () => `/admin/v1/merchants/${merchantId}/public-keys`,
  headers: auth,
  base: () => ({ allowed_origins: ['https://shop.example'] }),
  watch: () => h.collections.publicKeys.countDocuments({ merchant_id: merchantId }),
  cleanup: async (o) => {
    const prefix = (o.body as { key_prefix?: unknown })?.key_prefix;
    if (typeof prefix === 'string') await h.collections.publicKeys.deleteOne({ _id: prefix });
  },
};

describe('hostile input: admin API', () => {
  it('the bases are valid', async () => {
    const res = await h.request('PUT', putGateway.path(), { body: gatewayConfig(), headers: auth() });
    expect(res.status).toBe(200);
  });

  standardHostileCases(() => h, stats, [createMerchant, putGateway, createPublicKey]);

  it('PUT gateway: non-string values where booleans and numbers go', async () => {
    await expectNoFailures(stats, async () => {
      for (const field of ['tokenization_enabled', 'cvv_required', 'auto_debit_enabled', 'max_attempts']) {
        for (const value of ['true', '1', 'yes', 0, 1.5, -1, 11, 1e308, null, [], {}, { $gt: 0 }]) {
          await runCase(
            h,
            stats,
            `PUT gateway: ${JSON.stringify(value)} in ${field}`,
            {
              method: 'PUT',
              path: putGateway.path(),
              headers: { ...auth(), 'content-type': 'application/json' },
              body: JSON.stringify({ ...gatewayConfig(), [field]: value }),
            },
            { mustReject: true, errorAt: [field], watch: putGateway.watch! },
          );
        }
      }
    });
  });

  it('PUT gateway: hostile merchant ids and pg_codes in the path', async () => {
    const segments = [
      '%00',
      '%ff',
      '%E0%A4%A',
      encodeURIComponent('{"$ne":null}'),
      '%24where',
      'a'.repeat(4000),
      '..%2F..',
      '%2F',
      '%E2%80%AE' + 'x',
      '__proto__',
      'constructor',
    ];
    await expectNoFailures(stats, async () => {
      for (const s of segments) {
        for (const [path, valid] of [
          [`/admin/v1/merchants/${s}/gateways/pg-x`, false],
          // "__proto__" and "constructor" match the pg_code rule ([\w.-]{1,64}) and are stored as
          // plain strings; what matters is that they pollute nothing
          [`/admin/v1/merchants/${merchantId}/gateways/${s}`, /^[\w.-]{1,64}$/.test(s)],
        ] as const) {
          await runCase(
            h,
            stats,
            `PUT ${path.slice(0, 80)}`,
            {
              method: 'PUT',
              path,
              headers: { ...auth(), 'content-type': 'application/json' },
              body: JSON.stringify(gatewayConfig()),
            },
            valid ? {} : { mustReject: true },
          );
        }
      }
      await expectAlive(h, stats, 'PUT gateway path');
    });
  });
});
