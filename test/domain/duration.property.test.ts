/**
 * Ottu's `expiration_time` ("D HH:MM:SS" or "HH:MM:SS"), property-based: every well-formed value
 * parses to its duration (when it is within (0, 30 days]), formatting a duration back parses to
 * the same value, out-of-range fields are refused, and junk never throws.
 */
import fc from 'fast-check';

import { MAX_EXPIRATION_MS, parseExpirationTime } from '../../src/domain/duration';
import { createPaymentSchema } from '../../src/domain/schemas';
import { caseCounter } from '../support/counted';

const counted = caseCounter('duration');

const two = (n: number) => String(n).padStart(2, '0');
const msOf = (d: number, h: number, m: number, s: number) => (((d * 24 + h) * 60 + m) * 60 + s) * 1000;

function format(ms: number): string {
  const total = ms / 1000;
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${d} ${two(h)}:${two(m)}:${two(s)}`;
}

describe('expiration_time (property)', () => {
  it('parses every well-formed "D HH:MM:SS" and "HH:MM:SS" to its duration, within (0, 30 days]', () => {
    fc.assert(
      fc.property(
        counted(
          fc.record({
            days: fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined }),
            hours: fc.integer({ min: 0, max: 23 }),
            minutes: fc.integer({ min: 0, max: 59 }),
            seconds: fc.integer({ min: 0, max: 59 }),
            padHours: fc.boolean(),
          }),
        ),
        ({ days, hours, minutes, seconds, padHours }) => {
          const hh = padHours ? two(hours) : String(hours);
          const text = `${days === undefined ? '' : `${days} `}${hh}:${two(minutes)}:${two(seconds)}`;
          const ms = msOf(days ?? 0, hours, minutes, seconds);
          const expected = ms > 0 && ms <= MAX_EXPIRATION_MS ? ms : undefined;
          expect(parseExpirationTime(text)).toBe(expected);
          // the API schema accepts exactly what the parser accepts
          const body = { type: 'e_commerce', amount: '1', currency_code: 'KWD', pg_codes: ['x'] };
          expect(createPaymentSchema.safeParse({ ...body, expiration_time: text }).success).toBe(
            expected !== undefined,
          );
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('formatting a duration and parsing it back is the identity (1 s … 30 days)', () => {
    fc.assert(
      fc.property(counted(fc.integer({ min: 1, max: MAX_EXPIRATION_MS / 1000 })), (seconds) => {
        expect(parseExpirationTime(format(seconds * 1000))).toBe(seconds * 1000);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses hours above 23, minutes or seconds above 59 or not two digits', () => {
    fc.assert(
      fc.property(
        counted(
          fc.oneof(
            fc
              .tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 24, max: 99 }))
              .map(([d, h]) => `${d} ${h}:00:00`),
            fc.integer({ min: 60, max: 99 }).map((m) => `00:${m}:00`),
            fc.integer({ min: 60, max: 99 }).map((s) => `00:00:${s}`),
            fc.integer({ min: 0, max: 9 }).map((m) => `00:${m}:10`),
            fc.integer({ min: 0, max: 9 }).map((s) => `00:10:${s}`),
            fc.integer({ min: 1000, max: 99_999 }).map((d) => `${d} 00:00:01`),
            fc.integer({ min: 31, max: 999 }).map((d) => `${d} 00:00:00`),
            fc.constantFrom('00:00:00', '0 00:00:00', '30 00:00:01', '-1 00:00:10', '1 1:1:1', '1  00:00:01'),
          ),
        ),
        (text) => {
          expect(parseExpirationTime(text)).toBeUndefined();
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('junk never throws and never yields a duration outside (0, 30 days]', () => {
    fc.assert(
      fc.property(
        counted(
          fc.oneof(
            fc.string({ unit: 'binary', maxLength: 30 }),
            fc.string({ unit: fc.constantFrom(...'0123456789: -\u0660'), maxLength: 16 }),
            fc.stringMatching(/^\d{1,4} \d{1,3}:\d{1,3}:\d{1,3}$/),
          ),
        ),
        (text) => {
          const ms = parseExpirationTime(text);
          if (ms !== undefined) {
            expect(Number.isInteger(ms)).toBe(true);
            expect(ms).toBeGreaterThan(0);
            expect(ms).toBeLessThanOrEqual(MAX_EXPIRATION_MS);
            expect(text).toMatch(/^(\d{1,3} )?\d{1,2}:[0-5]\d:[0-5]\d$/);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });
});
