/**
 * `auto` promotion's decision (src/temporal/deployment.ts): a worker makes its version current
 * only on a roll-forward — never after a rollback moved away from it, never over a newer build.
 */
import Long from 'long';

import { promotionDecision } from '../../src/temporal/deployment';

const at = (seconds: number) => ({ seconds: Long.fromNumber(seconds), nanos: 0 });
const version = (buildId: string, created: number, activated?: number) => ({
  deploymentVersion: { deploymentName: 'tokenpay', buildId },
  createTime: at(created),
  ...(activated !== undefined ? { firstActivationTime: at(activated) } : {}),
});

it('promotes the first version of a deployment', () => {
  expect(promotionDecision(version('a', 100), undefined)).toBe('promote');
});

it('promotes a version registered after the current one', () => {
  expect(promotionDecision(version('b', 200), version('a', 100, 101))).toBe('promote');
});

it('leaves the current version alone', () => {
  expect(promotionDecision(version('a', 100, 101), version('a', 100, 101))).toBe('already-current');
});

it('takes nothing back after a rollback: a version that was active before waits for an operator', () => {
  // b was current, the operator rolled back to a (set-current-version); b's workers restart
  expect(promotionDecision(version('b', 200, 201), version('a', 100, 101))).toBe('was-active-before');
});

it('an older build restarting never takes traffic from a newer current one', () => {
  expect(promotionDecision(version('a', 100), version('b', 200, 201))).toBe('older-than-current');
  expect(promotionDecision(version('a', 200), version('b', 200, 201))).toBe('older-than-current');
});
