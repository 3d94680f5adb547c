/**
 * The report: a table for people, then, as the very last line, one JSON object for machines.
 */
import * as os from 'node:os';

import type { BaselineResult } from './baseline';
import type { CardListPoint } from './card-list';
import type { CpuSnapshot, MemorySample } from './resources';
import { ratio, round, summarize } from './stats';
import type { TokenpayResult } from './tokenpay';

export interface BenchReport {
  mode: 'quick' | 'full';
  /** git commit of the tree measured, "+dirty" when it had uncommitted changes */
  revision: string;
  simulator: 'child' | 'in-process';
  /** how bare Temporal and tokenpay were measured: alternating rounds or one after the other */
  schedule: string;
  concurrency: number;
  warmup: number;
  iterations: number;
  temporal: string;
  mongo: string;
  baseline?: BaselineResult;
  tokenpay?: TokenpayResult;
  cards?: CardListPoint[];
  /** CPU ms per phase and process */
  cpu: Record<string, CpuSnapshot>;
  memory: Record<string, MemorySample>;
  /** RSS MB of the service processes at the end, when started here */
  serviceRssMb: Record<string, number>;
  timingsMs: Record<string, number>;
  /** 1-minute load average at the start and the end (other work on the machine skews results) */
  loadAverage: { start: number; end: number };
  sdkWarnings: number;
  targets: { throughputRatio: number; latencyRatio: number; cardListRatio: number };
}

const fmt = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);

function table(rows: string[][], align: Array<'l' | 'r'>): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function cardPoint(points: CardListPoint[] | undefined, target: number): CardListPoint | undefined {
  return points?.find((p) => p.target === target && p.cards >= target);
}

export function resultJson(r: BenchReport): Record<string, unknown> {
  const base = r.baseline?.loop;
  const tp = r.tokenpay?.loop;
  const roundtrip = summarize(base?.latencies.roundtrip ?? []);
  const baseStart = summarize(base?.latencies.start ?? []);
  const submit = summarize(tp?.latencies.submit ?? []);
  const create = summarize(tp?.latencies.create ?? []);
  const small = cardPoint(r.cards, 1_000);
  const large = cardPoint(r.cards, 100_000);
  const throughputRatio = ratio(tp?.perSecond ?? NaN, base?.perSecond ?? NaN);
  const latencyRatio = ratio(submit.p50, roundtrip.p50);
  const cardRatio = ratio(large?.http.p50 ?? NaN, small?.http.p50 ?? NaN);
  const perOp = (phase: string, ops: number | undefined): Record<string, number | null> =>
    Object.fromEntries(
      Object.entries(r.cpu[phase] ?? {}).map(([name, ms]) => [name, round(ops ? ms / ops : NaN, 2)]),
    );
  return {
    bench: 'tokenpay',
    revision: r.revision,
    mode: r.mode,
    schedule: r.schedule,
    simulator: r.simulator,
    concurrency: r.concurrency,
    warmup: r.warmup,
    iterations: r.iterations,
    baseline_workflows_per_s: round(base?.perSecond ?? NaN),
    baseline_roundtrip_p50_ms: round(roundtrip.p50),
    baseline_roundtrip_p99_ms: round(roundtrip.p99),
    baseline_start_p50_ms: round(baseStart.p50),
    baseline_ops: base?.completed ?? 0,
    baseline_failed: base?.failed ?? 0,
    payments_per_s: round(tp?.perSecond ?? NaN),
    submit_p50_ms: round(submit.p50),
    submit_p99_ms: round(submit.p99),
    create_p50_ms: round(create.p50),
    create_p99_ms: round(create.p99),
    payments: tp?.completed ?? 0,
    payments_failed: tp?.failed ?? 0,
    throughput_ratio: round(throughputRatio, 3),
    latency_ratio: round(latencyRatio, 3),
    card_list_p50_ms_1e3: round(small?.http.p50 ?? NaN),
    card_list_p50_ms_1e5: round(large?.http.p50 ?? NaN),
    card_list_p50_ratio_1e5_vs_1e3: round(cardRatio, 3),
    card_query_p50_ms_1e3: round(small?.query.p50 ?? NaN),
    card_query_p50_ms_1e5: round(large?.query.p50 ?? NaN),
    cards_in_collection: r.cards?.map((p) => p.cards) ?? [],
    cards_insert_per_s: round(large?.insertPerSecond ?? small?.insertPerSecond ?? NaN, 0),
    cpu_ms_per_op: {
      baseline: perOp('bare Temporal', base?.completed),
      tokenpay: perOp('tokenpay', tp?.completed),
    },
    rss_start_mb: round(r.memory.start?.rssMb ?? NaN, 1),
    rss_end_mb: round(r.memory.end?.rssMb ?? NaN, 1),
    service_rss_mb: Object.fromEntries(Object.entries(r.serviceRssMb).map(([k, v]) => [k, round(v, 1)])),
    targets_met: {
      throughput_ratio: Number.isFinite(throughputRatio)
        ? throughputRatio >= r.targets.throughputRatio
        : null,
      latency_ratio: Number.isFinite(latencyRatio) ? latencyRatio <= r.targets.latencyRatio : null,
      card_list_ratio: Number.isFinite(cardRatio) ? cardRatio <= r.targets.cardListRatio : null,
    },
    activities_per_workflow: {
      baseline: round(r.baseline?.shape.activities ?? NaN, 1),
      tokenpay: round(r.tokenpay?.shape.activities ?? NaN, 1),
    },
    load_average: { start: round(r.loadAverage.start), end: round(r.loadAverage.end) },
    sdk_warnings: r.sdkWarnings,
    wall_s: Object.fromEntries(Object.entries(r.timingsMs).map(([k, v]) => [k, round(v / 1000, 1)])),
  };
}

export function printReport(r: BenchReport, write: (line: string) => void = console.log): void {
  const j = resultJson(r);
  const base = r.baseline?.loop;
  const tp = r.tokenpay?.loop;
  const roundtrip = summarize(base?.latencies.roundtrip ?? []);
  const start = summarize(base?.latencies.start ?? []);
  const submit = summarize(tp?.latencies.submit ?? []);
  const create = summarize(tp?.latencies.create ?? []);
  write('');
  write(
    `tokenpay bench (${r.mode}, ${r.revision}): concurrency ${r.concurrency}, warm-up ${r.warmup}, up to ${r.iterations} ` +
      `operations per phase (${r.schedule}); Temporal ${r.temporal}; Mongo ${r.mongo}; gateway simulator ${r.simulator}`,
  );
  write('');
  const rows: string[][] = [
    ['phase', 'measure', 'ok', 'failed', 'per s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
  ];
  if (base) {
    rows.push([
      'bare Temporal',
      'update round-trip',
      String(base.completed),
      String(base.failed),
      fmt(base.perSecond),
      fmt(roundtrip.p50),
      fmt(roundtrip.p90),
      fmt(roundtrip.p99),
      fmt(roundtrip.max),
    ]);
    rows.push([
      '',
      'workflow start',
      '',
      '',
      '',
      fmt(start.p50),
      fmt(start.p90),
      fmt(start.p99),
      fmt(start.max),
    ]);
  }
  if (tp) {
    rows.push([
      'tokenpay end to end',
      'submit (HTTP)',
      String(tp.completed),
      String(tp.failed),
      fmt(tp.perSecond),
      fmt(submit.p50),
      fmt(submit.p90),
      fmt(submit.p99),
      fmt(submit.max),
    ]);
    rows.push([
      '',
      'create (HTTP)',
      '',
      '',
      '',
      fmt(create.p50),
      fmt(create.p90),
      fmt(create.p99),
      fmt(create.max),
    ]);
  }
  for (const p of r.cards ?? []) {
    const label = `card list, ${p.cards.toLocaleString('en-US')} cards`;
    rows.push([
      label,
      'list (HTTP)',
      String(p.http.count),
      '0',
      '',
      fmt(p.http.p50, 2),
      fmt(p.http.p90, 2),
      fmt(p.http.p99, 2),
      fmt(p.http.max, 2),
    ]);
    rows.push([
      '',
      'store query',
      '',
      '',
      '',
      fmt(p.query.p50, 2),
      fmt(p.query.p90, 2),
      fmt(p.query.p99, 2),
      fmt(p.query.max, 2),
    ]);
  }
  write(table(rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r']));
  const stopped = (timeLimited: boolean): string =>
    timeLimited ? ' (measuring stopped at its time limit)' : '';
  if (r.baseline) {
    write(
      `bare Temporal: ${r.baseline.completed}/${r.baseline.checked} measured workflows completed` +
        stopped(r.baseline.loop.timeLimited),
    );
  }
  if (r.tokenpay) {
    write(
      `tokenpay: ${r.tokenpay.completed}/${r.tokenpay.checked} measured workflows completed "paid"; ` +
        `${r.tokenpay.savedCards} cards saved${stopped(r.tokenpay.loop.timeLimited)}`,
    );
  }
  for (const p of r.cards ?? []) {
    write(`cards ${p.cards}: inserted at ${fmt(p.insertPerSecond, 0)}/s; plan ${p.plan}`);
  }
  const errors = { ...(base?.errors ?? {}), ...(tp?.errors ?? {}) };
  for (const [message, count] of Object.entries(errors)) write(`error ×${count}: ${message}`);

  const shapes = [
    ['bare Temporal', r.baseline?.shape],
    ['tokenpay', r.tokenpay?.shape],
  ] as const;
  if (shapes.some(([, shape]) => shape)) {
    write('');
    write('workflow shape and where its time goes (server event times, mean per workflow of a sample):');
    const shapeRows = [
      [
        '',
        'sampled',
        'events',
        'wf tasks',
        'activities',
        'timers',
        'start→close ms',
        'update ms',
        'dispatch wait ms',
        '(activities)',
        'wf task ms',
        'activity ms',
      ],
    ];
    for (const [name, s] of shapes) {
      if (!s) continue;
      shapeRows.push([
        name,
        String(s.sampled),
        fmt(s.events),
        fmt(s.workflowTasks),
        fmt(s.activities),
        fmt(s.timers),
        fmt(s.totalMs),
        fmt(s.updateMs),
        fmt(s.taskDispatchMs),
        fmt(s.activityDispatchMs),
        fmt(s.workflowTaskMs),
        fmt(s.activityRunMs),
      ]);
    }
    write(table(shapeRows, ['l', ...shapeRows[0]!.slice(1).map(() => 'r' as const)]));
    for (const [name, s] of shapes) {
      if (!s) continue;
      const runs = Object.entries(s.activityRunByName).map(([a, v]) => `${a} ${fmt(v)} ms`);
      write(`${name} activities (mean run time): ${runs.join(', ')}`);
    }
  }

  write('');
  const targetRows = [
    ['ratio', 'value', 'target', ''],
    [
      'throughput (payments/s ÷ baseline workflows/s)',
      fmt(j.throughput_ratio as number, 3),
      `≥ ${r.targets.throughputRatio}`,
      verdict(j.throughput_ratio as number, (v) => v >= r.targets.throughputRatio),
    ],
    [
      'latency (submit p50 ÷ baseline round-trip p50)',
      fmt(j.latency_ratio as number, 3),
      `≤ ${r.targets.latencyRatio}`,
      verdict(j.latency_ratio as number, (v) => v <= r.targets.latencyRatio),
    ],
    [
      'card list p50, 100,000 ÷ 1,000 cards',
      fmt(j.card_list_p50_ratio_1e5_vs_1e3 as number, 3),
      `≤ ${r.targets.cardListRatio}`,
      verdict(j.card_list_p50_ratio_1e5_vs_1e3 as number, (v) => v <= r.targets.cardListRatio),
    ],
  ];
  write(table(targetRows, ['l', 'r', 'r', 'l']));

  write('');
  const phases = Object.keys(r.cpu);
  const names = [...new Set(phases.flatMap((p) => Object.keys(r.cpu[p]!)))];
  const cpuRows = [['CPU ms (user+sys)', ...names, 'total', 'wall ms', 'per op']];
  for (const phase of phases) {
    const snap = r.cpu[phase]!;
    const total = Object.values(snap).reduce((a, b) => a + b, 0);
    const ops =
      phase === 'bare Temporal' ? base?.completed : phase === 'tokenpay' ? tp?.completed : undefined;
    cpuRows.push([
      phase,
      ...names.map((n) => fmt(snap[n], 0)),
      fmt(total, 0),
      fmt(r.timingsMs[phase], 0),
      ops ? `${fmt(total / ops, 1)} ms` : '',
    ]);
  }
  write(table(cpuRows, ['l', ...names.map(() => 'r' as const), 'r', 'r', 'r']));
  write('');
  const mem = Object.entries(r.memory)
    .map(([k, m]) => `${k} ${fmt(m.rssMb, 0)} MB`)
    .join(', ');
  const services = Object.entries(r.serviceRssMb)
    .map(([k, v]) => `${k} ${fmt(v, 0)} MB`)
    .join(', ');
  write(`RSS of the bench process: ${mem}${services ? `; at the end ${services}` : ''}`);
  write(
    `load average (1 min) at start ${fmt(r.loadAverage.start, 2)}, at end ${fmt(r.loadAverage.end, 2)} ` +
      `on ${os.cpus().length} cores: anything well above the bench's own load means other work skewed it`,
  );
  if (r.sdkWarnings) write(`Temporal SDK warnings: ${r.sdkWarnings}`);
  write(JSON.stringify(j));
}

function verdict(value: number | null | undefined, ok: (v: number) => boolean): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'not measured';
  return ok(value) ? 'met' : 'MISSED';
}
