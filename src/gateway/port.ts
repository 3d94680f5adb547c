/**
 * The payment service provider (PSP) port. The engine talks to a gateway only through this
 * interface; `HttpGateway` is the adapter for the simulator's (Stripe-shaped) HTTP API, and a real
 * PSP would get an adapter of its own. Amounts are integer minor units (never floating point).
 */

import type { CardBrand } from '../domain/card';
import type { ChargeStatus } from '../domain/charge';

export type { CardBrand, ChargeStatus };

/** What a gateway tells about a card: never the PAN or the CVC. */
export interface GatewayCard {
  brand: CardBrand;
  bin: string;
  last4: string;
  /** "01".."12" */
  exp_month: string;
  /** two digits, e.g. "39" */
  exp_year: string;
}

/** A single-use token for card data (or for a CVC re-presented with a card on file). */
export interface GatewayToken {
  id: string;
  card: GatewayCard;
  /** ISO-8601 */
  expires_at: string;
}

export interface RawCard {
  number: string;
  exp_month: string;
  exp_year: string;
  cvc: string;
  name: string;
}

export type DeclineCode =
  | 'generic_decline'
  | 'insufficient_funds'
  | 'expired_card'
  | 'incorrect_cvc'
  | 'processing_error'
  | 'authentication_failed'
  | (string & {});

export interface ChargeRequest {
  /** integer minor units; 0 only to verify a card that is being stored */
  amount: number;
  /** ISO 4217 */
  currency: string;
  /** false: authorize only, capture later */
  capture: boolean;
  /** single-use card token from createToken({card}) */
  token?: string;
  /** the gateway's card-on-file reference, from a previous charge with store_card */
  source_token?: string;
  /** single-use token from createToken({source_token, cvc}) — the CVC for a card on file */
  cvc_token?: string;
  /** keep the card on file and return its `source_token` */
  store_card?: boolean;
  /** where the 3-D Secure page sends the customer back */
  return_url?: string;
  /** 'never' asks the gateway not to challenge (exemption) */
  three_d_secure?: 'never' | 'if_required';
  /** merchant-initiated (no customer present, no CVC) */
  merchant_initiated?: boolean;
}

export interface Charge {
  id: string;
  status: ChargeStatus;
  amount: number;
  currency: string;
  captured_amount: number;
  refunded_amount: number;
  decline_code?: DeclineCode;
  card: GatewayCard;
  source_token?: string;
  next_action?: { type: 'redirect_to_url'; url: string };
  idempotency_key: string;
  voided?: boolean;
  created_at: string;
}

/** A gateway's answer to a money-moving request. */
export interface Refund {
  id: string;
  charge_id: string;
  amount: number;
  currency: string;
  idempotency_key: string;
  created_at: string;
}

/**
 * Transport-level failure: the request may or may not have reached the gateway and may or may not
 * have been committed. Callers must reconcile (findChargeByIdempotencyKey) before deciding.
 */
export class GatewayUnavailableError extends Error {
  override readonly name = 'GatewayUnavailableError';
}

/** The gateway understood the request and refused it (4xx): retrying the same request won't help. */
export class GatewayRejectedError extends Error {
  override readonly name = 'GatewayRejectedError';
  constructor(
    message: string,
    readonly code: string,
    readonly httpStatus: number,
  ) {
    super(message);
  }
}

export interface PaymentGateway {
  createCardToken(card: RawCard): Promise<GatewayToken>;
  createCvcToken(sourceToken: string, cvc: string): Promise<GatewayToken>;
  charge(request: ChargeRequest, idempotencyKey: string): Promise<Charge>;
  getCharge(chargeId: string): Promise<Charge | undefined>;
  findChargeByIdempotencyKey(idempotencyKey: string): Promise<Charge | undefined>;
  capture(chargeId: string, amount: number, idempotencyKey: string): Promise<Charge>;
  refund(chargeId: string, amount: number, idempotencyKey: string): Promise<Refund>;
  void(chargeId: string, idempotencyKey: string): Promise<Charge>;
  /** true when the gateway answers at all (readiness) */
  ping(): Promise<boolean>;
}
