/**
 * The workflow code a worker runs, as one artifact: bundled once by `npm run build` into
 * `dist/workflow-bundle.js` (the production image ships it; the worker does not bundle at start),
 * and the build id of worker versioning derived from exactly those bytes — so two workers run the
 * same workflow code if and only if they report the same build id.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

import { FAILURE_CONVERTER_PATH } from '../codec/data-converter';

/** Where `npm run build` writes the bundle: beside the compiled worker (dist/workflow-bundle.js). */
export const PREBUILT_BUNDLE_PATH = path.join(__dirname, '..', 'workflow-bundle.js');

/** The bundler's own chatter is dropped; its warnings and errors still show. */
const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

/**
 * Bundles the workflow code (with tokenpay's failure converter, so failures are encrypted the
 * same way inside and outside the sandbox). The defaults are this build's own workflows.
 */
export function bundleWorkflows(
  paths: { workflowsPath: string; failureConverterPath: string } = {
    workflowsPath: require.resolve('../workflows'),
    failureConverterPath: FAILURE_CONVERTER_PATH,
  },
): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ ...paths, logger: quietLogger });
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The bundle's inline source map names the directory it was built in: not part of the code. */
const SOURCE_MAP_TRAILER = /\/\/# sourceMappingURL=[^\n]*\s*$/;

/**
 * `<package version>-<first 12 hex digits of the SHA-256 of the bundle's code>`, e.g.
 * `0.1.0-3f9a0c1d2e4b`: the same code built in any directory, on any host, has the same id.
 */
export function buildIdOf(code: string, version = packageVersion()): string {
  const digest = createHash('sha256').update(code.replace(SOURCE_MAP_TRAILER, '')).digest('hex');
  return `${version}-${digest.slice(0, 12)}`;
}

export interface WorkflowCode {
  code: string;
  buildId: string;
  /** the file it was read from, or `bundled at start` */
  source: string;
}

/**
 * The workflow code this worker runs: the given bundle file, else the prebuilt one beside the
 * compiled worker, else (running from a checkout without a build) bundled now.
 */
export async function loadWorkflowCode(bundlePath?: string): Promise<WorkflowCode> {
  const file = bundlePath ?? (fs.existsSync(PREBUILT_BUNDLE_PATH) ? PREBUILT_BUNDLE_PATH : undefined);
  if (file) {
    const code = fs.readFileSync(file, 'utf8');
    return { code, buildId: buildIdOf(code), source: file };
  }
  const { code } = await bundleWorkflows();
  return { code, buildId: buildIdOf(code), source: 'bundled at start' };
}
