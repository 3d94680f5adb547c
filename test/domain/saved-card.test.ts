/** May this saved card be charged? (src/domain/saved-card.ts), one order of refusals for every caller. */
import { DEMO_GATEWAY_CONFIGS } from '../../src/domain/gateway-config';
import {
  locksAfter,
  savedCardRefusal,
  type SavedCardCharge,
  type SavedCardFacts,
} from '../../src/domain/saved-card';

const CVV = DEMO_GATEWAY_CONFIGS.find((g) => g.pg_code === 'ottu_pg_kwd_tkn')!;
const NO_CVV = DEMO_GATEWAY_CONFIGS.find((g) => g.pg_code === 'ottu_pg_kwd_tkn_nocvv')!;
const NOW = new Date('2026-06-15T00:00:00Z');

const card = (overrides: Partial<SavedCardFacts> = {}): SavedCardFacts => ({
  customerId: 'c1',
  pgCode: CVV.pg_code,
  locked: false,
  expiry: { month: '12', year: '39' },
  ...overrides,
});
const customer = (overrides: Partial<SavedCardCharge> = {}): SavedCardCharge => ({
  customerId: 'c1',
  paymentType: 'one_off',
  requestedPgCode: CVV.pg_code,
  config: CVV,
  merchantInitiated: false,
  cvvGiven: true,
  now: NOW,
  ...overrides,
});
const merchant = (overrides: Partial<SavedCardCharge> = {}): SavedCardCharge => ({
  customerId: 'c1',
  paymentType: 'auto_debit',
  config: NO_CVV,
  merchantInitiated: true,
  cvvGiven: false,
  now: NOW,
  ...overrides,
});

describe('the customer paying with a saved card', () => {
  it('is allowed with the CVV the config asks for', () => {
    expect(savedCardRefusal(card(), customer())).toBeUndefined();
    expect(
      savedCardRefusal(
        card({ pgCode: NO_CVV.pg_code }),
        customer({ requestedPgCode: NO_CVV.pg_code, config: NO_CVV, cvvGiven: false }),
      ),
    ).toBeUndefined();
  });
  it('refusals in order: owner, gateway, lock, expiry, CVV', () => {
    expect(savedCardRefusal(null, customer())?.code).toBe('token_not_found');
    expect(savedCardRefusal(card({ customerId: 'someone-else', locked: true }), customer())?.code).toBe(
      'token_not_found',
    );
    expect(savedCardRefusal(card(), customer({ customerId: undefined }))?.code).toBe('token_not_found');
    expect(savedCardRefusal(card({ locked: true }), customer({ requestedPgCode: 'other' }))?.code).toBe(
      'token_gateway_mismatch',
    );
    expect(
      savedCardRefusal(card({ locked: true, expiry: { month: '01', year: '20' } }), customer())?.code,
    ).toBe('token_locked');
    expect(
      savedCardRefusal(card({ expiry: { month: '05', year: '26' } }), customer({ cvvGiven: false }))?.code,
    ).toBe('card_expired');
    // usable through the last day of its expiry month
    expect(savedCardRefusal(card({ expiry: { month: '06', year: '26' } }), customer())).toBeUndefined();
    expect(savedCardRefusal(card(), customer({ cvvGiven: false }))?.code).toBe('cvv_required');
  });
});

describe('the merchant charging a saved card (auto-debit)', () => {
  const onFile = card({ pgCode: NO_CVV.pg_code });
  it('is allowed where the config enables auto-debit without CVV', () => {
    expect(savedCardRefusal(onFile, merchant())).toBeUndefined();
  });
  it('refusals in order: save_card payment, owner, offered gateway, auto-debit, CVV, lock, expiry', () => {
    expect(savedCardRefusal(null, merchant({ paymentType: 'save_card' }))?.code).toBe(
      'save_card_not_chargeable',
    );
    expect(savedCardRefusal(null, merchant())?.code).toBe('token_not_found');
    expect(savedCardRefusal(onFile, merchant({ config: undefined }))?.code).toBe('token_gateway_mismatch');
    expect(savedCardRefusal(onFile, merchant({ config: { ...NO_CVV, auto_debit_enabled: false } }))).toEqual({
      code: 'auto_debit_disabled',
      params: { pg_code: NO_CVV.pg_code },
    });
    expect(savedCardRefusal(onFile, merchant({ config: { ...CVV, auto_debit_enabled: true } }))).toEqual({
      code: 'auto_debit_needs_cvv',
      params: { pg_code: CVV.pg_code },
    });
    expect(savedCardRefusal({ ...onFile, locked: true }, merchant())?.code).toBe('token_locked');
    expect(savedCardRefusal({ ...onFile, expiry: { month: '01', year: '20' } }, merchant())?.code).toBe(
      'card_expired',
    );
  });
});

it('a card locks on its third consecutive incorrect CVC', () => {
  expect([1, 2, 3, 4].map(locksAfter)).toEqual([false, false, true, true]);
});
