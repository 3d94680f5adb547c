/** A production environment for tests: every secret set, random and strong (TOKENPAY_ENV=production). */
import { randomBytes } from 'node:crypto';

import { generateCodecKey } from '../../src/codec/keys';

export const strongSecret = (): string => randomBytes(32).toString('base64url');

export interface ProductionSecrets {
  env: Record<string, string>;
  apiKey: string;
  adminKey: string;
  metricsToken: string;
  operatorKey: string;
}

export function productionEnv(overrides: Record<string, string> = {}): ProductionSecrets {
  const apiKey = `tp_live_${randomBytes(24).toString('hex')}`;
  const adminKey = strongSecret();
  const metricsToken = strongSecret();
  const operatorKey = strongSecret();
  return {
    apiKey,
    adminKey,
    metricsToken,
    operatorKey,
    env: {
      TOKENPAY_ENV: 'production',
      TOKENPAY_ADMIN_KEY: adminKey,
      TOKENPAY_CSRF_KEY: strongSecret(),
      TOKENPAY_SESSION_ID_KEY: strongSecret(),
      TOKENPAY_FINGERPRINT_KEYS: `fp1:${strongSecret()}`,
      TOKENPAY_METRICS_TOKEN: metricsToken,
      TOKENPAY_GATEWAY_NOTIFY_SECRET: strongSecret(),
      TOKENPAY_CODEC_KEYS: generateCodecKey('k1').entry,
      TOKENPAY_CODEC_CREDENTIALS: `ops:${operatorKey}`,
      TOKENPAY_SEED_DEMO: '1',
      TOKENPAY_DEMO_API_KEY: apiKey,
      TOKENPAY_DEMO_WEBHOOK_KEY: strongSecret(),
      ...overrides,
    },
  };
}
