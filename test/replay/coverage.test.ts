/**
 * What the replay gate covers: every workflow type the worker runs and every path of
 * REQUIRED_PATHS has a checked-in history, and the index and the files agree. A new workflow type
 * (or a path added to paths.ts) without a recorded history fails here.
 */
import fs from 'node:fs';

import * as workflows from '../../src/workflows';
import { HISTORIES_DIR, historyFile, readHistory, readIndex } from './histories';
import { PATH_NAMES, REQUIRED_PATHS } from './paths';
import { SCENARIOS } from './scenarios';

const index = readIndex();
const byName = new Map(index.map((e) => [e.name, e]));

const WORKFLOW_TYPES = Object.entries(workflows)
  .filter(([, value]) => typeof value === 'function')
  .map(([name]) => name);

it('the worker runs six workflow types (this list follows src/workflows/index.ts)', () => {
  expect(WORKFLOW_TYPES.sort()).toEqual(
    [
      'CheckoutWorkflow',
      'PaymentOperationsWorkflow',
      'ReconciliationWorkflow',
      'RetentionWorkflow',
      'TokenChargeWorkflow',
      'WebhookDeliveryWorkflow',
    ].sort(),
  );
});

test.each(WORKFLOW_TYPES)('%s has at least one history', (type) => {
  const histories = index.filter((e) => e.workflowType === type && fs.existsSync(historyFile(e.name)));
  expect(histories.map((e) => e.name)).not.toEqual([]);
});

test.each(PATH_NAMES)('path %s has a history of its workflow type', (name) => {
  const entry = byName.get(name);
  expect(entry).toMatchObject({ name, workflowType: REQUIRED_PATHS[name].workflowType });
  expect(fs.existsSync(historyFile(name))).toBe(true);
});

it('every path has a recording in the recorder', () => {
  expect(SCENARIOS.flatMap((s) => s.paths).sort()).toEqual([...PATH_NAMES].sort());
});

it('the index and the history files agree, one file per entry, workflow ids unique', () => {
  const files = fs
    .readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json') && f !== 'index.json')
    .map((f) => f.slice(0, -'.json'.length));
  expect(files.sort()).toEqual(index.map((e) => e.name).sort());
  expect(new Set(index.map((e) => e.workflowId)).size).toBe(index.length);
  for (const entry of index) {
    expect(entry.recordedWith).not.toBe('');
    expect(Number.isNaN(Date.parse(entry.recordedAt))).toBe(false);
    expect(entry.commit).toMatch(/^[0-9a-f]{7,40}(\+dirty)?$/);
  }
});

test.each(index.map((e) => [e.name, e] as const))(
  '%s is a whole history of the workflow the index names',
  (_, entry) => {
    const events = readHistory(entry.name).events ?? [];
    const started = events[0]?.workflowExecutionStartedEventAttributes;
    expect(started?.workflowType?.name).toBe(entry.workflowType);
    // a closed run: replay checks every command the code issues, up to its end
    const last = events.at(-1)!;
    expect(
      last.workflowExecutionCompletedEventAttributes ?? last.workflowExecutionFailedEventAttributes,
    ).toBeTruthy();
  },
);
