/**
 * Structured JSON logs. Card fields, keys and personal data are removed by configuration here,
 * so no call site has to remember to.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export const REDACTED_PATHS = [
  '*.number',
  '*.cvv',
  '*.cvc',
  '*.card',
  'card',
  'number',
  'cvv',
  'cvc',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.api_key',
  '*.webhook_hmac_key',
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
