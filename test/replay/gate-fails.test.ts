/**
 * Proof that the gate can fail: a checked-in history replayed on workflow code with one unguarded,
 * incompatible change (fixtures/changed-workflows.ts, bundled the way the worker's code is) is a
 * determinism violation, reported with what to do — while the unchanged code replays it, and so
 * does the same change guarded by patched() as the message advises.
 */
import { DeterminismViolationError } from '@temporalio/workflow';

import { FAILURE_CONVERTER_PATH } from '../../src/codec/data-converter';
import { bundleWorkflows } from '../../src/temporal/workflow-bundle';
import { readIndex } from './histories';
import { replayFailureMessage, replayHistories, workflowCodeUnderTest } from './gate';

const entry = readIndex().find((e) => e.name === 'checkout-new-card-paid')!;

it('a history of a paid checkout', () => {
  expect(entry).toMatchObject({ workflowType: 'CheckoutWorkflow' });
});

it('replays on this workflow code', async () => {
  const outcomes = await replayHistories(await workflowCodeUnderTest(), [entry]);
  expect(outcomes.get(entry.name)).toBeUndefined();
  expect(outcomes.has(entry.name)).toBe(true);
});

const bundle = async (fixture: string): Promise<string> =>
  (
    await bundleWorkflows({
      workflowsPath: require.resolve(fixture),
      failureConverterPath: FAILURE_CONVERTER_PATH,
    })
  ).code;

it('fails on code with an unguarded change, and the failure says what to do', async () => {
  const outcomes = await replayHistories(await bundle('./fixtures/changed-workflows'), [entry]);
  const error = outcomes.get(entry.name);
  expect(error).toBeInstanceOf(DeterminismViolationError);

  const message = replayFailureMessage(entry, error!);
  expect(message).toContain('"checkout-new-card-paid" (CheckoutWorkflow');
  expect(message).toContain(`DeterminismViolationError: ${error!.message}`);
  expect(message).toMatch(/patched\('<change-id>'\)/);
  expect(message).toMatch(/deprecatePatch\('<change-id>'\)/);
  expect(message).toMatch(/new worker version.*pinned.*Worker Deployment\s+Version/s);
  expect(message).toContain('npm run record:histories -- --force checkout-new-card-paid');
}, 120_000);

it('replays the same change guarded by patched(), as the message advises', async () => {
  const outcomes = await replayHistories(await bundle('./fixtures/patched-workflows'), [entry]);
  expect(outcomes.has(entry.name)).toBe(true);
  expect(outcomes.get(entry.name)).toBeUndefined();
}, 120_000);
