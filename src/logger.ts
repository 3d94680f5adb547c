/**
 * Structured JSON logs (pino). Card fields, keys, credentials, request bodies and personal data
 * are removed by configuration here, so no call site has to remember to. The API (pino-http), the
 * worker and the Temporal SDK running in the worker (workflow, activity and Core logs, through
 * `temporalLogger`) all write through a logger made here, so every line is JSON with the same
 * redaction. A line about a payment carries `session_id`.
 */
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import pino, { type DestinationStream, type Logger } from 'pino';

export const REDACTED_PATHS = [
  // card data, wherever a caller puts it
  '*.number',
  '*.cvv',
  '*.cvc',
  '*.card',
  '*.pan',
  'card',
  'number',
  'cvv',
  'cvc',
  'pan',
  // request and response bodies are never logged; body-parser errors carry the raw body
  'body',
  'req.body',
  'res.body',
  'err.body',
  '*.rawBody',
  // credentials in headers (pino-http's req/res, or any object with headers)
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-csrf-token"]',
  // keys
  'api_key',
  'webhook_hmac_key',
  '*.api_key',
  '*.webhook_hmac_key',
  '*.csrf_token',
  // personal data
  'customer_email',
  'customer_phone',
  'customer_first_name',
  'customer_last_name',
  'billing_address',
  '*.customer_email',
  '*.customer_phone',
  '*.customer_first_name',
  '*.customer_last_name',
  '*.billing_address',
];

export type { Logger };

export function createLogger(
  options: { level?: string; name?: string } = {},
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      ...(options.name ? { name: options.name } : {}),
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { service: options.name ?? 'tokenpay' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

const SESSION_ID = /(?:^|[^0-9a-f])([0-9a-f]{64})(?![0-9a-f])/;

/**
 * The session id inside a workflow id, event id or path: `checkout-{session_id}`,
 * `token-charge-{session_id}-{n}`, `operations-{session_id}`, `webhook-{session_id}.{state}`,
 * `/checkout/{session_id}/submit`.
 */
export function sessionIdIn(value: unknown): string | undefined {
  return typeof value === 'string' ? SESSION_ID.exec(value)?.[1] : undefined;
}

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Temporal's log metadata as JSON-safe pino fields: string keys only, errors under `err`. */
function toFields(meta: LogMetadata | undefined): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (!meta) return fields;
  for (const [key, value] of Object.entries(meta)) {
    if (value === undefined || typeof value === 'function') continue;
    if (value instanceof Error) fields[key === 'error' || key === 'failure' ? 'err' : key] = value;
    else if (typeof value === 'bigint') fields[key] = value.toString();
    else fields[key] = value;
  }
  // Activity task tokens are opaque binary blobs: noise in a log line.
  delete fields.taskToken;
  const sessionId = sessionIdIn(meta.workflowId) ?? sessionIdIn(meta.sessionId);
  if (sessionId) fields.session_id = sessionId;
  return fields;
}

/**
 * The Temporal Runtime's logger, writing through pino: SDK, Core (when forwarded), workflow and
 * activity logs become the same JSON lines as the rest, with the same redaction, and `session_id`
 * taken from the workflow id (`checkout-{session_id}`, ...) so one payment can be followed.
 */
export function temporalLogger(logger: Logger): TemporalLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    logger[PINO_LEVEL[level] ?? 'info'](toFields(meta), message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
