/**
 * Webhook signatures (CONTRACT §4, Ottu's algorithm), property-based, against an independent
 * implementation: key order never matters, absent / null / empty values and unsigned keys are
 * dropped, any change of a signed value changes the signature, and verification accepts exactly
 * the right signature and never throws.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';

import { SIGNED_FIELDS, signWebhook, signingString, verifyWebhook } from '../../src/webhooks/signature';
import { caseCounter } from '../support/counted';

const counted = caseCounter('webhook-signature');

/** The algorithm as the contract words it, written from the text. */
function reference(payload: Record<string, unknown>, key: string): string {
  const message = Object.keys(payload)
    .filter((k) => (SIGNED_FIELDS as readonly string[]).includes(k))
    .filter((k) => payload[k] !== undefined && payload[k] !== null && payload[k] !== '')
    .sort()
    .map((k) => `${k}${String(payload[k])}`)
    .join('');
  return createHmac('sha256', key).update(message, 'utf8').digest('hex');
}

const value = fc.oneof(
  fc.string({ minLength: 1, maxLength: 24 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
  fc.stringMatching(/^\d{1,6}\.\d{3}$/),
);
const signedEntries = fc.uniqueArray(fc.tuple(fc.constantFrom(...SIGNED_FIELDS), value), {
  selector: ([k]) => k,
  maxLength: SIGNED_FIELDS.length,
});
const unsignedKey = fc
  .string({ minLength: 1, maxLength: 12 })
  .filter((k) => !(SIGNED_FIELDS as readonly string[]).includes(k) && k !== '__proto__');
const unsignedEntries = fc.uniqueArray(
  fc.tuple(unsignedKey, fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.object({ maxDepth: 2 }))),
  { selector: ([k]) => k, maxLength: 6 },
);
const hmacKey = fc.string({ minLength: 1, maxLength: 40 });

const fromEntries = (entries: readonly (readonly [string, unknown])[]): Record<string, unknown> =>
  Object.fromEntries(entries);

describe('webhook signature (property)', () => {
  it('matches the contract test vector', () => {
    expect(
      signWebhook(
        { amount: '86.000', currency_code: 'KWD', customer_first_name: 'example-customer' },
        'pu9MpX3yPR',
      ),
    ).toBe('6143b8ad4bd283540721ab000f6de746e722231aaaa90bc38f639081d3ff9f67');
  });

  it('agrees with an independent implementation and is independent of key order', () => {
    fc.assert(
      fc.property(
        counted(
          fc
            .tuple(signedEntries, unsignedEntries, hmacKey)
            .chain(([s, u, k]) =>
              fc.tuple(
                fc.constant([...s, ...u]),
                fc.shuffledSubarray([...s, ...u], { minLength: s.length + u.length }),
                fc.constant(k),
              ),
            ),
        ),
        ([entries, shuffled, key]) => {
          const payload = fromEntries(entries);
          const reordered = fromEntries(shuffled);
          const signature = signWebhook(payload, key);
          expect(signature).toBe(reference(payload, key));
          expect(signWebhook(reordered, key)).toBe(signature);
          expect(signingString(reordered)).toBe(signingString(payload));
          expect(verifyWebhook(reordered, key, signature)).toBe(true);
          expect(verifyWebhook(payload, key, signature.toUpperCase())).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('drops absent, null and empty values and every unsigned key', () => {
    fc.assert(
      fc.property(
        counted(
          fc.tuple(
            signedEntries,
            fc.uniqueArray(
              fc.tuple(fc.constantFrom(...SIGNED_FIELDS), fc.constantFrom<unknown>(null, undefined, '')),
              { selector: ([k]) => k },
            ),
            unsignedEntries,
            hmacKey,
          ),
        ),
        ([signed, blanks, unsigned, key]) => {
          const present = new Set(signed.map(([k]) => k));
          const base = fromEntries(signed);
          const noisy = fromEntries([...signed, ...blanks.filter(([k]) => !present.has(k)), ...unsigned]);
          expect(signingString(noisy)).toBe(signingString(base));
          expect(signWebhook(noisy, key)).toBe(signWebhook(base, key));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('changes when any one signed value changes, and does not verify under another key', () => {
    fc.assert(
      fc.property(
        counted(
          fc
            .tuple(
              signedEntries.filter((e) => e.length > 0),
              value,
              hmacKey,
              hmacKey,
            )
            .chain(([entries, replacement, key, otherKey]) =>
              fc.tuple(
                fc.constant(entries),
                fc.nat({ max: entries.length - 1 }),
                fc.constant(replacement),
                fc.constant(key),
                fc.constant(otherKey),
              ),
            ),
        ),
        ([entries, i, replacement, key, otherKey]) => {
          const payload = fromEntries(entries);
          const signature = signWebhook(payload, key);
          const [field, old] = entries[i]!;
          if (replacement !== old) {
            const tampered = { ...payload, [field]: replacement };
            expect(signWebhook(tampered, key)).not.toBe(signature);
            expect(verifyWebhook(tampered, key, signature)).toBe(false);
          }
          if (otherKey !== key) expect(verifyWebhook(payload, otherKey, signature)).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('verification never throws, whatever the signature or payload values', () => {
    fc.assert(
      fc.property(
        counted(
          fc.tuple(
            fc.dictionary(fc.constantFrom(...SIGNED_FIELDS), fc.anything({ maxDepth: 2 }), { maxKeys: 6 }),
            fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-fA-F]{64}$/), fc.anything()),
            hmacKey,
          ),
        ),
        ([payload, signature, key]) => {
          expect(typeof verifyWebhook(payload, key, signature as string)).toBe('boolean');
        },
      ),
      { numRuns: 1000 },
    );
  });
});
