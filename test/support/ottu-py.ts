/**
 * Ottu's own Python SDK, `ottu-py` from PyPI, in a virtual environment of the cache
 * (`<cache>/venvs/ottu-py-1.10.1`, `~/.cache/tokenpay` unless TOKENPAY_CACHE_DIR says otherwise):
 * created on first use, reused afterwards. Every package is pinned, so each machine drives
 * tokenpay with the same client. Concurrent installs are serialised by the project's install lock.
 */
import fs from 'node:fs';
import path from 'node:path';

import { cacheDir, findOnPath, withInstallLock, type Log } from '../../src/dev/binaries';
import { runProcess } from './schemathesis';

export const OTTU_PY_VERSION = '1.10.1';

/**
 * ottu-py and its dependency closure as pip resolved it on CPython 3.11 (bump them together).
 * The `async` extra (asgiref) is needed: `import ottu` imports its async client.
 */
const REQUIREMENTS = [
  `ottu-py[async]==${OTTU_PY_VERSION}`,
  'anyio==4.16.0',
  'asgiref==3.13.0',
  'certifi==2026.10.19.post1',
  'h11==0.16.0',
  'httpcore==1.0.9',
  'httpx==0.28.1',
  'idna==3.20',
  'typing_extensions==4.16.0',
];

export interface OttuPy {
  /** the venv's python */
  python: string;
  venv: string;
}

const MARKER = '.tokenpay-installed';

async function works(python: string): Promise<boolean> {
  if (!fs.existsSync(python)) return false;
  const probe = await runProcess(
    python,
    ['-c', 'import importlib.metadata as m, ottu; print(m.version("ottu-py"))'],
    { timeoutMs: 60_000 },
  );
  return probe.code === 0 && probe.stdout.trim() === OTTU_PY_VERSION;
}

export async function ensureOttuPy(log: Log = (line) => console.error(line)): Promise<OttuPy> {
  const venv = path.join(cacheDir(), 'venvs', `ottu-py-${OTTU_PY_VERSION}`);
  const python = path.join(venv, 'bin', 'python');
  if (fs.existsSync(path.join(venv, MARKER)) && (await works(python))) return { python, venv };
  return withInstallLock(log, async () => {
    if (fs.existsSync(path.join(venv, MARKER)) && (await works(python))) return { python, venv };
    const system = findOnPath('python3') ?? findOnPath('python');
    if (!system) throw new Error('The ottu-py tests need python3 (with venv and pip) on PATH.');
    fs.rmSync(venv, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(venv), { recursive: true });
    log(`installing ottu-py ${OTTU_PY_VERSION} from PyPI into ${venv}`);
    const created = await runProcess(system, ['-m', 'venv', venv], { timeoutMs: 5 * 60_000 });
    if (created.code !== 0) throw new Error(`python3 -m venv failed: ${created.stderr.slice(-2000)}`);
    const installed = await runProcess(
      python,
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', ...REQUIREMENTS],
      { timeoutMs: 10 * 60_000 },
    );
    if (installed.code !== 0 || !(await works(python))) {
      throw new Error(
        `pip install ottu-py failed (exit ${installed.code}): ${installed.stderr.slice(-3000)}`,
      );
    }
    fs.writeFileSync(path.join(venv, MARKER), `${REQUIREMENTS.join('\n')}\n`);
    return { python, venv };
  });
}
