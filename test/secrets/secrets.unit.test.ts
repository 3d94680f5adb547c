/** Key strength and the per-merchant, rotatable card fingerprints. */
import { randomBytes } from 'node:crypto';

import {
  cardFingerprint,
  cardFingerprints,
  parseCardFingerprints,
  parseFingerprintKeys,
} from '../../src/secrets/fingerprint';
import { estimatedBits, MIN_SECRET_BITS, secretWeakness } from '../../src/secrets/strength';

describe('secretWeakness', () => {
  it('accepts random keys of 32+ characters in the usual encodings', () => {
    for (let i = 0; i < 2000; i++) {
      expect(secretWeakness(randomBytes(32).toString('base64'))).toBeUndefined();
      expect(secretWeakness(randomBytes(16).toString('hex'))).toBeUndefined();
      expect(secretWeakness(randomBytes(24).toString('base64url'))).toBeUndefined();
    }
  });

  it('refuses short, repetitive, placeholder and published values', () => {
    expect(secretWeakness('x'.repeat(31))).toMatch(/31 characters/);
    expect(secretWeakness('0123456789'.repeat(4))).toMatch(/repeats one short block/);
    expect(secretWeakness('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab')).toMatch(/too little entropy/);
    expect(secretWeakness(`${'a'.repeat(30)}bcdefghijk`)).toMatch(/too little entropy/);
    expect(secretWeakness('changeme-changeme-changeme-changeme')).toMatch(/placeholder/);
    expect(
      secretWeakness('the-published-one-0123456789abcdef', ['the-published-one-0123456789abcdef']),
    ).toMatch(/published/);
  });

  it('estimates entropy from character frequencies', () => {
    expect(estimatedBits('')).toBe(0);
    expect(estimatedBits('aaaa')).toBe(0);
    expect(estimatedBits('abab')).toBeCloseTo(4);
    expect(estimatedBits(randomBytes(32).toString('base64'))).toBeGreaterThan(MIN_SECRET_BITS);
  });
});

describe('card fingerprints', () => {
  const PAN = '4242424242424242';
  const keys = parseFingerprintKeys(
    'k2:second-master-key-2222222222222222,k1:first-master-key-11111111111111111',
  );

  it('are per merchant: the same card at two merchants gives unrelated values', () => {
    const [a] = parseCardFingerprints(cardFingerprints(PAN, 'm_a', keys));
    const [b] = parseCardFingerprints(cardFingerprints(PAN, 'm_b', keys));
    expect(a!.value).not.toBe(b!.value);
    expect(a!.keyId).toBe('k2');
    expect(parseCardFingerprints(cardFingerprints(PAN, 'm_a', keys))[0]).toEqual(a);
  });

  it('carry the current key first, then older keys and the legacy global one', () => {
    const withLegacy = parseFingerprintKeys('k2:second-master-key-2222222222222222,k1:x1', 'old-global-key');
    const candidates = parseCardFingerprints(cardFingerprints(PAN, 'm_a', withLegacy));
    expect(candidates.map((c) => c.keyId)).toEqual(['k2', 'k1', 'legacy']);
    expect(candidates[2]!.value).toBe(cardFingerprint(PAN, 'old-global-key'));
    expect(candidates.every((c) => /^[0-9a-f]{64}$/.test(c.value))).toBe(true);
    expect(JSON.stringify(candidates)).not.toContain(PAN);
  });

  it('read a bare hex fingerprint (made before key ids) as a legacy one', () => {
    expect(parseCardFingerprints('ab'.repeat(32))).toEqual([{ keyId: 'legacy', value: 'ab'.repeat(32) }]);
  });

  it('reject malformed key lists without echoing secrets', () => {
    expect(() => parseFingerprintKeys('no-colon-here')).toThrow(/entry 1 has no ":"/);
    expect(() => parseFingerprintKeys('k1:a,k1:b')).toThrow(/listed twice/);
    expect(() => parseFingerprintKeys('legacy:abc')).toThrow(/invalid/);
    expect(() => parseFingerprintKeys('bad id!:abc')).toThrow(/invalid/);
  });
});
