/** Writing a payment record from a workflow: the record is the system of record, so never given up. */
import { ActivityFailure, log, sleep } from '@temporalio/workflow';

import type { PaymentPatch } from '../domain/payment';
import { storeActivities } from './proxies';

/**
 * Retries the write until MongoDB takes it: each try is a bounded local activity, and between
 * tries a durable timer waits, so a long outage holds no worker slot and no activity retries
 * forever. A write the store has already applied (a retry) is a no-op there.
 */
export async function recordUntilDone(sessionId: string, patch: PaymentPatch): Promise<void> {
  for (let wait = 1_000; ; wait = Math.min(wait * 2, 60_000)) {
    try {
      await storeActivities.recordPayment(sessionId, patch);
      return;
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      log.warn('Recording the payment failed; retrying', { sessionId, waitMs: wait });
      await sleep(wait);
    }
  }
}
