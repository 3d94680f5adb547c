/**
 * Exact money. Amounts travel as decimal strings in major units ("20.230") at the edges and as
 * integer minor units (bigint) inside arithmetic. No floating point anywhere.
 */

/** ISO 4217 exponents of the currencies tokenpay accepts. */
export const CURRENCY_EXPONENTS = {
  KWD: 3,
  BHD: 3,
  OMR: 3,
  JOD: 3,
  IQD: 3,
  LYD: 3,
  USD: 2,
  EUR: 2,
  SAR: 2,
  AED: 2,
  QAR: 2,
  JPY: 0,
} as const;

export type CurrencyCode = keyof typeof CURRENCY_EXPONENTS;
export const CURRENCY_CODES = Object.keys(CURRENCY_EXPONENTS) as CurrencyCode[];

export function isCurrencyCode(value: string): value is CurrencyCode {
  return Object.prototype.hasOwnProperty.call(CURRENCY_EXPONENTS, value);
}

export class MoneyFormatError extends Error {
  override readonly name = 'MoneyFormatError';
}

const DECIMAL = /^(0|[1-9]\d{0,17})(?:\.(\d+))?$/;

/**
 * The largest whole part an amount may have, in every currency: 999,999,999 (with the
 * currency's full decimals, "999999999.999" KWD). Above any card payment, and far below what a
 * gateway's integer minor units can carry (2^53), so no conversion can overflow.
 */
export const MAX_WHOLE_DIGITS = 9;

/** The largest amount of `currency`, in minor units. */
export function maxMinorUnits(currency: CurrencyCode): bigint {
  return 10n ** BigInt(MAX_WHOLE_DIGITS + CURRENCY_EXPONENTS[currency]) - 1n;
}

/**
 * Parses "20.23" in KWD to 20230n minor units; rejects more decimals than the currency has and
 * amounts above maxMinorUnits.
 */
export function parseMinorUnits(amount: string, currency: CurrencyCode): bigint {
  const match = DECIMAL.exec(amount.trim());
  if (!match) throw new MoneyFormatError('Enter a decimal number such as "10.500", without signs or spaces.');
  const exponent = CURRENCY_EXPONENTS[currency];
  const [, whole = '0', fraction = ''] = match;
  if (fraction.length > exponent) {
    throw new MoneyFormatError(
      exponent === 0
        ? `${currency} has no decimal places.`
        : `${currency} allows at most ${exponent} decimal places.`,
    );
  }
  const minor = BigInt(whole + fraction.padEnd(exponent, '0'));
  if (minor > maxMinorUnits(currency)) {
    throw new MoneyFormatError(
      `The amount must be at most ${formatMinorUnits(maxMinorUnits(currency), currency)} ${currency}.`,
    );
  }
  return minor;
}

/** 20230n KWD → "20.230" */
export function formatMinorUnits(minor: bigint, currency: CurrencyCode): string {
  const exponent = CURRENCY_EXPONENTS[currency];
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent);
  return `${negative ? '-' : ''}${whole}${exponent > 0 ? `.${fraction}` : ''}`;
}

/** "20.23" KWD → "20.230"; throws MoneyFormatError when invalid. */
export function normalizeAmount(amount: string, currency: CurrencyCode): string {
  return formatMinorUnits(parseMinorUnits(amount, currency), currency);
}

/**
 * Minor units as a JS number for wire formats that want an integer (gateways). Safe only up to
 * 2^53; parseMinorUnits caps amounts far below that.
 */
export function minorUnitsToNumber(minor: bigint): number {
  if (minor > BigInt(Number.MAX_SAFE_INTEGER) || minor < 0n) {
    throw new MoneyFormatError('Amount out of range.');
  }
  return Number(minor);
}
