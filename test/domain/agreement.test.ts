import {
  agreementActive,
  agreementRefusal,
  type AgreementCharge,
  type MerchantInitiatedCharge,
} from '../../src/domain/saved-card';

const NOW = new Date('2030-06-15T12:00:00Z');
const DAY = 24 * 3600 * 1000;

function charge(overrides: Partial<MerchantInitiatedCharge> = {}): MerchantInitiatedCharge {
  return {
    paymentType: 'auto_debit',
    agreement: { id: 'agr-1' },
    token: 'tok-a',
    linkedToken: 'tok-a',
    oneStep: false,
    amountMinor: 10_000n,
    currency: 'KWD',
    history: [],
    now: NOW,
    ...overrides,
  };
}

const paid = (daysAgo: number, amountMinor = 10_000n, merchantInitiated = true): AgreementCharge => ({
  amountMinor,
  at: new Date(NOW.getTime() - daysAgo * DAY),
  merchantInitiated,
});

describe('merchant-initiated charges are bound to their agreement', () => {
  it('charges the linked card of an auto_debit payment with an agreement', () => {
    expect(agreementRefusal(charge())).toBeUndefined();
  });

  it('needs payment_type auto_debit and an agreement', () => {
    expect(agreementRefusal(charge({ paymentType: 'one_off' }))?.code).toBe('auto_debit_needs_agreement');
    expect(agreementRefusal(charge({ agreement: undefined }))?.code).toBe('auto_debit_needs_agreement');
  });

  it('refuses a card of another agreement, or none linked, on the two-step path', () => {
    expect(agreementRefusal(charge({ linkedToken: 'tok-b' }))).toEqual({
      code: 'token_not_linked_to_agreement',
      params: { agreement_id: 'agr-1' },
    });
    expect(agreementRefusal(charge({ linkedToken: undefined }))?.code).toBe('token_not_linked_to_agreement');
  });

  it('lets a one-step create link its card only when the agreement has none yet', () => {
    expect(agreementRefusal(charge({ oneStep: true, linkedToken: undefined }))).toBeUndefined();
    expect(agreementRefusal(charge({ oneStep: true, linkedToken: 'tok-b' }))?.code).toBe(
      'token_not_linked_to_agreement',
    );
  });

  it('keeps to the start and expiry days (inclusive)', () => {
    const within = { id: 'agr-1', start_date: '2030-06-15', expiry_date: '2030-06-15' };
    expect(agreementRefusal(charge({ agreement: within }))).toBeUndefined();
    expect(agreementRefusal(charge({ agreement: { id: 'agr-1', start_date: '2030-06-16' } }))?.code).toBe(
      'agreement_not_started',
    );
    expect(agreementRefusal(charge({ agreement: { id: 'agr-1', expiry_date: '2030-06-14' } }))).toEqual({
      code: 'agreement_expired',
      params: { agreement_id: 'agr-1', expiry_date: '2030-06-14' },
    });
  });

  it('keeps to max_amount_per_cycle, exactly', () => {
    const agreement = { id: 'agr-1', max_amount_per_cycle: '10' };
    expect(agreementRefusal(charge({ agreement, amountMinor: 10_000n }))).toBeUndefined();
    expect(agreementRefusal(charge({ agreement, amountMinor: 10_001n }))).toEqual({
      code: 'agreement_amount_exceeded',
      params: { agreement_id: 'agr-1', max_amount_per_cycle: '10.000' },
    });
  });

  it('keeps a fixed amount to the first payment', () => {
    const agreement = { id: 'agr-1', amount_variability: 'fixed' };
    expect(agreementRefusal(charge({ agreement, history: [paid(40, 10_000n, false)] }))).toBeUndefined();
    expect(
      agreementRefusal(charge({ agreement, amountMinor: 9_999n, history: [paid(40, 10_000n, false)] })),
    ).toEqual({ code: 'agreement_amount_fixed', params: { agreement_id: 'agr-1', amount: '10.000' } });
    expect(
      agreementRefusal(
        charge({ agreement: { id: 'agr-1', amount_variability: 'variable' }, amountMinor: 1n }),
      ),
    ).toBeUndefined();
  });

  it('counts only merchant-initiated payments against total_cycles', () => {
    const agreement = { id: 'agr-1', total_cycles: 2 };
    const customerFirst = paid(90, 10_000n, false);
    expect(agreementRefusal(charge({ agreement, history: [customerFirst, paid(60)] }))).toBeUndefined();
    expect(agreementRefusal(charge({ agreement, history: [customerFirst, paid(60), paid(30)] }))?.code).toBe(
      'agreement_cycles_used',
    );
  });

  it('waits cycle_interval_days after the last payment; frequency alone binds no gap', () => {
    const agreement = { id: 'agr-1', cycle_interval_days: 30 };
    expect(agreementRefusal(charge({ agreement, history: [paid(30)] }))).toBeUndefined();
    const refused = agreementRefusal(charge({ agreement, history: [paid(29)] }));
    expect(refused).toEqual({
      code: 'agreement_too_soon',
      params: { agreement_id: 'agr-1', next_charge_after: new Date(NOW.getTime() + DAY).toISOString() },
    });
    expect(
      agreementRefusal(charge({ agreement: { id: 'agr-1', frequency: 'monthly' }, history: [paid(0)] })),
    ).toBeUndefined();
  });
});

describe('an agreement stays active (its card locked) until it ends', () => {
  it('ends after its expiry day or its last cycle; without limits it stays active', () => {
    expect(agreementActive({ id: 'a' }, 100, NOW)).toBe(true);
    expect(agreementActive(undefined, 0, NOW)).toBe(true);
    expect(agreementActive({ id: 'a', expiry_date: '2030-06-15' }, 0, NOW)).toBe(true);
    expect(agreementActive({ id: 'a', expiry_date: '2030-06-14' }, 0, NOW)).toBe(false);
    expect(agreementActive({ id: 'a', total_cycles: 3 }, 2, NOW)).toBe(true);
    expect(agreementActive({ id: 'a', total_cycles: 3 }, 3, NOW)).toBe(false);
  });
});
