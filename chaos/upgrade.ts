/**
 * `npm run chaos -- --profile upgrade` (issue 13): a new worker build with a real workflow change
 * deployed under load. Build B is bundled, with the product's bundler, from a copy of src/ whose
 * CheckoutWorkflow issues two extra commands before anything else — a history written by build A
 * cannot replay on it — so only Worker Deployment Versioning keeps the payments started on A
 * (pinned) away from B while B takes every new one; webhook deliveries (auto-upgrade) move.
 * Afterwards every history tells which build completed each of its workflow tasks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client, ConnectionLike, DataConverter } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';

import { versionOfRun } from '../src/temporal/deployment';
import { bundleWorkflows } from '../src/temporal/workflow-bundle';
import { sleep } from './log';
import { ROOT } from './stack';

/** The deployment the run's workers join (TOKENPAY_DEPLOYMENT_NAME unset: the task queue's name). */
export const DEPLOYMENT_NAME = 'tokenpay';
/** The memo build B's checkout runs carry: the change is visible in their histories. */
export const CHANGE_NAME = 'upgrade-demo';

const PINNED_TYPES = ['CheckoutWorkflow', 'TokenChargeWorkflow'];
const { WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR } = temporal.api.enums.v1.WorkflowTaskFailedCause;

/**
 * Bundles build B from a copy of src/ with a changed CheckoutWorkflow: before its first wait
 * (inside the block whose cancellation is cleaned up) it upserts a memo and sleeps 1 ms (a ModifyWorkflowProperties and a StartTimer command that no
 * history of build A has at that point). Returns the bundle's path.
 */
export async function buildChangedBundle(workDir: string): Promise<string> {
  const dir = path.join(workDir, 'build-b');
  fs.cpSync(path.join(ROOT, 'src'), path.join(dir, 'src'), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const file = path.join(dir, 'src', 'workflows', 'checkout', 'workflow.ts');
  const source = fs.readFileSync(file, 'utf8');
  const anchor = '  try {\n    await untilClosed(session);\n';
  if (source.split(anchor).length !== 2) {
    throw new Error(`${file}: the upgrade run's change no longer applies (anchor not found once)`);
  }
  const changed =
    `import { sleep as changeSleep, upsertMemo as changeMemo } from '@temporalio/workflow';\n` +
    source.replace(
      anchor,
      // inside the try: an operator's Cancel during the new timer is cleaned up like any other
      // (outside it, the first version of this change ended such runs without recording them)
      `  try {\n` +
        `    // ${CHANGE_NAME}: new commands before the first wait\n` +
        `    changeMemo({ workflow_change: '${CHANGE_NAME}' });\n` +
        `    await changeSleep(1);\n` +
        `    await untilClosed(session);\n`,
    );
  fs.writeFileSync(file, changed);
  const bundle = await bundleWorkflows({
    workflowsPath: path.join(dir, 'src', 'workflows', 'index.ts'),
    failureConverterPath: path.join(dir, 'src', 'codec', 'failure-converter.ts'),
  });
  const out = path.join(workDir, 'workflow-bundle-b.js');
  fs.writeFileSync(out, bundle.code);
  return out;
}

/** The deployment's current build id (undefined before any version is current). */
export async function currentBuild(connection: ConnectionLike): Promise<string | undefined> {
  try {
    const { workerDeploymentInfo } = await connection.workflowService.describeWorkerDeployment({
      namespace: 'default',
      deploymentName: DEPLOYMENT_NAME,
    });
    return workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId ?? undefined;
  } catch {
    return undefined; // not registered yet
  }
}

/** Waits until the current build is one `accept` takes; returns it. */
export async function waitForCurrent(
  connection: ConnectionLike,
  accept: (build: string) => boolean,
  timeoutMs: number,
): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const build = await currentBuild(connection);
    if (build && accept(build)) return build;
    if (Date.now() > until) throw new Error(`no new current version within ${timeoutMs} ms (${build})`);
    await sleep(250);
  }
}

/** Payment runs still running on `build` (pinned there). */
export async function pinnedRunning(client: Client, build: string): Promise<number> {
  let n = 0;
  const query = `WorkflowType IN (${PINNED_TYPES.map((t) => `"${t}"`).join(', ')}) AND ExecutionStatus = "Running"`;
  for await (const run of client.workflow.list({ query })) {
    const v = await versionOfRun(client.connection, 'default', run.workflowId, run.runId).catch(() => ({
      buildId: undefined,
    }));
    if (v.buildId === build) n++;
  }
  return n;
}

export interface VersionFacts {
  buildA: string;
  buildB: string;
  /** checkout runs by the build that completed their last workflow task */
  checkoutRuns: Record<string, number>;
  /** workflow tasks failed for non-determinism, with where */
  nonDeterminism: string[];
  /** payment runs (pinned) whose workflow tasks were completed by more than one build */
  pinnedMoved: string[];
  /** checkout runs started after B was current (plus a margin) whose tasks A completed */
  newOnOld: string[];
  /** checkout runs of B without the change in their history, or of A with it */
  changeMismatch: string[];
  webhookRuns: number;
  /** webhook deliveries started on A that finished on B */
  webhookUpgraded: number;
  /** which build finished each session's (last) checkout run */
  buildOfSession: Map<string, string>;
  histories: number;
  /** checkout runs A completed (for the replay check) */
  completedOnA: Array<{ workflowId: string; runId: string }>;
  /** when A's last payment run closed */
  lastCloseOnA?: Date;
}

/** Reads every payment and webhook history of the run: which build completed which task. */
export async function versionFacts(
  client: Client,
  builds: { a: string; b: string; bCurrentAt: number },
): Promise<VersionFacts> {
  const facts: VersionFacts = {
    buildA: builds.a,
    buildB: builds.b,
    checkoutRuns: {},
    nonDeterminism: [],
    pinnedMoved: [],
    newOnOld: [],
    changeMismatch: [],
    webhookRuns: 0,
    webhookUpgraded: 0,
    buildOfSession: new Map(),
    histories: 0,
    completedOnA: [],
  };
  const query = `WorkflowType IN (${[...PINNED_TYPES, 'WebhookDeliveryWorkflow'].map((t) => `"${t}"`).join(', ')})`;
  const executions: Array<{
    type: string;
    workflowId: string;
    runId: string;
    startTime: Date;
    closeTime?: Date;
    status: string;
  }> = [];
  for await (const run of client.workflow.list({ query })) {
    executions.push({
      type: run.type,
      workflowId: run.workflowId,
      runId: run.runId,
      startTime: run.startTime,
      ...(run.closeTime ? { closeTime: run.closeTime } : {}),
      status: run.status.name,
    });
  }
  const label = (build: string) =>
    build === builds.a ? `A (${build})` : build === builds.b ? `B (${build})` : build;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let e = executions.shift(); e; e = executions.shift()) {
        const history = await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory();
        facts.histories++;
        const completedBy: string[] = [];
        let changed = false;
        for (const event of history.events ?? []) {
          const done = event.workflowTaskCompletedEventAttributes;
          if (done) {
            const build =
              done.deploymentVersion?.buildId ??
              [builds.a, builds.b].find((b) => done.workerDeploymentVersion?.endsWith(b)) ??
              'unversioned';
            completedBy.push(build);
          }
          const failed = event.workflowTaskFailedEventAttributes;
          if (
            failed &&
            (failed.cause === WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR ||
              /nondetermin/i.test(failed.failure?.message ?? ''))
          ) {
            facts.nonDeterminism.push(`${e.type} ${e.workflowId}: ${failed.failure?.message?.slice(0, 160)}`);
          }
          if (event.workflowPropertiesModifiedEventAttributes) changed = true;
        }
        const builtBy = [...new Set(completedBy)];
        const first = completedBy[0];
        const last = completedBy[completedBy.length - 1];
        if (PINNED_TYPES.includes(e.type) && builtBy.length > 1) {
          facts.pinnedMoved.push(`${e.type} ${e.workflowId}: ${builtBy.map(label).join(' → ')}`);
        }
        if (PINNED_TYPES.includes(e.type) && last === builds.a && e.closeTime) {
          if (!facts.lastCloseOnA || e.closeTime > facts.lastCloseOnA) facts.lastCloseOnA = e.closeTime;
        }
        if (e.type === 'CheckoutWorkflow' && last === builds.a && e.status === 'COMPLETED')
          facts.completedOnA.push({ workflowId: e.workflowId, runId: e.runId });
        if (e.type === 'CheckoutWorkflow' && last) {
          facts.checkoutRuns[last] = (facts.checkoutRuns[last] ?? 0) + 1;
          facts.buildOfSession.set(e.workflowId.replace(/^checkout-/, ''), last);
          if (e.startTime.getTime() > builds.bCurrentAt + 3_000 && first === builds.a)
            facts.newOnOld.push(`${e.workflowId} started ${e.startTime.toISOString()}`);
          if ((last === builds.b) !== changed)
            facts.changeMismatch.push(
              `${e.workflowId} on ${label(last)} ${changed ? 'with' : 'without'} the change`,
            );
        }
        if (e.type === 'WebhookDeliveryWorkflow') {
          facts.webhookRuns++;
          if (first === builds.a && last === builds.b) facts.webhookUpgraded++;
        }
      }
    }),
  );
  return facts;
}

/** Lines of the workers' logs that speak of non-determinism (the SDK logs every such task failure). */
export function nonDeterminismInLogs(logFiles: string[]): number {
  let n = 0;
  for (const file of logFiles.filter((f) => /worker/.test(path.basename(f)))) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) if (/nondetermin/i.test(line)) n++;
  }
  return n;
}

export interface ReplayCheck {
  replayed: number;
  /** histories this bundle could not replay for non-determinism */
  nonDeterministic: number;
  /** other replay failures */
  otherFailures: string[];
}

/**
 * Replays histories build A wrote with a bundle: A's own must replay cleanly (the check works),
 * B's must not (the workflow change is real: without versioning those runs would fail on B).
 */
export async function replayWith(
  client: Client,
  dataConverter: DataConverter,
  bundlePath: string,
  runs: Array<{ workflowId: string; runId: string }>,
): Promise<ReplayCheck> {
  const check: ReplayCheck = { replayed: 0, nonDeterministic: 0, otherFailures: [] };
  async function* histories() {
    for (const run of runs) {
      yield {
        workflowId: run.workflowId,
        history: await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory(),
      };
    }
  }
  const results = Worker.runReplayHistories(
    {
      workflowBundle: { codePath: bundlePath },
      dataConverter,
      replayName: `chaos-replay-${path.basename(bundlePath, '.js')}`,
    },
    histories(),
  );
  for await (const result of results) {
    check.replayed++;
    const error = result.error as Error | undefined;
    if (!error) continue;
    if (error.name === 'DeterminismViolationError' || /nondetermin/i.test(error.message))
      check.nonDeterministic++;
    else check.otherFailures.push(`${result.workflowId}: ${error.name}: ${error.message.slice(0, 160)}`);
  }
  return check;
}
