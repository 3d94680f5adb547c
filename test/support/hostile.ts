/**
 * Hostile-input runner: sends malformed, oversized, deeply nested, polluting, injecting and
 * strangely encoded requests at an endpoint of a harness stack and checks, for every case, that
 * the answer is never a 5xx, that every 4xx has the contract's shape (400 field map or
 * `{detail}`), that a rejected request created nothing in MongoDB (document counts of every
 * collection) and changed nothing it targets, that the process lives on (`/healthz`) and that
 * `Object.prototype` stays clean. Failures are collected, so one run lists every bad case.
 */
import { gzipSync } from 'node:zlib';

import type { Harness } from './harness';

/** Ottu's merchant API takes form and multipart bodies too (src/api/body-parsers.ts). */
const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data'];
const formsAccepted = (path: string): boolean => path.startsWith('/b/');

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Path = (string | number)[];

export interface BodyEndpoint {
  name: string;
  method: 'POST' | 'PUT';
  /** resolved per request: some paths name objects created in beforeAll */
  path: () => string;
  headers: () => Record<string, string>;
  /** a body that passes validation (it may still be refused by business rules) */
  base: () => Record<string, Json>;
  /** paths whose content is free-form JSON by contract (`extra`): any value there may be accepted */
  freeform?: Path[];
  /** what a rejected request must leave unchanged besides document counts */
  watch?: () => Promise<unknown>;
  /** only paths under these get the per-field payloads (the rest was covered by another endpoint) */
  focus?: Path[];
  /** undoes what an accepted request made, to keep the stack small and fast */
  cleanup?: (o: Outcome) => Promise<void>;
}

export interface Outcome {
  label: string;
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

export interface Stats {
  cases: number;
  byStatus: Record<number, number>;
  failures: string[];
}

export function newStats(): Stats {
  return { cases: 0, byStatus: {}, failures: [] };
}

export function summary(file: string, stats: Stats, h?: Harness): string {
  const statuses = Object.entries(stats.byStatus)
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');
  const errors = h ? loggedErrors(h) : [];
  return (
    `${file}: ${stats.cases} hostile cases tried (${statuses}); ${stats.failures.length} failed` +
    (errors.length ? `; unhandled errors logged by the API: ${errors.join(' | ')}` : '')
  );
}

/** Distinct unhandled errors the API logged (error level), as "Type: message". */
export function loggedErrors(h: Harness): string[] {
  const seen = new Set<string>();
  for (const line of h.logs) {
    if (!line.includes('"level":50')) continue;
    try {
      const entry = JSON.parse(line) as { err?: { type?: string; message?: string }; msg?: string };
      if (entry.msg !== 'unhandled error') continue;
      seen.add(`${entry.err?.type}: ${(entry.err?.message ?? '').replace(/\s+/g, ' ').slice(0, 90)}`);
    } catch {
      // not JSON
    }
  }
  return [...seen];
}

/** Runs `body` and fails the calling test with the failures it added (the file keeps counting). */
export async function expectNoFailures(stats: Stats, body: () => Promise<void>): Promise<void> {
  const start = stats.failures.length;
  await body();
  expect(stats.failures.slice(start)).toEqual([]);
}

const PROTOTYPES: [string, object][] = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
  ['Object', Object],
];
const PROTO_SNAPSHOT = new Map(
  PROTOTYPES.map(([n, o]) => [n, Object.getOwnPropertyNames(o).sort().join(',')]),
);

/** Names of properties added to the built-in prototypes since the file loaded (and removes them). */
export function prototypePollution(): string[] {
  const found: string[] = [];
  for (const [name, proto] of PROTOTYPES) {
    const before = PROTO_SNAPSHOT.get(name)!.split(',');
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (before.includes(key)) continue;
      found.push(`${name}.${key}`);
      delete (proto as Record<string, unknown>)[key];
    }
  }
  const probe = {} as Record<string, unknown>;
  for (const key of ['polluted', 'isAdmin', 'admin']) if (probe[key] !== undefined) found.push(`({}).${key}`);
  return found;
}

/** Document counts of every collection of the stack's database. */
export async function documentCounts(h: Harness): Promise<Record<string, number>> {
  const names = (await h.mongo.db.listCollections({}, { nameOnly: true }).toArray())
    .map((c) => c.name)
    .sort();
  const counts = await Promise.all(names.map((n) => h.mongo.db.collection(n).countDocuments()));
  return Object.fromEntries(names.map((n, i) => [n, counts[i]!]));
}

export interface Send {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export async function send(h: Harness, label: string, r: Send): Promise<Outcome> {
  const response = await fetch(`${h.baseUrl}${r.path}`, {
    method: r.method,
    headers: r.headers ?? {},
    ...(r.body !== undefined ? { body: typeof r.body === 'string' ? r.body : new Uint8Array(r.body) } : {}),
  });
  const text = await response.text();
  let body: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { label, status: response.status, body, text, headers: response.headers };
}

function isFieldMap(value: unknown): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const entries = Object.entries(value as object);
  if (entries.length === 0) return false;
  return entries.every(
    ([, v]) =>
      (Array.isArray(v) && v.length > 0 && v.every((m) => typeof m === 'string')) ||
      (!Array.isArray(v) && isFieldMap(v)),
  );
}

const hasDetail = (body: unknown): boolean =>
  !!body && typeof body === 'object' && typeof (body as { detail?: unknown }).detail === 'string';

/** Why this response breaks the contract, or undefined. `html` endpoints answer 404 as a page. */
export function contractViolation(o: Outcome, options: { html?: boolean } = {}): string | undefined {
  if (o.status >= 500) return `${o.status} ${o.text.slice(0, 200)}`;
  if (o.status < 400) return undefined;
  if (options.html && o.status === 404) {
    return (o.headers.get('content-type') ?? '').includes('text/html')
      ? undefined
      : 'a 404 page must be HTML';
  }
  if (!(o.headers.get('content-type') ?? '').includes('application/json')) {
    return `${o.status} is not JSON: ${o.headers.get('content-type')} ${o.text.slice(0, 100)}`;
  }
  if (o.status === 400 && (isFieldMap(o.body) || hasDetail(o.body))) return undefined;
  if (o.status !== 400 && hasDetail(o.body)) return undefined;
  return `${o.status} body is not in the contract's shape: ${o.text.slice(0, 200)}`;
}

export interface RunOptions {
  /** the request must be refused (4xx) */
  mustReject?: boolean;
  /** the status (or one of the statuses) expected */
  status?: number | number[];
  /** a 400 must name this path in its field map */
  errorAt?: Path;
  html?: boolean;
  watch?: () => Promise<unknown>;
  cleanup?: (o: Outcome) => Promise<void>;
}

/** Runs one case and records what is wrong with its answer. */
export async function runCase(
  h: Harness,
  stats: Stats,
  label: string,
  request: Send,
  options: RunOptions = {},
): Promise<Outcome> {
  const before = await documentCounts(h);
  const watched = options.watch ? JSON.stringify(await options.watch()) : undefined;
  let outcome: Outcome;
  const t0 = Date.now();
  try {
    outcome = await send(h, label, request);
    if (process.env.HOSTILE_TIMING && Date.now() - t0 > 300)
      console.log(`slow ${Date.now() - t0} ms: ${label}`);
  } catch (error) {
    stats.cases++;
    stats.failures.push(`${label}: request failed: ${(error as Error).message}`);
    return { label, status: 0, body: undefined, text: '', headers: new Headers() };
  }
  stats.cases++;
  stats.byStatus[outcome.status] = (stats.byStatus[outcome.status] ?? 0) + 1;
  const fail = (why: string) => stats.failures.push(`${label} → ${why}`);
  const violation = contractViolation(outcome, { html: options.html ?? false });
  if (violation) fail(violation);
  const rejected = outcome.status >= 400;
  if (options.mustReject && !rejected) fail(`accepted with ${outcome.status}: ${outcome.text.slice(0, 120)}`);
  if (options.status !== undefined && ![options.status].flat().includes(outcome.status)) {
    fail(`expected ${options.status}, got ${outcome.status}: ${outcome.text.slice(0, 120)}`);
  }
  if (options.errorAt && outcome.status === 400 && !hasDetail(outcome.body)) {
    if (!fieldAt(outcome.body, options.errorAt)) {
      fail(`400 does not name ${options.errorAt.join('.')}: ${outcome.text.slice(0, 200)}`);
    }
  } else if (options.errorAt && outcome.status !== 400) {
    fail(
      `expected 400 at ${options.errorAt.join('.')}, got ${outcome.status}: ${outcome.text.slice(0, 120)}`,
    );
  }
  if (rejected) {
    const after = await documentCounts(h);
    // A keyed request's answer is kept for replay (CONTRACT §1): that record is not a side effect.
    const keyed = Object.keys(request.headers ?? {}).some((k) => /^(idempotency|tracking)-key$/i.test(k));
    for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (keyed && name === 'idempotency_keys') continue;
      // Rate limits count attempts, refused ones included (card testing with garbage counts too).
      if (name === 'rate_limits') continue;
      if ((before[name] ?? 0) !== (after[name] ?? 0)) {
        fail(`rejected with ${outcome.status} but ${name} went ${before[name] ?? 0} → ${after[name] ?? 0}`);
      }
    }
    if (watched !== undefined && JSON.stringify(await options.watch!()) !== watched) {
      fail(`rejected with ${outcome.status} but changed its target`);
    }
  }
  const polluted = prototypePollution();
  if (polluted.length) fail(`polluted ${polluted.join(', ')}`);
  if (!rejected) await options.cleanup?.(outcome);
  return outcome;
}

/** The 400 field map names `path` (or, for array items, the array). */
function fieldAt(body: unknown, path: Path): boolean {
  let node = body as Record<string, unknown> | undefined;
  for (const key of path.map(String)) {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return false;
    if (!Object.prototype.hasOwnProperty.call(node, key)) return false;
    node = node[key] as Record<string, unknown>;
  }
  return node !== undefined;
}

export async function expectAlive(h: Harness, stats: Stats, label: string): Promise<void> {
  const res = await fetch(`${h.baseUrl}/healthz`).catch(() => undefined);
  if (res?.status !== 200) stats.failures.push(`${label}: /healthz answered ${res?.status ?? 'nothing'}`);
}

// ---- body surgery ---------------------------------------------------------------------------------

/** Every path to a string leaf of `value`. */
export function stringPaths(value: Json, prefix: Path = []): Path[] {
  if (typeof value === 'string') return [prefix];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringPaths(v, [...prefix, i]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => stringPaths(v, [...prefix, k]));
  }
  return [];
}

/** Every path to an object or array inside `value` (not the root). */
export function containerPaths(value: Json, prefix: Path = []): Path[] {
  if (!value || typeof value !== 'object') return [];
  const own = prefix.length ? [prefix] : [];
  const children = Array.isArray(value)
    ? value.flatMap((v, i) => containerPaths(v, [...prefix, i]))
    : Object.entries(value).flatMap(([k, v]) => containerPaths(v, [...prefix, k]));
  return [...own, ...children];
}

export function setAt(value: Json, path: Path, replacement: Json): Json {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    copy[head as number] = setAt(copy[head as number] ?? null, rest, replacement);
    return copy;
  }
  const obj = { ...(value as Record<string, Json>) };
  obj[head as string] = setAt(obj[head as string] ?? null, rest, replacement);
  return obj;
}

/** Serialises `value` with the raw JSON `fragment` spliced in at `path` (keys JSON can't build). */
export function withRawAt(value: Json, path: Path, fragment: string): string {
  const marker = `__hostile_marker_${Math.random().toString(36).slice(2)}__`;
  return JSON.stringify(setAt(value, path, marker)).replace(JSON.stringify(marker), fragment);
}

/** Adds raw JSON members to the object at `path` (top level when empty). */
export function withRawMembers(value: Json, path: Path, members: string): string {
  const target = path.reduce<Json>((node, key) => (node as Record<string, Json>)[key as string]!, value);
  if (!target || typeof target !== 'object' || Array.isArray(target)) throw new Error('not an object');
  const inner = JSON.stringify(target);
  const spliced = inner === '{}' ? `{${members}}` : `{${members},${inner.slice(1)}`;
  return path.length ? withRawAt(value, path, spliced) : spliced;
}

export const isUnder = (path: Path, prefixes: Path[] = []): boolean =>
  prefixes.some((p) => p.every((k, i) => String(path[i]) === String(k)));

// ---- the payloads ---------------------------------------------------------------------------------

export const OPERATORS: Json[] = [
  { $gt: '' },
  { $ne: null },
  { $where: '1' },
  { $regex: '.*' },
  { $exists: true },
  { $in: [] },
  { $expr: { $eq: [1, 1] } },
];

export const UNICODE: string[] = [
  'مرحبا بالعالم',
  '\u202Egnp.exe\u202C',
  'a\u0000b',
  '\u0000',
  '\uD800',
  '\uDFFF\uD800',
  '💳🔥👨‍👩‍👧‍👦',
  '\u200B\u200C\u200D\uFEFF',
  'Z\u0351\u0352\u0357\u0300\u0301\u0302',
  '\u0085\u2028\u2029',
  '<script>alert(1)</script>',
  "'; DROP TABLE payments; --",
  '${jndi:ldap://x}',
  '../../etc/passwd',
  '%00%ff',
  '１２３．４５',
  '١٢٣',
];

export const NOT_STRINGS: Json[] = [0, 1, -1, 1.5, 1e308, true, false, null, [], ['a'], {}, { a: 'b' }];

export const HUGE = 'A'.repeat(60_000);

/** `depth` nested arrays: [[[...]]] */
export const deepArrays = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
/** `depth` nested objects: {"a":{"a":...{}}} */
export const deepObjects = (depth: number): string => '{"a":'.repeat(depth) + '{}' + '}'.repeat(depth);

export const PROTO_MEMBERS: string[] = [
  '"__proto__":{"polluted":"yes","isAdmin":true}',
  '"constructor":{"prototype":{"polluted":"yes"}}',
  '"prototype":{"polluted":"yes"}',
  '"__proto__":{"__proto__":{"polluted":"yes"}}',
  '"constructor":{"__proto__":{"polluted":"yes"}}',
];

// ---- the suite ------------------------------------------------------------------------------------

const json = (headers: Record<string, string>) => ({ ...headers, 'content-type': 'application/json' });

export async function transportCases(h: Harness, e: BodyEndpoint, stats: Stats): Promise<void> {
  const path = e.path();
  const base = JSON.stringify(e.base());
  const reject = { mustReject: true, ...(e.watch ? { watch: e.watch } : {}) };
  const big = JSON.stringify({ ...e.base(), padding: 'x'.repeat(70_000) });
  const cases: [string, Send, RunOptions?][] = [
    [`oversized 70 kB`, { method: e.method, path, headers: json(e.headers()), body: big }, { status: 413 }],
    [
      `oversized 1 MB`,
      { method: e.method, path, headers: json(e.headers()), body: 'x'.repeat(1 << 20) },
      { status: 413 },
    ],
    [
      `gzip bomb (10 MB inflated)`,
      {
        method: e.method,
        path,
        headers: { ...json(e.headers()), 'content-encoding': 'gzip' },
        body: gzipSync(Buffer.from(`{"a":"${'0'.repeat(10 << 20)}"}`)),
      },
      { status: 413 },
    ],
    [
      `gzip garbage`,
      {
        method: e.method,
        path,
        headers: { ...json(e.headers()), 'content-encoding': 'gzip' },
        body: 'notgzip',
      },
      { status: 400 },
    ],
    [
      `unknown content-encoding`,
      { method: e.method, path, headers: { ...json(e.headers()), 'content-encoding': 'x-evil' }, body: base },
      { status: 415 },
    ],
    [
      `charset utf-16`,
      {
        method: e.method,
        path,
        headers: { ...e.headers(), 'content-type': 'application/json; charset=utf-16' },
        body: base,
      },
      { status: [400, 415] },
    ],
    ...(
      [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=xyz',
        'application/xml',
        'application/vnd.api+json',
        'application/jsonp',
        'text/json',
      ] as const
    ).map((type): [string, Send, RunOptions?] => [
      `content-type ${type}`,
      { method: e.method, path, headers: { ...e.headers(), 'content-type': type }, body: base },
      // Ottu's merchant API (/b/) also takes forms: a JSON text sent as one is a bad form (400)
      { status: formsAccepted(path) && FORM_TYPES.some((t) => type.startsWith(t)) ? 400 : 415 },
    ]),
    [`no content-type`, { method: e.method, path, headers: e.headers(), body: base }, { status: 415 }],
    [
      `multipart body`,
      {
        method: e.method,
        path,
        headers: { ...e.headers(), 'content-type': 'multipart/form-data; boundary=xyz' },
        body: '--xyz\r\nContent-Disposition: form-data; name="amount"\r\n\r\n1\r\n--xyz--\r\n',
      },
      { status: formsAccepted(path) ? 400 : 415 },
    ],
    ...[
      '{',
      '{"a":}',
      "{'a':1}",
      '{"a":1,}',
      'NaN',
      '{"a":NaN}',
      '{"a":Infinity}',
      '{"a":1}{"b":2}',
      '\u0000',
      '\uFEFF{}',
      '{"a":"\u0000\u0001"}',
      '{"a" 1}',
      '/* comment */ {}',
      '{"a":01}',
      '{"a":"\\ud800"}',
      '{"a":"\\x41"}',
      ' ',
      '',
    ].map((raw): [string, Send, RunOptions?] => [
      `invalid JSON ${JSON.stringify(raw.slice(0, 20))}`,
      { method: e.method, path, headers: json(e.headers()), body: raw },
      { status: 400 },
    ]),
    ...['[]', '[1,2,3]', `[${base}]`, '"string"', '1', '-1.5e308', 'null', 'true', 'false', '{}'].map(
      (raw): [string, Send, RunOptions?] => [
        `non-object JSON ${raw.slice(0, 20)}`,
        { method: e.method, path, headers: json(e.headers()), body: raw },
        { status: 400 },
      ],
    ),
  ];
  for (const [label, request, options] of cases) {
    await runCase(h, stats, `${e.name}: ${label}`, request, { ...reject, ...options });
  }
  await expectAlive(h, stats, `${e.name}: transport`);
}

export async function nestingCases(h: Harness, e: BodyEndpoint, stats: Stats): Promise<void> {
  const base = e.base();
  const path = e.path();
  const options: RunOptions = {
    ...(e.watch ? { watch: e.watch } : {}),
    ...(e.cleanup ? { cleanup: e.cleanup } : {}),
  };
  const top: [string, string][] = [
    ['10,000 nested arrays', deepArrays(10_000)],
    ['10,000 nested objects', deepObjects(10_000)],
    ['32,000 nested arrays', deepArrays(32_000)],
  ];
  for (const [what, fragment] of top) {
    for (const idempotent of [false, true]) {
      const headers = {
        ...json(e.headers()),
        ...(idempotent ? { 'idempotency-key': `deep-${Math.random().toString(36).slice(2)}` } : {}),
      };
      const tag = idempotent ? ' (with Idempotency-Key)' : '';
      await runCase(
        h,
        stats,
        `${e.name}: the body is ${what}${tag}`,
        { method: e.method, path, headers, body: fragment },
        { mustReject: true, ...options },
      );
      // the same inside a field
      const [first] = focused(stringPaths(base), e.focus);
      if (first) {
        await runCase(
          h,
          stats,
          `${e.name}: ${what} at ${first.join('.')}${tag}`,
          { method: e.method, path, headers, body: withRawAt(base, first, fragment) },
          { mustReject: true, ...options },
        );
      }
    }
  }
  const inner: [string, string][] = [
    ['10,000 nested arrays', deepArrays(10_000)],
    ['10,000 nested objects', deepObjects(10_000)],
    ['150 nested arrays', deepArrays(150)],
    ['an array in an array', '[["x"]]'],
  ];
  const leaves = focused(stringPaths(base), e.focus);
  const containers = focused(containerPaths(base), e.focus);
  for (const target of [...containers, ...leaves]) {
    const free = isUnder(target, e.freeform);
    const leaf = leaves.includes(target);
    for (const [what, fragment] of inner) {
      await runCase(
        h,
        stats,
        `${e.name}: ${what} at ${target.join('.')}`,
        { method: e.method, path, headers: json(e.headers()), body: withRawAt(base, target, fragment) },
        { ...(leaf && !free ? { mustReject: true, errorAt: target } : {}), ...options },
      );
    }
  }
  await expectAlive(h, stats, `${e.name}: nesting`);
}

const focused = (paths: Path[], focus?: Path[]): Path[] =>
  focus ? paths.filter((p) => isUnder(p, focus)) : paths;

export async function prototypeCases(h: Harness, e: BodyEndpoint, stats: Stats): Promise<void> {
  const base = e.base();
  const path = e.path();
  const options: RunOptions = {
    ...(e.watch ? { watch: e.watch } : {}),
    ...(e.cleanup ? { cleanup: e.cleanup } : {}),
  };
  const objects: Path[] = [
    [],
    ...focused(containerPaths(base), e.focus).filter((p) => {
      const v = p.reduce<Json>((n, k) => (n as Record<string, Json>)[k as string]!, base);
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    }),
  ];
  for (const target of objects) {
    for (const members of PROTO_MEMBERS) {
      const outcome = await runCase(
        h,
        stats,
        `${e.name}: ${members.slice(0, 24)}… in ${target.length ? target.join('.') : 'the body'}`,
        { method: e.method, path, headers: json(e.headers()), body: withRawMembers(base, target, members) },
        options,
      );
      const proto = members.startsWith('"__proto__"');
      if (
        proto &&
        !isUnder(target, e.freeform) &&
        outcome.status < 400 &&
        /polluted|isAdmin/.test(outcome.text)
      ) {
        stats.failures.push(`${outcome.label} → echoed the polluting key: ${outcome.text.slice(0, 200)}`);
      }
    }
  }
  await expectAlive(h, stats, `${e.name}: prototype`);
}

/** Replaces each string leaf in turn by each of `values`. */
export async function leafCases(
  h: Harness,
  e: BodyEndpoint,
  stats: Stats,
  kind: 'operator' | 'unicode' | 'not a string' | 'huge',
): Promise<void> {
  const base = e.base();
  const path = e.path();
  const values: Json[] =
    kind === 'operator' ? OPERATORS : kind === 'unicode' ? UNICODE : kind === 'huge' ? [HUGE] : NOT_STRINGS;
  for (const leaf of focused(stringPaths(base), e.focus)) {
    const free = isUnder(leaf, e.freeform);
    for (const value of values) {
      const typed = kind === 'operator' || kind === 'not a string';
      const label = `${e.name}: ${kind} ${JSON.stringify(value).slice(0, 24)} in ${leaf.join('.')}`;
      await runCase(
        h,
        stats,
        label,
        {
          method: e.method,
          path,
          headers: json(e.headers()),
          body: JSON.stringify(setAt(base, leaf, value)),
        },
        {
          ...(typed && !free ? { mustReject: true, errorAt: leaf } : {}),
          ...(kind === 'huge' && !free ? { mustReject: true } : {}),
          ...(e.watch ? { watch: e.watch } : {}),
          ...(e.cleanup ? { cleanup: e.cleanup } : {}),
        },
      );
    }
  }
  await expectAlive(h, stats, `${e.name}: ${kind}`);
}

export async function unknownFieldCases(
  h: Harness,
  e: BodyEndpoint,
  stats: Stats,
  check?: (o: Outcome) => Promise<string | undefined>,
): Promise<void> {
  const base = e.base();
  const extras: Record<string, Json> = {
    unknown_field: 'x',
    _id: 'attacker-chosen-id',
    merchant_id: 'mch_someone_else',
    state: 'paid',
    attempts: [{ result: 'success' }],
    captured_amount: '999999.000',
    refunded_amount: '0',
    gateways: [{ pg_code: 'evil', auto_debit_enabled: true, cvv_required: false }],
    token: { token: 'x' },
    is_admin: true,
    api_key_hash: 'x',
    $where: '1',
    'a.b': 1,
    '': 'empty key',
  };
  const options: RunOptions = e.watch ? { watch: e.watch } : {};
  const outcome = await runCase(
    h,
    stats,
    `${e.name}: unknown and mass-assignment fields`,
    {
      method: e.method,
      path: e.path(),
      headers: json(e.headers()),
      body: JSON.stringify({ ...base, ...extras }),
    },
    options,
  );
  const problem = await check?.(outcome);
  if (problem) stats.failures.push(`${outcome.label} → ${problem}`);
  if (outcome.status < 400) await e.cleanup?.(outcome);
  for (const target of focused(containerPaths(base), e.focus)) {
    const v = target.reduce<Json>((n, k) => (n as Record<string, Json>)[k as string]!, base);
    if (!v || typeof v !== 'object' || Array.isArray(v)) continue;
    const free = isUnder(target, e.freeform);
    const o = await runCase(
      h,
      stats,
      `${e.name}: unknown fields in ${target.join('.')}`,
      {
        method: e.method,
        path: e.path(),
        headers: json(e.headers()),
        body: JSON.stringify(setAt(base, target, { ...(v as Record<string, Json>), ...extras })),
      },
      options,
    );
    if (!free) {
      const nested = await check?.(o);
      if (nested) stats.failures.push(`${o.label} → ${nested}`);
    }
    if (o.status < 400) await e.cleanup?.(o);
  }
  await expectAlive(h, stats, `${e.name}: unknown fields`);
}

/** The cases every body endpoint gets: transport, nesting, pollution, each kind of hostile leaf. */
export function standardHostileCases(harness: () => Harness, stats: Stats, endpoints: BodyEndpoint[]): void {
  const cases: Array<[string, (h: Harness, e: BodyEndpoint) => Promise<void>]> = [
    ['transport (size, content type, JSON)', (h, e) => transportCases(h, e, stats)],
    ['deep nesting', (h, e) => nestingCases(h, e, stats)],
    ['prototype pollution keys', (h, e) => prototypeCases(h, e, stats)],
    ['operator injection in every string field', (h, e) => leafCases(h, e, stats, 'operator')],
    ['numbers where strings go', (h, e) => leafCases(h, e, stats, 'not a string')],
    ['huge strings', (h, e) => leafCases(h, e, stats, 'huge')],
    ['unicode, RTL and NUL bytes', (h, e) => leafCases(h, e, stats, 'unicode')],
    ['unknown fields', (h, e) => unknownFieldCases(h, e, stats)],
  ];
  for (const [title, run] of cases) {
    it.each(endpoints)(`$name: ${title}`, async (e) => {
      await expectNoFailures(stats, () => run(harness(), e));
    });
  }
}
