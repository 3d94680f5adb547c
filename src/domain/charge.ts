/** What a gateway answered about a charge, as far as the engine's rules care. */

export type ChargeStatus = 'succeeded' | 'authorized' | 'declined' | 'requires_action';

export interface ChargeAnswer {
  /** empty when the gateway refused the request before making a charge */
  chargeId: string;
  status: ChargeStatus;
  declineCode?: string;
}

/** The gateway took the money (or holds it): the attempt succeeded. */
export function isApproved(status: ChargeStatus): status is 'succeeded' | 'authorized' {
  return status === 'succeeded' || status === 'authorized';
}
