/**
 * The checked-in histories: test/replay/histories/<name>.json (Temporal's JSON history format,
 * as `temporal workflow show --output json` writes it) and index.json, which says for each what
 * workflow and path it is, how and when it was recorded, and from which commit.
 *
 * Tests only read here; only the recorder (record.ts) writes.
 */
import fs from 'node:fs';
import path from 'node:path';

import { historyFromJson, type History } from './history-json';
import type { WorkflowType } from './paths';

/** The repository: the nearest directory above with a package.json (the recorder runs compiled, from dist-replay/). */
function repoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const HISTORIES_DIR = path.join(repoRoot(__dirname), 'test', 'replay', 'histories');
export const INDEX_FILE = path.join(HISTORIES_DIR, 'index.json');

export interface HistoryEntry {
  /** file name without `.json`; the test named after it */
  name: string;
  workflowType: WorkflowType;
  workflowId: string;
  /** what happens in it */
  path: string;
  /** how it was recorded (server, activities) */
  recordedWith: string;
  /** ISO-8601 */
  recordedAt: string;
  /** the commit whose workflow code wrote it (`+dirty`: with uncommitted changes under src/) */
  commit: string;
}

export const historyFile = (name: string): string => path.join(HISTORIES_DIR, `${name}.json`);

export function readIndex(): HistoryEntry[] {
  if (!fs.existsSync(INDEX_FILE)) return [];
  return JSON.parse(fs.readFileSync(INDEX_FILE, 'utf8')) as HistoryEntry[];
}

export function readHistoryText(name: string): string {
  return fs.readFileSync(historyFile(name), 'utf8');
}

export function readHistory(name: string): History {
  return historyFromJson(readHistoryText(name));
}
