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

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A setting's interval: "30s", "5m", "1h", "90d" → milliseconds; undefined when not one. */
export function parseInterval(value: string): number | undefined {
  const match = /^(\d{1,6})([smhd])$/.exec(value.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms > 0 ? ms : undefined;
}
