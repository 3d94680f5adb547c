/**
 * After the load: wait until the run is quiet, then hold tokenpay's records (MongoDB payments,
 * cards, webhook_deliveries and the workflows) against the gateway's ledger and what the
 * merchant's webhook endpoint received. Every finding names its session ids.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from 'mongodb';

import type { PaymentRecord } from '../src/domain/payment';
import type { LedgerEntry } from '../src/dev/gateway-simulator/model';
import type { SavedCardDoc } from '../src/store/mongo';
import { OPERATOR_CANCEL_KEY } from '../src/workflows/checkout/operator-cancel';
import { last4 } from './cards';
import type { PaymentRun } from './driver';
import { httpRequest } from './http';
import { sleep } from './log';
import type { ChaosWebhookReceiver } from './webhook-receiver';

const PAYABLE = new Set(['created', 'pending', 'attempted']);
const MONEY_STATES = new Set(['paid', 'authorized', 'refunded', 'voided']);
const SUCCESSFUL_CHARGE = new Set(['succeeded', 'authorized']);

export async function fetchLedger(simulatorUrl: string): Promise<LedgerEntry[]> {
  const r = await httpRequest<{ entries: LedgerEntry[] }>('GET', `${simulatorUrl}/v1/ledger`, {
    timeoutMs: 30_000,
  });
  if (r.status !== 200) throw new Error(`ledger answered ${r.status}`);
  return r.body.entries;
}

/** The session a gateway idempotency key belongs to (`{session_id}:attempt:{n}`, `:operation:`, `:abandon:`). */
export function sessionOfKey(key: string): string {
  return key.split(':')[0] ?? key;
}

function minor(amount: string | undefined): number {
  if (!amount) return 0;
  const [whole = '0', frac = ''] = amount.split('.');
  return Number(whole) * 1000 + Number(frac.padEnd(3, '0').slice(0, 3));
}

/** The webhook events a payment must have produced by now (CONTRACT §4), judged from its record. */
export function expectedEvents(record: PaymentRecord, closeState?: string): string[] {
  if (!record.webhook_url || PAYABLE.has(record.state)) return [];
  const sid = record._id;
  const ops = record.operations ?? [];
  const events: string[] = [];
  const first = ops[0];
  if (first && (first.operation === 'cancel' || first.operation === 'expire')) {
    events.push(`${sid}.operation.1`);
    return events;
  }
  const closedAs =
    closeState ??
    (MONEY_STATES.has(record.state)
      ? record.operation === 'authorize'
        ? 'authorized'
        : 'paid'
      : record.state);
  events.push(`${sid}.${closedAs}`);
  ops.forEach((op, i) => {
    if (op.operation === 'refund' || op.operation === 'capture' || op.operation === 'void') {
      events.push(`${sid}.operation.${i + 1}`);
    }
  });
  return events;
}

/** Canceled by an operator through Temporal (not by the merchant): the record says so. */
function cancelledByOperator(record: PaymentRecord): boolean {
  const closedBy = record.operations?.[0];
  return (
    record.state === 'canceled' &&
    closedBy?.operation === 'cancel' &&
    closedBy.request_key === OPERATOR_CANCEL_KEY
  );
}

export interface Quiescence {
  ms: number;
  quiet: boolean;
  runningCheckouts: number;
  webhooksPending: number;
}

/**
 * Waits until no CheckoutWorkflow / TokenChargeWorkflow runs any more and every webhook the
 * records call for has been delivered (bounded).
 */
export async function waitForQuiescence(
  client: Client,
  db: Db,
  receiver: ChaosWebhookReceiver,
  timeoutMs: number,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<Quiescence> {
  const t0 = Date.now();
  let lastLog = 0;
  let running = -1;
  let pending = -1;
  while (!signal.aborted) {
    try {
      running = (
        await client.workflow.count(
          'WorkflowType IN ("CheckoutWorkflow", "TokenChargeWorkflow") AND ExecutionStatus = "Running"',
        )
      ).count;
      const records = await db.collection<PaymentRecord>('payments').find({}).toArray();
      const delivered = receiver.deliveredEventIds();
      pending = records.flatMap((r) => expectedEvents(r)).filter((e) => !delivered.has(e)).length;
    } catch (error) {
      log(`quiescence check failed: ${(error as Error).message}`);
    }
    const ms = Date.now() - t0;
    if (running === 0 && pending === 0) return { ms, quiet: true, runningCheckouts: 0, webhooksPending: 0 };
    if (ms > timeoutMs) return { ms, quiet: false, runningCheckouts: running, webhooksPending: pending };
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(
        `waiting for quiescence: ${running} payment workflows running, ${pending} webhooks not yet delivered`,
      );
    }
    await sleep(1_000, signal);
  }
  return { ms: Date.now() - t0, quiet: false, runningCheckouts: running, webhooksPending: pending };
}

export interface Finding {
  sessionId: string;
  detail: string;
}

export interface Reconciliation {
  created: number;
  states: Record<string, number>;
  chargedOnce: number;
  chargedTwice: Finding[];
  lost: Finding[];
  stuck: Finding[];
  ledgerMismatch: Finding[];
  tokensMissing: Finding[];
  webhooksMissing: Finding[];
  webhookBadSignature: number;
  deliveryLogGaps: Finding[];
  refundsOverspent: Finding[];
  /** refund / capture / void requests that moved money more than once */
  operationsRepeated: Finding[];
  /** operations that took effect although the merchant's (final) answer said they failed */
  answeredWrongly: Finding[];
  webhooksDelivered: number;
  webhookDuplicates: number;
  refundsInLedger: number;
  orphanRecords: number;
}

interface WorkflowFacts {
  status: string;
  result?: string;
}

async function describeCheckout(client: Client, sid: string): Promise<WorkflowFacts | undefined> {
  const handle = client.workflow.getHandle(`checkout-${sid}`);
  try {
    const d = await handle.describe();
    const status = d.status.name;
    if (status !== 'COMPLETED') return { status };
    return { status, result: String(await handle.result()) };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

export async function reconcile(input: {
  client: Client;
  db: Db;
  ledger: LedgerEntry[];
  runs: PaymentRun[];
  receiver: ChaosWebhookReceiver;
  customerTokens: Array<{ customerId: string; token?: string; last4: string }>;
}): Promise<Reconciliation> {
  const { client, db, ledger, runs, receiver } = input;
  const records = await db.collection<PaymentRecord>('payments').find({}).toArray();
  const cards = await db.collection<SavedCardDoc>('cards').find({}).toArray();
  const deliveries = await db
    .collection<{ event_id: string; outcome: string }>('webhook_deliveries')
    .find({})
    .toArray();
  const bySession = new Map(records.map((r) => [r._id, r]));
  const cardById = new Map(cards.map((c) => [c._id, c]));
  const facts = new Map<string, WorkflowFacts | undefined>();
  const factList = await mapLimit(records, 8, (r) => describeCheckout(client, r._id));
  records.forEach((r, i) => facts.set(r._id, factList[i]));

  const rec: Reconciliation = {
    created: runs.filter((r) => r.sessionId).length,
    states: {},
    chargedOnce: 0,
    chargedTwice: [],
    lost: [],
    stuck: [],
    ledgerMismatch: [],
    tokensMissing: [],
    webhooksMissing: [],
    webhookBadSignature: receiver.received.filter((w) => !w.signatureValid).length,
    deliveryLogGaps: [],
    refundsOverspent: [],
    operationsRepeated: [],
    answeredWrongly: [],
    webhooksDelivered: 0,
    webhookDuplicates: 0,
    refundsInLedger: ledger.filter((e) => e.type === 'refund').length,
    orphanRecords: 0,
  };

  // Ledger, grouped by session.
  const chargesBySession = new Map<string, LedgerEntry[]>();
  const entriesByCharge = new Map<string, LedgerEntry[]>();
  for (const e of ledger) {
    if (e.type === 'charge') {
      const sid = sessionOfKey(e.idempotency_key);
      chargesBySession.set(sid, [...(chargesBySession.get(sid) ?? []), e]);
    }
    entriesByCharge.set(e.charge_id, [...(entriesByCharge.get(e.charge_id) ?? []), e]);
  }

  // 1. Everything created over the API is in MongoDB.
  for (const run of runs) {
    if (run.sessionId && !bySession.has(run.sessionId)) {
      rec.lost.push({
        sessionId: run.sessionId,
        detail: `created (201, order ${run.orderNo}) but not in MongoDB`,
      });
    }
  }

  // 2. Per record: workflow, state, ledger.
  for (const r of records) {
    const sid = r._id;
    rec.states[r.state] = (rec.states[r.state] ?? 0) + 1;
    const wf = facts.get(sid);
    const successful = (chargesBySession.get(sid) ?? []).filter((e) => SUCCESSFUL_CHARGE.has(e.status));
    if (!wf) {
      rec.orphanRecords++;
      rec.stuck.push({
        sessionId: sid,
        detail: `record in state ${r.state} (order ${r.order_no}) has no workflow`,
      });
    } else if (wf.status === 'RUNNING') {
      rec.stuck.push({
        sessionId: sid,
        detail: `CheckoutWorkflow still running after quiescence (record: ${r.state})`,
      });
    } else if (wf.status === 'CANCELLED' && cancelledByOperator(r)) {
      // an operator's Cancel through Temporal: the run records the cancel, then ends canceled
    } else if (wf.status !== 'COMPLETED') {
      rec.stuck.push({ sessionId: sid, detail: `CheckoutWorkflow ended ${wf.status} (record: ${r.state})` });
    } else if (PAYABLE.has(r.state)) {
      rec.stuck.push({ sessionId: sid, detail: `record ${r.state} but its workflow closed as ${wf.result}` });
    } else {
      const ok: Record<string, string[]> = {
        paid: ['paid', 'refunded'],
        authorized: ['authorized', 'paid', 'voided', 'refunded'],
      };
      const allowed = ok[wf.result ?? ''] ?? [wf.result ?? ''];
      if (!allowed.includes(r.state)) {
        rec.stuck.push({
          sessionId: sid,
          detail: `workflow closed as ${wf.result} but the record says ${r.state}`,
        });
      }
    }

    if (successful.length > 1) {
      rec.chargedTwice.push({
        sessionId: sid,
        detail: `${successful.length} successful charges: ${successful.map((e) => `${e.charge_id} (${e.idempotency_key}, ${e.status})`).join(', ')}`,
      });
    } else if (successful.length === 1) {
      rec.chargedOnce++;
    }

    const charge = successful[0];
    if (MONEY_STATES.has(r.state)) {
      if (!charge) {
        rec.lost.push({
          sessionId: sid,
          detail: `record ${r.state} (charge ${r.charge_id ?? 'none'}) but no successful charge in the ledger`,
        });
      } else if (!successful.some((e) => e.charge_id === r.charge_id)) {
        rec.lost.push({
          sessionId: sid,
          detail: `record charge ${r.charge_id ?? 'none'} is not the ledger's ${charge.charge_id}`,
        });
      }
    } else if (charge) {
      rec.lost.push({
        sessionId: sid,
        detail: `ledger charge ${charge.charge_id} ${charge.status} but the record is ${r.state}`,
      });
    }

    // Money: charged amount, captures, refunds — the record against the ledger.
    if (charge) {
      const entries = entriesByCharge.get(charge.charge_id) ?? [];
      const refunded = entries.filter((e) => e.type === 'refund').reduce((s, e) => s + e.amount, 0);
      const captures = entries.filter((e) => e.type === 'capture').reduce((s, e) => s + e.amount, 0);
      const voided = entries.some((e) => e.type === 'void');
      const captured = charge.status === 'succeeded' ? charge.amount : captures;
      if (charge.amount !== minor(r.amount)) {
        rec.ledgerMismatch.push({
          sessionId: sid,
          detail: `charged ${charge.amount} but the payment is ${r.amount}`,
        });
      }
      if (refunded > captured) {
        rec.refundsOverspent.push({ sessionId: sid, detail: `refunded ${refunded} of ${captured} captured` });
      }
      if (minor(r.refunded_amount) > minor(r.captured_amount ?? (r.state === 'paid' ? r.amount : '0'))) {
        rec.refundsOverspent.push({
          sessionId: sid,
          detail: `record refunded_amount ${r.refunded_amount} > captured ${r.captured_amount}`,
        });
      }
      if (minor(r.refunded_amount) !== refunded) {
        rec.ledgerMismatch.push({
          sessionId: sid,
          detail: `record refunded_amount ${r.refunded_amount ?? '0'} but the ledger refunded ${refunded} (${entries.filter((e) => e.type === 'refund').length} refunds)`,
        });
      }
      const expectState = voided
        ? 'voided'
        : captured === 0
          ? 'authorized'
          : refunded === captured
            ? 'refunded'
            : 'paid';
      if (r.state !== expectState) {
        rec.ledgerMismatch.push({
          sessionId: sid,
          detail: `record ${r.state} but the ledger says ${expectState}`,
        });
      }
      if (r.state === 'paid' && r.captured_amount && minor(r.captured_amount) !== captured) {
        rec.ledgerMismatch.push({
          sessionId: sid,
          detail: `record captured ${r.captured_amount}, ledger ${captured}`,
        });
      }
    }
  }

  // Ledger charges of sessions that tokenpay has no record of.
  for (const [sid, entries] of chargesBySession) {
    if (bySession.has(sid)) continue;
    const ok = entries.filter((e) => SUCCESSFUL_CHARGE.has(e.status));
    if (ok.length > 0)
      rec.lost.push({ sessionId: sid, detail: `ledger charge ${ok[0]!.charge_id} with no payment record` });
  }

  // Each merchant request (whatever its retries) moves money at most once.
  for (const run of runs) {
    if (!run.sessionId) continue;
    const charges = (chargesBySession.get(run.sessionId) ?? []).filter((e) =>
      SUCCESSFUL_CHARGE.has(e.status),
    );
    const entries = charges.flatMap((c) => entriesByCharge.get(c.charge_id) ?? []);
    for (const kind of ['refund', 'capture', 'void'] as const) {
      const requested = new Set(run.operations.filter((o) => o.operation === kind).map((o) => o.n)).size;
      const moved = entries.filter((e) => e.type === kind).length;
      if (moved > requested) {
        rec.operationsRepeated.push({
          sessionId: run.sessionId,
          detail: `${moved} ${kind}s in the ledger (${entries
            .filter((e) => e.type === kind)
            .map((e) => `${e.amount} ${e.idempotency_key}`)
            .join(
              ', ',
            )}) for ${requested} ${kind} request(s): ${JSON.stringify(run.operations.filter((o) => o.operation === kind))}`,
        });
      }
    }
  }

  // What the merchant was told matches what happened: an operation that took effect was not
  // answered as failed (e.g. a retry with the same Idempotency-Key after a lost answer).
  for (const run of runs) {
    const r = run.sessionId ? bySession.get(run.sessionId) : undefined;
    if (!r) continue;
    const finalStatus = new Map<number, { operation: string; status: number | string; body?: string }>();
    for (const op of run.operations) finalStatus.set(op.n, { operation: op.operation, status: op.status });
    const told = (kind: string) => [...finalStatus.values()].filter((f) => f.operation === kind);
    const notFailed = (kind: string) =>
      told(kind).filter((f) => f.status === 200 || typeof f.status === 'string');
    const charges = (chargesBySession.get(r._id) ?? []).filter((e) => SUCCESSFUL_CHARGE.has(e.status));
    const entries = charges.flatMap((c) => entriesByCharge.get(c.charge_id) ?? []);
    for (const kind of ['refund', 'capture', 'void'] as const) {
      const moved = entries.filter((e) => e.type === kind).length;
      if (moved > notFailed(kind).length) {
        rec.answeredWrongly.push({
          sessionId: r._id,
          detail: `${moved} ${kind}(s) in the ledger, but the merchant was told ${told(kind)
            .map((f) => f.status)
            .join(', ')}: ${JSON.stringify(run.operations.filter((o) => o.operation === kind))}`,
        });
      }
    }
    const closedBy = r.operations?.[0];
    if (
      r.state === 'canceled' &&
      closedBy?.operation === 'cancel' &&
      !cancelledByOperator(r) &&
      notFailed('cancel').length === 0
    ) {
      rec.answeredWrongly.push({
        sessionId: r._id,
        detail: `canceled (${closedBy.reference_number}), but the merchant was told: ${JSON.stringify(run.operations.filter((o) => o.operation === 'cancel'))}`,
      });
    }
  }

  // 3. Saved cards: a paid save_card payment has its token, and the token is in `cards`.
  for (const run of runs) {
    if (!run.sessionId) continue;
    const r = bySession.get(run.sessionId);
    if (!r) continue;
    const lastOk = [...r.attempts].reverse().find((a) => a.result === 'success');
    if (run.saveCard && MONEY_STATES.has(r.state) && lastOk?.payment_method === 'card') {
      const token = r.token?.token;
      const card = token ? cardById.get(token) : undefined;
      if (!token)
        rec.tokensMissing.push({
          sessionId: r._id,
          detail: 'paid with save_card but the record has no token',
        });
      else if (!card) rec.tokensMissing.push({ sessionId: r._id, detail: `token ${token} is not in cards` });
      else if (
        card.customer_id !== run.customerId ||
        (run.successCard && card.last4 !== last4(run.successCard))
      ) {
        rec.tokensMissing.push({
          sessionId: r._id,
          detail: `token ${token} belongs to ${card.customer_id} / ${card.last4}`,
        });
      }
    }
    if (run.tokenUsed && !cardById.has(run.tokenUsed)) {
      rec.tokensMissing.push({
        sessionId: r._id,
        detail: `the saved card ${run.tokenUsed} it was paid with is gone`,
      });
    }
  }
  for (const c of input.customerTokens) {
    if (c.token && !cardById.has(c.token)) {
      rec.tokensMissing.push({
        sessionId: '-',
        detail: `customer ${c.customerId}'s token ${c.token} is gone`,
      });
    }
  }

  // 4. Webhooks: every event the records call for was delivered (200) and is in the delivery log.
  const delivered = receiver.deliveredEventIds();
  const counts = new Map<string, number>();
  for (const w of receiver.received) {
    const id = String(w.body.event_id);
    if (w.status === 200) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  rec.webhooksDelivered = delivered.size;
  rec.webhookDuplicates = [...counts.values()].reduce((s, n) => s + (n - 1), 0);
  const logged = new Set(deliveries.filter((d) => d.outcome === 'delivered').map((d) => d.event_id));
  for (const r of records) {
    const wf = facts.get(r._id);
    for (const event of expectedEvents(r, wf?.status === 'COMPLETED' ? wf.result : undefined)) {
      if (!delivered.has(event))
        rec.webhooksMissing.push({ sessionId: r._id, detail: `event ${event} not delivered` });
    }
  }
  for (const event of delivered) {
    if (!logged.has(event)) {
      rec.deliveryLogGaps.push({
        sessionId: event.split('.')[0] ?? event,
        detail: `event ${event} delivered but not logged as delivered`,
      });
    }
  }
  return rec;
}

export type { LedgerEntry };
