import type { DeclineCode, GatewayCard, GatewayToken, Refund } from '../../gateway/port';
import { alwaysDeclines, isExpired, validateCvc, type CardBehaviour } from './cards';
import type { Clock } from './clock';
import { hashCvv, verifyCvv } from './cvv';
import { badRequest, notFound } from './errors';
import { newId } from './ids';
import type {
  CardOnFile,
  ChargeRecord,
  IdempotencyRecord,
  IdempotentOperation,
  LedgerEntry,
  LedgerType,
} from './model';
import type { NotificationType } from './notifications';
import type { ParsedCharge, TokenRequest } from './requests';
import type { SimStore } from './store';
import type { TokenVault } from './tokens';

/** Where decided charge outcomes go (the notifier's outbox), inside the mutation that decides them. */
export interface ChargeEvents {
  enqueue(type: NotificationType, charge: ChargeRecord): void;
}

const NO_EVENTS: ChargeEvents = { enqueue: () => undefined };

/** The idempotency key of a request and the fingerprint of its parameters. */
export interface Idem {
  key: string;
  print: string;
}

type Outcome = { kind: 'approved' } | { kind: 'declined'; code: DeclineCode } | { kind: 'challenge' };

/** The card a charge is made with, once its token (if any) has been consumed. */
interface ResolvedCard {
  card: GatewayCard;
  behaviour: CardBehaviour;
  /** the CVC presented with this charge (dropped once the charge is decided) */
  cvc?: string;
  onFile?: CardOnFile;
}

/**
 * The simulated PSP: issuer decisions, cards on file, charges and their operations. Every method
 * that mutates state finishes synchronously with one store commit (idempotency record included),
 * so an operation is either fully committed or not at all.
 */
export class SimulatedPsp {
  constructor(
    private readonly store: SimStore,
    private readonly vault: TokenVault,
    private readonly clock: Clock,
    private readonly publicUrl: () => string,
    private readonly events: ChargeEvents = NO_EVENTS,
  ) {}

  createToken(request: TokenRequest): GatewayToken {
    if (request.kind === 'card') {
      return this.vault.issueCardToken(request.card.card, request.card.behaviour, request.card.cvc);
    }
    const onFile = this.cardOnFile(request.source_token);
    validateCvc(request.cvc, onFile.card.brand);
    return this.vault.issueCvcToken(onFile.id, onFile.card, request.cvc);
  }

  charge(request: ParsedCharge, idem: Idem): ChargeRecord {
    const resolved = this.resolveCard(request);
    const outcome = this.decide(request, resolved);
    const now = this.clock.now().toISOString();
    const charge: ChargeRecord = {
      id: newId('ch_'),
      status: 'declined',
      amount: request.amount,
      currency: request.currency,
      captured_amount: 0,
      refunded_amount: 0,
      card: { ...resolved.card },
      idempotency_key: idem.key,
      voided: false,
      created_at: now,
      requested_capture: request.capture,
    };
    if (request.return_url !== undefined) charge.return_url = request.return_url;
    if (resolved.onFile) charge.source_token = resolved.onFile.id;

    const newCardToStore = request.store_card && !resolved.onFile && outcome.kind !== 'declined';
    const cvv = newCardToStore && resolved.cvc !== undefined ? hashCvv(resolved.cvc) : undefined;
    delete resolved.cvc;

    if (outcome.kind === 'declined') {
      charge.decline_code = outcome.code;
    } else if (outcome.kind === 'challenge') {
      charge.status = 'requires_action';
      charge.next_action = { type: 'redirect_to_url', url: `${this.publicUrl()}/3ds/${charge.id}` };
      charge.three_ds = { status: 'pending' };
      if (cvv)
        charge.three_ds.pending_card = { card: { ...resolved.card }, behaviour: resolved.behaviour, cvv };
    } else {
      this.approve(charge);
      if (cvv) this.putOnFile(charge, { card: { ...resolved.card }, behaviour: resolved.behaviour, cvv });
    }

    this.store.state.charges[charge.id] = charge;
    this.appendLedger('charge', charge.id, charge, charge.amount, charge.status, idem.key);
    this.remember(idem, 'charge', charge.id);
    if (charge.status !== 'requires_action') this.events.enqueue(`charge.${charge.status}`, charge);
    this.store.commit();
    return charge;
  }

  /**
   * Completes a pending 3-D Secure challenge; a completed one is left as it is. `canceled`: the
   * challenge was abandoned (a void), not answered by the customer.
   */
  completeChallenge(chargeId: string, approve: boolean, canceled = false): ChargeRecord {
    const charge = this.store.state.charges[chargeId];
    if (!charge?.three_ds) throw notFound('charge_not_found', 'no 3-D Secure challenge for this charge');
    const threeDs = charge.three_ds;
    if (threeDs.status !== 'pending') return charge;
    const pendingCard = threeDs.pending_card;
    delete threeDs.pending_card;
    delete charge.next_action;
    if (approve) {
      threeDs.status = 'approved';
      this.approve(charge);
      if (pendingCard) this.putOnFile(charge, pendingCard);
    } else {
      threeDs.status = 'rejected';
      charge.status = 'declined';
      charge.decline_code = 'authentication_failed';
    }
    const entry = this.store.state.ledger.find((e) => e.type === 'charge' && e.charge_id === charge.id);
    if (entry) entry.status = charge.status;
    this.events.enqueue(canceled ? 'charge.challenge_canceled' : 'charge.challenge_completed', charge);
    this.store.commit();
    return charge;
  }

  capture(chargeId: string, amount: number | undefined, idem: Idem): ChargeRecord {
    const charge = this.getCharge(chargeId);
    if (charge.status !== 'authorized' || charge.voided) {
      throw badRequest(
        'charge_not_capturable',
        `only an authorized charge can be captured (it is ${describe(charge)})`,
      );
    }
    const captured = amount ?? charge.amount;
    if (captured > charge.amount) {
      throw badRequest('amount_too_large', 'capture amount exceeds the authorized amount');
    }
    charge.status = 'succeeded';
    charge.captured_amount = captured;
    this.appendLedger('capture', newId('cap_'), charge, captured, 'succeeded', idem.key);
    this.remember(idem, 'capture', charge.id);
    this.store.commit();
    return charge;
  }

  refund(chargeId: string, amount: number, idem: Idem): Refund {
    const charge = this.getCharge(chargeId);
    if (charge.status !== 'succeeded') {
      throw badRequest(
        'charge_not_refundable',
        `only a succeeded charge can be refunded (it is ${describe(charge)})`,
      );
    }
    const remaining = charge.captured_amount - charge.refunded_amount;
    if (amount > remaining) {
      throw badRequest('amount_too_large', `refund amount exceeds what remains refundable (${remaining})`);
    }
    const refund: Refund = {
      id: newId('re_'),
      charge_id: charge.id,
      amount,
      currency: charge.currency,
      idempotency_key: idem.key,
      created_at: this.clock.now().toISOString(),
    };
    charge.refunded_amount += amount;
    this.store.state.refunds[refund.id] = refund;
    this.appendLedger('refund', refund.id, charge, amount, 'succeeded', idem.key);
    this.remember(idem, 'refund', charge.id, refund.id);
    this.store.commit();
    return refund;
  }

  void(chargeId: string, idem: Idem): ChargeRecord {
    const charge = this.getCharge(chargeId);
    if (charge.status === 'requires_action') {
      // Abandoned authentication: cancel it, so a late approval can never move money.
      this.completeChallenge(charge.id, false, true);
      this.remember(idem, 'void', charge.id);
      this.store.commit();
      return charge;
    }
    if (charge.status !== 'authorized' || charge.voided) {
      throw badRequest(
        'charge_not_voidable',
        `only an authorized charge can be voided (it is ${describe(charge)})`,
      );
    }
    charge.voided = true;
    this.appendLedger('void', newId('void_'), charge, charge.amount, 'succeeded', idem.key);
    this.remember(idem, 'void', charge.id);
    this.store.commit();
    return charge;
  }

  getCharge(chargeId: string): ChargeRecord {
    const charge = this.store.state.charges[chargeId];
    if (!charge) throw notFound('charge_not_found', 'no such charge');
    return charge;
  }

  findCharge(chargeId: string): ChargeRecord | undefined {
    return this.store.state.charges[chargeId];
  }

  findChargeByIdempotencyKey(key: string): ChargeRecord | undefined {
    const record = this.store.state.idempotency[key];
    return record?.operation === 'charge' ? this.store.state.charges[record.charge_id] : undefined;
  }

  getRefund(refundId: string): Refund | undefined {
    return this.store.state.refunds[refundId];
  }

  ledger(): LedgerEntry[] {
    return this.store.state.ledger.map((entry) => ({ ...entry }));
  }

  /** Checks the request's token references, then consumes its single-use tokens. */
  private resolveCard(request: ParsedCharge): ResolvedCard {
    const source = request.source;
    if (source.kind === 'card')
      return { card: source.card.card, behaviour: source.card.behaviour, cvc: source.card.cvc };
    if (source.kind === 'token') {
      const token = this.vault.check(source.token, 'card', 'token');
      return { card: token.card, behaviour: token.behaviour, cvc: this.vault.consume(token) };
    }
    const onFile = this.cardOnFile(source.source_token);
    if (source.cvc_token === undefined) return { card: onFile.card, behaviour: onFile.behaviour, onFile };
    const cvcToken = this.vault.check(source.cvc_token, 'cvc', 'cvc_token');
    if (cvcToken.sourceToken !== onFile.id) {
      throw badRequest('cvc_token_mismatch', 'the cvc_token was made for another source_token');
    }
    return { card: onFile.card, behaviour: onFile.behaviour, onFile, cvc: this.vault.consume(cvcToken) };
  }

  /** The simulated issuer's decision. */
  private decide(request: ParsedCharge, resolved: ResolvedCard): Outcome {
    const challengeAllowed = !request.merchant_initiated && request.three_d_secure !== 'never';
    const onFile = resolved.onFile;
    if (onFile) {
      if (resolved.cvc !== undefined && !verifyCvv(resolved.cvc, onFile.cvv)) {
        return { kind: 'declined', code: 'incorrect_cvc' };
      }
      if (onFile.behaviour === 'decline_on_reuse') return { kind: 'declined', code: 'generic_decline' };
      if (isExpired(onFile.card, this.clock.now())) return { kind: 'declined', code: 'expired_card' };
    }
    const decline = alwaysDeclines(resolved.behaviour);
    if (decline) return { kind: 'declined', code: decline };
    if (resolved.behaviour === 'three_ds_challenge' && challengeAllowed) return { kind: 'challenge' };
    return { kind: 'approved' };
  }

  private approve(charge: ChargeRecord): void {
    charge.status = charge.requested_capture ? 'succeeded' : 'authorized';
    charge.captured_amount = charge.requested_capture ? charge.amount : 0;
  }

  private putOnFile(charge: ChargeRecord, card: Omit<CardOnFile, 'id' | 'created_at' | 'charge_id'>): void {
    const onFile: CardOnFile = {
      ...card,
      id: newId('src_'),
      charge_id: charge.id,
      created_at: this.clock.now().toISOString(),
    };
    this.store.state.cards[onFile.id] = onFile;
    charge.source_token = onFile.id;
  }

  private cardOnFile(sourceToken: string): CardOnFile {
    const onFile = this.store.state.cards[sourceToken];
    if (!onFile) throw notFound('source_token_not_found', 'no such source_token');
    return onFile;
  }

  private appendLedger(
    type: LedgerType,
    id: string,
    charge: ChargeRecord,
    amount: number,
    status: string,
    key: string,
  ): void {
    this.store.state.ledger.push({
      type,
      id,
      charge_id: charge.id,
      amount,
      currency: charge.currency,
      status,
      idempotency_key: key,
      created_at: this.clock.now().toISOString(),
    });
  }

  private remember(idem: Idem, operation: IdempotentOperation, chargeId: string, refundId?: string): void {
    const record: IdempotencyRecord = {
      key: idem.key,
      operation,
      fingerprint: idem.print,
      charge_id: chargeId,
      created_at: this.clock.now().toISOString(),
    };
    if (refundId !== undefined) record.refund_id = refundId;
    this.store.state.idempotency[idem.key] = record;
  }
}

function describe(charge: ChargeRecord): string {
  return charge.voided ? 'voided' : charge.status;
}
