/**
 * Is a secret strong enough for production? A key that people type, copy from a README or reuse
 * from a tutorial is guessable whatever its length; a random one of 32+ characters is not. This
 * is a floor that catches the usual mistakes (a dev default, "changeme", a short or repetitive
 * value), not a proof of randomness: generate keys (`openssl rand -base64 32`, or
 * `npm run cluster`, which writes strong ones).
 */

/** Shortest secret accepted in production. */
export const MIN_SECRET_LENGTH = 32;
/**
 * Entropy the characters of a secret must carry at least, estimated from their frequencies. The
 * estimate of a random 128-bit key in hex (32 characters) varies with the sample: ~118 on average,
 * 91.5 at the lowest in 300,000 draws; skewed or repetitive strings score far lower.
 */
export const MIN_SECRET_BITS = 80;

/**
 * Bits of entropy of `value` as a sequence of independent characters drawn with the frequencies
 * they have in it (Shannon). Random hex of 32 characters scores about 118, random base64 of 44
 * about 225, "aaaa…" 0, "abcabc…" 1.6 per character.
 */
export function estimatedBits(value: string): number {
  const chars = [...value];
  if (chars.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) {
    const p = n / chars.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * chars.length;
}

/** True when `value` is one block repeated (with a partial last copy), e.g. "0123456789012…". */
function repeatsABlock(value: string): boolean {
  for (let period = 1; period <= value.length / 2; period++) {
    let repeating = true;
    for (let i = period; i < value.length && repeating; i++) repeating = value[i] === value[i - period];
    if (repeating) return true;
  }
  return false;
}

/** Words that mark a placeholder rather than a secret. */
const PLACEHOLDER = /change[-_ ]?me|replace[-_ ]?me|dev[-_]?only|example|password|secret123|default/i;

/**
 * Why `value` is too weak for production, or undefined when it is acceptable. Never repeats the
 * value: the message may end up in a log.
 */
export function secretWeakness(value: string, knownPublic: readonly string[] = []): string | undefined {
  if (knownPublic.includes(value)) return 'is a published development default';
  if (PLACEHOLDER.test(value)) return 'looks like a placeholder, not a secret';
  const length = [...value].length;
  if (length < MIN_SECRET_LENGTH) {
    return `is ${length} characters long; at least ${MIN_SECRET_LENGTH} random characters are needed`;
  }
  if (repeatsABlock(value)) return 'repeats one short block of characters: use random characters';
  const bits = estimatedBits(value);
  if (bits < MIN_SECRET_BITS) {
    return `has too little entropy (about ${Math.floor(bits)} bits, at least ${MIN_SECRET_BITS} needed): use random characters`;
  }
  return undefined;
}
