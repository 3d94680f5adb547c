import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { MongoClient, MongoServerError } from 'mongodb';
import { cacheDir, ensureFerretDbBinary, ensureTemporalBinary } from '../../src/dev/binaries';
import { freePort, isPortFree } from '../../src/dev/process';
import { startFerretDb, startTemporalDevServer } from '../../src/dev/services';

/** CONTRACT §8 and the runbook's attributes, written out: not read from the code under test. */
const PAYMENT_SEARCH_ATTRIBUTES = [
  'MerchantId',
  'CustomerId',
  'OrderNo',
  'PaymentState',
  'SessionId',
  'NeedsAttention',
];

jest.setTimeout(120_000);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('embedded dev services', () => {
  let dir: string;
  let temporalBin: string;
  let ferretBin: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenpay-services-'));
    // Normally a no-op (CI runs `install` first); installs into the cache otherwise.
    temporalBin = await ensureTemporalBinary();
    ferretBin = await ensureFerretDbBinary();
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('FerretDB: CRUD, unique index violation 11000, clean stop', async () => {
    const port = await freePort();
    const dataDir = path.join(dir, 'ferret-data');
    const logFile = path.join(dir, 'ferretdb.log');
    const server = await startFerretDb({ port, dataDir, logFile, binary: ferretBin });
    const pid = server.process.pid!;
    let client: MongoClient | undefined;
    try {
      console.log(`FerretDB ready in ${server.startupMs} ms at ${server.uri}`);
      expect(server.uri).toBe(`mongodb://127.0.0.1:${port}/?directConnection=true`);
      client = await new MongoClient(server.uri).connect();
      const coll = client.db('tokenpay_test').collection<{ _id?: unknown; k: string; n: number }>('things');
      await coll.insertOne({ k: 'a', n: 1 });
      expect(await coll.findOne({ k: 'a' }, { projection: { _id: 0 } })).toEqual({ k: 'a', n: 1 });

      await coll.createIndex({ k: 1 }, { unique: true, name: 'k_unique' });
      let dupErr: unknown;
      try {
        await coll.insertOne({ k: 'a', n: 2 });
      } catch (err) {
        dupErr = err;
      }
      expect(dupErr).toBeInstanceOf(MongoServerError);
      expect((dupErr as MongoServerError).code).toBe(11000);
      expect(await coll.countDocuments({})).toBe(1);
      expect(fs.readdirSync(dataDir).some((f) => f.endsWith('.sqlite'))).toBe(true);

      // The build's patch (FERRETDB_PATCHES): lookups by _id search the _id index, never scan.
      if (ferretBin.startsWith(cacheDir())) {
        const byId = client.db('tokenpay_test').collection<{ _id: string }>('things');
        const plan = (await byId.find({ _id: 'some-id' }).explain()) as {
          queryPlanner?: { Plan?: string[] };
        };
        expect(plan.queryPlanner?.Plan?.join(' ')).toMatch(/SEARCH \S+ USING INDEX \S+__id_/);
      }
    } finally {
      await client?.close();
      await server.stop();
    }
    expect(alive(pid)).toBe(false);
    expect(await isPortFree(port)).toBe(true);
  });

  it('Temporal dev server: search attributes registered, UI served, clean stop', async () => {
    const port = await freePort();
    const uiPort = await freePort();
    const logFile = path.join(dir, 'temporal.log');
    const server = await startTemporalDevServer({
      port,
      uiPort,
      logFile,
      binary: temporalBin,
      codecEndpoint: 'http://127.0.0.1:3000/codec',
    });
    const pid = server.process.pid!;
    try {
      console.log(`Temporal dev server ready in ${server.startupMs} ms at ${server.address}`);
      expect(server.address).toBe(`127.0.0.1:${port}`);
      expect(server.uiUrl).toBe(`http://127.0.0.1:${uiPort}`);

      const connection = await Connection.connect({ address: server.address });
      try {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({
          namespace: 'default',
        });
        for (const name of PAYMENT_SEARCH_ATTRIBUTES) {
          // INDEXED_VALUE_TYPE_KEYWORD (2), NeedsAttention INDEXED_VALUE_TYPE_BOOL (5)
          expect(Number(customAttributes?.[name])).toBe(name === 'NeedsAttention' ? 5 : 2);
        }
      } finally {
        await connection.close();
      }

      const settings = await fetch(`${server.uiUrl}/api/v1/settings`);
      expect(settings.status).toBe(200);
      const body = (await settings.json()) as { Codec?: { Endpoint?: string } };
      expect(body.Codec?.Endpoint).toBe('http://127.0.0.1:3000/codec');
    } finally {
      await server.stop();
    }
    expect(alive(pid)).toBe(false);
    expect(await isPortFree(port)).toBe(true);
    expect(await isPortFree(uiPort)).toBe(true);
  });

  it('Temporal dev server: headless with a persistent db file', async () => {
    const port = await freePort();
    const dbFile = path.join(dir, 'temporal', 'dev.sqlite');
    const logFile = path.join(dir, 'temporal-headless.log');
    for (let round = 0; round < 2; round++) {
      // The second start re-registers the search attributes on an existing database.
      const server = await startTemporalDevServer({
        port,
        uiPort: null,
        dbFile,
        logFile,
        binary: temporalBin,
      });
      console.log(`Temporal (headless, db file, start #${round + 1}) ready in ${server.startupMs} ms`);
      expect(server.uiUrl).toBeUndefined();
      await server.stop();
      expect(await isPortFree(port)).toBe(true);
    }
    expect(fs.existsSync(dbFile)).toBe(true);
  });

  it('fails fast with the log tail when the port is taken', async () => {
    const blocker = net.createServer((sock) => sock.destroy());
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const t0 = Date.now();
      await expect(
        startFerretDb({
          port,
          dataDir: path.join(dir, 'ferret-busy'),
          logFile: path.join(dir, 'busy.log'),
          binary: ferretBin,
        }),
      ).rejects.toThrow(/ferretdb exited during start-up[\s\S]*last lines of/);
      await expect(
        startTemporalDevServer({
          port,
          uiPort: null,
          logFile: path.join(dir, 'busy-t.log'),
          binary: temporalBin,
        }),
      ).rejects.toThrow(/temporal exited during start-up[\s\S]*last lines of/);
      expect(Date.now() - t0).toBeLessThan(30_000);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
