/** Inputs and results of activities: plain data that is safe to put in workflow history. */
import type { ChargeStatus, GatewayCard } from '../gateway/port';
import type { Attempt, CardSummary, CardView } from '../domain/payment';
import type { PaymentState } from '../domain/states';
import type { CurrencyCode } from '../domain/money';

export interface ChargeGatewayInput {
  /** derived from the session and the persisted attempt number: a retry reuses it */
  idempotencyKey: string;
  pgCode: string;
  /** decimal string in major units */
  amount: string;
  currency: CurrencyCode;
  capture: boolean;
  gatewayToken?: string;
  sourceToken?: string;
  cvcToken?: string;
  storeCard: boolean;
  returnUrl?: string;
  threeDs: 'never' | 'if_required';
  merchantInitiated?: boolean;
}

export interface ChargeResult {
  chargeId: string;
  status: ChargeStatus;
  declineCode?: string;
  card: GatewayCard;
  sourceToken?: string;
  nextActionUrl?: string;
}

export interface TokenizeCardInput {
  merchantId: string;
  customerId: string;
  pgCode: string;
  sourceToken: string;
  card: CardSummary;
  fingerprint: string;
  cvvRequired: boolean;
  agreementId?: string;
}

export interface SavedCardForCharge {
  pgCode: string;
  /** the gateway's card-on-file reference */
  gatewayRef: string;
  locked: boolean;
  view: CardView;
}

export interface SavedCardOutcome {
  token: string;
  outcome: 'success' | 'incorrect_cvc';
  agreementId?: string;
}

export interface PaymentPatch {
  state: PaymentState;
  attempts: Attempt[];
  token?: CardView;
  charge_id?: string;
  pg_code?: string;
}
