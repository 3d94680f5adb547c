import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

/** The issuer's CVV for a card on file, as a salted scrypt hash (the raw CVC is never stored). */
export interface CvvHash {
  salt: string;
  hash: string;
}

const KEY_LENGTH = 32;
const SCRYPT_OPTIONS = { N: 16384, r: 8, p: 1 };

export function hashCvv(cvc: string): CvvHash {
  const salt = randomBytes(16);
  const hash = scryptSync(cvc, salt, KEY_LENGTH, SCRYPT_OPTIONS);
  return { salt: salt.toString('base64'), hash: hash.toString('base64') };
}

export function verifyCvv(cvc: string, stored: CvvHash): boolean {
  const expected = Buffer.from(stored.hash, 'base64');
  const actual = scryptSync(cvc, Buffer.from(stored.salt, 'base64'), KEY_LENGTH, SCRYPT_OPTIONS);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
