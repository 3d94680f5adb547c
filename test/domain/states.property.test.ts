/**
 * Payment states (CONTRACT §3), property-based: random event sequences applied through
 * canTransition never reach a success after failed / expired / canceled, the transition table has
 * no way back into an open state once closed, and isPayable agrees with canTransition.
 */
import fc from 'fast-check';

import {
  PAYMENT_STATES,
  canTransition,
  isClosed,
  isPayable,
  isSuccessful,
  type PaymentState,
} from '../../src/domain/states';
import { caseCounter } from '../support/counted';

const counted = caseCounter('states');

const FAILURES: readonly PaymentState[] = ['failed', 'expired', 'canceled'];
const OPEN: readonly PaymentState[] = ['created', 'pending', 'attempted'];
const state = fc.constantFrom(...PAYMENT_STATES);

/** Applies the events that the table allows; refused events leave the state alone. */
function run(events: PaymentState[]): PaymentState[] {
  const trail: PaymentState[] = ['created'];
  let current: PaymentState = 'created';
  for (const next of events) {
    if (canTransition(current, next)) current = next;
    trail.push(current);
  }
  return trail;
}

describe('state transitions (property)', () => {
  it('random event sequences never reach success after failed, expired or canceled', () => {
    fc.assert(
      fc.property(counted(fc.array(state, { maxLength: 60 })), (events) => {
        const trail = run(events);
        const firstFailure = trail.findIndex((s) => FAILURES.includes(s));
        if (firstFailure === -1) return;
        const after = trail.slice(firstFailure);
        // a failure state is absorbing: nothing (least of all a success) follows it
        expect(new Set(after).size).toBe(1);
        expect(after.some(isSuccessful)).toBe(false);
      }),
      { numRuns: 5000 },
    );
  });

  it('a closed session never opens again, and money-moved states never fall back to unpaid', () => {
    fc.assert(
      fc.property(counted(fc.array(state, { maxLength: 60 })), (events) => {
        const trail = run(events);
        const firstClosed = trail.findIndex(isClosed);
        if (firstClosed !== -1) expect(trail.slice(firstClosed).every(isClosed)).toBe(true);
        const firstSuccess = trail.findIndex(isSuccessful);
        if (firstSuccess !== -1) {
          expect(trail.slice(firstSuccess).every((s) => isSuccessful(s) || s === 'voided')).toBe(true);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('every reachable state is reachable only forward: no cycle except attempted → attempted', () => {
    // depth-first search for cycles in the transition graph
    const edges = (from: PaymentState) =>
      PAYMENT_STATES.filter((to) => to !== from && canTransition(from, to));
    const visiting = new Set<PaymentState>();
    const done = new Set<PaymentState>();
    const visit = (s: PaymentState): void => {
      expect(visiting.has(s)).toBe(false);
      if (done.has(s)) return;
      visiting.add(s);
      edges(s).forEach(visit);
      visiting.delete(s);
      done.add(s);
    };
    visit('created');
    for (const s of PAYMENT_STATES) expect(canTransition(s, s)).toBe(s === 'attempted');
    for (const s of PAYMENT_STATES) expect(canTransition(s, 'created')).toBe(false);
  });

  it('isPayable agrees with canTransition for every pair of states', () => {
    fc.assert(
      fc.property(counted(fc.tuple(state, state)), ([from, to]) => {
        // a customer attempt (and only that) is possible exactly from a payable state
        expect(isPayable(from)).toBe(canTransition(from, 'attempted'));
        expect(isClosed(from)).toBe(!isPayable(from));
        if (isPayable(from)) {
          for (const outcome of ['paid', 'authorized', 'failed', 'expired', 'canceled'] as const) {
            expect(canTransition(from, outcome)).toBe(true);
          }
        }
        if (canTransition(from, to) && (OPEN.includes(to) || FAILURES.includes(to))) {
          expect(isPayable(from)).toBe(true);
        }
        if (!isPayable(from) && canTransition(from, to)) {
          // after the payment window, only the operations on money: capture, refund, void
          expect([
            ['paid', 'refunded'],
            ['authorized', 'paid'],
            ['authorized', 'voided'],
          ]).toContainEqual([from, to]);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
