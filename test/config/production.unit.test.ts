/**
 * TOKENPAY_ENV=production refuses to start with any dev default, a short or low-entropy key, a
 * missing codec key or metrics token, or a development-only switch — naming each problem and
 * never printing a value. Development keeps its published defaults.
 */
import { randomBytes } from 'node:crypto';

import { generateCodecKey } from '../../src/codec/keys';
import { DEV_DEFAULTS, loadConfig, parseTrustProxy } from '../../src/config';

const strong = (): string => randomBytes(32).toString('base64');

/** A production environment that passes: every secret set, strong and random. */
function productionEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    TOKENPAY_ENV: 'production',
    TOKENPAY_ADMIN_KEY: strong(),
    TOKENPAY_CSRF_KEY: strong(),
    TOKENPAY_SESSION_ID_KEY: strong(),
    TOKENPAY_FINGERPRINT_KEYS: `fp1:${strong()}`,
    TOKENPAY_METRICS_TOKEN: strong(),
    TOKENPAY_GATEWAY_NOTIFY_SECRET: strong(),
    TOKENPAY_CODEC_KEYS: generateCodecKey('k1').entry,
    TOKENPAY_CODEC_CREDENTIALS: `alice:${strong()}`,
    ...overrides,
  };
}

function refusal(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('development', () => {
  it('starts on the published defaults, with no target checks', () => {
    const config = loadConfig({});
    expect(config.env).toBe('development');
    expect(config.adminKey).toBe(DEV_DEFAULTS.adminKey);
    expect(config.targets.refusePrivate).toBe(false);
    expect(config.codec.keys.devDefault).toBe(true);
    expect(config.trustProxy).toBe(false);
    expect(config.rateLimitStore).toBe('mongodb');
  });
});

describe('production', () => {
  it('starts with strong secrets from the environment, and refuses private targets', () => {
    const config = loadConfig(
      productionEnv({ TOKENPAY_ALLOWED_PRIVATE_TARGETS: '10.9.0.0/16,hooks.internal' }),
    );
    expect(config.env).toBe('production');
    expect(config.targets.refusePrivate).toBe(true);
    expect(config.targets.allowedHosts.has('hooks.internal')).toBe(true);
    expect(config.codec.operators.has('alice')).toBe(true);
    expect(config.fingerprintKeys.currentKeyId).toBe('fp1');
    expect(config.fingerprintKeys.legacyKey).toBeUndefined();
  });

  it('names every missing secret at once', () => {
    const message = refusal({ TOKENPAY_ENV: 'production' });
    for (const name of [
      'TOKENPAY_ADMIN_KEY is not set',
      'TOKENPAY_CSRF_KEY is not set',
      'TOKENPAY_SESSION_ID_KEY is not set',
      'TOKENPAY_FINGERPRINT_KEYS is not set',
      'TOKENPAY_METRICS_TOKEN is not set',
      'TOKENPAY_GATEWAY_NOTIFY_SECRET is not set',
      'TOKENPAY_CODEC_KEYS is not set',
    ]) {
      expect(message).toContain(name);
    }
  });

  it.each([
    ['TOKENPAY_ADMIN_KEY', DEV_DEFAULTS.adminKey, 'published development default'],
    ['TOKENPAY_CSRF_KEY', DEV_DEFAULTS.csrfKey, 'published development default'],
    ['TOKENPAY_SESSION_ID_KEY', DEV_DEFAULTS.sessionIdKey, 'published development default'],
    ['TOKENPAY_GATEWAY_NOTIFY_SECRET', DEV_DEFAULTS.gatewayNotifySecret, 'published development default'],
    ['TOKENPAY_ADMIN_KEY', 'short-but-random-Zq81', 'characters long; at least 32'],
    ['TOKENPAY_CSRF_KEY', 'a'.repeat(64), 'repeats one short block'],
    ['TOKENPAY_SESSION_ID_KEY', 'abcabcabcabcabcabcabcabcabcabcabcabcabcabc', 'repeats one short block'],
    ['TOKENPAY_SESSION_ID_KEY', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab', 'too little entropy'],
    ['TOKENPAY_METRICS_TOKEN', 'please-change-me-before-going-live-0000', 'placeholder'],
    ['TOKENPAY_FINGERPRINT_KEYS', 'fp1:short', 'TOKENPAY_FINGERPRINT_KEYS key "fp1" is 5 characters'],
    ['TOKENPAY_CODEC_CREDENTIALS', 'alice:password', 'secret of "alice"'],
  ])('refuses %s = a weak value (%s…) and never prints it', (name, value, expected) => {
    const message = refusal(productionEnv({ [name]: value }));
    expect(message).toContain(expected);
    expect(message).toMatch(/^TOKENPAY_ENV=production refuses to start/);
    if (value.length > 8) expect(message).not.toContain(value);
  });

  it('refuses the public dev codec key, the dev UI-origin switch and `trust proxy: true`', () => {
    const devKey = `dev-1:${Buffer.from('tokenpay-dev-only-codec-key-0001').toString('base64')}`;
    const message = refusal(
      productionEnv({
        TOKENPAY_CODEC_KEYS: devKey,
        TOKENPAY_CODEC_TRUST_UI_ORIGIN: '1',
        TOKENPAY_TRUST_PROXY: 'true',
      }),
    );
    expect(message).toContain('TOKENPAY_CODEC_KEYS key "dev-1" is the public dev key');
    expect(message).toContain('TOKENPAY_CODEC_TRUST_UI_ORIGIN=1 is development only');
    expect(message).toContain('TOKENPAY_TRUST_PROXY=true trusts every hop');
  });

  it('checks the demo keys only when the demo merchant is seeded', () => {
    expect(() => loadConfig(productionEnv({ TOKENPAY_SEED_DEMO: '0' }))).not.toThrow();
    const message = refusal(
      productionEnv({ TOKENPAY_SEED_DEMO: '1', TOKENPAY_DEMO_API_KEY: DEV_DEFAULTS.demoApiKey }),
    );
    expect(message).toContain('TOKENPAY_DEMO_API_KEY is a published development default');
    expect(message).toContain('TOKENPAY_DEMO_WEBHOOK_KEY is not set');
  });

  it('accepts the single fingerprint key of earlier versions, and keeps it to recognise old cards', () => {
    const legacy = strong();
    const config = loadConfig(
      productionEnv({ TOKENPAY_FINGERPRINT_KEYS: `fp2:${strong()}`, TOKENPAY_FINGERPRINT_KEY: legacy }),
    );
    expect(config.fingerprintKeys.legacyKey).toBe(legacy);
    const only = loadConfig(
      productionEnv({ TOKENPAY_FINGERPRINT_KEYS: undefined, TOKENPAY_FINGERPRINT_KEY: legacy }),
    );
    expect(only.fingerprintKeys.currentKeyId).toBe('k0');
  });
});

describe('Temporal connection settings', () => {
  it('plain by default; TLS with a CA, mTLS with a client pair, an API key implies TLS', () => {
    expect(loadConfig({}).temporal.tls).toBeUndefined();
    expect(loadConfig({ TEMPORAL_TLS: '1' }).temporal.tls).toEqual({});
    expect(
      loadConfig({
        TEMPORAL_TLS_CA_PATH: '/ca.pem',
        TEMPORAL_TLS_CERT_PATH: '/c.pem',
        TEMPORAL_TLS_KEY_PATH: '/k.pem',
      }).temporal.tls,
    ).toEqual({ caPath: '/ca.pem', certPath: '/c.pem', keyPath: '/k.pem' });
    const cloud = loadConfig({ TEMPORAL_API_KEY: 'tmprl-api-key-0123456789' }).temporal;
    expect(cloud).toMatchObject({ apiKey: 'tmprl-api-key-0123456789', tls: {} });
    expect(
      loadConfig({ TEMPORAL_API_KEY: 'k-0123456789abcdef', TEMPORAL_TLS: '0' }).temporal.tls,
    ).toBeUndefined();
  });

  it('a client certificate needs its key', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CERT_PATH: '/c.pem' })).toThrow(/go together/);
  });
});

describe('TOKENPAY_TRUST_PROXY', () => {
  it.each([
    [undefined, false],
    ['false', false],
    ['0', false],
    ['1', 1],
    ['2', 2],
    ['loopback', ['loopback']],
    ['10.0.0.0/8, 192.168.1.7', ['10.0.0.0/8', '192.168.1.7']],
  ])('%p → %p', (raw, expected) => {
    expect(parseTrustProxy(raw)).toEqual(expected);
  });
});
