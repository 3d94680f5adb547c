import { refusalMessage } from '../../src/domain/refusals';
import { agreementsHeldBy, cardRemovalRefusal, type CardOnAgreements } from '../../src/domain/saved-card';

const at = (minute: number): Date => new Date(Date.UTC(2030, 0, 1, 0, minute));
const card = (token: string, agreements: string[], minute: number): CardOnAgreements => ({
  token,
  agreements,
  lastUsedAt: at(minute),
});

describe('a card that pays an auto-debit agreement', () => {
  it('holds the agreement while it is the card last used for it', () => {
    const cards = [card('a', ['agr-1'], 1)];
    expect(agreementsHeldBy('a', cards)).toEqual(['agr-1']);
    expect(cardRemovalRefusal(agreementsHeldBy('a', cards))).toEqual({ code: 'card_in_agreement' });
  });

  it('is free once another card replaces it on that agreement', () => {
    const cards = [card('a', ['agr-1'], 1), card('b', ['agr-1'], 2)];
    expect(agreementsHeldBy('a', cards)).toEqual([]);
    expect(agreementsHeldBy('b', cards)).toEqual(['agr-1']);
    expect(cardRemovalRefusal([])).toBeUndefined();
  });

  it('answers per agreement: a card can hold one and be replaced on another', () => {
    const cards = [card('a', ['agr-1', 'agr-2'], 3), card('b', ['agr-2'], 5), card('c', [], 9)];
    expect(agreementsHeldBy('a', cards)).toEqual(['agr-1']);
    expect(agreementsHeldBy('b', cards)).toEqual(['agr-2']);
    expect(agreementsHeldBy('c', cards)).toEqual([]);
    expect(agreementsHeldBy('unknown', cards)).toEqual([]);
  });

  it('is refused with a 409 the customer understands, in English and Arabic', () => {
    const refused = cardRemovalRefusal(['agr-1'])!;
    expect(refusalMessage(refused, 'en')).toMatch(/automatic payments/);
    expect(refusalMessage(refused, 'ar')).toMatch(/[\u0600-\u06ff]{3,}/);
  });
});
