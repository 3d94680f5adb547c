/** Environment, parsed and validated once. Dev defaults are marked as such and never secret. */
import { z } from 'zod';

import { TASK_QUEUE_DEFAULT } from './workflows/definitions';

/** DEV-ONLY defaults, published in README. Production sets every one of these from a secret store. */
export const DEV_DEFAULTS = {
  adminKey: 'dev-admin-key-change-me',
  demoApiKey: 'tp_demo_dev_only_key',
  demoWebhookKey: 'dev-webhook-hmac-key',
  fingerprintKey: 'dev-card-fingerprint-key',
  csrfKey: 'dev-csrf-key',
  sessionIdKey: 'dev-session-id-key',
} as const;

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_BASE_URL: z.string().url().optional(),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default(TASK_QUEUE_DEFAULT),
  MONGODB_URI: z.string().default('mongodb://127.0.0.1:27017/tokenpay'),
  GATEWAY_URL: z.string().url().default('http://127.0.0.1:4010'),
  GATEWAY_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  TOKENPAY_ADMIN_KEY: z.string().min(8).default(DEV_DEFAULTS.adminKey),
  TOKENPAY_FINGERPRINT_KEY: z.string().min(8).default(DEV_DEFAULTS.fingerprintKey),
  TOKENPAY_CSRF_KEY: z.string().min(8).default(DEV_DEFAULTS.csrfKey),
  TOKENPAY_SESSION_ID_KEY: z.string().min(8).default(DEV_DEFAULTS.sessionIdKey),
  TOKENPAY_SEED_DEMO: z.enum(['0', '1']).optional(),
  TOKENPAY_DEMO_API_KEY: z.string().min(8).default(DEV_DEFAULTS.demoApiKey),
  TOKENPAY_DEMO_WEBHOOK_KEY: z.string().min(8).default(DEV_DEFAULTS.demoWebhookKey),
  TOKENPAY_SUBMIT_RATE_PER_IP: z.coerce.number().int().positive().default(120),
  TOKENPAY_SUBMIT_RATE_PER_SESSION: z.coerce.number().int().positive().default(20),
  /** failed Api-Key / Admin-Key attempts per client IP per minute before that IP gets 429s */
  TOKENPAY_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().positive().default(30),
  /** comma-separated Temporal UI origins allowed to call the codec endpoint */
  TOKENPAY_CODEC_ORIGINS: z.string().default('http://127.0.0.1:8233,http://localhost:8233'),
  /** DEV-ONLY: trust the UI's browser Origin instead of requiring the admin key */
  TOKENPAY_CODEC_TRUST_UI_ORIGIN: z.enum(['0', '1']).default('0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface AppConfig {
  port: number;
  host: string;
  publicBaseUrl: string;
  temporal: { address: string; namespace: string; taskQueue: string };
  mongoUri: string;
  gateway: { url: string; timeoutMs: number };
  adminKey: string;
  fingerprintKey: string;
  csrfKey: string;
  /** derives the session id of an idempotent create, so a retry after a crash finds it */
  sessionIdKey: string;
  seedDemo: boolean;
  demo: { apiKey: string; webhookKey: string };
  rateLimits: {
    submitPerIpPerMinute: number;
    submitPerSessionPerMinute: number;
    /** failed authentications per client IP per minute (Api-Key and Admin-Key) */
    authFailuresPerMinute: number;
  };
  codec: { uiOrigins: string[]; trustUiOrigin: boolean };
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://127.0.0.1:${e.PORT}`).replace(/\/$/, ''),
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
    },
    mongoUri: e.MONGODB_URI,
    gateway: { url: e.GATEWAY_URL, timeoutMs: e.GATEWAY_TIMEOUT_MS },
    adminKey: e.TOKENPAY_ADMIN_KEY,
    fingerprintKey: e.TOKENPAY_FINGERPRINT_KEY,
    csrfKey: e.TOKENPAY_CSRF_KEY,
    sessionIdKey: e.TOKENPAY_SESSION_ID_KEY,
    seedDemo: e.TOKENPAY_SEED_DEMO === '1',
    demo: { apiKey: e.TOKENPAY_DEMO_API_KEY, webhookKey: e.TOKENPAY_DEMO_WEBHOOK_KEY },
    rateLimits: {
      submitPerIpPerMinute: e.TOKENPAY_SUBMIT_RATE_PER_IP,
      submitPerSessionPerMinute: e.TOKENPAY_SUBMIT_RATE_PER_SESSION,
      authFailuresPerMinute: e.TOKENPAY_AUTH_FAILURES_PER_MINUTE,
    },
    codec: {
      uiOrigins: e.TOKENPAY_CODEC_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      trustUiOrigin: e.TOKENPAY_CODEC_TRUST_UI_ORIGIN === '1',
    },
    logLevel: e.LOG_LEVEL,
  };
}
