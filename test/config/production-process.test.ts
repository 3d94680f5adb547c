/**
 * The processes themselves refuse to start in production with dev defaults: `src/server.ts` and
 * `src/worker.ts` exit non-zero before connecting to anything, and say what is wrong (never a
 * secret's value).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

import { DEV_DEFAULTS } from '../../src/config';

const ROOT = path.resolve(__dirname, '../..');

function run(script: string, env: Record<string, string>) {
  const result = spawnSync(
    process.execPath,
    ['-r', path.join(ROOT, 'test/support/ts-register.js'), path.join(ROOT, script)],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        // nothing listens here: a process that got past the configuration would fail differently
        TEMPORAL_ADDRESS: '127.0.0.1:1',
        MONGODB_URI: 'mongodb://127.0.0.1:1/none?serverSelectionTimeoutMS=500',
        ...env,
      },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

it.each(['src/server.ts', 'src/worker.ts'])(
  '%s refuses the dev defaults in production, naming each',
  (script) => {
    const { status, output } = run(script, {
      TOKENPAY_ENV: 'production',
      TOKENPAY_ADMIN_KEY: DEV_DEFAULTS.adminKey,
      TOKENPAY_CSRF_KEY: 'only-twenty-chars-x1',
    });
    expect(status).toBe(1);
    expect(output).toContain('TOKENPAY_ENV=production refuses to start');
    expect(output).toContain('TOKENPAY_ADMIN_KEY is a published development default');
    expect(output).toContain('TOKENPAY_CSRF_KEY is 20 characters long');
    expect(output).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(output).toContain('TOKENPAY_CODEC_KEYS is not set');
    expect(output).toContain('TOKENPAY_METRICS_TOKEN is not set');
    expect(output).not.toContain(DEV_DEFAULTS.adminKey);
    // it stopped at the configuration: it never tried Temporal or MongoDB
    expect(output).not.toMatch(/ECONNREFUSED|MongoServerSelectionError|Failed to connect/);
  },
);
