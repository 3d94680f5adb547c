import { createHmac } from 'node:crypto';

/**
 * A keyed fingerprint of a card number: equal for the same card, useless without the key (a plain
 * hash of a PAN can be brute-forced from the BIN and last 4). Never used in workflow code.
 */
export function cardFingerprint(pan: string, key: string): string {
  return createHmac('sha256', key).update(`pan:${pan}`).digest('hex');
}
