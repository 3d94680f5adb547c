import { formatMinorUnits, normalizeAmount, parseMinorUnits, MoneyFormatError } from '../../src/domain/money';

describe('money', () => {
  it('normalises to the currency exponent', () => {
    expect(normalizeAmount('20.23', 'KWD')).toBe('20.230');
    expect(normalizeAmount('20', 'USD')).toBe('20.00');
    expect(normalizeAmount('1500', 'JPY')).toBe('1500');
    expect(normalizeAmount('0', 'BHD')).toBe('0.000');
  });

  it('rejects more decimals than the currency allows', () => {
    expect(() => parseMinorUnits('1.2345', 'KWD')).toThrow(MoneyFormatError);
    expect(() => parseMinorUnits('1.001', 'USD')).toThrow('at most 2 decimal places');
    expect(() => parseMinorUnits('1.5', 'JPY')).toThrow('no decimal places');
  });

  it('rejects what is not a plain positive decimal', () => {
    for (const bad of ['', '-1', '1e3', '0x10', '01.5', '1.', '.5', ' ', 'NaN', '1,000']) {
      expect(() => parseMinorUnits(bad, 'KWD')).toThrow(MoneyFormatError);
    }
  });

  it('is exact where floating point is not', () => {
    const a = parseMinorUnits('0.1', 'USD');
    const b = parseMinorUnits('0.2', 'USD');
    expect(formatMinorUnits(a + b, 'USD')).toBe('0.30');
    // beyond 2^53 the arithmetic stays exact (bigint) …
    expect(formatMinorUnits(123456789012345678n, 'KWD')).toBe('123456789012345.678');
    expect(formatMinorUnits(parseMinorUnits('999999999.999', 'KWD') + 1n, 'KWD')).toBe('1000000000.000');
    // … and amounts that large are refused at the edge: no payment is bigger than 999,999,999
    expect(() => parseMinorUnits('123456789012345.678', 'KWD')).toThrow(MoneyFormatError);
  });
});
