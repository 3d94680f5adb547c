import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpGateway } from '../../../src/gateway/http-gateway';
import { startSimulator } from '../../../src/dev/gateway-simulator';
import { CARDS, newKey } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'tokenpay-sim-'));
const dataFile = join(dir, 'nested', 'state.json');

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const card = {
  number: CARDS.visa,
  exp_month: '12',
  exp_year: '2039',
  cvc: '739',
  name: 'Persisted Customer',
};

describe('persistence with dataFile', () => {
  it('keeps cards on file, charges, idempotency records and the ledger across a restart', async () => {
    const first = await startSimulator({ port: 0, faults: true, dataFile });
    const key = newKey();
    let sourceToken: string;
    let chargeId: string;
    const tokenId = await (async () => {
      const gateway = new HttpGateway({ baseUrl: first.url });
      const token = await gateway.createCardToken(card);
      const charge = await gateway.charge(
        { amount: 1500, currency: 'KWD', capture: true, token: token.id, store_card: true },
        key,
      );
      expect(charge.status).toBe('succeeded');
      sourceToken = charge.source_token!;
      chargeId = charge.id;
      return token.id;
    })();
    await first.close();

    const stored = readFileSync(dataFile, 'utf8');
    expect(stored).not.toContain(CARDS.visa);
    expect(stored).not.toContain('"cvc"');
    expect(stored).not.toContain('"number"');
    expect(stored).not.toContain(tokenId); // single-use tokens (with their CVC) are never written

    const second = await startSimulator({ port: 0, faults: true, dataFile });
    try {
      const gateway = new HttpGateway({ baseUrl: second.url });
      const mit = await gateway.charge(
        { amount: 900, currency: 'KWD', capture: true, source_token: sourceToken!, merchant_initiated: true },
        newKey(),
      );
      expect(mit).toMatchObject({ status: 'succeeded', source_token: sourceToken!, card: { last4: '4242' } });

      const good = await gateway.createCvcToken(sourceToken!, '739');
      const withCvc = await gateway.charge(
        { amount: 100, currency: 'KWD', capture: true, source_token: sourceToken!, cvc_token: good.id },
        newKey(),
      );
      expect(withCvc.status).toBe('succeeded');
      const bad = await gateway.createCvcToken(sourceToken!, '740');
      const wrongCvc = await gateway.charge(
        { amount: 100, currency: 'KWD', capture: true, source_token: sourceToken!, cvc_token: bad.id },
        newKey(),
      );
      expect(wrongCvc.decline_code).toBe('incorrect_cvc');

      expect((await gateway.findChargeByIdempotencyKey(key))?.id).toBe(chargeId!);
      const replay = await gateway.charge(
        { amount: 1500, currency: 'KWD', capture: true, token: tokenId, store_card: true },
        key,
      );
      expect(replay.id).toBe(chargeId!);
      const ledger = (await (await fetch(`${second.url}/v1/ledger`)).json()) as {
        entries: { idempotency_key: string }[];
      };
      expect(ledger.entries.filter((e) => e.idempotency_key === key)).toHaveLength(1);
      expect(ledger.entries).toHaveLength(4);
    } finally {
      await second.close();
    }
  });

  it('without dataFile, state is memory only', async () => {
    const first = await startSimulator({ port: 0, faults: true });
    const gateway = new HttpGateway({ baseUrl: first.url });
    const token = await gateway.createCardToken(card);
    const charge = await gateway.charge(
      { amount: 100, currency: 'KWD', capture: true, token: token.id, store_card: true },
      newKey(),
    );
    await first.close();
    const second = await startSimulator({ port: 0, faults: true });
    try {
      expect(await new HttpGateway({ baseUrl: second.url }).getCharge(charge.id)).toBeUndefined();
    } finally {
      await second.close();
    }
  });
});
