/**
 * The environment, parsed and validated once, by one schema: every setting of the API and the
 * worker, the payload-codec keys and the metrics endpoints included. Dev defaults are marked as
 * such and never secret.
 */
import { z } from 'zod';

import { loadCodecKeys, type CodecKeys } from './codec/keys';
import { parseInterval } from './domain/duration';
import { parseWebOrigin, PUBLIC_KEY_FORMAT } from './domain/web-origin';

/** DEV-ONLY defaults, published in README. Production sets every one of these from a secret store. */
export const DEV_DEFAULTS = {
  adminKey: 'dev-admin-key-change-me',
  demoApiKey: 'tp_demo_dev_only_key',
  demoWebhookKey: 'dev-webhook-hmac-key',
  fingerprintKey: 'dev-card-fingerprint-key',
  csrfKey: 'dev-csrf-key',
  sessionIdKey: 'dev-session-id-key',
  /** shared with the embedded gateway simulator (its GATEWAY_SIM_NOTIFY_SECRET default) */
  gatewayNotifySecret: 'dev-gateway-notify-secret',
  demoPublicKey: 'pk_000000000000_DEV-ONLY-demo-shop-public-key-01',
} as const;

/** Where `npm start` serves the demo shop (a merchant page embedding the Web Checkout SDK). */
export const DEMO_SHOP_PORT_DEFAULT = 3080;

/** The task queue of the payment workflows when TEMPORAL_TASK_QUEUE is unset. */
export const TASK_QUEUE_DEFAULT = 'tokenpay';

/** An empty variable means unset (as in a shell's `VAR= command`), for the optional extras. */
const blankAsUnset = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema);

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_BASE_URL: z.url().optional(),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default(TASK_QUEUE_DEFAULT),
  MONGODB_URI: z.string().default('mongodb://127.0.0.1:27017/tokenpay'),
  GATEWAY_URL: z.url().default('http://127.0.0.1:4010'),
  GATEWAY_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** HMAC secret of the gateway's server-to-server notifications (POST /gateway/notifications) */
  TOKENPAY_GATEWAY_NOTIFY_SECRET: z.string().min(16).default(DEV_DEFAULTS.gatewayNotifySecret),
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
  /** Bearer token required on /metrics (API and worker) when set */
  TOKENPAY_METRICS_TOKEN: blankAsUnset(z.string().min(1).optional()),
  /** the worker's /metrics, appended to the API's */
  TOKENPAY_WORKER_METRICS_URL: blankAsUnset(z.url().optional()),
  TOKENPAY_WORKER_METRICS_PORT: blankAsUnset(z.coerce.number().int().min(0).max(65535).default(9464)),
  TOKENPAY_WORKER_METRICS_HOST: blankAsUnset(z.string().min(1).default('127.0.0.1')),
  TOKENPAY_WORKER_SDK_METRICS_PORT: blankAsUnset(z.coerce.number().int().min(1).max(65535).default(9465)),
  /** a prebuilt workflow bundle (tests and the chaos run build one for many workers) */
  TOKENPAY_WORKFLOW_BUNDLE: blankAsUnset(z.string().min(1).optional()),
  /** how often reconciliation compares open payments with their workflows and the gateway */
  TOKENPAY_RECONCILE_INTERVAL: z
    .string()
    .default('5m')
    .refine((v) => parseInterval(v) !== undefined, 'Use a duration such as "30s", "5m", "1h", "2d".'),
  /** how long webhook delivery attempts are kept (retention runs daily) */
  TOKENPAY_DELIVERY_LOG_RETENTION: z
    .string()
    .default('90d')
    .refine((v) => parseInterval(v) !== undefined, 'Use a duration such as "30d".'),
  /** 0: this worker does not create the reconciliation and retention schedules (tests) */
  TOKENPAY_SCHEDULES: z.enum(['0', '1']).default('1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // --- Web Checkout SDK (CONTRACT §9) ---
  /** DEV-ONLY public key seeded for the demo merchant (with the demo shop's origins) */
  TOKENPAY_DEMO_PUBLIC_KEY: z
    .string()
    .regex(PUBLIC_KEY_FORMAT, 'Use pk_<12 hex digits>_<32 characters of [A-Za-z0-9_-]>.')
    .default(DEV_DEFAULTS.demoPublicKey),
  /** comma-separated origins the demo public key lets embed the checkout (the demo shop's) */
  TOKENPAY_DEMO_SHOP_ORIGINS: z
    .string()
    .default(`http://127.0.0.1:${DEMO_SHOP_PORT_DEFAULT},http://localhost:${DEMO_SHOP_PORT_DEFAULT}`),
});

export interface MetricsOptions {
  /** Bearer token required on /metrics (API and worker) when set */
  token?: string;
  /** the worker's /metrics, appended to the API's */
  workerUrl?: string;
  /** where the worker serves /metrics; port 0 disables it (and the SDK's exporter) */
  workerHost: string;
  workerPort: number;
  /** loopback port of the Temporal SDK's Prometheus exporter, read by the worker's /metrics */
  sdkPort: number;
}

export interface AppConfig {
  port: number;
  host: string;
  publicBaseUrl: string;
  temporal: { address: string; namespace: string; taskQueue: string };
  mongoUri: string;
  gateway: {
    url: string;
    timeoutMs: number;
    /** verifies the gateway's signed notifications */
    notifySecret: string;
  };
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
  codec: {
    /** TOKENPAY_CODEC_KEYS (the DEV-ONLY key `dev-1` when unset) */
    keys: CodecKeys;
    uiOrigins: string[];
    trustUiOrigin: boolean;
  };
  metrics: MetricsOptions;
  maintenance: {
    /** reconciliation runs this often (TOKENPAY_RECONCILE_INTERVAL) */
    reconcileIntervalMs: number;
    /** webhook delivery attempts are deleted after this long */
    deliveryLogRetentionMs: number;
    /** the worker creates (or updates) the schedules at start */
    schedules: boolean;
  };
  /** a prebuilt workflow bundle, else the worker bundles the workflows itself */
  workflowBundle?: string;
  /** the Web Checkout SDK's demo: the public key seeded with the demo merchant, and its origins */
  demoSdk: { publicKey: string; shopOrigins: string[] };
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
    gateway: {
      url: e.GATEWAY_URL,
      timeoutMs: e.GATEWAY_TIMEOUT_MS,
      notifySecret: e.TOKENPAY_GATEWAY_NOTIFY_SECRET,
    },
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
      // its own parser: errors name the entry and what to fix, never key material
      keys: loadCodecKeys(env),
      uiOrigins: e.TOKENPAY_CODEC_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      trustUiOrigin: e.TOKENPAY_CODEC_TRUST_UI_ORIGIN === '1',
    },
    metrics: {
      ...(e.TOKENPAY_METRICS_TOKEN ? { token: e.TOKENPAY_METRICS_TOKEN } : {}),
      ...(e.TOKENPAY_WORKER_METRICS_URL ? { workerUrl: e.TOKENPAY_WORKER_METRICS_URL } : {}),
      workerHost: e.TOKENPAY_WORKER_METRICS_HOST,
      workerPort: e.TOKENPAY_WORKER_METRICS_PORT,
      sdkPort: e.TOKENPAY_WORKER_SDK_METRICS_PORT,
    },
    maintenance: {
      reconcileIntervalMs: parseInterval(e.TOKENPAY_RECONCILE_INTERVAL)!,
      deliveryLogRetentionMs: parseInterval(e.TOKENPAY_DELIVERY_LOG_RETENTION)!,
      schedules: e.TOKENPAY_SCHEDULES === '1',
    },
    ...(e.TOKENPAY_WORKFLOW_BUNDLE ? { workflowBundle: e.TOKENPAY_WORKFLOW_BUNDLE } : {}),
    demoSdk: {
      publicKey: e.TOKENPAY_DEMO_PUBLIC_KEY,
      shopOrigins: demoShopOrigins(e.TOKENPAY_DEMO_SHOP_ORIGINS),
    },
    logLevel: e.LOG_LEVEL,
  };
}

function demoShopOrigins(list: string): string[] {
  return list
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((o) => {
      const check = parseWebOrigin(o);
      if (!check.ok)
        throw new Error(`Invalid configuration: TOKENPAY_DEMO_SHOP_ORIGINS: ${o}: ${check.message}`);
      return check.origin;
    });
}
