/**
 * `npm run bench -- --soak MINUTES`: is the memory of the API and the worker flat under steady
 * load? Unlike the throughput phases (everything in this process, for one CPU profile), the soak
 * runs the API and the worker as the production processes they are — `dist/server.js` and
 * `dist/worker.js`, as `npm start` runs them — so each one's RSS is read from /proc on its own.
 *
 * Load: `concurrency` closed-loop clients paying with a new card and saving it (the same operation
 * as the throughput phase) for the whole duration. RSS is sampled every `sampleEveryS`; every
 * `heapEveryS` each process's JavaScript heap is measured after a full collection, through its
 * inspector (./heap-probe.ts). RSS cannot tell a leak from V8 sizing its heap to the load (it saws
 * by 100 MB at steady state); the heap that survives a full GC can, so that is what is judged.
 * The first minute is warm-up (JIT, connection pools, the worker's workflow cache filling); after
 * it, the least-squares slope over time and the growth from the first judged minute to the last
 * must both be small for the process to count as flat.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

import { freePort, spawnService, waitForPort, type ServiceProcess } from '../src/dev/process';
import { processCpuMs, processRssBytes } from './resources';
import { httpRequester, payWithNewCard, tokenpayEnv } from './tokenpay';
import { startGatewaySimulator } from './simulator-process';
import type { Stack } from './stack';
import { percentile } from './stats';

const execFileAsync = promisify(execFile);
const DIST = path.resolve(__dirname, '..', '..', 'dist');
const PROCESSES = ['api', 'worker'] as const;
type SoakProcess = (typeof PROCESSES)[number];

/** Judged flat when the post-GC heap grows by less than this over the judged window... */
const FLAT_GROWTH_MB = 10;
/** ...and its trend is below this (a leak of 1 MB/min is 1.4 GB a day). */
const FLAT_SLOPE_MB_PER_MIN = 1;
const WARMUP_S = 60;
const HEAP_PROBE = path.resolve(__dirname, 'heap-probe.js');

export interface SoakOptions {
  minutes: number;
  concurrency: number;
  sampleEveryS: number;
  /** how often to measure each process's heap after a full GC */
  heapEveryS: number;
  /** when set, the API and worker run with `--cpu-prof` and write their profiles here on exit */
  profileDir?: string;
  log: (line: string) => void;
}

export interface SoakSample {
  atS: number;
  payments: number;
  rssMb: Record<SoakProcess, number | undefined>;
  /** live heap after a full GC, on the samples that measured it */
  heapMb?: Partial<Record<SoakProcess, number>>;
}

export interface SoakVerdict {
  /** median RSS over the first judged minute and over the last minute */
  firstMb: number;
  lastMb: number;
  maxMb: number;
  growthMb: number;
  slopeMbPerMin: number;
  flat: boolean;
}

export interface SoakResult {
  minutes: number;
  concurrency: number;
  payments: number;
  failed: number;
  errors: Record<string, number>;
  submitP50Ms: number;
  samples: SoakSample[];
  /** judged on the post-GC heap; RSS's trend alongside, for information */
  verdict: Partial<Record<SoakProcess, SoakVerdict>>;
  rssTrend: Partial<Record<SoakProcess, SoakVerdict>>;
  restarts: Record<SoakProcess, number>;
  /** CPU ms per paid payment of each process over the load (start-up excluded) */
  cpuMsPerPayment: Partial<Record<SoakProcess, number>>;
}

export async function runSoak(stack: Stack, options: SoakOptions): Promise<SoakResult> {
  const { log } = options;
  const suffix = randomBytes(4).toString('hex');
  const simulator = await startGatewaySimulator('child');
  const services: Partial<Record<SoakProcess, ServiceProcess>> = {};
  const inspectPorts: Partial<Record<SoakProcess, number>> = {};
  try {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...tokenpayEnv(stack, simulator.url, `soak-${suffix}`),
      PORT: String(port),
      HOST: '127.0.0.1',
      // metrics on, as in production (a registry that grows is a leak too), on ports of its own
      TOKENPAY_WORKER_METRICS_PORT: String(await freePort()),
      TOKENPAY_WORKER_SDK_METRICS_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
    };
    for (const name of PROCESSES) {
      inspectPorts[name] = await freePort();
      services[name] = spawnService({
        name,
        command: process.execPath,
        args: [
          ...(options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : []),
          `--inspect=127.0.0.1:${inspectPorts[name]}`, // for the heap probe; loopback only
          path.join(DIST, name === 'api' ? 'server.js' : 'worker.js'),
        ],
        env,
        logFile: path.join(stack.workDir, `soak-${name}.log`),
        restartOnCrash: true,
        log,
      });
    }
    await waitForPort('127.0.0.1', port, 60_000);
    const request = httpRequester(`http://127.0.0.1:${port}`);
    await waitUntilReady(request, 120_000);
    const apiKey = process.env.TOKENPAY_DEMO_API_KEY ?? 'tp_demo_dev_only_key';
    log(`soak: API pid ${services.api?.pid}, worker pid ${services.worker?.pid}; ${options.minutes} min`);

    const cpuOf = (): Partial<Record<SoakProcess, number>> =>
      Object.fromEntries(
        PROCESSES.map((name) => {
          const pid = services[name]?.pid;
          return [name, pid === undefined ? undefined : processCpuMs(pid)];
        }),
      );
    const cpuAtStart = cpuOf();
    const t0 = performance.now();
    const endAt = t0 + options.minutes * 60_000;
    const samples: SoakSample[] = [];
    const errors: Record<string, number> = {};
    const submitMs: number[] = [];
    let payments = 0;
    let failed = 0;
    let next = 0;

    const sample = (): void => {
      const rssMb = Object.fromEntries(
        PROCESSES.map((name) => {
          const pid = services[name]?.pid;
          const rss = pid === undefined ? undefined : processRssBytes(pid);
          return [name, rss === undefined ? undefined : rss / 2 ** 20];
        }),
      ) as SoakSample['rssMb'];
      samples.push({ atS: (performance.now() - t0) / 1000, payments, rssMb });
    };
    sample();
    let probing = false;
    const probeHeaps = async (): Promise<void> => {
      if (probing) return;
      probing = true;
      try {
        const atS = (performance.now() - t0) / 1000;
        const heapMb: Partial<Record<SoakProcess, number>> = {};
        for (const name of PROCESSES) {
          const used = await heapUsedBytes(inspectPorts[name]!).catch((error: unknown) => {
            const stderr = (error as { stderr?: string }).stderr?.trim();
            log(`heap probe of ${name}: ${stderr || (error as Error).message}`);
            return undefined;
          });
          if (used !== undefined) heapMb[name] = used / 2 ** 20;
        }
        samples.push({ atS, payments, rssMb: samples.at(-1)!.rssMb, heapMb });
      } finally {
        probing = false;
      }
    };
    const heapProber = setInterval(() => void probeHeaps(), options.heapEveryS * 1000);
    const sampler = setInterval(() => {
      sample();
      // scraped as Prometheus would: the registry (and the worker's, relayed) is part of the soak
      void request('GET', '/metrics').catch(() => undefined);
      const last = samples.at(-1)!;
      if (Math.floor(last.atS / 60) > Math.floor((last.atS - options.sampleEveryS) / 60)) {
        const heap = [...samples].reverse().find((x) => x.heapMb)?.heapMb;
        log(
          `soak ${(last.atS / 60).toFixed(1)} min: ${payments} paid, ${failed} failed; RSS api ` +
            `${last.rssMb.api?.toFixed(0)} MB, worker ${last.rssMb.worker?.toFixed(0)} MB; heap after GC api ` +
            `${heap?.api?.toFixed(1) ?? '—'} MB, worker ${heap?.worker?.toFixed(1) ?? '—'} MB`,
        );
      }
    }, options.sampleEveryS * 1000);

    const client = async (): Promise<void> => {
      while (performance.now() < endAt) {
        const i = next++;
        try {
          const r = await payWithNewCard(request, apiKey, `soak-${suffix}-${i}`);
          payments++;
          // a bounded reservoir: enough for a median, not itself a growing allocation
          if (submitMs.length < 20_000) submitMs.push(r.submitMs);
        } catch (error) {
          failed++;
          const message = (error as Error).message.slice(0, 160);
          errors[message] = (errors[message] ?? 0) + 1;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, client));
    clearInterval(sampler);
    clearInterval(heapProber);
    sample();
    await probeHeaps();
    const cpuAtEnd = cpuOf();
    const cpuMsPerPayment: SoakResult['cpuMsPerPayment'] = {};
    for (const name of PROCESSES) {
      const [a, b] = [cpuAtStart[name], cpuAtEnd[name]];
      if (a !== undefined && b !== undefined && payments > 0) cpuMsPerPayment[name] = (b - a) / payments;
    }

    const verdict: SoakResult['verdict'] = {};
    const rssTrend: SoakResult['rssTrend'] = {};
    for (const name of PROCESSES) {
      const judged = samples.filter((x) => x.atS >= WARMUP_S);
      const heap = judged.flatMap((x) =>
        x.heapMb?.[name] === undefined ? [] : [{ t: x.atS, mb: x.heapMb[name] }],
      );
      const rss = judged.flatMap((x) =>
        x.heapMb || x.rssMb[name] === undefined ? [] : [{ t: x.atS, mb: x.rssMb[name] }],
      );
      if (heap.length >= 3) verdict[name] = judge(heap);
      if (rss.length >= 3) rssTrend[name] = judge(rss);
    }
    return {
      minutes: options.minutes,
      concurrency: options.concurrency,
      payments,
      failed,
      errors,
      submitP50Ms: percentile(submitMs, 50),
      samples,
      verdict,
      rssTrend,
      restarts: { api: services.api?.restarts ?? 0, worker: services.worker?.restarts ?? 0 },
      cpuMsPerPayment,
    };
  } finally {
    await Promise.all(PROCESSES.map((name) => services[name]?.stop().catch(() => undefined)));
    await simulator.close().catch(() => undefined);
  }
}

/** Growth and trend of one process's RSS over the judged window (after warm-up). */
export function judge(points: ReadonlyArray<{ t: number; mb: number }>): SoakVerdict {
  const start = points[0]!.t;
  const end = points.at(-1)!.t;
  const median = (from: number, to: number): number =>
    percentile(
      points.filter((p) => p.t >= from && p.t <= to).map((p) => p.mb),
      50,
    );
  const firstMb = median(start, start + 60);
  const lastMb = median(end - 60, end);
  // least squares: slope of MB over minutes
  const n = points.length;
  const meanT = points.reduce((a, p) => a + p.t / 60, 0) / n;
  const meanMb = points.reduce((a, p) => a + p.mb, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t / 60 - meanT) * (p.mb - meanMb);
    den += (p.t / 60 - meanT) ** 2;
  }
  const slopeMbPerMin = den === 0 ? 0 : num / den;
  const growthMb = lastMb - firstMb;
  return {
    firstMb,
    lastMb,
    maxMb: Math.max(...points.map((p) => p.mb)),
    growthMb,
    slopeMbPerMin,
    flat: growthMb < FLAT_GROWTH_MB && slopeMbPerMin < FLAT_SLOPE_MB_PER_MIN,
  };
}

/** Live heap of the process whose inspector listens on `port`, after a full GC (./heap-probe). */
async function heapUsedBytes(port: number): Promise<number> {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--experimental-websocket', HEAP_PROBE, String(port)],
    { timeout: 20_000 },
  );
  return (JSON.parse(stdout) as { usedBytes: number }).usedBytes;
}

async function waitUntilReady(request: ReturnType<typeof httpRequester>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const r = await request('GET', '/readyz');
      if (r.status === 200) return;
      last = `${r.status} ${JSON.stringify(r.body)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`tokenpay not ready after ${timeoutMs} ms: ${last}`);
}

export function printSoak(r: SoakResult, write: (line: string) => void = console.log): void {
  const fmt = (v: number | undefined, d = 1): string => (v === undefined ? '—' : v.toFixed(d));
  write('');
  write(
    `memory soak: ${r.minutes} min at concurrency ${r.concurrency}, API and worker as separate processes`,
  );
  write(`  payments paid ${r.payments}, failed ${r.failed}, submit p50 ${fmt(r.submitP50Ms)} ms`);
  write(`  restarts: api ${r.restarts.api}, worker ${r.restarts.worker}`);
  write(
    `  CPU per payment: api ${fmt(r.cpuMsPerPayment.api)} ms, worker ${fmt(r.cpuMsPerPayment.worker)} ms`,
  );
  for (const [message, count] of Object.entries(r.errors)) write(`  failed ×${count}: ${message}`);
  write('');
  write('  minute   paid   heap after GC MB (api, worker)   RSS MB (api, worker)');
  const probed = r.samples.filter((x) => x.heapMb);
  for (const x of probed.filter((_, i, all) => i % 2 === 0 || i === all.length - 1)) {
    write(
      `  ${(x.atS / 60).toFixed(1).padStart(6)} ${String(x.payments).padStart(6)} ` +
        `${fmt(x.heapMb?.api).padStart(16)} ${fmt(x.heapMb?.worker).padStart(8)}      ` +
        `${fmt(x.rssMb.api, 0).padStart(12)} ${fmt(x.rssMb.worker, 0).padStart(6)}`,
    );
  }
  write('');
  const line = (label: string, v: SoakVerdict): string =>
    `${label} ${fmt(v.firstMb)} → ${fmt(v.lastMb)} MB (growth ${fmt(v.growthMb)} MB, trend ` +
    `${fmt(v.slopeMbPerMin, 2)} MB/min, max ${fmt(v.maxMb)} MB)`;
  for (const name of PROCESSES) {
    const v = r.verdict[name];
    const rss = r.rssTrend[name];
    if (v)
      write(
        `  ${name.padEnd(6)} ${line('heap after GC, first judged minute → last:', v)}: ${v.flat ? 'flat' : 'GROWING'}`,
      );
    if (rss) write(`  ${''.padEnd(6)} ${line('RSS (GC sawtooth included):', rss)}`);
  }
  const round = (v: number | undefined): number | null =>
    v === undefined ? null : Math.round(v * 100) / 100;
  console.log(
    JSON.stringify({
      soak_minutes: r.minutes,
      soak_payments: r.payments,
      soak_failed: r.failed,
      api_heap_first_mb: round(r.verdict.api?.firstMb),
      api_heap_last_mb: round(r.verdict.api?.lastMb),
      api_heap_slope_mb_per_min: round(r.verdict.api?.slopeMbPerMin),
      worker_heap_first_mb: round(r.verdict.worker?.firstMb),
      worker_heap_last_mb: round(r.verdict.worker?.lastMb),
      worker_heap_slope_mb_per_min: round(r.verdict.worker?.slopeMbPerMin),
      api_rss_max_mb: round(r.rssTrend.api?.maxMb),
      worker_rss_max_mb: round(r.rssTrend.worker?.maxMb),
      api_cpu_ms_per_payment: round(r.cpuMsPerPayment.api),
      worker_cpu_ms_per_payment: round(r.cpuMsPerPayment.worker),
      memory_flat: PROCESSES.every((name) => r.verdict[name]?.flat === true),
    }),
  );
}
