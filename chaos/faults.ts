/**
 * The fault schedule (from the seeded RNG) and its injection while the load runs:
 * gateway faults through the simulator's `POST /_sim/faults`, kill -9 of the worker and the API
 * (the supervisor restarts them), a stop + start of the Temporal dev server and of FerretDB, and
 * outages of the merchant's webhook endpoint. Process faults run one at a time, each waiting
 * until the stack has recovered; gateway faults and webhook outages run alongside.
 */
import { MongoClient } from 'mongodb';

import { httpRequest, REQUEST_TAGS, type InFlight, type RequestTag } from './http';
import { elapsedMs, sleep } from './log';
import type { Rng } from './rng';
import type { Stack } from './stack';
import type { ChaosWebhookReceiver, OutageMode } from './webhook-receiver';

export const FAULT_KINDS = [
  'gateway_500',
  'gateway_timeout',
  'gateway_drop_after_commit',
  'kill_worker',
  'kill_api',
  'restart_temporal',
  'restart_ferretdb',
  'restart_postgres',
  'webhook_receiver_down',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const GATEWAY_KINDS = ['gateway_500', 'gateway_timeout', 'gateway_drop_after_commit'] as const;
type ProcessKind = Stack['processFaults'][number];
type GatewayTarget = 'charge' | 'refund' | 'capture' | 'void' | 'any';

export interface PlannedFault {
  /** ms after the load started */
  at: number;
  kind: FaultKind;
  target?: GatewayTarget;
  count?: number;
  downMs?: number;
  mode?: OutageMode;
  /** kills: wait (a few seconds at most) until a request of this kind is in flight ... */
  during?: RequestTag;
  /** ... then this long before the kill */
  delayMs?: number;
  /**
   * refund / cancel kills: strike right after the operation took effect (the gateway's ledger
   * shows the refund, the record says canceled), before the API answered
   */
  afterCommit?: boolean;
}

export interface FaultPlanOptions {
  windowMs: number;
  /** the process faults the stack can take (every one is planned at least once) */
  processKinds: readonly ProcessKind[];
  /** one process fault (kill / restart) about every this many ms; at least one of each kind */
  processEveryMs: number;
  gatewayEveryMs: number;
  receiverEveryMs: number;
  receiverDownMs: [number, number];
}

export function planFaults(rng: Rng, o: FaultPlanOptions): PlannedFault[] {
  const plan: PlannedFault[] = [];
  const start = Math.min(5_000, o.windowMs * 0.08);
  const end = o.windowMs - Math.min(15_000, o.windowMs * 0.15);

  // Process faults: every kind at least once, the API twice more: right after a refund and right
  // after a cancel took effect, before the API could answer. In a shuffled order, spread out.
  const processCount = Math.max(o.processKinds.length + 1, Math.round(o.windowMs / o.processEveryMs));
  const kinds: FaultKind[] = rng.shuffle([...o.processKinds, 'kill_api']);
  while (kinds.length < processCount) kinds.push(rng.pick(o.processKinds));
  kinds.length = processCount;
  const slot = (end - start) / processCount;
  const committing: RequestTag[] = ['refund', 'cancel'];
  kinds.forEach((kind, i) => {
    const fault: PlannedFault = { at: Math.round(start + i * slot + rng.next() * slot * 0.6), kind };
    if (kind === 'kill_api' && committing.length > 0) {
      fault.during = committing.shift()!;
      fault.afterCommit = true;
    } else if ((kind === 'kill_api' || kind === 'kill_worker') && rng.chance(0.75)) {
      // Crashes are timed to hit a request in flight, some time into it.
      fault.during = rng.pick(REQUEST_TAGS);
      if (
        kind === 'kill_api' &&
        rng.chance(0.3) &&
        (fault.during === 'refund' || fault.during === 'cancel')
      ) {
        fault.afterCommit = true;
      } else {
        fault.delayMs = rng.int(0, 300);
      }
    }
    plan.push(fault);
  });

  // Gateway faults: every kind at least three times, at random moments.
  const gatewayCount = Math.max(9, Math.round(o.windowMs / o.gatewayEveryMs));
  for (let i = 0; i < gatewayCount; i++) {
    const kind = i < 9 ? GATEWAY_KINDS[i % 3]! : rng.pick(GATEWAY_KINDS);
    const target = rng.weighted<GatewayTarget>([
      ['charge', 0.6],
      ['refund', 0.2],
      ['capture', 0.08],
      ['void', 0.04],
      ['any', 0.08],
    ]);
    plan.push({
      at: rng.int(2_000, Math.max(2_001, Math.round(o.windowMs - 5_000))),
      kind,
      target,
      count: kind === 'gateway_timeout' ? 1 : rng.int(1, 3),
    });
  }

  // Webhook endpoint outages.
  const receiverCount = Math.max(1, Math.round(o.windowMs / o.receiverEveryMs));
  for (let i = 0; i < receiverCount; i++) {
    plan.push({
      at: rng.int(Math.round(start), Math.round(end)),
      kind: 'webhook_receiver_down',
      downMs: rng.int(o.receiverDownMs[0], o.receiverDownMs[1]),
      mode: rng.pick(['refuse', 'error_503'] as const),
    });
  }
  return plan.sort((a, b) => a.at - b.at);
}

export interface FaultEvent {
  atMs: number;
  kind: FaultKind;
  detail: string;
  ok: boolean;
}

export class FaultInjector {
  readonly injected = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  readonly events: FaultEvent[] = [];
  /** planned faults not injected because the load had ended */
  skipped = 0;
  /** process faults after which the stack did not come back in time */
  recoveryFailures = 0;
  private stopRequested = false;
  private mongo: MongoClient | undefined;
  private readonly wake = new AbortController();

  constructor(
    private readonly stack: Stack,
    private readonly receiver: ChaosWebhookReceiver,
    private readonly options: {
      gatewayTimeoutMs: number;
      recoveryTimeoutMs: number;
      /** resolves true once a request of this kind is in flight (false after the timeout) */
      waitForInFlight: (tag: RequestTag, timeoutMs: number) => Promise<InFlight | undefined>;
      /** starts an extra payment that the merchant cancels */
      startCancelVictim: () => void;
      log: (line: string) => void;
      signal: AbortSignal;
    },
  ) {}

  /** Runs the plan relative to `loadStart` (a Date.now()); resolves when every lane is done. */
  async run(plan: PlannedFault[], loadStart: number): Promise<void> {
    const lanes: Record<'process' | 'gateway' | 'receiver', PlannedFault[]> = {
      process: [],
      gateway: [],
      receiver: [],
    };
    for (const f of plan) {
      if ((GATEWAY_KINDS as readonly string[]).includes(f.kind)) lanes.gateway.push(f);
      else if (f.kind === 'webhook_receiver_down') lanes.receiver.push(f);
      else lanes.process.push(f);
    }
    await Promise.all(Object.values(lanes).map((lane) => this.runLane(lane, loadStart)));
  }

  /** No new faults from now on (the lanes finish what they are doing). */
  stop(): void {
    this.stopRequested = true;
    this.wake.abort();
  }

  private get halted(): boolean {
    return this.stopRequested || this.options.signal.aborted;
  }

  private async runLane(lane: PlannedFault[], loadStart: number): Promise<void> {
    for (const [i, fault] of lane.entries()) {
      const wait = loadStart + fault.at - Date.now();
      if (wait > 0) await sleep(wait, this.wake.signal);
      if (this.halted) {
        this.skipped += lane.length - i;
        return;
      }
      await this.inject(fault);
    }
  }

  private async ledgerRefunds(): Promise<number> {
    const r = await httpRequest<{ entries: Array<{ type: string }> }>(
      'GET',
      `${this.stack.simulatorUrl}/v1/ledger`,
      {
        timeoutMs: 5_000,
      },
    );
    return r.body.entries.filter((e) => e.type === 'refund').length;
  }

  /** Polls the gateway's ledger until it holds more than `before` refunds. */
  private async waitForLedgerRefund(before: number, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if ((await this.ledgerRefunds()) > before) return true;
      await sleep(5);
    }
    return false;
  }

  /** Polls the payment's record in MongoDB (every ms or so) until it is in `state`. */
  private async waitForState(
    sessionId: string | undefined,
    state: string,
    timeoutMs: number,
  ): Promise<boolean> {
    if (!sessionId) return false;
    this.mongo ??= new MongoClient(this.stack.mongoUri, { serverSelectionTimeoutMS: 5_000 });
    const payments = this.mongo.db().collection<{ _id: string; state: string }>('payments');
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const doc = await payments.findOne({ _id: sessionId }, { projection: { state: 1 } }).catch(() => null);
      if (doc?.state === state) return true;
      await sleep(1);
    }
    return false;
  }

  /** Closes what the injector opened. */
  async close(): Promise<void> {
    await this.mongo?.close().catch(() => undefined);
  }

  private record(kind: FaultKind, detail: string, ok: boolean): void {
    this.events.push({ atMs: elapsedMs(), kind, detail, ok });
    this.options.log(`fault ${ok ? '' : 'FAILED '}${kind}: ${detail}`);
  }

  private async inject(fault: PlannedFault): Promise<void> {
    const { stack } = this;
    const recovery = this.options.recoveryTimeoutMs;
    try {
      switch (fault.kind) {
        case 'gateway_500':
        case 'gateway_timeout':
        case 'gateway_drop_after_commit': {
          const mode = {
            gateway_500: 'error_500',
            gateway_timeout: 'timeout',
            gateway_drop_after_commit: 'drop_response_after_commit',
          }[fault.kind];
          const body = {
            mode,
            count: fault.count ?? 1,
            target: fault.target ?? 'charge',
            ...(fault.kind === 'gateway_timeout'
              ? { latency_ms: this.options.gatewayTimeoutMs + 2_000 }
              : {}),
          };
          const r = await httpRequest('POST', `${stack.simulatorUrl}/_sim/faults`, {
            body,
            timeoutMs: 5_000,
          });
          if (r.status !== 200) throw new Error(`simulator answered ${r.status}`);
          this.injected[fault.kind]++;
          this.record(fault.kind, `next ${body.count} ${body.target} request(s)`, true);
          return;
        }
        case 'kill_worker':
        case 'kill_api': {
          const name = fault.kind === 'kill_worker' ? 'worker' : 'api';
          let timing = 'at a random moment';
          if (fault.during) {
            const refundsBefore = fault.afterCommit ? await this.ledgerRefunds() : 0;
            // Cancels are rare in the mix: make one (a merchant canceling a session it just created).
            if (fault.during === 'cancel' && fault.afterCommit) this.options.startCancelVictim();
            const caught = await this.options.waitForInFlight(
              fault.during,
              fault.afterCommit ? 15_000 : 8_000,
            );
            timing = caught
              ? `${fault.delayMs ?? 0} ms into a ${fault.during} request`
              : `(no ${fault.during} request came)`;
            if (caught && fault.afterCommit) {
              const done =
                fault.during === 'refund'
                  ? await this.waitForLedgerRefund(refundsBefore, 3_000)
                  : await this.waitForState(caught.sessionId, 'canceled', 3_000);
              timing = done
                ? `right after a ${fault.during} took effect (${caught.sessionId ?? ''}), before the API answered`
                : `during a ${fault.during} (${caught.sessionId ?? ''}; not seen taking effect within 3 s)`;
            } else {
              await sleep(fault.delayMs ?? 0);
            }
          }
          this.injected[fault.kind]++;
          const { pid, recoveryMs, instance } = await stack.kill9(name, recovery);
          this.record(
            fault.kind,
            `kill -9 ${instance} (${pid}) ${timing}; replacement up after ${recoveryMs} ms`,
            true,
          );
          return;
        }
        case 'restart_temporal': {
          this.injected[fault.kind]++;
          const ms = await stack.restartTemporal();
          await stack.waitReady(recovery, this.options.signal);
          this.record(fault.kind, `stopped and started again on :${stack.ports.temporal} in ${ms} ms`, true);
          return;
        }
        case 'restart_postgres': {
          if (!stack.restartPostgres) throw new Error('this stack has no PostgreSQL');
          this.injected[fault.kind]++;
          const ms = await stack.restartPostgres();
          await stack.waitReady(recovery, this.options.signal);
          this.record(fault.kind, `stopped and started again on :${stack.ports.postgres} in ${ms} ms`, true);
          return;
        }
        case 'restart_ferretdb': {
          this.injected[fault.kind]++;
          const ms = await stack.restartFerretDb();
          await stack.waitReady(recovery, this.options.signal);
          this.record(fault.kind, `stopped and started again on :${stack.ports.mongo} in ${ms} ms`, true);
          return;
        }
        case 'webhook_receiver_down': {
          this.injected[fault.kind]++;
          const ms = fault.downMs ?? 5_000;
          this.record(fault.kind, `${fault.mode} for ${ms} ms`, true);
          await this.receiver.outage(fault.mode ?? 'refuse', ms);
          return;
        }
      }
    } catch (error) {
      if (this.options.signal.aborted) return;
      if (!(GATEWAY_KINDS as readonly string[]).includes(fault.kind)) this.recoveryFailures++;
      this.record(fault.kind, (error as Error).message.split('\n')[0] ?? 'failed', false);
    }
  }
}
