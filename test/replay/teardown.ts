import fs from 'node:fs';
import path from 'node:path';

import { REPLAY_BUNDLE_ENV } from './gate';

/** Removes the bundle the replay project's global setup wrote. */
export default async function replayTeardown(): Promise<void> {
  const file = process.env[REPLAY_BUNDLE_ENV];
  if (file) fs.rmSync(path.dirname(file), { recursive: true, force: true });
}
