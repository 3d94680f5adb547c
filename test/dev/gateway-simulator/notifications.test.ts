/**
 * The simulator's server-to-server notifications (CONTRACT §9): one signed POST per decided
 * charge outcome, completed or canceled challenge; at least once, from an outbox, with
 * exponential backoff, bounded; kept in the data file across a restart; off without a URL or
 * with GATEWAY_SIM_NOTIFICATIONS=0; droppable and delayable by fault injection. Against a real
 * HTTP receiver (and, for the settings, the simulator's own process).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { DEV_DEFAULTS } from '../../../src/config';
import { startSimulator } from '../../../src/dev/gateway-simulator';
import { SIGNATURE_HEADER as SIM_HEADER } from '../../../src/dev/gateway-simulator/notifications';
import { freePort, waitForPort } from '../../../src/dev/process';
import { HttpGateway } from '../../../src/gateway/http-gateway';
import { SIGNATURE_HEADER, verifyNotificationSignature } from '../../../src/gateway/notifications';
import { CARDS, newKey, startHarness, type Harness } from './helpers';
import {
  quietFor,
  startNotificationReceiver,
  type Delivery,
  type NotificationReceiver,
} from './notification-receiver';

const SECRET = 'test-notify-secret-0123456789';
const ROOT = path.resolve(__dirname, '../../..');
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A simulator notifying a fresh receiver; `retry` in ms, small so the tests run in seconds. */
async function withReceiver(
  retry: { initialMs?: number; maxMs?: number; giveUpAfterMs?: number } = { initialMs: 200 },
  timeoutMs = 2_000,
): Promise<{ h: Harness; receiver: NotificationReceiver; close(): Promise<void> }> {
  const receiver = await startNotificationReceiver();
  const h = await startHarness({ notifications: { url: receiver.url, secret: SECRET, retry, timeoutMs } });
  return {
    h,
    receiver,
    close: async () => {
      await h.close();
      await receiver.close();
    },
  };
}

async function simStats(h: Harness): Promise<Record<string, any>> {
  return (await fetch(`${h.sim.url}/_sim/notifications`)).json() as Promise<Record<string, any>>;
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function complete(url: string, outcome: 'approve' | 'reject'): Promise<Response> {
  return fetch(url, { method: 'POST', body: new URLSearchParams({ outcome }), redirect: 'manual' });
}

describe('what a notification says and how it is signed', () => {
  let s: Awaited<ReturnType<typeof withReceiver>>;
  beforeAll(async () => {
    s = await withReceiver();
  });
  afterAll(() => s.close());
  beforeEach(() => {
    s.receiver.deliveries.length = 0;
  });

  it('signs the raw body with HMAC-SHA256 over "<t>.<body>" (Stripe\'s scheme), t = now', async () => {
    const charge = await s.h.chargeCard(CARDS.visa);
    const [delivery] = await s.receiver.waitFor(1);
    const header = delivery!.headers[SIGNATURE_HEADER.toLowerCase()] as string;
    expect(SIM_HEADER).toBe(SIGNATURE_HEADER);
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
    expect(match).not.toBeNull();
    const t = Number(match![1]);
    expect(Math.abs(t - Date.now() / 1000)).toBeLessThan(5);
    const expected = createHmac('sha256', SECRET).update(`${t}.${delivery!.raw}`).digest('hex');
    expect(match![2]).toBe(expected);
    expect(delivery!.headers['content-type']).toBe('application/json');
    // the engine's verifier agrees with the simulator's signer, and refuses another secret
    const verify = (secret: string) =>
      verifyNotificationSignature({ header, body: Buffer.from(delivery!.raw), secret, nowS: t });
    expect(verify(SECRET)).toEqual({ ok: true, timestamp: t });
    expect(verify(`${SECRET}x`)).toEqual({ ok: false, reason: 'mismatch' });
    expect(delivery!.event.charge.id).toBe(charge.id);
  });

  it('one event per decided charge: succeeded, authorized, declined — with exactly these fields', async () => {
    const succeeded = await s.h.chargeCard(CARDS.visa);
    const authorized = await s.h.chargeCard(CARDS.mastercard, { capture: false });
    const declined = await s.h.chargeCard(CARDS.insufficientFunds);
    const deliveries = await s.receiver.waitFor(3);
    const byCharge = new Map(deliveries.map((d) => [d.event.charge.id, d.event]));
    expect(byCharge.get(succeeded.id)).toEqual({
      id: expect.stringMatching(/^evt_[0-9a-f]{32}$/),
      type: 'charge.succeeded',
      created: expect.any(Number),
      charge: {
        id: succeeded.id,
        status: 'succeeded',
        idempotency_key: succeeded.idempotency_key,
        decline_code: null,
        amount: 1000,
        currency: 'KWD',
      },
    });
    expect(byCharge.get(authorized.id)).toMatchObject({
      type: 'charge.authorized',
      charge: { status: 'authorized', idempotency_key: authorized.idempotency_key, decline_code: null },
    });
    expect(byCharge.get(declined.id)).toMatchObject({
      type: 'charge.declined',
      charge: { status: 'declined', decline_code: 'insufficient_funds' },
    });
    expect(Math.abs(byCharge.get(declined.id)!.created - Date.now() / 1000)).toBeLessThan(5);
    expect(new Set(deliveries.map((d) => d.event.id)).size).toBe(3);
    await quietFor(300);
    expect(s.receiver.deliveries).toHaveLength(3);
  });

  it('a replayed charge request (same Idempotency-Key) makes no second event', async () => {
    const token = await s.h.gateway.createCardToken(s.h.card(CARDS.visa));
    const key = newKey();
    const request = { amount: 500, currency: 'KWD', capture: true, token: token.id };
    const first = await s.h.gateway.charge(request, key);
    const replay = await s.h.gateway.charge(request, key);
    expect(replay.id).toBe(first.id);
    await s.receiver.waitFor(1);
    await quietFor(300);
    expect(s.receiver.deliveries.map((d) => d.event.charge.id)).toEqual([first.id]);
  });

  it('3-D Secure: nothing while the challenge is pending; then challenge_completed (approved or rejected)', async () => {
    const approved = await s.h.chargeCard(CARDS.threeDs, { return_url: 'http://127.0.0.1:9/back' });
    const rejected = await s.h.chargeCard(CARDS.threeDs, { return_url: 'http://127.0.0.1:9/back' });
    expect([approved.status, rejected.status]).toEqual(['requires_action', 'requires_action']);
    await quietFor(300);
    expect(s.receiver.deliveries).toHaveLength(0);

    await complete(approved.next_action!.url, 'approve');
    await complete(rejected.next_action!.url, 'reject');
    // a second answer to a completed challenge changes nothing and tells nothing
    await complete(approved.next_action!.url, 'reject');
    const deliveries = await s.receiver.waitFor(2);
    const byCharge = new Map(deliveries.map((d) => [d.event.charge.id, d.event]));
    expect(byCharge.get(approved.id)).toMatchObject({
      type: 'charge.challenge_completed',
      charge: { status: 'succeeded', decline_code: null, idempotency_key: approved.idempotency_key },
    });
    expect(byCharge.get(rejected.id)).toMatchObject({
      type: 'charge.challenge_completed',
      charge: { status: 'declined', decline_code: 'authentication_failed' },
    });
    await quietFor(300);
    expect(s.receiver.deliveries).toHaveLength(2);
  });

  it('a challenge canceled by a void: challenge_canceled, declined', async () => {
    const charge = await s.h.chargeCard(CARDS.threeDs, { return_url: 'http://127.0.0.1:9/back' });
    await s.h.gateway.void(charge.id, `void-${charge.id}`);
    const [delivery] = await s.receiver.waitFor(1);
    expect(delivery!.event).toMatchObject({
      type: 'charge.challenge_canceled',
      charge: { id: charge.id, status: 'declined', decline_code: 'authentication_failed' },
    });
    // its late approval moves no money and tells nothing more
    await complete(charge.next_action!.url, 'approve');
    await quietFor(300);
    expect(s.receiver.deliveries).toHaveLength(1);
  });

  it('never carries card data: no PAN, CVV, BIN, last 4 or card object, in any body or header', async () => {
    const all: Delivery[] = [];
    for (const number of Object.values(CARDS)) {
      s.receiver.deliveries.length = 0;
      const charge = await s.h.chargeCard(number, {
        return_url: 'http://127.0.0.1:9/back',
        store_card: true,
      });
      if (charge.status === 'requires_action') await complete(charge.next_action!.url, 'approve');
      all.push(...(await s.receiver.waitFor(1)));
    }
    expect(all.length).toBe(Object.keys(CARDS).length);
    for (const delivery of all) {
      // random hex ids and the signature could contain any digits: scan what is left without them
      const text = `${delivery.raw}\n${JSON.stringify(delivery.headers)}`.replace(/[0-9a-f]{24,}/g, '');
      for (const number of Object.values(CARDS)) {
        expect(text).not.toContain(number);
        expect(text).not.toContain(number.slice(0, 6)); // BIN
        expect(text).not.toMatch(new RegExp(`"${number.slice(-4)}"`)); // last 4 as a value
      }
      expect(text).not.toMatch(/"(card|number|cvc|cvv|bin|last4|exp_month|exp_year|source_token|name)"/);
      expect(Object.keys(delivery.event).sort()).toEqual(['charge', 'created', 'id', 'type']);
    }
  });
});

describe('delivery: at least once, exponential backoff, bounded', () => {
  it('retries 5xx with doubling delays, the same event and body each time, until a 2xx', async () => {
    const s = await withReceiver({ initialMs: 300, maxMs: 5_000 });
    try {
      s.receiver.script(500, 503, 502, 200);
      await s.h.chargeCard(CARDS.visa);
      const deliveries = await s.receiver.waitFor(4, 15_000);
      expect(new Set(deliveries.map((d) => d.raw)).size).toBe(1);
      const gaps = deliveries.slice(1).map((d, i) => d.at - deliveries[i]!.at);
      // 300, 600, 1200 ms (+ up to 10 % jitter); timers may fire a little late, never early
      expect(gaps[0]).toBeGreaterThanOrEqual(290);
      expect(gaps[1]).toBeGreaterThanOrEqual(590);
      expect(gaps[2]).toBeGreaterThanOrEqual(1190);
      expect(gaps[2]!).toBeGreaterThan(gaps[0]! * 3);
      await quietFor(800);
      expect(s.receiver.deliveries).toHaveLength(4);
      expect(await simStats(s.h)).toMatchObject({ pending: 0, delivered: 1, failed_attempts: 3, outbox: [] });
    } finally {
      await s.close();
    }
  });

  it('retries timeouts, cut connections, refused connections, 408 and 429', async () => {
    const s = await withReceiver({ initialMs: 100, maxMs: 400 }, 500);
    try {
      s.receiver.script('hang', 'reset', 408, 429, 200);
      await s.h.chargeCard(CARDS.visa);
      const deliveries = await s.receiver.waitFor(5, 15_000);
      expect(new Set(deliveries.map((d) => d.event.id)).size).toBe(1);
      await until(async () => (await simStats(s.h)).delivered === 1);
      expect(await simStats(s.h)).toMatchObject({ failed_attempts: 4, pending: 0 });
    } finally {
      await s.close();
    }

    // nothing listens at first: connection refused, retried until the receiver is up
    const port = await freePort();
    const h = await startHarness({
      notifications: {
        url: `http://127.0.0.1:${port}/n`,
        secret: SECRET,
        retry: { initialMs: 100, maxMs: 300 },
      },
    });
    try {
      await h.chargeCard(CARDS.visa);
      await until(async () => (await simStats(h)).failed_attempts >= 2);
      const receiver = await startNotificationReceiver(port);
      try {
        await receiver.waitFor(1);
        await until(async () => (await simStats(h)).delivered === 1);
      } finally {
        await receiver.close();
      }
    } finally {
      await h.close();
    }
  });

  it('a 4xx other than 408 and 429 is final: the receiver refused that event for good', async () => {
    const s = await withReceiver({ initialMs: 100 });
    try {
      s.receiver.script(401);
      await s.h.chargeCard(CARDS.visa);
      await s.receiver.waitFor(1);
      await quietFor(500);
      expect(s.receiver.deliveries).toHaveLength(1);
      expect(await simStats(s.h)).toMatchObject({ rejected: 1, pending: 0, delivered: 0 });
    } finally {
      await s.close();
    }
  });

  it('gives up a bounded time after the event was made', async () => {
    const s = await withReceiver({ initialMs: 100, maxMs: 200, giveUpAfterMs: 1_000 });
    try {
      s.receiver.always(500);
      await s.h.chargeCard(CARDS.visa);
      await until(async () => (await simStats(s.h)).gave_up === 1, 5_000);
      const attempts = s.receiver.deliveries.length;
      expect(attempts).toBeGreaterThanOrEqual(4);
      expect(attempts).toBeLessThanOrEqual(10);
      const span = s.receiver.deliveries.at(-1)!.at - s.receiver.deliveries[0]!.at;
      expect(span).toBeLessThanOrEqual(1_100);
      await quietFor(500);
      expect(s.receiver.deliveries).toHaveLength(attempts);
      expect(await simStats(s.h)).toMatchObject({ pending: 0, outbox: [] });
    } finally {
      await s.close();
    }
  });
});

describe('persistence', () => {
  it('with the data file, undelivered notifications survive a restart and are then delivered', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tokenpay-sim-notify-'));
    dirs.push(dir);
    const dataFile = path.join(dir, 'state.json');
    const port = await freePort();
    const options = {
      port: 0,
      faults: true,
      dataFile,
      notifications: {
        url: `http://127.0.0.1:${port}/n`,
        secret: SECRET,
        retry: { initialMs: 100, maxMs: 300 },
      },
    };

    const first = await startSimulator(options);
    const gateway = new HttpGateway({ baseUrl: first.url });
    const token = await gateway.createCardToken({
      number: CARDS.visa,
      exp_month: '12',
      exp_year: '39',
      cvc: '123',
      name: 'Persisted',
    });
    const charge = await gateway.charge(
      { amount: 700, currency: 'KWD', capture: true, token: token.id },
      newKey(),
    );
    await until(async () => {
      const stats = (await (await fetch(`${first.url}/_sim/notifications`)).json()) as Record<string, any>;
      return stats.failed_attempts >= 1;
    });
    await first.close();

    const stored = JSON.parse(readFileSync(dataFile, 'utf8')) as { outbox: Record<string, any> };
    const entries = Object.values(stored.outbox);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ type: 'charge.succeeded', attempts: expect.any(Number) });
    expect(entries[0].attempts).toBeGreaterThanOrEqual(1);
    const eventId = entries[0].id as string;
    expect(readFileSync(dataFile, 'utf8')).not.toContain(CARDS.visa);

    const receiver = await startNotificationReceiver(port);
    const second = await startSimulator(options);
    try {
      const [delivery] = await receiver.waitFor(1);
      expect(delivery!.event).toMatchObject({ id: eventId, charge: { id: charge.id, status: 'succeeded' } });
      expect(delivery!.raw).toBe(entries[0].body);
      await until(async () => {
        const stats = (await (await fetch(`${second.url}/_sim/notifications`)).json()) as Record<string, any>;
        return stats.delivered === 1 && stats.pending === 0;
      });
    } finally {
      await second.close();
      await receiver.close();
    }
    // delivered: the outbox in the file is empty, a third start sends nothing
    expect(Object.keys((JSON.parse(readFileSync(dataFile, 'utf8')) as { outbox: object }).outbox)).toEqual(
      [],
    );
  });
});

describe('turning them off, dropping and delaying them', () => {
  it('without a URL nothing is sent or queued', async () => {
    const h = await startHarness();
    try {
      await h.chargeCard(CARDS.visa);
      expect(await simStats(h)).toMatchObject({ enabled: false, pending: 0, delivered: 0 });
    } finally {
      await h.close();
    }
  });

  it('drop_notification: the next notification is never sent (tests prove the engine needs none)', async () => {
    const s = await withReceiver();
    try {
      await s.h.injectFault({ mode: 'drop_notification', count: 1 });
      const dropped = await s.h.chargeCard(CARDS.visa);
      const sent = await s.h.chargeCard(CARDS.visa);
      const [delivery] = await s.receiver.waitFor(1);
      expect(delivery!.event.charge.id).toBe(sent.id);
      await quietFor(300);
      expect(s.receiver.deliveries.map((d) => d.event.charge.id)).not.toContain(dropped.id);
      expect(await simStats(s.h)).toMatchObject({ dropped: 1, delivered: 1, pending: 0 });
    } finally {
      await s.close();
    }
  });

  it('delay_notification: the first attempt waits latency_ms; money requests are not affected', async () => {
    const s = await withReceiver();
    try {
      await s.h.injectFault({ mode: 'delay_notification', count: 1, latency_ms: 1_000 });
      const started = Date.now();
      const charge = await s.h.chargeCard(CARDS.visa);
      expect(charge.status).toBe('succeeded');
      expect(Date.now() - started).toBeLessThan(1_000);
      const [delivery] = await s.receiver.waitFor(1);
      expect(delivery!.at - started).toBeGreaterThanOrEqual(1_000);
    } finally {
      await s.close();
    }
  });

  it('notification faults and money faults do not mix', async () => {
    const h = await startHarness();
    try {
      const bad = await h.post('/_sim/faults', { mode: 'drop_notification', count: 1, target: 'charge' });
      expect(bad.status).toBe(400);
      const worse = await h.post('/_sim/faults', { mode: 'error_500', count: 1, target: 'notification' });
      expect(worse.status).toBe(400);
      // an `any` money fault never touches notifications, a notification fault never a charge
      await h.injectFault({ mode: 'drop_notification', count: 1 });
      expect((await h.chargeCard(CARDS.visa)).status).toBe('succeeded');
    } finally {
      await h.close();
    }
  });

  describe('the simulator process: GATEWAY_SIM_NOTIFY_URL, _SECRET and GATEWAY_SIM_NOTIFICATIONS', () => {
    let receiver: NotificationReceiver;
    const children: ChildProcess[] = [];
    beforeAll(async () => {
      receiver = await startNotificationReceiver();
    });
    afterAll(async () => {
      for (const child of children) child.kill('SIGTERM');
      await receiver.close();
    });

    async function runSimulator(env: Record<string, string>): Promise<string> {
      const port = await freePort();
      const child = spawn(
        process.execPath,
        [
          '-r',
          path.join(ROOT, 'test/support/ts-register.js'),
          path.join(ROOT, 'src/dev/gateway-simulator/main.ts'),
        ],
        {
          env: {
            ...process.env,
            GATEWAY_SIM_PORT: String(port),
            GATEWAY_SIM_NOTIFY_URL: receiver.url,
            ...env,
          },
          stdio: 'ignore',
        },
      );
      children.push(child);
      await waitForPort('127.0.0.1', port, 20_000);
      return `http://127.0.0.1:${port}`;
    }

    async function chargeVia(url: string): Promise<string> {
      const gateway = new HttpGateway({ baseUrl: url });
      const token = await gateway.createCardToken({
        number: CARDS.visa,
        exp_month: '12',
        exp_year: '39',
        cvc: '123',
        name: 'Process',
      });
      return (
        await gateway.charge({ amount: 100, currency: 'KWD', capture: true, token: token.id }, newKey())
      ).id;
    }

    it('sends to GATEWAY_SIM_NOTIFY_URL, signed with the dev default secret unless one is set', async () => {
      receiver.deliveries.length = 0;
      const chargeId = await chargeVia(await runSimulator({}));
      const [delivery] = await receiver.waitFor(1);
      expect(delivery!.event.charge.id).toBe(chargeId);
      const header = delivery!.headers[SIGNATURE_HEADER.toLowerCase()] as string;
      const check = (secret: string) =>
        verifyNotificationSignature({
          header,
          body: Buffer.from(delivery!.raw),
          secret,
          nowS: Math.floor(Date.now() / 1000),
        }).ok;
      expect(check(DEV_DEFAULTS.gatewayNotifySecret)).toBe(true);

      receiver.deliveries.length = 0;
      await chargeVia(await runSimulator({ GATEWAY_SIM_NOTIFY_SECRET: SECRET }));
      const [signed] = await receiver.waitFor(1);
      const signedHeader = signed!.headers[SIGNATURE_HEADER.toLowerCase()] as string;
      const body = Buffer.from(signed!.raw);
      const nowS = Math.floor(Date.now() / 1000);
      expect(verifyNotificationSignature({ header: signedHeader, body, secret: SECRET, nowS }).ok).toBe(true);
      expect(
        verifyNotificationSignature({
          header: signedHeader,
          body,
          secret: DEV_DEFAULTS.gatewayNotifySecret,
          nowS,
        }).ok,
      ).toBe(false);
    });

    it('GATEWAY_SIM_NOTIFICATIONS=0 sends none', async () => {
      receiver.deliveries.length = 0;
      const url = await runSimulator({ GATEWAY_SIM_NOTIFICATIONS: '0' });
      await chargeVia(url);
      await chargeVia(url);
      // the same charge made against a notifying simulator arrives within this wait
      await quietFor(1_000);
      expect(receiver.deliveries).toHaveLength(0);
    });
  });
});
