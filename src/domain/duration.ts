/** Ottu's `expiration_time`: "D HH:MM:SS" or "HH:MM:SS". */
const PATTERN = /^(?:(\d{1,3}) )?(\d{1,2}):([0-5]\d):([0-5]\d)$/;

export const DEFAULT_EXPIRATION = '1 00:00:00';
export const MAX_EXPIRATION_MS = 30 * 24 * 3600 * 1000;

export function parseExpirationTime(value: string): number | undefined {
  const match = PATTERN.exec(value);
  if (!match) return undefined;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = match;
  if (Number(hours) > 23) return undefined;
  const ms = (((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
  return ms > 0 && ms <= MAX_EXPIRATION_MS ? ms : undefined;
}
