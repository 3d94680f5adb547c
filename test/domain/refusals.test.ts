/** The one table of refusals (src/domain/refusals.ts). */
import { isRefusal, REFUSALS, refusalMessage, type RefusalCode } from '../../src/domain/refusals';

const CODES = Object.keys(REFUSALS) as RefusalCode[];

it('every refusal has a distinct failure type and a message in English and Arabic', () => {
  const types = CODES.map((code) => REFUSALS[code].failureType);
  expect(new Set(types).size).toBe(types.length);
  for (const code of CODES) {
    const spec = REFUSALS[code];
    expect(spec.en.length).toBeGreaterThan(3);
    expect(spec.ar).toMatch(/[\u0600-\u06FF]/);
    // the Arabic text uses the same placeholders as the English one (or fewer)
    const placeholders = (text: string) => new Set(text.match(/\{\w+\}/g) ?? []);
    for (const p of placeholders(spec.ar)) expect([...placeholders(spec.en), '{operation}']).toContain(p);
  }
});

it('messages fill their parameters; an absent one stays visible rather than vanishing', () => {
  expect(refusalMessage({ code: 'not_payable', params: { state: 'paid' } })).toBe(
    'This payment is paid and cannot be paid.',
  );
  expect(refusalMessage({ code: 'cvv_invalid', params: { length: '4' } }, 'ar')).toContain('4');
  expect(refusalMessage({ code: 'auto_debit_disabled' })).toContain('{pg_code}');
});

it('only well-formed refusals are recognised as such (they cross the workflow boundary)', () => {
  expect(isRefusal({ code: 'token_locked' })).toBe(true);
  expect(isRefusal({ code: 'not_payable', params: { state: 'paid' } })).toBe(true);
  expect(isRefusal({ code: 'no_such_code' })).toBe(false);
  expect(isRefusal({ code: 'not_payable', params: { state: 1 } })).toBe(false);
  expect(isRefusal({ code: 'toString' })).toBe(false);
  expect(isRefusal(null)).toBe(false);
});
