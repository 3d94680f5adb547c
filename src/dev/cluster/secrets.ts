/**
 * The cluster profile's secrets: every key from the environment when it is set there, else from
 * the secrets file of an earlier run (so a restart keeps decrypting its history and recognising
 * its cards), else generated now — strong and random — and written to that file (mode 0600),
 * whose path is printed. Nothing here is a published default.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { generateCodecKey } from '../../codec/keys';

const random = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** Each secret and how a new one is made. */
export const CLUSTER_SECRETS: Record<string, () => string> = {
  TOKENPAY_ADMIN_KEY: () => random(),
  TOKENPAY_CSRF_KEY: () => random(),
  TOKENPAY_SESSION_ID_KEY: () => random(),
  TOKENPAY_METRICS_TOKEN: () => random(),
  /** signs the gateway simulator's notifications (it is given the same secret) */
  TOKENPAY_GATEWAY_NOTIFY_SECRET: () => random(),
  TOKENPAY_FINGERPRINT_KEYS: () => `fp1:${random()}`,
  TOKENPAY_CODEC_KEYS: () => generateCodecKey('c1').entry,
  /** the operator who logs in to the Temporal UI and decodes payloads */
  TOKENPAY_CODEC_CREDENTIALS: () => `operator:${random()}`,
  TOKENPAY_DEMO_API_KEY: () => `tp_live_${randomBytes(24).toString('hex')}`,
  TOKENPAY_DEMO_WEBHOOK_KEY: () => random(),
  /** PostgreSQL's `temporal` user */
  TEMPORAL_DB_PASSWORD: () => random(24),
};

export interface ClusterSecrets {
  values: Record<string, string>;
  file: string;
  generated: string[];
  fromEnvironment: string[];
}

function readEnvFile(file: string): Record<string, string> {
  try {
    return Object.fromEntries(
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => /^[A-Z0-9_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
  } catch {
    return {};
  }
}

export function loadClusterSecrets(file: string, env: NodeJS.ProcessEnv = process.env): ClusterSecrets {
  const stored = readEnvFile(file);
  const values: Record<string, string> = {};
  const generated: string[] = [];
  const fromEnvironment: string[] = [];
  for (const [name, make] of Object.entries(CLUSTER_SECRETS)) {
    const given = env[name];
    if (given) {
      values[name] = given;
      fromEnvironment.push(name);
    } else if (stored[name]) {
      values[name] = stored[name]!;
    } else {
      values[name] = make();
      generated.push(name);
    }
  }
  // what the environment gives stays there: the file holds only what it held and what was made now
  const kept = { ...stored, ...Object.fromEntries(generated.map((name) => [name, values[name]!])) };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const text =
    '# tokenpay cluster secrets (npm run cluster). Keep this file private; variables set in the\n' +
    '# environment win over it. Deleting it makes the next start generate new keys (old history\n' +
    '# then no longer decrypts).\n' +
    Object.entries(kept)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') +
    '\n';
  fs.writeFileSync(file, text, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return { values, file, generated, fromEnvironment };
}
