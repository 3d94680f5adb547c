import type { Charge, GatewayCard, Refund } from '../../gateway/port';
import type { CardBehaviour } from './cards';
import type { CvvHash } from './cvv';

/** A card on file (`src_…`): never the PAN or the CVC, only what a PSP's vault may show plus the CVV hash. */
export interface CardOnFile {
  id: string;
  card: GatewayCard;
  behaviour: CardBehaviour;
  /** the issuer's CVV: the one presented on the card's first successful charge */
  cvv: CvvHash;
  /** the charge that stored it */
  charge_id: string;
  created_at: string;
}

/** What a challenged charge keeps until the 3-D Secure page completes it. */
export interface ThreeDsState {
  status: 'pending' | 'approved' | 'rejected';
  /** the card to put on file when the challenge is approved (store_card on a new card) */
  pending_card?: Omit<CardOnFile, 'id' | 'created_at' | 'charge_id'>;
}

export interface ChargeRecord extends Charge {
  /** what the charge request asked for, needed to finish a 3-D Secure challenge */
  requested_capture: boolean;
  return_url?: string;
  three_ds?: ThreeDsState;
}

export type LedgerType = 'charge' | 'capture' | 'refund' | 'void';

/**
 * One money movement. A `charge` entry's status is the outcome of the authorization (updated only
 * when a 3-D Secure challenge resolves it); later captures, refunds and voids are entries of their own.
 */
export interface LedgerEntry {
  type: LedgerType;
  id: string;
  charge_id: string;
  amount: number;
  currency: string;
  status: string;
  idempotency_key: string;
  created_at: string;
}

export type IdempotentOperation = 'charge' | 'capture' | 'refund' | 'void';

/** A committed idempotent request. Only a fingerprint of the body is kept, never the body. */
export interface IdempotencyRecord {
  key: string;
  operation: IdempotentOperation;
  fingerprint: string;
  charge_id: string;
  refund_id?: string;
  created_at: string;
}

/**
 * A server-to-server notification not yet delivered (the outbox). The body is kept as the exact
 * bytes sent, so every retry carries the same event; each attempt is signed afresh.
 */
export interface OutboxEntry {
  /** the event id (`evt_…`), also inside `body` */
  id: string;
  type: string;
  /** the JSON body, byte for byte the same on every attempt */
  body: string;
  /** wall-clock ms when the event was made: delivery gives up a bounded time after it */
  created_ms: number;
  /** attempts made so far */
  attempts: number;
  /** wall-clock ms of the next attempt */
  next_attempt_ms: number;
  last_error?: string;
}

export interface SimState {
  version: 1;
  charges: Record<string, ChargeRecord>;
  cards: Record<string, CardOnFile>;
  refunds: Record<string, Refund>;
  idempotency: Record<string, IdempotencyRecord>;
  ledger: LedgerEntry[];
  /** undelivered notifications, keyed by event id */
  outbox: Record<string, OutboxEntry>;
}

export function emptyState(): SimState {
  return { version: 1, charges: {}, cards: {}, refunds: {}, idempotency: {}, ledger: [], outbox: {} };
}

/** The wire form of a charge (internal fields stripped). */
export function toPublicCharge(record: ChargeRecord): Charge {
  const charge: Charge = {
    id: record.id,
    status: record.status,
    amount: record.amount,
    currency: record.currency,
    captured_amount: record.captured_amount,
    refunded_amount: record.refunded_amount,
    card: { ...record.card },
    idempotency_key: record.idempotency_key,
    voided: record.voided === true,
    created_at: record.created_at,
  };
  if (record.decline_code !== undefined) charge.decline_code = record.decline_code;
  if (record.source_token !== undefined) charge.source_token = record.source_token;
  if (record.next_action !== undefined) charge.next_action = { ...record.next_action };
  return charge;
}
