/** The engine's verifier of gateway notifications: Stripe's timestamped HMAC-SHA256 scheme. */
import { createHmac } from 'node:crypto';

import { DEV_DEFAULTS, loadConfig } from '../../src/config';
import {
  gatewayNotificationSchema,
  SIGNATURE_TOLERANCE_S,
  verifyNotificationSignature,
} from '../../src/gateway/notifications';

const SECRET = 'unit-test-notify-secret';
const NOW = 1_800_000_000;
const BODY = Buffer.from('{"id":"evt_1","type":"charge.succeeded"}');

const hmac = (t: number, body: Buffer | string = BODY, secret = SECRET): string =>
  createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
const verify = (header: string | undefined, body: Buffer = BODY, nowS = NOW) =>
  verifyNotificationSignature({ header, body, secret: SECRET, nowS });

describe('verifyNotificationSignature', () => {
  it('accepts t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">', () => {
    expect(verify(`t=${NOW},v1=${hmac(NOW)}`)).toEqual({ ok: true, timestamp: NOW });
    // the documented example: the same bytes through openssl give the same hex
    expect(hmac(NOW, 'x', 'k')).toBe(createHmac('sha256', 'k').update(`${NOW}.x`).digest('hex'));
  });

  it('accepts any one of several v1 signatures (rotation), in any order, with spaces, unknown schemes ignored', () => {
    const other = hmac(NOW, BODY, 'old-secret');
    expect(verify(`t=${NOW},v1=${other},v1=${hmac(NOW)}`).ok).toBe(true);
    expect(verify(` v0=abc , v1=${hmac(NOW)} , t=${NOW} `).ok).toBe(true);
    expect(verify(`t=${NOW},v1=${hmac(NOW).toUpperCase()}`).ok).toBe(true);
  });

  it('refuses a body changed by one byte, another secret, another timestamp', () => {
    const changed = Buffer.from(BODY);
    changed[changed.length - 2] = changed[changed.length - 2]! ^ 1;
    expect(verify(`t=${NOW},v1=${hmac(NOW)}`, changed)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verify(`t=${NOW},v1=${hmac(NOW, BODY, 'other')}`)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verify(`t=${NOW + 1},v1=${hmac(NOW)}`)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('missing or malformed headers are refused before any comparison', () => {
    expect(verify(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(verify('  ')).toEqual({ ok: false, reason: 'missing' });
    for (const header of [
      'garbage',
      `v1=${hmac(NOW)}`,
      `t=${NOW}`,
      `t=${NOW},v1=short`,
      `t=${NOW},v1=${'z'.repeat(64)}`,
      `t=-1,v1=${hmac(NOW)}`,
      `t=1e9,v1=${hmac(NOW)}`,
      `t=${NOW},t=${NOW},v1=${hmac(NOW)}`,
      `t=${NOW},v1=${hmac(NOW)},${'v1=x,'.repeat(300)}`,
    ]) {
      expect([header, verify(header)]).toEqual([header, { ok: false, reason: 'malformed' }]);
    }
  });

  it(`has a replay window of ${SIGNATURE_TOLERANCE_S} s either side, checked after the signature`, () => {
    const at = (t: number) => verify(`t=${t},v1=${hmac(t)}`);
    expect(at(NOW - SIGNATURE_TOLERANCE_S).ok).toBe(true);
    expect(at(NOW + SIGNATURE_TOLERANCE_S).ok).toBe(true);
    expect(at(NOW - SIGNATURE_TOLERANCE_S - 1)).toEqual({ ok: false, reason: 'stale', timestamp: NOW - 301 });
    expect(at(NOW + SIGNATURE_TOLERANCE_S + 1)).toEqual({
      ok: false,
      reason: 'future',
      timestamp: NOW + 301,
    });
    // a forged signature is a forgery, whatever its timestamp
    expect(verify(`t=${NOW - 3600},v1=${hmac(NOW - 3600, BODY, 'forged')}`)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });
});

describe('gatewayNotificationSchema', () => {
  const valid = {
    id: 'evt_0123abcd',
    type: 'charge.challenge_completed',
    created: NOW,
    charge: {
      id: 'ch_0123abcd',
      status: 'succeeded',
      idempotency_key: `${'a'.repeat(64)}:attempt:1`,
      decline_code: null,
      amount: 20230,
      currency: 'KWD',
    },
  };

  it('takes a notification and drops unknown fields', () => {
    const parsed = gatewayNotificationSchema.parse({
      ...valid,
      extra: 1,
      charge: { ...valid.charge, card: {} },
    });
    expect(parsed).toEqual(valid);
  });

  it.each([
    ['id', { id: 'ch_1' }],
    ['id', { id: `evt_${'a'.repeat(65)}` }],
    ['type', { type: 'succeeded' }],
    ['created', { created: 1.5 }],
    ['charge.status', { charge: { ...valid.charge, status: 'refunded' } }],
    ['charge.amount', { charge: { ...valid.charge, amount: '20.230' } }],
    ['charge.amount', { charge: { ...valid.charge, amount: -1 } }],
    ['charge.idempotency_key', { charge: { ...valid.charge, idempotency_key: '' } }],
    ['charge.currency', { charge: { ...valid.charge, currency: 'KWDX' } }],
    ['charge.decline_code', { charge: { ...valid.charge, decline_code: { $gt: '' } } }],
  ])('refuses a bad %s', (path, change) => {
    const result = gatewayNotificationSchema.safeParse({ ...valid, ...change });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toEqual([path]);
  });
});

describe("README's worked example", () => {
  it('secret dev-gateway-notify-secret, t=1767225600, body {"id":"evt_1"}', () => {
    const v1 = 'f1193275a77dd4869ecf2c4784bffef74c1faa5572b0dbd316c683c8d10f3b85';
    expect(
      verifyNotificationSignature({
        header: `t=1767225600,v1=${v1}`,
        body: Buffer.from('{"id":"evt_1"}'),
        secret: 'dev-gateway-notify-secret',
        nowS: 1767225600,
      }),
    ).toEqual({ ok: true, timestamp: 1767225600 });
  });
});

describe('TOKENPAY_GATEWAY_NOTIFY_SECRET', () => {
  it('defaults to the DEV-ONLY secret the embedded simulator uses; a short one is refused', () => {
    expect(loadConfig({}).gateway.notifySecret).toBe(DEV_DEFAULTS.gatewayNotifySecret);
    expect(loadConfig({ TOKENPAY_GATEWAY_NOTIFY_SECRET: 'a-long-enough-secret' }).gateway.notifySecret).toBe(
      'a-long-enough-secret',
    );
    expect(() => loadConfig({ TOKENPAY_GATEWAY_NOTIFY_SECRET: 'short' })).toThrow(
      /TOKENPAY_GATEWAY_NOTIFY_SECRET/,
    );
  });
});
