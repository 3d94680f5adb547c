/**
 * The environment, parsed and validated once, by one schema: every setting of the API and the
 * worker, the payload-codec keys and the metrics endpoints included. Dev defaults are marked as
 * such and never secret.
 */
import { z } from 'zod';

import { parseInterval } from './domain/duration';
import { parseWebOrigin, PUBLIC_KEY_FORMAT } from './domain/web-origin';
import { DEV_CODEC_KEY_BASE64, loadCodecKeys, type CodecKeys } from './codec/keys';
import { parseFingerprintKeys, type FingerprintKeys } from './secrets/fingerprint';
import { secretWeakness } from './secrets/strength';
import { OPEN_TARGETS, parseAllowedTargets, type TargetPolicy } from './webhooks/targets';

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
  // --- Deploying new workflow code (DEPLOYING.md) ---
  /** the Worker Deployment's name; default the task queue's: one deployment per task queue */
  TOKENPAY_DEPLOYMENT_NAME: blankAsUnset(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'Use 1-64 of A-Z a-z 0-9 _ -.')
      .optional(),
  ),
  /** overrides the build id derived from the workflow bundle (e.g. a CI pipeline's release name) */
  TOKENPAY_BUILD_ID: blankAsUnset(
    z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,128}$/, 'Use 1-128 of A-Z a-z 0-9 . _ -.')
      .optional(),
  ),
  /** `auto`: a worker whose version is newer than the deployment's current one makes itself current */
  TOKENPAY_VERSION_PROMOTION: z.enum(['auto', 'manual']).default('auto'),
  /** how long a stopping worker lets its in-flight tasks finish (SIGTERM) */
  TOKENPAY_WORKER_SHUTDOWN_GRACE: z
    .string()
    .default('30s')
    .refine((v) => parseInterval(v) !== undefined, 'Use a duration such as "30s" or "2m".'),
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
  ...productionSettings(),
});

// ---------------------------------------------------------------------------------------------
// Production, edge and Temporal connection settings (issue 16). One block, so merges stay easy.
// ---------------------------------------------------------------------------------------------

/** The settings of running in production (behind a proxy, on a secured Temporal). */
function productionSettings() {
  return {
    /** `production` refuses dev defaults and weak keys (see productionProblems) */
    TOKENPAY_ENV: z.enum(['development', 'production']).default('development'),
    /** Express's `trust proxy`: a hop count or comma-separated addresses/CIDRs of the proxies */
    TOKENPAY_TRUST_PROXY: blankAsUnset(z.string().optional()),
    /** where rate-limit counters live: `mongodb` (shared by every API instance) or `memory` */
    TOKENPAY_RATE_LIMIT_STORE: z.enum(['mongodb', 'memory']).default('mongodb'),
    /** private targets (CIDRs, addresses, host names) webhooks and redirects may still use */
    TOKENPAY_ALLOWED_PRIVATE_TARGETS: z.string().default(''),
    /** `id:secret,...` master keys of card fingerprints; the first is current */
    TOKENPAY_FINGERPRINT_KEYS: blankAsUnset(z.string().optional()),
    /** `operator:secret,...`: who may decode payloads through /codec (audited by name) */
    TOKENPAY_CODEC_CREDENTIALS: blankAsUnset(z.string().optional()),
    /** OIDC issuer whose bearer tokens /codec accepts (the Temporal UI's SSO) */
    TOKENPAY_CODEC_OIDC_ISSUER: blankAsUnset(z.url().optional()),
    /** the `aud` those tokens must carry */
    TOKENPAY_CODEC_OIDC_AUDIENCE: blankAsUnset(z.string().optional()),
    /** Temporal over TLS (`1`; implied by any of the TLS paths or an API key) */
    TEMPORAL_TLS: z.enum(['0', '1']).optional(),
    TEMPORAL_TLS_CA_PATH: blankAsUnset(z.string().optional()),
    TEMPORAL_TLS_CERT_PATH: blankAsUnset(z.string().optional()),
    TEMPORAL_TLS_KEY_PATH: blankAsUnset(z.string().optional()),
    TEMPORAL_TLS_SERVER_NAME: blankAsUnset(z.string().optional()),
    /** Temporal Cloud (or any server with an API-key authorizer) */
    TEMPORAL_API_KEY: blankAsUnset(z.string().optional()),
    /** register the namespace and search attributes on start (`0` where they are managed elsewhere) */
    TOKENPAY_TEMPORAL_SETUP: z.enum(['0', '1']).default('1'),
    /** retention of a namespace tokenpay registers */
    TOKENPAY_TEMPORAL_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  };
}

export type TrustProxy = boolean | number | string[];

/** `TOKENPAY_TRUST_PROXY` as Express takes it: unset → false, `N` → N hops, else a list. */
export function parseTrustProxy(raw: string | undefined): TrustProxy {
  if (raw === undefined || raw === 'false' || raw === '0') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface TemporalTlsOptions {
  caPath?: string;
  certPath?: string;
  keyPath?: string;
  serverName?: string;
}

/** The secrets production refuses to run with when weak, and the published values of each. */
function secretsToCheck(e: z.infer<typeof envSchema>, fingerprint: FingerprintKeys) {
  /** `setBy`: the variables that set it (an unset one is reported as unset, not as weak) */
  type Secret = { name: string; setBy: string[]; value: string | undefined; published?: string[] };
  const secret = (name: string, value: string | undefined, published?: string): Secret => ({
    name,
    setBy: [name],
    value,
    ...(published ? { published: [published] } : {}),
  });
  const secrets: Secret[] = [
    secret('TOKENPAY_ADMIN_KEY', e.TOKENPAY_ADMIN_KEY, DEV_DEFAULTS.adminKey),
    secret('TOKENPAY_CSRF_KEY', e.TOKENPAY_CSRF_KEY, DEV_DEFAULTS.csrfKey),
    secret('TOKENPAY_SESSION_ID_KEY', e.TOKENPAY_SESSION_ID_KEY, DEV_DEFAULTS.sessionIdKey),
    secret('TOKENPAY_METRICS_TOKEN', e.TOKENPAY_METRICS_TOKEN),
    secret(
      'TOKENPAY_GATEWAY_NOTIFY_SECRET',
      e.TOKENPAY_GATEWAY_NOTIFY_SECRET,
      DEV_DEFAULTS.gatewayNotifySecret,
    ),
  ];
  for (const [id, value] of fingerprint.keys) {
    secrets.push({
      name: e.TOKENPAY_FINGERPRINT_KEYS
        ? `TOKENPAY_FINGERPRINT_KEYS key "${id}"`
        : 'TOKENPAY_FINGERPRINT_KEY',
      setBy: ['TOKENPAY_FINGERPRINT_KEYS', 'TOKENPAY_FINGERPRINT_KEY'],
      value,
      published: [DEV_DEFAULTS.fingerprintKey],
    });
  }
  if (e.TOKENPAY_SEED_DEMO === '1') {
    secrets.push(
      secret('TOKENPAY_DEMO_API_KEY', e.TOKENPAY_DEMO_API_KEY, DEV_DEFAULTS.demoApiKey),
      secret('TOKENPAY_DEMO_WEBHOOK_KEY', e.TOKENPAY_DEMO_WEBHOOK_KEY, DEV_DEFAULTS.demoWebhookKey),
    );
  }
  return secrets;
}

/**
 * Why `TOKENPAY_ENV=production` refuses to start with this environment: every dev default, weak
 * key, missing codec key and unsafe switch, each named (never its value).
 */
function productionProblems(
  e: z.infer<typeof envSchema>,
  env: NodeJS.ProcessEnv,
  codec: CodecKeys,
  fingerprint: FingerprintKeys,
  codecOperators: Map<string, string>,
): string[] {
  const problems: string[] = [];
  const unset = (name: string): boolean => env[name] === undefined || env[name] === '';
  for (const name of [
    'TOKENPAY_ADMIN_KEY',
    'TOKENPAY_CSRF_KEY',
    'TOKENPAY_SESSION_ID_KEY',
    'TOKENPAY_GATEWAY_NOTIFY_SECRET',
  ]) {
    if (unset(name)) problems.push(`${name} is not set (its development default is public)`);
  }
  if (unset('TOKENPAY_FINGERPRINT_KEYS') && unset('TOKENPAY_FINGERPRINT_KEY')) {
    problems.push('TOKENPAY_FINGERPRINT_KEYS is not set (its development default is public)');
  }
  if (unset('TOKENPAY_METRICS_TOKEN'))
    problems.push('TOKENPAY_METRICS_TOKEN is not set (/metrics would be open)');
  if (codec.devDefault)
    problems.push('TOKENPAY_CODEC_KEYS is not set (payloads would be encrypted with the public dev key)');
  for (const [id, key] of codec.devDefault ? [] : codec.keys) {
    if (key.toString('base64') === DEV_CODEC_KEY_BASE64)
      problems.push(`TOKENPAY_CODEC_KEYS key "${id}" is the public dev key`);
  }
  if (e.TOKENPAY_SEED_DEMO === '1') {
    for (const name of ['TOKENPAY_DEMO_API_KEY', 'TOKENPAY_DEMO_WEBHOOK_KEY']) {
      if (unset(name))
        problems.push(`${name} is not set while TOKENPAY_SEED_DEMO=1 (its development default is public)`);
    }
  }
  for (const secret of secretsToCheck(e, fingerprint)) {
    if (secret.value === undefined || !secret.setBy.some((name) => !unset(name))) continue; // reported above
    const weakness = secretWeakness(secret.value, secret.published);
    if (weakness) problems.push(`${secret.name} ${weakness}`);
  }
  for (const [operator, secret] of codecOperators) {
    const weakness = secretWeakness(secret);
    if (weakness) problems.push(`TOKENPAY_CODEC_CREDENTIALS secret of "${operator}" ${weakness}`);
  }
  if (e.TOKENPAY_CODEC_TRUST_UI_ORIGIN === '1') {
    problems.push('TOKENPAY_CODEC_TRUST_UI_ORIGIN=1 is development only (an Origin header proves nothing)');
  }
  if (e.TOKENPAY_TRUST_PROXY === 'true') {
    problems.push(
      "TOKENPAY_TRUST_PROXY=true trusts every hop, so clients choose their own address: give the hop count or the proxies' addresses",
    );
  }
  if (e.TEMPORAL_API_KEY !== undefined) {
    const weakness = e.TEMPORAL_API_KEY.length < 16 ? 'is too short to be a real API key' : undefined;
    if (weakness) problems.push(`TEMPORAL_API_KEY ${weakness}`);
  }
  return problems;
}

/** `name:secret,...` → name → secret (the codec's operators). Names are what the audit log shows. */
export function parseCodecCredentials(raw: string | undefined): Map<string, string> {
  const operators = new Map<string, string>();
  if (!raw) return operators;
  raw.split(',').forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const name = entry.slice(0, Math.max(0, colon)).trim();
    const secret = entry.slice(colon + 1).trim();
    if (colon < 0 || !/^[A-Za-z0-9._@-]{1,64}$/.test(name) || secret === '') {
      throw new Error(
        `TOKENPAY_CODEC_CREDENTIALS entry ${index + 1} must be "operator:secret" (operator: 1-64 of A-Z a-z 0-9 . _ @ -)`,
      );
    }
    if (operators.has(name)) throw new Error(`TOKENPAY_CODEC_CREDENTIALS lists "${name}" twice`);
    operators.set(name, secret);
  });
  return operators;
}

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
  /** `production` refused to start with any dev default or weak key */
  env: 'development' | 'production';
  port: number;
  host: string;
  publicBaseUrl: string;
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    /** TLS (server verification; mTLS with a client certificate) */
    tls?: TemporalTlsOptions;
    apiKey?: string;
    /** register the namespace and search attributes on start */
    setup: boolean;
    retentionDays: number;
  };
  mongoUri: string;
  gateway: {
    url: string;
    timeoutMs: number;
    /** verifies the gateway's signed notifications */
    notifySecret: string;
  };
  adminKey: string;
  /** master keys of the per-merchant card fingerprint keys */
  fingerprintKeys: FingerprintKeys;
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
    /** operator → secret: credentials of the codec endpoint (not the admin key) */
    operators: Map<string, string>;
    oidc?: { issuer: string; audience?: string };
  };
  /** Express's `trust proxy` (TOKENPAY_TRUST_PROXY) */
  trustProxy: TrustProxy;
  /** rate-limit counters: shared in MongoDB, or per process */
  rateLimitStore: 'mongodb' | 'memory';
  /** where webhooks and redirects may point (private targets refused in production) */
  targets: TargetPolicy;
  metrics: MetricsOptions;
  maintenance: {
    /** reconciliation runs this often (TOKENPAY_RECONCILE_INTERVAL) */
    reconcileIntervalMs: number;
    /** webhook delivery attempts are deleted after this long */
    deliveryLogRetentionMs: number;
    /** the worker creates (or updates) the schedules at start */
    schedules: boolean;
  };
  /** a workflow bundle to run instead of this build's own (dist/workflow-bundle.js) */
  workflowBundle?: string;
  /** Worker Deployment Versioning (DEPLOYING.md) */
  deployment: {
    name: string;
    /** else derived from the workflow bundle's bytes */
    buildId?: string;
    promotion: 'auto' | 'manual';
    shutdownGraceMs: number;
  };
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
  const production = e.TOKENPAY_ENV === 'production';
  const codecKeys = loadCodecKeys(env);
  const fingerprintKeys = e.TOKENPAY_FINGERPRINT_KEYS
    ? parseFingerprintKeys(e.TOKENPAY_FINGERPRINT_KEYS, env.TOKENPAY_FINGERPRINT_KEY || undefined)
    : parseFingerprintKeys(`k0:${e.TOKENPAY_FINGERPRINT_KEY}`, e.TOKENPAY_FINGERPRINT_KEY);
  const codecOperators = parseCodecCredentials(e.TOKENPAY_CODEC_CREDENTIALS);
  let allowed: ReturnType<typeof parseAllowedTargets>;
  try {
    allowed = parseAllowedTargets(e.TOKENPAY_ALLOWED_PRIVATE_TARGETS);
  } catch (error) {
    throw new Error(`Invalid configuration: TOKENPAY_ALLOWED_PRIVATE_TARGETS: ${(error as Error).message}`);
  }
  if (production) {
    const problems = productionProblems(e, env, codecKeys, fingerprintKeys, codecOperators);
    if (problems.length > 0) {
      throw new Error(
        `TOKENPAY_ENV=production refuses to start:\n- ${problems.join('\n- ')}\n` +
          'Set each from your secret store (random values of 32+ characters: `openssl rand -base64 32`; ' +
          'codec keys: `node dist/codec/generate-key.js`).',
      );
    }
  }
  const tlsPaths = {
    ...(e.TEMPORAL_TLS_CA_PATH ? { caPath: e.TEMPORAL_TLS_CA_PATH } : {}),
    ...(e.TEMPORAL_TLS_CERT_PATH ? { certPath: e.TEMPORAL_TLS_CERT_PATH } : {}),
    ...(e.TEMPORAL_TLS_KEY_PATH ? { keyPath: e.TEMPORAL_TLS_KEY_PATH } : {}),
    ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverName: e.TEMPORAL_TLS_SERVER_NAME } : {}),
  };
  if (!!tlsPaths.certPath !== !!tlsPaths.keyPath) {
    throw new Error(
      'Invalid configuration: TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together (mTLS)',
    );
  }
  const useTls =
    e.TEMPORAL_TLS === '1' ||
    (e.TEMPORAL_TLS !== '0' && (Object.keys(tlsPaths).length > 0 || e.TEMPORAL_API_KEY !== undefined));
  return {
    env: e.TOKENPAY_ENV,
    port: e.PORT,
    host: e.HOST,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://127.0.0.1:${e.PORT}`).replace(/\/$/, ''),
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      ...(useTls ? { tls: tlsPaths } : {}),
      ...(e.TEMPORAL_API_KEY ? { apiKey: e.TEMPORAL_API_KEY } : {}),
      setup: e.TOKENPAY_TEMPORAL_SETUP === '1',
      retentionDays: e.TOKENPAY_TEMPORAL_RETENTION_DAYS,
    },
    mongoUri: e.MONGODB_URI,
    gateway: {
      url: e.GATEWAY_URL,
      timeoutMs: e.GATEWAY_TIMEOUT_MS,
      notifySecret: e.TOKENPAY_GATEWAY_NOTIFY_SECRET,
    },
    adminKey: e.TOKENPAY_ADMIN_KEY,
    fingerprintKeys,
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
      keys: codecKeys,
      uiOrigins: e.TOKENPAY_CODEC_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      trustUiOrigin: e.TOKENPAY_CODEC_TRUST_UI_ORIGIN === '1',
      operators: codecOperators,
      ...(e.TOKENPAY_CODEC_OIDC_ISSUER
        ? {
            oidc: {
              issuer: e.TOKENPAY_CODEC_OIDC_ISSUER,
              ...(e.TOKENPAY_CODEC_OIDC_AUDIENCE ? { audience: e.TOKENPAY_CODEC_OIDC_AUDIENCE } : {}),
            },
          }
        : {}),
    },
    trustProxy: parseTrustProxy(e.TOKENPAY_TRUST_PROXY),
    rateLimitStore: e.TOKENPAY_RATE_LIMIT_STORE,
    targets: production ? { refusePrivate: true, ...allowed } : OPEN_TARGETS,
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
    deployment: {
      name: e.TOKENPAY_DEPLOYMENT_NAME ?? e.TEMPORAL_TASK_QUEUE,
      ...(e.TOKENPAY_BUILD_ID ? { buildId: e.TOKENPAY_BUILD_ID } : {}),
      promotion: e.TOKENPAY_VERSION_PROMOTION,
      shutdownGraceMs: parseInterval(e.TOKENPAY_WORKER_SHUTDOWN_GRACE)!,
    },
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

/**
 * For a process's main: the configuration, or the reason it is refused printed plainly (no stack
 * trace, no logger yet) and exit code 1.
 */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}
