/**
 * The replay gate: checked-in histories replayed through `Worker.runReplayHistories` with the
 * production data converter (test-only key) and the workflow code artifact the worker runs. A
 * history the code cannot replay is a change that would break runs already in flight, and the
 * failure says what to do about it.
 */
import fs from 'node:fs';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';

import { loadWorkflowCode } from '../../src/temporal/workflow-bundle';
import { readHistory, type HistoryEntry } from './histories';
import { replayDataConverter } from './test-codec-key';

/** Set by the replay project's global setup (test/replay/setup.ts): the code, bundled once per run. */
export const REPLAY_BUNDLE_ENV = 'TOKENPAY_REPLAY_BUNDLE';

/**
 * The workflow code to replay against: the bundle the global setup made, else what the worker
 * itself would load (loadWorkflowCode: TOKENPAY_WORKFLOW_BUNDLE, else the prebuilt bundle, else
 * bundled from source now).
 */
export async function workflowCodeUnderTest(): Promise<string> {
  const prepared = process.env[REPLAY_BUNDLE_ENV];
  if (prepared) return fs.readFileSync(prepared, 'utf8');
  return (await loadWorkflowCode(process.env.TOKENPAY_WORKFLOW_BUNDLE)).code;
}

/** The SDK's per-run worker chatter (state changes) would bury a failure's message. */
function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // installed already in this process
  }
}

/** What replaying one history came to: nothing (it replays) or the SDK's error. */
export type ReplayOutcomes = Map<string, Error | undefined>;

/** Replays every entry's history against `code`; the outcome of each, by history name. */
export async function replayHistories(
  code: string,
  entries: readonly HistoryEntry[],
): Promise<ReplayOutcomes> {
  const byWorkflowId = new Map(entries.map((e) => [e.workflowId, e.name]));
  if (byWorkflowId.size !== entries.length) throw new Error('two histories share a workflow id');
  quietRuntime();
  const outcomes: ReplayOutcomes = new Map();
  const results = Worker.runReplayHistories(
    { workflowBundle: { code }, dataConverter: replayDataConverter(), replayName: 'replay-gate' },
    entries.map((e) => ({ workflowId: e.workflowId, history: readHistory(e.name) })),
  );
  for await (const result of results) {
    outcomes.set(byWorkflowId.get(result.workflowId) ?? result.workflowId, result.error);
  }
  return outcomes;
}

/** The message a failed replay is reported with: which history, why, and what to do. */
export function replayFailureMessage(entry: HistoryEntry, error: Error): string {
  return [
    `Replay gate: the workflow code no longer replays history "${entry.name}" ` +
      `(${entry.workflowType}, recorded ${entry.recordedAt} at ${entry.commit}: ${entry.path}).`,
    `  ${error.name}: ${error.message}`,
    '',
    'Runs already in flight on the old code would hit the same error when their next workflow task',
    'runs on this code. Do one of these:',
    `  1. Guard the change with patched('<change-id>') so old histories keep the old branch; once`,
    `     no retained history lacks the patch, switch to deprecatePatch('<change-id>'), later drop it.`,
    '     This is the only option for runs that auto-upgrade (WebhookDeliveryWorkflow,',
    '     ReconciliationWorkflow, RetentionWorkflow).',
    '  2. Or ship it as a new worker version: payment workflows are pinned to the Worker Deployment',
    '     Version that started them (src/worker.ts deploymentOptions, DEPLOYING.md), so in-flight',
    '     payments finish on the old build while new ones start on this one.',
    `  3. Only then, and on purpose, re-record this history: npm run record:histories -- --force ${entry.name}`,
    '     (review the new history; never re-record just to make this test pass).',
  ].join('\n');
}
