/**
 * `node dist/temporal/build-workflow-bundle.js` (the last step of `npm run build`): writes the
 * workflow bundle every worker of this build runs, and prints its build id. The replay gate, the
 * production image and the worker all use this one artifact.
 */
import fs from 'node:fs';

import { buildIdOf, bundleWorkflows, PREBUILT_BUNDLE_PATH } from './workflow-bundle';

async function main(): Promise<void> {
  const { code } = await bundleWorkflows();
  const temporary = `${PREBUILT_BUNDLE_PATH}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, code);
  fs.renameSync(temporary, PREBUILT_BUNDLE_PATH); // a worker starting meanwhile never reads half a file
  console.log(`workflow bundle ${PREBUILT_BUNDLE_PATH} (build id ${buildIdOf(code)})`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
