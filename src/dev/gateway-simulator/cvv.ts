import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

/** The issuer's CVV for a card on file, as a salted scrypt hash (the raw CVC is never stored). */
export interface CvvHash {
  salt: string;
  hash: string;
  /** scrypt cost; absent in hashes written before it was recorded (then 16384) */
  n?: number;
}

const KEY_LENGTH = 32;
/**
 * A low cost on purpose: this stands in for an issuer, and a 3-digit secret is no stronger for a
 * slower hash. 16384 cost ~48 ms of blocking CPU per stored card and dominated the benchmark.
 */
const COST = 1024;
const LEGACY_COST = 16384;

export function hashCvv(cvc: string): CvvHash {
  const salt = randomBytes(16);
  const hash = scryptSync(cvc, salt, KEY_LENGTH, { N: COST, r: 8, p: 1 });
  return { salt: salt.toString('base64'), hash: hash.toString('base64'), n: COST };
}

export function verifyCvv(cvc: string, stored: CvvHash): boolean {
  const expected = Buffer.from(stored.hash, 'base64');
  const actual = scryptSync(cvc, Buffer.from(stored.salt, 'base64'), KEY_LENGTH, {
    N: stored.n ?? LEGACY_COST,
    r: 8,
    p: 1,
  });
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
