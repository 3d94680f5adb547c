import { randomBytes } from 'node:crypto';
import { HttpGateway } from '../../../src/gateway/http-gateway';
import type { Charge, ChargeRequest, RawCard } from '../../../src/gateway/port';
import {
  startSimulator,
  type RunningSimulator,
  type StartSimulatorOptions,
} from '../../../src/dev/gateway-simulator';
import { TEST_CARD_NUMBERS } from '../../../src/dev/gateway-simulator/cards';
import type { LedgerEntry } from '../../../src/dev/gateway-simulator/model';

/** The contract's test cards by name (the simulator's list; `genericDecline`/`declineOnReuse`
 * name the behaviours these gateway tests exercise). */
export const CARDS = {
  ...TEST_CARD_NUMBERS,
  genericDecline: TEST_CARD_NUMBERS.declined,
  declineOnReuse: TEST_CARD_NUMBERS.laterDeclines,
} as const;

export interface Harness {
  sim: RunningSimulator;
  gateway: HttpGateway;
  /** a fresh idempotency key */
  key(): string;
  card(number: string, overrides?: Partial<RawCard>): RawCard;
  /** tokenizes the card and charges it with a fresh key */
  chargeCard(number: string, request?: Partial<ChargeRequest>, cvc?: string): Promise<Charge>;
  ledger(): Promise<LedgerEntry[]>;
  /** ledger entries of type charge for one idempotency key */
  chargeEntries(key: string): Promise<LedgerEntry[]>;
  injectFault(fault: Record<string, unknown>): Promise<void>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export async function startHarness(
  options: Omit<StartSimulatorOptions, 'port' | 'faults'> & { timeoutMs?: number } = {},
): Promise<Harness> {
  const { timeoutMs, ...simOptions } = options;
  const sim = await startSimulator({ ...simOptions, port: 0, faults: true });
  const gateway = new HttpGateway({ baseUrl: sim.url, timeoutMs: timeoutMs ?? 5000 });
  const card = (number: string, overrides: Partial<RawCard> = {}): RawCard => ({
    number,
    exp_month: '12',
    exp_year: '39',
    cvc: number.length === 15 ? '1234' : '123',
    name: 'Test Customer',
    ...overrides,
  });
  const ledger = async (): Promise<LedgerEntry[]> => {
    const response = await fetch(`${sim.url}/v1/ledger`);
    return ((await response.json()) as { entries: LedgerEntry[] }).entries;
  };
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${sim.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  return {
    sim,
    gateway,
    key: newKey,
    card,
    async chargeCard(number, request = {}, cvc) {
      const token = await gateway.createCardToken(card(number, cvc === undefined ? {} : { cvc }));
      return gateway.charge(
        { amount: 1000, currency: 'KWD', capture: true, token: token.id, ...request },
        newKey(),
      );
    },
    ledger,
    async chargeEntries(key) {
      return (await ledger()).filter((entry) => entry.type === 'charge' && entry.idempotency_key === key);
    },
    async injectFault(fault) {
      const response = await post('/_sim/faults', fault);
      if (response.status !== 200) throw new Error(`fault injection failed: ${response.status}`);
    },
    post,
    close: () => sim.close(),
  };
}

export function newKey(): string {
  return `test-${randomBytes(12).toString('hex')}`;
}

/** Resolves with the rejection of a promise that must reject. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

export type { LedgerEntry };
