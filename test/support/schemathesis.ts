/**
 * Schemathesis (https://schemathesis.readthedocs.io), the OpenAPI fuzzer, from PyPI: installed on
 * first use into `<cache>/schemathesis-<version>` (outside the clone, `~/.cache/tokenpay` unless
 * TOKENPAY_CACHE_DIR says otherwise) with `pip install --target`, and run as
 * `PYTHONPATH=<that dir> python3 -m schemathesis.cli`. Every package is pinned, so each machine
 * runs the same fuzzer; nothing is fetched when it runs. Concurrent installs (parallel Jest
 * workers, `npm start` installing the Temporal CLI) are serialised by the project's install lock.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { cacheDir, findOnPath, withInstallLock, type Log } from '../../src/dev/binaries';

export const SCHEMATHESIS_VERSION = '4.32.5';

/**
 * Schemathesis and its whole dependency closure, as resolved by pip on CPython 3.11 when this
 * version was chosen. Bump them together (install the new version into an empty directory and
 * copy what `ls <dir>/*.dist-info` shows).
 */
const REQUIREMENTS = [
  `schemathesis==${SCHEMATHESIS_VERSION}`,
  'anyio==4.16.0',
  'certifi==2026.10.18',
  'charset-normalizer==3.5.2',
  'click==8.5.1',
  'graphql-core==3.3.2',
  'harfile==0.6.0',
  'hypothesis==6.170.15',
  'hypothesis-graphql==0.13.5',
  'idna==3.20',
  'iniconfig==2.3.1',
  'jsonschema-rs==0.60.3',
  'markdown-it-py==4.3.0',
  'markupsafe==3.0.4',
  'mdurl==0.1.2',
  'packaging==26.3',
  'pluggy==1.7.0',
  'pygments==2.21.0',
  'pyrate-limiter==4.5.1',
  'pytest==9.2.0',
  'pyyaml==6.0.3',
  'requests==2.34.2',
  'rich==15.0.0',
  'sortedcontainers==2.4.0',
  'typing-extensions==4.16.0',
  'urllib3==2.8.0',
  'werkzeug==3.1.9',
];

/** Schemathesis 4 needs CPython ≥ 3.11. */
const MIN_PYTHON: [number, number] = [3, 11];

export interface Schemathesis {
  python: string;
  /** the directory pip installed into: PYTHONPATH of every run */
  dir: string;
  version: string;
  /** how long this call spent installing (0 when it was already there) */
  installMs: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

/** Runs a command; never rejects for a non-zero exit (the caller decides), only when it can't start. */
export function runProcess(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
        ms: Date.now() - started,
      });
    });
  });
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

export function schemathesisEnv(dir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PYTHONPATH: dir,
    PYTHONNOUSERSITE: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONIOENCODING: 'utf-8',
    PYTHONUTF8: '1',
    // rich: no colours, wide lines, so the output parses and reads well in CI logs
    NO_COLOR: '1',
    COLUMNS: '200',
  };
}

/** The installed version, or why the directory holds no working schemathesis. */
async function probe(python: string, dir: string): Promise<string> {
  if (!fs.existsSync(path.join(dir, 'schemathesis'))) throw new Error(`${dir} holds no schemathesis`);
  const result = await runProcess(python, ['-m', 'schemathesis.cli', '--version'], {
    env: schemathesisEnv(dir),
    timeoutMs: 60_000,
  });
  const text = `${result.stdout}\n${result.stderr}`;
  const version = /version (\d+\.\d+\.\d+)/.exec(text)?.[1];
  if (result.code !== 0 || !version) {
    throw new Error(`\`schemathesis.cli --version\` failed (exit ${result.code}): ${lastLines(text, 5)}`);
  }
  if (version !== SCHEMATHESIS_VERSION) throw new Error(`${dir} holds schemathesis ${version}`);
  return version;
}

function pythonVersion(python: string): Promise<[number, number]> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'],
      { timeout: 30_000 },
      (error, stdout) => {
        if (error) return reject(new Error(`${python} does not run: ${error.message}`));
        const [major, minor] = stdout.trim().split('.').map(Number);
        resolve([major ?? 0, minor ?? 0]);
      },
    );
  });
}

/**
 * A working schemathesis of SCHEMATHESIS_VERSION: the cached one, else installed now from PyPI.
 * Throws with what failed and how to fix it (never skips: the fuzz run is part of the suite).
 */
export async function ensureSchemathesis(log: Log = (line) => console.error(line)): Promise<Schemathesis> {
  const python = findOnPath('python3') ?? findOnPath('python');
  if (!python) {
    throw new Error(
      'The API fuzz run needs Python ≥ 3.11 with pip (schemathesis is installed from PyPI), but neither `python3` nor `python` is on PATH.',
    );
  }
  const [major, minor] = await pythonVersion(python);
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    throw new Error(
      `The API fuzz run needs Python ≥ ${MIN_PYTHON.join('.')} (schemathesis ${SCHEMATHESIS_VERSION}); ${python} is ${major}.${minor}.`,
    );
  }
  const dir = path.join(cacheDir(), `schemathesis-${SCHEMATHESIS_VERSION}`);
  try {
    return { python, dir, version: await probe(python, dir), installMs: 0 };
  } catch {
    /* not installed yet (or broken): install below */
  }
  return withInstallLock(log, async () => {
    try {
      // another process may have installed it while this one waited for the lock
      return { python, dir, version: await probe(python, dir), installMs: 0 };
    } catch {
      /* install */
    }
    const started = Date.now();
    const staging = `${dir}.tmp-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    log(`tokenpay: installing schemathesis ${SCHEMATHESIS_VERSION} from PyPI into ${dir} ...`);
    try {
      const pip = await runProcess(
        python,
        [
          '-m',
          'pip',
          'install',
          '--quiet',
          '--disable-pip-version-check',
          '--no-input',
          '--no-warn-script-location',
          '--target',
          staging,
          ...REQUIREMENTS,
        ],
        { env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' }, timeoutMs: 10 * 60_000 },
      );
      if (pip.code !== 0) {
        throw new Error(
          `\`${python} -m pip install --target ${staging} schemathesis==${SCHEMATHESIS_VERSION} …\` ` +
            `${pip.timedOut ? 'timed out after 10 minutes' : `exited with ${pip.code ?? pip.signal}`}:\n` +
            lastLines(`${pip.stderr}\n${pip.stdout}`, 20),
        );
      }
      await probe(python, staging);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(staging, dir);
    } catch (error) {
      throw new Error(
        `Could not install schemathesis ${SCHEMATHESIS_VERSION} for the API fuzz run: ${(error as Error).message}\n` +
          `Fix: make PyPI reachable for pip (proxy settings: PIP_INDEX_URL / HTTPS_PROXY), or install it yourself: ` +
          `\`${python} -m pip install --target ${dir} ${REQUIREMENTS.join(' ')}\``,
      );
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
    const version = await probe(python, dir);
    const installMs = Date.now() - started;
    log(`tokenpay: installed schemathesis ${version} in ${(installMs / 1000).toFixed(1)} s`);
    return { python, dir, version, installMs };
  });
}
