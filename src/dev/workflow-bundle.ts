import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/** The bundler's own chatter is dropped; its warnings and errors still show. */
const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

/**
 * Bundles the workflow code once for many workers (the test run and the chaos run share one bundle
 * through TOKENPAY_WORKFLOW_BUNDLE instead of each worker bundling at start-up).
 */
export function bundleWorkflows(paths: {
  workflowsPath: string;
  failureConverterPath: string;
}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ ...paths, logger: quietLogger });
}
