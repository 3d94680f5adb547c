/**
 * The process's Prometheus registry (prom-client) and the plumbing to expose it: Node's default
 * process metrics plus tokenpay's own (defined in ./instruments). Exposition texts from other
 * sources (the worker's, the Temporal SDK's) are merged family by family, so a scrape of the API
 * with the worker's metrics appended is still one valid exposition.
 *
 * Labels never carry card data, customer ids, session ids or raw URLs: only bounded sets (route
 * patterns, states, outcomes, currency codes, gateway config codes).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { collectDefaultMetrics, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/** `service="api"` / `service="worker"` on every tokenpay sample, so merged expositions stay distinct. */
export function setServiceLabel(service: string): void {
  registry.setDefaultLabels({ service });
}

export const METRICS_CONTENT_TYPE = registry.contentType;

interface Family {
  help?: string;
  type?: string;
  samples: string[];
}

/** The family a sample belongs to: histogram/summary series share their base name's family. */
function familyOf(sampleName: string, families: Map<string, Family>): string {
  if (families.has(sampleName)) return sampleName;
  for (const suffix of ['_bucket', '_sum', '_count', '_total', '_created']) {
    if (sampleName.endsWith(suffix)) {
      const base = sampleName.slice(0, -suffix.length);
      if (families.has(base)) return base;
    }
  }
  return sampleName;
}

/**
 * Merges Prometheus text expositions: one HELP/TYPE per family, all of a family's samples
 * together (the text format requires it). Samples of the same family from different sources keep
 * their own labels (e.g. `service`).
 */
export function mergeExpositions(...texts: string[]): string {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: [] }));
    return f;
  };
  for (const text of texts) {
    for (const raw of text.split('\n')) {
      const line = raw.trimEnd();
      if (!line || line === '# EOF') continue;
      const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (meta) {
        const f = family(meta[2]!);
        if (meta[1] === 'HELP') f.help ??= meta[3] ?? '';
        else f.type ??= meta[3] ?? 'untyped';
        continue;
      }
      if (line.startsWith('#')) continue;
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
      if (!name) continue;
      family(familyOf(name, families)).samples.push(line);
    }
  }
  const out: string[] = [];
  for (const [name, f] of families) {
    if (f.help !== undefined) out.push(`# HELP ${name} ${f.help}`);
    if (f.type !== undefined) out.push(`# TYPE ${name} ${f.type}`);
    out.push(...f.samples);
  }
  return `${out.join('\n')}\n`;
}

/**
 * Another process's /metrics text. Never throws: an unreachable source becomes a comment and the
 * `tokenpay_metrics_source_up` gauge below, so the local metrics are still served.
 */
export async function fetchExposition(
  url: string,
  options: { token?: string; timeoutMs?: number } = {},
): Promise<{ ok: boolean; text: string }> {
  try {
    const res = await fetch(url, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 2000),
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    });
    if (!res.ok) return { ok: false, text: '' };
    return { ok: true, text: await res.text() };
  } catch {
    return { ok: false, text: '' };
  }
}

/** The registry's text with the given sources appended (and whether each answered). */
export async function exposition(sources: { name: string; url: string; token?: string }[]): Promise<string> {
  const fetched = await Promise.all(sources.map((s) => fetchExposition(s.url, { token: s.token })));
  const up = sources.map(
    (s, i) => `tokenpay_metrics_source_up{source="${s.name}"} ${fetched[i]!.ok ? 1 : 0}`,
  );
  const upFamily = sources.length
    ? `# HELP tokenpay_metrics_source_up Whether an appended metrics source answered the last scrape.\n# TYPE tokenpay_metrics_source_up gauge\n${up.join('\n')}\n`
    : '';
  return mergeExpositions(await registry.metrics(), upFamily, ...fetched.map((f) => f.text));
}

export type { MetricsOptions } from '../config';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** `Authorization: Bearer <token>` check (constant time); always true when no token is configured. */
export function bearerAllowed(token: string | undefined, authorization: string | undefined): boolean {
  if (!token) return true;
  const given = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}
