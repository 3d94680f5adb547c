/**
 * Records the replay gate's histories (test/replay/histories): `npm run record:histories`.
 *
 *   npm run record:histories                      record every path; refuses if any history exists
 *   npm run record:histories -- <name>...         record these paths; refuses if one exists
 *   npm run record:histories -- --force           re-record every path
 *   npm run record:histories -- --force <name>... re-record these paths
 *
 * Re-recording replaces what the gate checks new code against, so it is a deliberate, reviewed
 * act (a change that needed it is a change in-flight runs cannot replay: see gate.ts); tests never
 * write here. Needs no running services: Temporal's time-skipping test server (cached binary) and
 * an in-process gateway simulator.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';

import { ensureTestServerBinary } from '../../src/dev/binaries';
import { startSimulator } from '../../src/dev/gateway-simulator';
import { HttpGateway } from '../../src/gateway/http-gateway';
import { addMissingSearchAttributes } from '../../src/temporal/setup';
import { loadWorkflowCode } from '../../src/temporal/workflow-bundle';
import { historyToJson } from './history-json';
import { HISTORIES_DIR, INDEX_FILE, historyFile, readIndex, type HistoryEntry } from './histories';
import { PATH_NAMES, REQUIRED_PATHS, type PathName } from './paths';
import { SCENARIOS, type RecordingContext } from './scenarios';
import { replayDataConverter } from './test-codec-key';

const RECORDED_WITH =
  'Temporal time-skipping test server; real workflow bundle (loadWorkflowCode) and production data converter (TEST-ONLY key); cards tokenized at the gateway simulator; gateway and store answers scripted (test/replay/scenarios.ts)';

/** A wrong command line: said in one line, without a stack trace. */
class UsageError extends Error {}

interface Args {
  force: boolean;
  names: PathName[];
}

function parseArgs(argv: string[]): Args {
  const force = argv.includes('--force');
  const names = argv.filter((a) => a !== '--force');
  const unknown = names.filter((n) => !(n in REQUIRED_PATHS));
  if (unknown.length > 0) {
    throw new UsageError(`unknown history name(s): ${unknown.join(', ')}; known: ${PATH_NAMES.join(', ')}`);
  }
  return { force, names: names as PathName[] };
}

/** The commit the workflow code comes from; `+dirty` when src/ has uncommitted changes. */
function commitOf(): string {
  const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
  try {
    const head = git('rev-parse', '--short=12', 'HEAD');
    return git('status', '--porcelain', '--', 'src') === '' ? head : `${head}+dirty`;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const wanted = new Set<PathName>(args.names.length > 0 ? args.names : PATH_NAMES);
  const existing = [...wanted].filter((n) => fs.existsSync(historyFile(n)));
  if (existing.length > 0 && !args.force) {
    console.error(
      `Refusing to overwrite ${existing.length} existing histor${existing.length === 1 ? 'y' : 'ies'}: ` +
        `${existing.join(', ')}.\nRe-recording replaces what the replay gate checks new workflow code ` +
        `against; do it only on purpose:\n  npm run record:histories -- --force ${existing.join(' ')}`,
    );
    process.exitCode = 1;
    return;
  }

  Runtime.install({ logger: new DefaultLogger('WARN') });
  const { code, source } = await loadWorkflowCode(process.env.TOKENPAY_WORKFLOW_BUNDLE);
  const serverBinary = await ensureTestServerBinary((line) => console.error(line));
  const simulator = await startSimulator();
  const gateway = new HttpGateway({ baseUrl: simulator.url });
  const dataConverter = replayDataConverter();
  const commit = commitOf();
  const index = new Map(readIndex().map((e) => [e.name, e]));
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  console.error(`workflow code: ${source}; commit ${commit}`);

  try {
    for (const scenario of SCENARIOS) {
      if (!scenario.paths.some((p) => wanted.has(p))) continue;
      // A test server per scenario: days skipped by one never reach another's timers.
      const env = await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path: serverBinary } },
        client: { dataConverter },
      });
      try {
        await addMissingSearchAttributes(env.connection, 'default');
        const ctx: RecordingContext = {
          env,
          gateway,
          async withWorker(activities, fn) {
            const taskQueue = `replay-record-${randomBytes(4).toString('hex')}`;
            const worker = await Worker.create({
              connection: env.nativeConnection,
              taskQueue,
              workflowBundle: { code },
              dataConverter,
              activities,
            });
            return worker.runUntil(fn(taskQueue));
          },
        };
        const recorded = await scenario.run(ctx);
        for (const name of scenario.paths.filter((p) => wanted.has(p))) {
          const workflowId = recorded[name];
          if (!workflowId) throw new Error(`scenario for ${name} recorded no workflow`);
          const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
          fs.writeFileSync(historyFile(name), historyToJson(history));
          const entry: HistoryEntry = {
            name,
            workflowType: REQUIRED_PATHS[name].workflowType,
            workflowId,
            path: REQUIRED_PATHS[name].path,
            recordedWith: RECORDED_WITH,
            recordedAt: new Date().toISOString(),
            commit,
          };
          index.set(name, entry);
          console.error(`recorded ${name}: ${history.events?.length ?? 0} events`);
        }
      } finally {
        await env.teardown();
      }
    }
  } finally {
    const sorted = [...index.values()].sort((a, b) => a.name.localeCompare(b.name));
    fs.writeFileSync(INDEX_FILE, `${JSON.stringify(sorted, null, 2)}\n`);
    await simulator.close();
  }
  console.error(`index: ${path.relative(process.cwd(), INDEX_FILE)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof UsageError ? error.message : error);
  process.exitCode = 1;
});
