/**
 * The engine's gateway idempotency keys name the payment they belong to:
 * `{session_id}:attempt:{n}` (a charge), `{session_id}:operation:{n}` (refund, capture, void),
 * `{session_id}:abandon:{n}` (the void of an abandoned 3-D Secure challenge). A gateway
 * notification carries the charge's key, which leads back to the payment.
 */

export const GATEWAY_KEY_KINDS = ['attempt', 'operation', 'abandon'] as const;
export type GatewayKeyKind = (typeof GATEWAY_KEY_KINDS)[number];

export interface GatewayKey {
  sessionId: string;
  kind: GatewayKeyKind;
  /** 1-based */
  n: number;
}

const KEY = /^([0-9a-f]{64}):(attempt|operation|abandon):([1-9][0-9]{0,8})$/;

/** The payment a gateway idempotency key belongs to; undefined for a key the engine never makes. */
export function parseGatewayKey(key: string): GatewayKey | undefined {
  const match = KEY.exec(key);
  if (!match) return undefined;
  return { sessionId: match[1]!, kind: match[2] as GatewayKeyKind, n: Number(match[3]) };
}
