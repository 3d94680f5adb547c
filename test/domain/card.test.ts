import {
  detectBrand,
  isExpired,
  passesLuhn,
  validateCard,
  maskLast4,
  parseExpiry,
} from '../../src/domain/card';

const NOW = new Date('2026-11-23T12:00:00Z');

describe('card rules', () => {
  it('checks Luhn', () => {
    expect(passesLuhn('4242424242424242')).toBe(true);
    expect(passesLuhn('378282246310005')).toBe(true);
    expect(passesLuhn('4242424242424241')).toBe(false);
    expect(passesLuhn('42424242')).toBe(false);
  });

  it('detects brands', () => {
    expect(detectBrand('4242424242424242')).toBe('visa');
    expect(detectBrand('5123450000000008')).toBe('mastercard');
    expect(detectBrand('378282246310005')).toBe('amex');
  });

  it('treats a card as valid through its expiry month', () => {
    expect(isExpired({ month: '11', year: '26' }, NOW)).toBe(false);
    expect(isExpired({ month: '10', year: '26' }, NOW)).toBe(true);
    expect(parseExpiry('13', '30')).toBeUndefined();
    expect(parseExpiry('1', '2039')).toEqual({ month: '01', year: '39' });
  });

  it('requires a 4-digit CVV for Amex and 3 for others', () => {
    const base = { name_on_card: 'A B', expiry_month: '12', expiry_year: '39' };
    expect(validateCard({ ...base, number: '378282246310005', cvv: '123' }, NOW)).toMatchObject({
      ok: false,
      errors: { cvv: expect.stringContaining('4-digit') },
    });
    expect(validateCard({ ...base, number: '4242 4242 4242 4242', cvv: '123' }, NOW)).toMatchObject({
      ok: true,
    });
    expect(validateCard({ ...base, number: '4242424242424242', cvv: '1234' }, NOW).ok).toBe(false);
  });

  it('reports every problem at once', () => {
    const result = validateCard(
      { name_on_card: '', number: '1234', expiry_month: '01', expiry_year: '20', cvv: 'x' },
      NOW,
    );
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(Object.keys(result.errors).sort()).toEqual(['cvv', 'expiry_year', 'name_on_card', 'number']);
  });

  it('masks to the last four digits only', () => {
    expect(maskLast4('4242')).toBe('**** 4242');
  });
});
