import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { BRAND_RULES, cvvLength } from '../../src/domain/card';
import * as script from '../../src/web/static/checkout';
import {
  classifyResponse,
  formatExpiry,
  luhn,
  mapFieldErrors,
  parseExpiry,
  toLatinDigits,
  validateCvv,
} from '../../src/web/static/checkout';
import { detectBrand as domainDetect } from '../../src/domain/card';
import { renderCheckoutPage } from '../../src/web/page';
import { staticDir } from '../../src/web/static';

const SCRIPT = path.join(staticDir, 'checkout.js');
/** The card rules the page renders for the script (no copy of them lives in the script). */
const CARDS = { brands: BRAND_RULES as script.BrandRule[], unknownCvvLength: cvvLength('unknown') };
const detectBrand = (number: string) => script.detectBrand(number, CARDS.brands);
const formatNumber = (value: string) => script.formatNumber(value, CARDS.brands);
const validateCard = (input: script.CardInput, now?: Date) => script.validateCard(input, CARDS, now);
const CVV = { visa: 3, mastercard: 3, amex: 4, unknown: 3 } as const;
const NOW = new Date(2025, 5, 15); // 15 June 2025, local time

describe('checkout.js as a browser script', () => {
  const source = fs.readFileSync(SCRIPT, 'utf8');

  it('runs without module or document (a non-DOM browser-like global) and exports nothing there', () => {
    const sandbox: Record<string, unknown> = {};
    expect(() => vm.runInNewContext(source, sandbox)).not.toThrow();
    expect(Object.keys(sandbox)).toEqual([]);
  });

  it('applies the rules the page renders: it agrees with the server on every test card and prefix', () => {
    const numbers = [
      '4242424242424242',
      '5123450000000008',
      '2223003122003222',
      '378282246310005',
      '371449635398431',
      '6011111111111117',
      '3530111333300000',
    ];
    for (const n of numbers) expect(detectBrand(n) ?? 'unknown').toBe(domainDetect(n));
    for (let prefix = 0; prefix < 10_000; prefix += 7) {
      const n = `${String(prefix).padStart(4, '0')}000000000000`;
      expect(detectBrand(n) ?? 'unknown').toBe(domainDetect(n));
    }
  });

  it('exports its helpers through module.exports under Node', () => {
    const mod = { exports: {} as Record<string, unknown> };
    vm.runInNewContext(source, { module: mod });
    expect(Object.keys(mod.exports)).toEqual(
      expect.arrayContaining(['luhn', 'detectBrand', 'formatNumber', 'validateCard', 'classifyResponse']),
    );
  });

  it('is plain ES2020 script (no import/export statements, no eval)', () => {
    expect(source).not.toMatch(/^\s*(?:import|export)\s/m);
    expect(source).not.toMatch(/\beval\(|new Function|innerHTML|localStorage|sessionStorage|console\./);
    expect(() => new vm.Script(source)).not.toThrow();
  });

  it('every message key it uses is shipped to the page', () => {
    const html = renderCheckoutPage({
      sessionId: 's',
      merchantName: 'M',
      language: 'en',
      amount: '1.000',
      currencyCode: 'KWD',
      state: 'pending',
      payable: true,
      paymentMethods: [{ code: 'p', name: 'P', canSaveCard: true }],
      savedCards: [],
      submitUrl: '/checkout/s/submit',
      csrfToken: 'c',
      staticBase: '/static',
    });
    const json = /<script type="application\/json" id="checkout-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
    const messages = (JSON.parse(json as string) as { messages: Record<string, string> }).messages;
    const used = new Set<string>();
    for (const m of source.matchAll(/'((?:err|title|brand|cvv_hint)_[a-z0-9_]+|cvv_hint)'/g))
      used.add(m[1] as string);
    for (const m of source.matchAll(/\bt\('([a-z0-9_]+)'/g)) if (m[1] !== 'brand_') used.add(m[1] as string);
    for (const brand of ['visa', 'mastercard', 'amex']) used.add(`brand_${brand}`);
    const missing = [...used].filter((k) => !(k in messages));
    expect(missing).toEqual([]);
  });
});

describe('luhn', () => {
  it.each([
    '4242424242424242',
    '5123450000000008',
    '378282246310005',
    '4000002760003184',
    '4242 4242 4242 4242',
  ])('accepts %s', (n) => expect(luhn(n)).toBe(true));
  it.each(['4242424242424241', '1234567812345678', '', 'abcd', '4242-4242-4242-424x'])('rejects %p', (n) =>
    expect(luhn(n)).toBe(false),
  );
  it('understands Arabic-Indic digits', () => {
    expect(toLatinDigits('٤٢٤٢ ۴۲')).toBe('4242 42');
    expect(luhn('٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢')).toBe(true);
  });
});

describe('detectBrand', () => {
  it.each([
    ['4', 'visa'],
    ['4242424242424242', 'visa'],
    ['51', 'mastercard'],
    ['55', 'mastercard'],
    ['5123 4500 0000 0008', 'mastercard'],
    ['2221', 'mastercard'],
    ['2300', 'mastercard'],
    ['2720', 'mastercard'],
    ['34', 'amex'],
    ['37', 'amex'],
    ['3782 822463 10005', 'amex'],
  ])('%s → %s', (n, brand) => expect(detectBrand(n)).toBe(brand));

  it.each(['', '5', '50', '56', '2220', '2721', '2', '3', '35', '6011'])('%p → null', (n) =>
    expect(detectBrand(n)).toBeNull(),
  );
});

describe('formatNumber', () => {
  it('groups 4-4-4-4 as typed', () => {
    expect(formatNumber('4')).toBe('4');
    expect(formatNumber('42424')).toBe('4242 4');
    expect(formatNumber('4242424242424242')).toBe('4242 4242 4242 4242');
    expect(formatNumber('4242-4242 4242x4242')).toBe('4242 4242 4242 4242');
  });
  it('groups Amex 4-6-5 and stops at 15 digits', () => {
    expect(formatNumber('3782')).toBe('3782');
    expect(formatNumber('37828224')).toBe('3782 8224');
    expect(formatNumber('378282246310005')).toBe('3782 822463 10005');
    expect(formatNumber('3782822463100059999')).toBe('3782 822463 10005');
  });
  it('caps Mastercard at 16 and others at 19 digits', () => {
    expect(formatNumber('51234500000000089')).toBe('5123 4500 0000 0008');
    expect(formatNumber('40000000000000000001')).toBe('4000 0000 0000 0000 000');
  });
  it('is idempotent', () => {
    for (const n of ['4242 4242 4242 4242', '3782 822463 10005', '5123 45']) expect(formatNumber(n)).toBe(n);
  });
});

describe('expiry', () => {
  it('formats as typed', () => {
    expect(formatExpiry('1')).toBe('1');
    expect(formatExpiry('4')).toBe('04');
    expect(formatExpiry('12')).toBe('12');
    expect(formatExpiry('123')).toBe('12/3');
    expect(formatExpiry('13')).toBe('01/3');
    expect(formatExpiry('139')).toBe('01/39');
    expect(formatExpiry('42')).toBe('04/2');
    expect(formatExpiry('0139')).toBe('01/39');
    expect(formatExpiry('1239')).toBe('12/39');
    expect(formatExpiry('1/39')).toBe('01/39');
    expect(formatExpiry('01/2039')).toBe('01/2039');
    expect(formatExpiry('٠١/٣٩')).toBe('01/39');
  });
  it('parses MM/YY and friends', () => {
    expect(parseExpiry('01/39')).toEqual({ month: '01', year: '39' });
    expect(parseExpiry('1/39')).toEqual({ month: '01', year: '39' });
    expect(parseExpiry('0139')).toEqual({ month: '01', year: '39' });
    expect(parseExpiry('12 / 2030')).toEqual({ month: '12', year: '30' });
    expect(parseExpiry('13/30')).toBeNull();
    expect(parseExpiry('00/30')).toBeNull();
    expect(parseExpiry('1/3')).toBeNull();
    expect(parseExpiry('12/1930')).toBeNull();
    expect(parseExpiry('')).toBeNull();
  });
});

describe('validateCvv', () => {
  it('wants 3 digits, 4 for Amex', () => {
    // the lengths come from the server's rules: the same as the domain's
    for (const brand of ['visa', 'mastercard', 'amex', 'unknown'] as const) {
      expect(cvvLength(brand)).toBe(CVV[brand]);
    }
    expect(validateCvv('123', CVV.visa)).toBeNull();
    expect(validateCvv('123', CVV.unknown)).toBeNull();
    expect(validateCvv('1234', CVV.amex)).toBeNull();
    expect(validateCvv('', CVV.visa)).toBe('err_cvv_required');
    expect(validateCvv('12', CVV.visa)).toBe('err_cvv_length_3');
    expect(validateCvv('1234', CVV.mastercard)).toBe('err_cvv_length_3');
    expect(validateCvv('123', CVV.amex)).toBe('err_cvv_length_4');
    expect(validateCvv('12a', CVV.visa)).toBe('err_cvv_length_3');
  });
});

describe('validateCard', () => {
  const good = { name: '  Jane   Doe ', number: '4242 4242 4242 4242', expiry: '01/39', cvv: '123' };

  it('accepts a good card and builds the submit payload', () => {
    const r = validateCard(good, NOW);
    expect(r.valid).toBe(true);
    expect(r.errors).toEqual({});
    expect(r.brand).toBe('visa');
    expect(r.card).toEqual({
      name_on_card: 'Jane Doe',
      number: '4242424242424242',
      expiry_month: '01',
      expiry_year: '39',
      cvv: '123',
    });
  });

  it('accepts Amex with a 4-digit CVV and Mastercard 2-series', () => {
    expect(validateCard({ ...good, number: '3782 822463 10005', cvv: '1234' }, NOW).valid).toBe(true);
    expect(validateCard({ ...good, number: '2223 0000 4841 0010' }, NOW).valid).toBe(true);
  });

  it('reports every problem with a message key per field', () => {
    const r = validateCard({ name: ' ', number: '', expiry: '', cvv: '' }, NOW);
    expect(r.valid).toBe(false);
    expect(r.errors).toEqual({
      name: 'err_name_required',
      number: 'err_number_required',
      expiry: 'err_expiry_required',
      cvv: 'err_cvv_required',
    });
  });

  it('checks Luhn and length', () => {
    expect(validateCard({ ...good, number: '4242 4242 4242 4241' }, NOW).errors.number).toBe(
      'err_number_invalid',
    );
    expect(validateCard({ ...good, number: '4242 4242' }, NOW).errors.number).toBe('err_number_incomplete');
    expect(validateCard({ ...good, number: '4242 4242 42x2 4242' }, NOW).errors.number).toBe(
      'err_number_invalid',
    );
    expect(validateCard({ ...good, number: '3782 822463 1000', cvv: '1234' }, NOW).errors.number).toBe(
      'err_number_incomplete',
    );
  });

  it('wants an expiry in the future with month 1–12', () => {
    expect(validateCard({ ...good, expiry: '13/30' }, NOW).errors.expiry).toBe('err_expiry_invalid');
    expect(validateCard({ ...good, expiry: '00/30' }, NOW).errors.expiry).toBe('err_expiry_invalid');
    expect(validateCard({ ...good, expiry: 'ab' }, NOW).errors.expiry).toBe('err_expiry_invalid');
    expect(validateCard({ ...good, expiry: '05/25' }, NOW).errors.expiry).toBe('err_expiry_past');
    expect(validateCard({ ...good, expiry: '12/24' }, NOW).errors.expiry).toBe('err_expiry_past');
    // the card is good through the end of its expiry month
    expect(validateCard({ ...good, expiry: '06/25' }, NOW).errors.expiry).toBeUndefined();
    expect(validateCard({ ...good, expiry: '07/25' }, NOW).errors.expiry).toBeUndefined();
  });

  it('checks the CVV length for the brand', () => {
    expect(validateCard({ ...good, cvv: '1234' }, NOW).errors.cvv).toBe('err_cvv_length_3');
    expect(validateCard({ ...good, number: '378282246310005', cvv: '123' }, NOW).errors.cvv).toBe(
      'err_cvv_length_4',
    );
  });
});

describe('mapFieldErrors', () => {
  it('maps nested card errors to inputs and the rest to the status region', () => {
    const out = mapFieldErrors({
      card: {
        number: ['Invalid card number.'],
        expiry_month: ['Bad month.'],
        expiry_year: ['Bad year.'],
        cvv: ['x'],
      },
      cvv: ['CVV required for this card.'],
      pg_code: ['Unknown gateway.'],
    });
    expect(out.fields).toEqual({
      'cc-number': 'Invalid card number.',
      'cc-exp': 'Bad month. Bad year.',
      'cc-csc': 'x',
    });
    expect(out.savedCvv).toBe('CVV required for this card.');
    expect(out.general).toEqual(['Unknown gateway.']);
  });

  it('copes with strings and odd shapes', () => {
    expect(mapFieldErrors({ card: 'Card data invalid.' }).general).toEqual(['Card data invalid.']);
    expect(mapFieldErrors(null).general).toEqual([]);
    expect(mapFieldErrors(['a', 'b']).general).toEqual(['a', 'b']);
  });
});

describe('classifyResponse', () => {
  it('success (with and without a safe redirect_url)', () => {
    const body = { result: 'success', state: 'paid', message: 'OK', reference_number: 'R1' };
    expect(classifyResponse(200, body)).toEqual({ kind: 'success', body, redirectUrl: null });
    expect(classifyResponse(200, { ...body, redirect_url: 'https://shop.example/done' })).toMatchObject({
      kind: 'success',
      redirectUrl: 'https://shop.example/done',
    });
    expect(classifyResponse(200, { ...body, redirect_url: 'javascript:alert(1)' })).toMatchObject({
      kind: 'success',
      redirectUrl: null,
    });
  });

  it('failed attempt with more attempts allowed → retry; final failure → final', () => {
    expect(
      classifyResponse(200, { result: 'failed', state: 'attempted', message: 'Declined' }),
    ).toMatchObject({
      kind: 'retry',
      message: 'Declined',
    });
    expect(classifyResponse(200, { result: 'failed', state: 'failed', message: 'Declined' })).toMatchObject({
      kind: 'final',
    });
  });

  it('pending with next_action → 3-D Secure redirect', () => {
    expect(
      classifyResponse(200, {
        result: 'pending',
        state: 'pending',
        next_action: { type: 'redirect_to_url', url: 'http://127.0.0.1:4010/3ds/ch_1' },
      }),
    ).toEqual({ kind: 'redirect', url: 'http://127.0.0.1:4010/3ds/ch_1' });
    expect(
      classifyResponse(200, { result: 'pending', state: 'pending', next_action: { url: 'javascript:x' } }),
    ).toMatchObject({ kind: 'pending' });
  });

  it('400 field errors, 409/423/429 detail', () => {
    expect(classifyResponse(400, { card: { number: ['bad'] } })).toMatchObject({
      kind: 'fields',
      errors: { fields: { 'cc-number': 'bad' } },
    });
    expect(classifyResponse(400, { detail: 'Malformed JSON.' })).toMatchObject({
      kind: 'detail',
      message: 'Malformed JSON.',
    });
    expect(classifyResponse(409, { detail: 'Session is paid.' })).toEqual({
      kind: 'detail',
      status: 409,
      message: 'Session is paid.',
      closed: true,
    });
    expect(classifyResponse(423, { detail: 'Card locked.' })).toMatchObject({
      message: 'Card locked.',
      closed: false,
    });
    expect(classifyResponse(429, { detail: 'Too many attempts.' })).toMatchObject({
      message: 'Too many attempts.',
      closed: false,
    });
    expect(classifyResponse(502, null)).toMatchObject({ kind: 'detail', message: null });
  });
});
