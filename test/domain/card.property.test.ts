/**
 * Card rules, property-based: Luhn against an independent check-digit computation (the right digit
 * always passes, any other digit, any single changed digit and most adjacent swaps always fail),
 * brand detection that spaces and dashes cannot move, expiry parsing against an independent
 * oracle, and validateCard: it never throws on arbitrary strings and reports exactly the fields
 * that are wrong.
 */
import fc from 'fast-check';

import {
  cvvLength,
  detectBrand,
  digitsOnly,
  isExpired,
  parseExpiry,
  passesLuhn,
  validateCard,
  type CardInput,
} from '../../src/domain/card';
import { caseCounter } from '../support/counted';

const RUNS = { numRuns: 1000 };
const counted = caseCounter('card');

const digits = (min: number, max: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((d) => d.join(''));

/** The check digit, computed the textbook way (independent of the implementation under test). */
function checkDigit(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    // the rightmost payload digit is doubled (it becomes the second from the right)
    let d = Number(payload[payload.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

const withCheckDigit = (payload: string): string => payload + String(checkDigit(payload));

/** Payloads whose full number has a length the engine accepts (12..19 digits). */
const payload = digits(11, 18);

/** A number of a known brand, with a valid check digit. */
const branded = fc.oneof(
  fc.tuple(
    fc.constant('visa' as const),
    digits(14, 14).map((d) => withCheckDigit(`4${d}`)),
  ),
  fc.tuple(
    fc.constant('mastercard' as const),
    fc.tuple(fc.integer({ min: 51, max: 55 }), digits(13, 13)).map(([p, d]) => withCheckDigit(`${p}${d}`)),
  ),
  fc.tuple(
    fc.constant('amex' as const),
    fc.tuple(fc.constantFrom('34', '37'), digits(12, 12)).map(([p, d]) => withCheckDigit(`${p}${d}`)),
  ),
);

/** Inserts spaces and dashes (and other whitespace) between digits. */
const formatted = (number: string) =>
  fc
    .array(fc.constantFrom('', '', '', ' ', '-', '  ', ' - ', '\t', '\u00a0'), {
      minLength: number.length + 1,
      maxLength: number.length + 1,
    })
    .map((seps) => seps.map((sep, i) => sep + (number[i] ?? '')).join(''));

const FUTURE = new Date('2030-06-15T12:00:00Z');

describe('Luhn (property)', () => {
  it('appending the right check digit always passes; any other digit always fails', () => {
    fc.assert(
      fc.property(counted(payload), (p) => {
        const right = checkDigit(p);
        for (let d = 0; d <= 9; d++) expect(passesLuhn(p + String(d))).toBe(d === right);
      }),
      RUNS,
    );
  });

  it('changing any one digit always fails', () => {
    fc.assert(
      fc.property(
        counted(
          payload.chain((p) =>
            fc.tuple(
              fc.constant(withCheckDigit(p)),
              fc.integer({ min: 0, max: p.length }),
              fc.integer({ min: 1, max: 9 }),
            ),
          ),
        ),
        ([number, position, delta]) => {
          const changed = (Number(number[position]) + delta) % 10;
          const mutated = number.slice(0, position) + String(changed) + number.slice(position + 1);
          expect(passesLuhn(number)).toBe(true);
          expect(passesLuhn(mutated)).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it('swapping two different adjacent digits fails (except the 09 ↔ 90 blind spot)', () => {
    fc.assert(
      fc.property(
        counted(
          payload.chain((p) => fc.tuple(fc.constant(withCheckDigit(p)), fc.nat({ max: p.length - 1 }))),
        ),
        ([number, i]) => {
          const [a, b] = [number[i]!, number[i + 1]!];
          fc.pre(a !== b && !((a === '0' && b === '9') || (a === '9' && b === '0')));
          const swapped = number.slice(0, i) + b + a + number.slice(i + 2);
          expect(passesLuhn(swapped)).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it('refuses anything that is not 12 to 19 plain digits, whatever its checksum', () => {
    fc.assert(
      fc.property(
        counted(
          fc.oneof(
            digits(0, 10).map((d) => (d.length ? withCheckDigit(d.slice(1)) : d)),
            digits(19, 30).map(withCheckDigit),
            fc.string({ unit: 'binary', maxLength: 25 }),
            payload.map((p) => ` ${withCheckDigit(p)}`),
            payload.map((p) => withCheckDigit(p).replace(/^(\d{4})/, '$1-')),
          ),
        ),
        (input) => {
          if (!/^\d{12,19}$/.test(input)) expect(passesLuhn(input)).toBe(false);
        },
      ),
      RUNS,
    );
  });
});

describe('brand detection (property)', () => {
  it('detects the brand of the prefix, and spaces or dashes cannot change it', () => {
    for (const [number, brand] of [
      ['4242424242424242', 'visa'],
      ['5123450000000008', 'mastercard'],
      ['2223003122003222', 'mastercard'],
      ['378282246310005', 'amex'],
      ['371449635398431', 'amex'],
    ] as const) {
      expect(detectBrand(number)).toBe(brand);
    }
    fc.assert(
      fc.property(
        counted(branded.chain(([brand, n]) => fc.tuple(fc.constant(brand), fc.constant(n), formatted(n)))),
        ([prefixBrand, number, shown]) => {
          // a few BIN ranges inside 4 / 51-55 belong to domestic networks (Elo, Naranja, ...),
          // which credit-card-type names and the engine treats as 'unknown' (3-digit CVV)
          const brand = detectBrand(number);
          expect([prefixBrand, 'unknown']).toContain(brand);
          expect(digitsOnly(shown)).toBe(number);
          expect(detectBrand(digitsOnly(shown))).toBe(brand);
          const cvv = '7'.repeat(cvvLength(brand));
          const result = validateCard(
            { name_on_card: 'A B', number: shown, expiry_month: '12', expiry_year: '2039', cvv },
            FUTURE,
          );
          expect(result).toEqual({
            ok: true,
            card: { name: 'A B', number, brand, expiry: { month: '12', year: '39' }, cvv },
          });
        },
      ),
      RUNS,
    );
  });

  it('never throws, and answers one of the known brands, for any string', () => {
    fc.assert(
      fc.property(counted(fc.oneof(fc.string({ unit: 'binary' }), digits(0, 25))), (input) => {
        expect(['visa', 'mastercard', 'amex', 'unknown']).toContain(detectBrand(input));
      }),
      RUNS,
    );
  });
});

describe('expiry (property)', () => {
  const monthOk = (m: string) => /^(0?[1-9]|1[0-2])$/.test(m);
  const yearOk = (y: string) => /^(\d{2}|20\d{2})$/.test(y);

  it('parseExpiry agrees with an independent oracle on arbitrary strings', () => {
    const part = fc.oneof(
      digits(0, 5),
      fc.string({ unit: 'binary', maxLength: 5 }),
      fc.integer({ min: -5, max: 2200 }).map(String),
    );
    fc.assert(
      fc.property(counted(fc.tuple(part, part)), ([m, y]) => {
        const parsed = parseExpiry(m, y);
        if (!monthOk(m) || !yearOk(y)) {
          expect(parsed).toBeUndefined();
          return;
        }
        expect(parsed).toEqual({ month: String(Number(m)).padStart(2, '0'), year: y.slice(-2) });
      }),
      { numRuns: 3000 },
    );
  });

  it('isExpired is "before the current month", and once expired stays expired', () => {
    fc.assert(
      fc.property(
        counted(
          fc.tuple(
            fc.integer({ min: 1, max: 12 }),
            fc.integer({ min: 0, max: 99 }),
            fc.date({
              min: new Date('2000-01-01T00:00:00Z'),
              max: new Date('2099-12-31T23:59:59Z'),
              noInvalidDate: true,
            }),
            fc.integer({ min: 0, max: 5 * 365 * 24 * 3600 * 1000 }),
          ),
        ),
        ([month, year, now, later]) => {
          const expiry = { month: String(month).padStart(2, '0'), year: String(year).padStart(2, '0') };
          const expected =
            2000 + year < now.getUTCFullYear() ||
            (2000 + year === now.getUTCFullYear() && month < now.getUTCMonth() + 1);
          expect(isExpired(expiry, now)).toBe(expected);
          if (expected) expect(isExpired(expiry, new Date(now.getTime() + later))).toBe(true);
        },
      ),
      RUNS,
    );
  });
});

describe('validateCard (property)', () => {
  const junk = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    digits(0, 20),
    fc.constantFrom('', ' ', '\u0000', '12', '2039', '4242 4242 4242 4242', '1234', '00', '13'),
  );

  it('never throws on arbitrary strings; errors are per field and non-empty', () => {
    fc.assert(
      fc.property(
        counted(
          fc.record({ name_on_card: junk, number: junk, expiry_month: junk, expiry_year: junk, cvv: junk }),
        ),
        fc.date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2098-12-31T00:00:00Z'),
          noInvalidDate: true,
        }),
        (input: CardInput, now) => {
          const result = validateCard(input, now);
          if (result.ok) return;
          const keys = Object.keys(result.errors);
          expect(keys.length).toBeGreaterThan(0);
          for (const key of keys) {
            expect(['name_on_card', 'number', 'expiry_month', 'expiry_year', 'cvv']).toContain(key);
            expect(typeof result.errors[key as keyof CardInput]).toBe('string');
            expect(result.errors[key as keyof CardInput]!.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('reports exactly the fields that are wrong, and only those', () => {
    // each field independently valid or broken; the oracle is written from the rules, not the code
    const field = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) =>
      fc.oneof(
        good.map((v) => ({ v, ok: true })),
        bad.map((v) => ({ v, ok: false })),
      );
    const goodNumber = branded.chain(([, n]) => formatted(n));
    const badNumber = fc.oneof(
      junk.filter((s) => !/^\d{12,19}$/.test(digitsOnly(s))),
      branded.map(([, n]) => n.slice(0, -1) + String((Number(n.slice(-1)) + 1) % 10)),
    );
    const arb = fc.record({
      name: field(
        fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s.trim() !== ''),
        fc.constantFrom('', ' ', '\t\n', '\u00a0'),
      ),
      number: field(goodNumber, badNumber),
      month: field(
        fc.integer({ min: 1, max: 12 }).chain((m) => fc.constantFrom(String(m), String(m).padStart(2, '0'))),
        fc.oneof(
          fc.constantFrom('0', '00', '13', '99', '', '1a', '012', '-1', ' 1'),
          junk.filter((s) => !/^(0?[1-9]|1[0-2])$/.test(s)),
        ),
      ),
      year: field(
        fc.integer({ min: 31, max: 99 }).chain((y) => fc.constantFrom(String(y), `20${y}`)),
        fc.constantFrom('', '1', '123', '1999', '2100', 'ab', ' 39'),
      ),
      expiredYear: fc.integer({ min: 0, max: 29 }),
      expired: fc.boolean(),
      cvvOk: fc.boolean(),
    });
    fc.assert(
      fc.property(counted(arb), (g) => {
        const number = g.number.v;
        const brand = detectBrand(digitsOnly(number));
        const cvv = g.cvvOk ? '3'.repeat(cvvLength(brand)) : '3'.repeat(cvvLength(brand) + 1);
        const year = g.year.ok && g.expired ? String(g.expiredYear).padStart(2, '0') : g.year.v;
        const input = { name_on_card: g.name.v, number, expiry_month: g.month.v, expiry_year: year, cvv };
        const result = validateCard(input, FUTURE);
        const expected = new Set<string>();
        if (!g.name.ok) expected.add('name_on_card');
        if (!g.number.ok) expected.add('number');
        if (!g.month.ok || !g.year.ok) expected.add('expiry_month');
        else if (g.expired) expected.add('expiry_year');
        if (!g.cvvOk) expected.add('cvv');
        if (expected.size === 0) {
          expect(result.ok).toBe(true);
        } else {
          expect(result.ok).toBe(false);
          if (!result.ok) expect(new Set(Object.keys(result.errors))).toEqual(expected);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
