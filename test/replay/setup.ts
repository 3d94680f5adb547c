/**
 * Global setup of the replay project: the workflow code the worker would run, bundled once for
 * every replay test file (loadWorkflowCode: TOKENPAY_WORKFLOW_BUNDLE when given, e.g. the shipped
 * dist/workflow-bundle.js, else bundled from source), written where the test files read it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { loadWorkflowCode } from '../../src/temporal/workflow-bundle';
import { REPLAY_BUNDLE_ENV } from './gate';

export default async function replaySetup(): Promise<void> {
  const { code, source, buildId } = await loadWorkflowCode(process.env.TOKENPAY_WORKFLOW_BUNDLE);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenpay-replay-'));
  const file = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(file, code);
  process.env[REPLAY_BUNDLE_ENV] = file;
  console.error(`[replay] workflow code ${buildId} (${source})`);
}
