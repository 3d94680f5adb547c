/**
 * Money, property-based: for every currency exponent the decimal-string ⇄ minor-unit mapping is a
 * bijection on what it accepts, normalising is idempotent, extra decimals are always refused,
 * arithmetic on bigint minor units agrees with schoolbook decimal addition on strings, and no input
 * string makes the parser throw anything but MoneyFormatError.
 */
import fc from 'fast-check';

import {
  CURRENCY_CODES,
  CURRENCY_EXPONENTS,
  MoneyFormatError,
  formatMinorUnits,
  maxMinorUnits,
  minorUnitsToNumber,
  normalizeAmount,
  parseMinorUnits,
  type CurrencyCode,
} from '../../src/domain/money';
import { caseCounter } from '../support/counted';

const RUNS = { numRuns: 1000 };
const counted = caseCounter('money');

const currency = fc.constantFrom(...CURRENCY_CODES);
/** Amounts have at most 9 whole digits (999,999,999 in any currency: domain/money.ts). */
const MAX_WHOLE = 10n ** 9n - 1n;
const digitString = (min: number, max: number) =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));
/** A whole part as the contract writes it: "0" or no leading zero, up to 9 digits. */
const whole = fc.bigInt({ min: 0n, max: MAX_WHOLE }).map(String);

/** A well-formed amount for `c` with 0..exponent decimals. */
const amountFor = (c: CurrencyCode) =>
  fc.tuple(whole, digitString(0, CURRENCY_EXPONENTS[c])).map(([w, f]) => (f.length > 0 ? `${w}.${f}` : w));

/** Schoolbook addition of two non-negative decimal strings with the same number of decimals. */
function addDecimalStrings(a: string, b: string): string {
  const [aw, af = ''] = a.split('.');
  const [bw, bf = ''] = b.split('.');
  const decimals = af.length;
  const x = (aw! + af).split('').reverse();
  const y = (bw! + bf).split('').reverse();
  const out: number[] = [];
  let carry = 0;
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const sum = Number(x[i] ?? 0) + Number(y[i] ?? 0) + carry;
    out.push(sum % 10);
    carry = sum >= 10 ? 1 : 0;
  }
  if (carry) out.push(carry);
  let digits = out.reverse().join('');
  digits = digits.padStart(decimals + 1, '0');
  let w = digits.slice(0, digits.length - decimals).replace(/^0+(?=\d)/, '');
  if (w === '') w = '0';
  return decimals > 0 ? `${w}.${digits.slice(digits.length - decimals)}` : w;
}

describe('money (property)', () => {
  it('format → parse is the identity on minor units, for every exponent', () => {
    fc.assert(
      fc.property(
        counted(
          currency.chain((c) => fc.tuple(fc.constant(c), fc.bigInt({ min: 0n, max: maxMinorUnits(c) }))),
        ),
        ([c, minor]) => {
          const text = formatMinorUnits(minor, c);
          expect(parseMinorUnits(text, c)).toBe(minor);
          const exponent = CURRENCY_EXPONENTS[c];
          if (exponent === 0) expect(text).toMatch(/^(0|[1-9]\d*)$/);
          else expect(text).toMatch(new RegExp(`^(0|[1-9]\\d*)\\.\\d{${exponent}}$`));
        },
      ),
      RUNS,
    );
  });

  it('parse → format normalises to exactly the exponent, and normalising is idempotent', () => {
    fc.assert(
      fc.property(counted(currency.chain((c) => fc.tuple(fc.constant(c), amountFor(c)))), ([c, amount]) => {
        const normal = normalizeAmount(amount, c);
        expect(normalizeAmount(normal, c)).toBe(normal);
        expect(formatMinorUnits(parseMinorUnits(amount, c), c)).toBe(normal);
        // same value: the normal form only adds trailing zeros (and never drops digits)
        const exponent = CURRENCY_EXPONENTS[c];
        const [w, f = ''] = amount.split('.');
        expect(normal).toBe(exponent === 0 ? w : `${w}.${f.padEnd(exponent, '0')}`);
      }),
      RUNS,
    );
  });

  it('never accepts more decimals than the currency has (not even trailing zeros)', () => {
    fc.assert(
      fc.property(
        counted(
          currency.chain((c) =>
            fc.tuple(
              fc.constant(c),
              whole,
              digitString(CURRENCY_EXPONENTS[c] + 1, CURRENCY_EXPONENTS[c] + 8),
            ),
          ),
        ),
        ([c, w, fraction]) => {
          expect(() => parseMinorUnits(`${w}.${fraction}`, c)).toThrow(MoneyFormatError);
          expect(() => normalizeAmount(`${w}.${fraction}`, c)).toThrow(MoneyFormatError);
        },
      ),
      RUNS,
    );
  });

  it('bigint addition is exact: agrees with decimal addition on strings', () => {
    fc.assert(
      fc.property(
        counted(currency.chain((c) => fc.tuple(fc.constant(c), amountFor(c), amountFor(c)))),
        ([c, a, b]) => {
          const sum = parseMinorUnits(a, c) + parseMinorUnits(b, c);
          expect(formatMinorUnits(sum, c)).toBe(
            addDecimalStrings(normalizeAmount(a, c), normalizeAmount(b, c)),
          );
          // and subtraction undoes it
          expect(formatMinorUnits(sum - parseMinorUnits(b, c), c)).toBe(normalizeAmount(a, c));
        },
      ),
      RUNS,
    );
  });

  it('orders like the decimal values it parses', () => {
    fc.assert(
      fc.property(
        counted(currency.chain((c) => fc.tuple(fc.constant(c), amountFor(c), amountFor(c)))),
        ([c, a, b]) => {
          const [x, y] = [parseMinorUnits(a, c), parseMinorUnits(b, c)];
          const [na, nb] = [normalizeAmount(a, c), normalizeAmount(b, c)];
          // equal-length digit strings compare like numbers
          const key = (s: string) => s.replace('.', '').padStart(40, '0');
          const [ka, kb] = [key(na), key(nb)];
          expect(Math.sign(Number(x - y))).toBe(ka < kb ? -1 : ka > kb ? 1 : 0);
        },
      ),
      RUNS,
    );
  });

  it('formats negative amounts as the negation of the positive form', () => {
    fc.assert(
      fc.property(
        counted(currency.chain((c) => fc.tuple(fc.constant(c), fc.bigInt({ min: 1n, max: MAX_WHOLE })))),
        ([c, minor]) => {
          expect(formatMinorUnits(-minor, c)).toBe(`-${formatMinorUnits(minor, c)}`);
          expect(() => parseMinorUnits(formatMinorUnits(-minor, c), c)).toThrow(MoneyFormatError);
        },
      ),
      RUNS,
    );
  });

  it('random junk never throws anything but MoneyFormatError, and what it accepts is a plain decimal', () => {
    const junk = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: fc.constantFrom(...'0123456789.-+eE ,_x\u00a0\u0660\u06f1'), maxLength: 30 }),
      fc.stringMatching(/^-?\d{0,25}(\.\d{0,6})?$/),
      fc.constantFrom(
        'NaN',
        'Infinity',
        '-0',
        '0x10',
        '1e3',
        '١٢٣',
        '１２３',
        '1_000',
        '\u0000',
        ' 1 ',
        '.5',
        '5.',
      ),
    );
    fc.assert(
      fc.property(counted(fc.tuple(currency, junk)), ([c, input]) => {
        let minor: bigint;
        try {
          minor = parseMinorUnits(input, c);
        } catch (error) {
          expect(error).toBeInstanceOf(MoneyFormatError);
          return;
        }
        const exponent = CURRENCY_EXPONENTS[c];
        const text = input.trim();
        expect(text).toMatch(/^(0|[1-9]\d{0,17})(\.\d+)?$/);
        expect((text.split('.')[1] ?? '').length).toBeLessThanOrEqual(exponent);
        expect(minor >= 0n).toBe(true);
        expect(normalizeAmount(input, c)).toBe(formatMinorUnits(minor, c));
      }),
      { numRuns: 5000 },
    );
  });

  it('minorUnitsToNumber is exact up to 2^53 and refuses beyond or below zero', () => {
    fc.assert(
      fc.property(counted(fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n })), (minor) => {
        if (minor < 0n || minor > BigInt(Number.MAX_SAFE_INTEGER)) {
          expect(() => minorUnitsToNumber(minor)).toThrow(MoneyFormatError);
        } else {
          expect(BigInt(minorUnitsToNumber(minor))).toBe(minor);
        }
      }),
      RUNS,
    );
  });
});

describe('the largest amount (property)', () => {
  it('anything above 999,999,999 in the currency is refused, whatever its form', () => {
    fc.assert(
      fc.property(
        counted(
          currency.chain((c) =>
            fc.tuple(fc.constant(c), fc.bigInt({ min: maxMinorUnits(c) + 1n, max: 10n ** 21n })),
          ),
        ),
        ([c, minor]) => {
          const text = formatMinorUnits(minor, c);
          expect(() => parseMinorUnits(text, c)).toThrow(MoneyFormatError);
          // the cap is far below what a gateway's integer minor units can carry
          expect(maxMinorUnits(c) < BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
        },
      ),
      RUNS,
    );
    expect(parseMinorUnits('999999999.999', 'KWD')).toBe(999999999999n);
    expect(() => parseMinorUnits('999999999999999999', 'KWD')).toThrow('at most 999999999.999 KWD');
  });
});
