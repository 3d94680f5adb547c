/**
 * `node dist/dev/install.js` — makes sure the Temporal CLI, FerretDB and the Temporal test server exist (installing
 * them into the cache on first use) and prints their paths. CI runs this before the tests so the
 * install time is not spent inside Jest. Exit code 1 with the reason when something is missing.
 */
import { cacheDir, ensureFerretDbBinary, ensureTemporalBinary, ensureTestServerBinary } from './binaries';

export async function main(): Promise<number> {
  const log = (line: string): void => console.error(line);
  try {
    const temporal = await ensureTemporalBinary(log);
    console.log(`temporal: ${temporal}`);
    const ferretdb = await ensureFerretDbBinary(log);
    console.log(`ferretdb: ${ferretdb}`);
    const testServer = await ensureTestServerBinary(log);
    console.log(`temporal test server: ${testServer}`);
    console.log(`cache: ${cacheDir()}`);
    return 0;
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 1;
  }
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
