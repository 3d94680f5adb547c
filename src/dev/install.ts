/**
 * `node dist/dev/install.js [--cluster]` — makes sure the service binaries exist (installing them
 * into the cache on first use) and prints their paths: the Temporal CLI and FerretDB for the
 * embedded default and the Temporal test server for the time-skipping workflow tests; with `--cluster` also the Temporal server, its SQL tool and the Temporal UI
 * server (built from their Go modules) and PostgreSQL (from the system's packages) for
 * `npm run cluster`. CI runs this before the tests so the install time is not spent inside Jest.
 * Exit code 1 with the reason when something is missing.
 */
import {
  cacheDir,
  ensureFerretDbBinary,
  ensureTemporalBinary,
  ensureTemporalServerBinaries,
  ensureTestServerBinary,
  ensureTemporalUiServerBinary,
  findPostgres,
} from './binaries';

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const log = (line: string): void => console.error(line);
  try {
    const temporal = await ensureTemporalBinary(log);
    console.log(`temporal: ${temporal}`);
    const ferretdb = await ensureFerretDbBinary(log);
    console.log(`ferretdb: ${ferretdb}`);
    const testServer = await ensureTestServerBinary(log);
    console.log(`temporal test server: ${testServer}`);
    if (argv.includes('--cluster')) {
      const server = await ensureTemporalServerBinaries(log);
      console.log(`temporal-server: ${server.server}`);
      console.log(`temporal-sql-tool: ${server.sqlTool}`);
      console.log(`temporal-ui-server: ${await ensureTemporalUiServerBinary(log)}`);
      const postgres = findPostgres();
      console.log(
        `postgres: ${postgres.postgres}${postgres.runAs ? ` (runs as ${postgres.runAs.name})` : ''}`,
      );
    }
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
