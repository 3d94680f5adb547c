/**
 * The cards the recorder "enters", as a customer would: each is exchanged at the gateway simulator
 * for its single-use token (and a saved card's CVV for a cvc_token) exactly as the API does
 * (src/api/submit-routes.ts), so only tokens reach the workflows. The card-data scan looks for
 * these numbers and CVVs in every checked-in history.
 */
import { TEST_CARD_NUMBERS } from '../../src/dev/gateway-simulator/cards';

export interface RecordingCard {
  number: string;
  /** distinctive values, so a leak is found and a match by chance is not */
  cvv: string;
  expMonth: string;
  expYear: string;
  name: string;
}

const card = (number: string, cvv: string): RecordingCard => ({
  number,
  cvv,
  expMonth: '12',
  expYear: '39',
  name: 'Replay Recorder',
});

export const RECORDING_CARDS = {
  visa: card(TEST_CARD_NUMBERS.visa, '731'),
  mastercard: card(TEST_CARD_NUMBERS.mastercard, '846'),
  amex: card(TEST_CARD_NUMBERS.amex, '9274'),
  declined: card(TEST_CARD_NUMBERS.declined, '519'),
  threeDs: card(TEST_CARD_NUMBERS.threeDs, '683'),
} as const satisfies Record<string, RecordingCard>;

/** Every CVV the recorder entered, saved-card CVVs included. */
export const RECORDED_CVVS: readonly string[] = Object.values(RECORDING_CARDS).map((c) => c.cvv);
