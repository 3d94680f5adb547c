/**
 * Worker Deployment Versioning (DEPLOYING.md): which version of the workflow code takes new
 * payments. A payment's workflows stay on the version that started them (pinned); the deployment's
 * *current* version takes every new one. A worker with `TOKENPAY_VERSION_PROMOTION=auto` makes its
 * own version current when that is a roll-forward — so `npm start`, compose and a rolling deploy
 * need no extra step — and never takes traffic back from a newer build or after a rollback.
 */
import os from 'node:os';
import type { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export interface DeploymentVersion {
  deploymentName: string;
  buildId: string;
}

export type PromotionOutcome =
  /** this version is now current */
  | 'promoted'
  /** it already was */
  | 'already-current'
  /** the current version registered after this one: an older build restarting takes nothing back */
  | 'older-than-current'
  /** this version was current or ramping before (a rollback moved away from it): an operator decides */
  | 'was-active-before';

type Services = Pick<Connection, 'workflowService'>;
type Summary = temporal.api.deployment.v1.WorkerDeploymentInfo.IWorkerDeploymentVersionSummary;

const grpc = { NOT_FOUND: 5, FAILED_PRECONDITION: 9, ABORTED: 10 } as const;
const codeOf = (error: unknown): number | undefined => (error as { code?: number })?.code;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const millis = (ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  ts ? Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6) : 0;

/** What decides `auto` promotion, on its own so it can be tested without a server. */
export function promotionDecision(
  mine: Summary,
  current: Summary | undefined,
): Exclude<PromotionOutcome, 'promoted'> | 'promote' {
  if (current && current.deploymentVersion?.buildId === mine.deploymentVersion?.buildId)
    return 'already-current';
  if (mine.firstActivationTime && millis(mine.firstActivationTime) > 0) return 'was-active-before';
  if (current && millis(current.createTime) >= millis(mine.createTime)) return 'older-than-current';
  return 'promote';
}

/**
 * `auto` promotion, once this version's pollers are registered: current when the deployment has
 * no current version, or when this version registered after the current one and was never
 * active. Retries while the server has not yet seen this version's pollers (a few seconds).
 */
export async function promoteWhenNewer(
  services: Services,
  namespace: string,
  version: DeploymentVersion,
  options: { timeoutMs?: number } = {},
): Promise<PromotionOutcome> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const identity = `tokenpay-worker@${os.hostname()}:${process.pid}`;
  for (let attempt = 1; ; attempt++) {
    try {
      const { conflictToken, workerDeploymentInfo: info } =
        await services.workflowService.describeWorkerDeployment({
          namespace,
          deploymentName: version.deploymentName,
        });
      const summaries = info?.versionSummaries ?? [];
      const mine = summaries.find((s) => s.deploymentVersion?.buildId === version.buildId);
      if (!mine) throw Object.assign(new Error('version not registered yet'), { code: grpc.NOT_FOUND });
      const currentBuildId = info?.routingConfig?.currentDeploymentVersion?.buildId;
      const current = currentBuildId
        ? summaries.find((s) => s.deploymentVersion?.buildId === currentBuildId)
        : undefined;
      const decision = promotionDecision(mine, current);
      if (decision !== 'promote') return decision;
      await services.workflowService.setWorkerDeploymentCurrentVersion({
        namespace,
        deploymentName: version.deploymentName,
        buildId: version.buildId,
        conflictToken,
        identity,
      });
      await routingSettled(services, namespace, version, deadline);
      return 'promoted';
    } catch (error) {
      // NOT_FOUND: the deployment or version is not visible yet; FAILED_PRECONDITION / ABORTED:
      // another worker changed the routing meanwhile (look again) or the version's pollers are
      // not registered on every task queue yet
      const retryable = [grpc.NOT_FOUND, grpc.FAILED_PRECONDITION, grpc.ABORTED].includes(
        codeOf(error) as never,
      );
      if (!retryable || Date.now() > deadline) throw error;
      await sleep(Math.min(2_000, 250 * attempt));
    }
  }
}

/** Until every task queue routes new work to this version (the change propagates in a moment). */
async function routingSettled(
  services: Services,
  namespace: string,
  version: DeploymentVersion,
  deadline: number,
): Promise<void> {
  const { ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS } = temporal.api.enums.v1.RoutingConfigUpdateState;
  for (;;) {
    const { workerDeploymentInfo: info } = await services.workflowService.describeWorkerDeployment({
      namespace,
      deploymentName: version.deploymentName,
    });
    const current = info?.routingConfig?.currentDeploymentVersion?.buildId;
    if (current !== version.buildId) return; // another version won meanwhile: it decides routing
    if (info?.routingConfigUpdateState !== ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS) return;
    if (Date.now() > deadline) return;
    await sleep(200);
  }
}

/** The version a workflow execution runs on (pinned runs keep theirs), for tests and tools. */
export async function versionOfRun(
  services: Services,
  namespace: string,
  workflowId: string,
  runId?: string,
): Promise<{ buildId?: string; behavior?: string }> {
  const { workflowExecutionInfo } = await services.workflowService.describeWorkflowExecution({
    namespace,
    execution: { workflowId, ...(runId ? { runId } : {}) },
  });
  const versioning = workflowExecutionInfo?.versioningInfo;
  const behavior = versioning?.behavior;
  return {
    ...(versioning?.deploymentVersion?.buildId ? { buildId: versioning.deploymentVersion.buildId } : {}),
    ...(behavior
      ? { behavior: temporal.api.enums.v1.VersioningBehavior[behavior]?.replace('VERSIONING_BEHAVIOR_', '') }
      : {}),
  };
}

/**
 * Runs of this deployment still on other versions (pinned payments of an earlier build). They
 * progress only while a worker of their build polls: the worker says so at start, so that a
 * restart with new workflow code (a deploy, or `npm start` after an edit) never strands them
 * silently (DEPLOYING.md, "Drain windows").
 */
export async function runningOnOtherVersions(
  client: Pick<Client, 'workflow'>,
  version: DeploymentVersion,
  options: { limit?: number } = {},
): Promise<Array<{ version: string; running: number }>> {
  const mine = `${version.deploymentName}:${version.buildId}`;
  const counts = new Map<string, number>();
  let seen = 0;
  // (visibility groups only by ExecutionStatus: the versions are tallied here, over a bounded page)
  for await (const run of client.workflow.list({
    query:
      `TemporalWorkerDeployment = "${version.deploymentName}" AND ExecutionStatus = "Running" ` +
      `AND TemporalWorkerDeploymentVersion != "${mine}"`,
  })) {
    // the version is a system search attribute (list answers carry no versioning info)
    const payload = run.raw.searchAttributes?.indexedFields?.TemporalWorkerDeploymentVersion;
    const key = payload?.data
      ? String(JSON.parse(Buffer.from(payload.data).toString('utf8')))
      : 'unversioned';
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (++seen >= (options.limit ?? 1_000)) break;
  }
  return [...counts].map(([v, running]) => ({ version: v, running }));
}
