/**
 * Web origins a merchant lets embed the checkout (the Web Checkout SDK's frame) and the public
 * keys that name them. An origin is exactly `scheme://host[:port]`: no path, query, fragment,
 * credentials or wildcard, because the browser compares it byte for byte (CSP `frame-ancestors`,
 * `postMessage` target origins). `http` is only for loopback hosts, where a developer runs a shop.
 */

/** How many origins one public key may allow. */
export const MAX_ALLOWED_ORIGINS = 20;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export type OriginCheck = { ok: true; origin: string } | { ok: false; message: string };

/** Parses one allowed origin; answers it normalised (lower case, default port dropped). */
export function parseWebOrigin(value: string): OriginCheck {
  const given = value.trim();
  if (!/^https?:\/\/[^/?#]+\/?$/i.test(given)) {
    return { ok: false, message: 'Give an origin as scheme://host[:port], without path, query or fragment.' };
  }
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    return { ok: false, message: 'Not a valid origin.' };
  }
  if (url.username || url.password) return { ok: false, message: 'An origin has no credentials.' };
  if (url.hostname.includes('*'))
    return { ok: false, message: 'Wildcards are not allowed: list each origin.' };
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || url.hostname.endsWith('.localhost');
  if (url.protocol === 'http:' && !loopback) {
    return { ok: false, message: 'Use https (http is only allowed for localhost and 127.0.0.1).' };
  }
  return { ok: true, origin: url.origin };
}

/**
 * A public key: `pk_` + 12 hex digits (its prefix, which names it in the admin API and is the
 * key's id) + `_` + 32 base64url characters (its secret part).
 */
export const PUBLIC_KEY_FORMAT = /^(pk_[0-9a-f]{12})_[A-Za-z0-9_-]{32}$/;

/** The key's prefix (`pk_0123456789ab`), or undefined when it is not a public key at all. */
export function publicKeyPrefix(key: string): string | undefined {
  return PUBLIC_KEY_FORMAT.exec(key)?.[1];
}

export const KEY_PREFIX_FORMAT = /^pk_[0-9a-f]{12}$/;
