import type { GatewayCard, GatewayToken } from '../../gateway/port';
import type { CardBehaviour } from './cards';
import type { Clock } from './clock';
import { badRequest, notFound } from './errors';
import { newId } from './ids';

export const TOKEN_TTL_MS = 15 * 60 * 1000;
/** How long a used or expired token is remembered (to answer token_already_used / token_expired). */
const TOMBSTONE_MS = 24 * 60 * 60 * 1000;

interface TokenBase {
  id: string;
  card: GatewayCard;
  expiresAtMs: number;
  used: boolean;
  /** dropped as soon as the token is used or expires */
  cvc?: string;
}

export interface CardToken extends TokenBase {
  kind: 'card';
  behaviour: CardBehaviour;
}

export interface CvcToken extends TokenBase {
  kind: 'cvc';
  sourceToken: string;
}

export type VaultToken = CardToken | CvcToken;

/**
 * Single-use tokens, in memory only (they hold a CVC until the authorization that uses it). The PAN
 * is never kept: a card token only needs the card summary, its test behaviour and the CVC.
 */
export class TokenVault {
  private readonly tokens = new Map<string, VaultToken>();

  constructor(private readonly clock: Clock) {}

  issueCardToken(card: GatewayCard, behaviour: CardBehaviour, cvc: string): GatewayToken {
    return this.issue({ kind: 'card', card, behaviour, cvc });
  }

  issueCvcToken(sourceToken: string, card: GatewayCard, cvc: string): GatewayToken {
    return this.issue({ kind: 'cvc', sourceToken, card, cvc });
  }

  /** The usable token of that kind, or a 404 / 400 explaining why not. Does not consume it. */
  check<K extends VaultToken['kind']>(id: string, kind: K, field: string): Extract<VaultToken, { kind: K }> {
    this.sweep();
    const token = this.tokens.get(id);
    if (!token || token.kind !== kind) throw notFound(`${field}_not_found`, `no such ${field}`);
    if (token.used) throw badRequest('token_already_used', `the ${field} has already been used`);
    if (token.expiresAtMs <= this.clock.nowMs())
      throw badRequest('token_expired', `the ${field} has expired`);
    return token as Extract<VaultToken, { kind: K }>;
  }

  /** Marks the token used and hands out its CVC for the authorization; the vault forgets the CVC. */
  consume(token: VaultToken): string {
    const cvc = token.cvc ?? '';
    token.used = true;
    delete token.cvc;
    return cvc;
  }

  /** Drops the CVC of expired tokens and forgets old tombstones. */
  sweep(): void {
    const now = this.clock.nowMs();
    for (const [id, token] of this.tokens) {
      if (token.expiresAtMs <= now) delete token.cvc;
      if (token.expiresAtMs + TOMBSTONE_MS <= now) this.tokens.delete(id);
    }
  }

  private issue(
    fields: Omit<CardToken, 'id' | 'expiresAtMs' | 'used'> | Omit<CvcToken, 'id' | 'expiresAtMs' | 'used'>,
  ): GatewayToken {
    this.sweep();
    const id = newId('tok_');
    const expiresAtMs = this.clock.nowMs() + TOKEN_TTL_MS;
    this.tokens.set(id, { ...fields, id, expiresAtMs, used: false } as VaultToken);
    return { id, card: { ...fields.card }, expires_at: new Date(expiresAtMs).toISOString() };
  }
}
