/**
 * `npm run bench [-- --quick] [options]`: bare Temporal vs tokenpay end to end on the same
 * Temporal server, then saved-card listing at 1,000 and 100,000 cards. Prints a table and, as
 * its last line, one JSON object. Starts (and stops) a Temporal dev server and FerretDB unless
 * TEMPORAL_ADDRESS / MONGODB_URI are set. Bounded in count and time; exit code 0 on success.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';

import { runBaseline, startBaseline } from './baseline';
import { runCardList } from './card-list';
import { interleavedLoops, type LoopOptions } from './loop';
import { printReport, type BenchReport } from './report';
import { CpuMeter, memorySample, processRssBytes, type TrackedProcess } from './resources';
import { printSoak, runSoak } from './soak';
import { startStack, type Stack } from './stack';
import { runTokenpay, startTokenpay, tokenpaySide, type Tokenpay } from './tokenpay';

const PHASES = ['baseline', 'tokenpay', 'cards'] as const;
type Phase = (typeof PHASES)[number];

const USAGE = `usage: npm run bench -- [options]
  --quick                fewer operations (whole run well under 3 minutes on 2 cores)
  --concurrency N        clients in flight in the throughput phases (default 8)
  --iterations N         measured operations per throughput phase (default 2000, quick 400)
  --warmup N             warm-up operations per throughput phase (default 200, quick 100)
  --card-sizes A,B       collection sizes for the card-list phase (default 1000,100000)
  --only P,Q             run only these phases: baseline, tokenpay, cards
  --rounds N             bare Temporal and tokenpay alternate in N rounds (default 4, full run 8),
                         so machine noise falls on both alike
  --sequential           measure bare Temporal, then tokenpay (no alternating rounds)
  --simulator MODE       gateway simulator in a "child" process (default) or "in-process"
  --profile PHASE        write a V8 CPU profile of this process during PHASE (baseline, tokenpay
                         or cards) to --profile-dir; with --soak, "--profile soak" profiles the
                         API and worker processes instead; summarise a profile with
                         node dist-bench/bench/cpuprofile-top.js FILE
  --profile-dir DIR      default dist-bench/profiles
  --soak MINUTES         instead of the phases: the memory soak — API and worker as separate
                         processes under steady load for MINUTES (10 for the target), RSS sampled
                         every 10 s; prints whether each stayed flat (last line: JSON)
env: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, MONGODB_URI use running servers instead of embedded ones`;

interface Options {
  quick: boolean;
  concurrency: number;
  iterations: number;
  warmup: number;
  cardSizes: number[];
  phases: Set<Phase>;
  profile: Phase | 'soak' | undefined;
  profileDir: string;
  simulator: 'child' | 'in-process';
  rounds: number;
  sequential: boolean;
  /** minutes of memory soak; when set, the soak runs instead of the phases */
  soakMinutes: number | undefined;
  /** whole run, after which everything is stopped and the run fails */
  hardLimitMs: number;
  /** from the start: the card phase wraps up after this (see CardListOptions.deadline) */
  softLimitMs: number;
  phaseLimitMs: number;
  insertLimitMs: number;
  cardRequests: number;
  /** per collection size, for the list requests */
  cardBudgetMs: number;
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      concurrency: { type: 'string' },
      iterations: { type: 'string' },
      warmup: { type: 'string' },
      'card-sizes': { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'string' },
      'profile-dir': { type: 'string' },
      simulator: { type: 'string', default: 'child' },
      soak: { type: 'string' },
      rounds: { type: 'string' },
      sequential: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const quick = values.quick ?? false;
  const phases = new Set<Phase>(
    values.only ? (values.only.split(',').map((p) => p.trim()) as Phase[]) : [...PHASES],
  );
  for (const p of phases) if (!PHASES.includes(p)) throw new Error(`unknown phase "${p}" in --only`);
  const profile = values.profile as Phase | 'soak' | undefined;
  if (profile !== undefined && profile !== 'soak' && !PHASES.includes(profile)) {
    throw new Error(`unknown phase "${profile}"`);
  }
  const simulator = values.simulator;
  if (simulator !== 'child' && simulator !== 'in-process') {
    throw new Error(`--simulator must be "child" or "in-process", got "${simulator}"`);
  }
  const cardSizes = (values['card-sizes'] ?? '1000,100000')
    .split(',')
    .map((s) => positiveInt('card-sizes', s.trim(), 0));
  const soakMinutes = values.soak === undefined ? undefined : positiveInt('soak', values.soak, 10);
  const soakLimitMs = soakMinutes === undefined ? 0 : soakMinutes * 60_000 + 300_000;
  return {
    quick,
    soakMinutes,
    rounds: positiveInt('rounds', values.rounds, quick ? 4 : 8),
    sequential: values.sequential ?? false,
    concurrency: positiveInt('concurrency', values.concurrency, soakMinutes ? 4 : 8),
    iterations: positiveInt('iterations', values.iterations, quick ? 400 : 2000),
    warmup: positiveInt('warmup', values.warmup, quick ? 100 : 200),
    cardSizes,
    phases,
    profile,
    simulator,
    profileDir: path.resolve(values['profile-dir'] ?? path.join(__dirname, '..', 'profiles')),
    hardLimitMs: soakLimitMs || (quick ? 175_000 : 1_200_000),
    softLimitMs: quick ? 140_000 : 1_000_000,
    phaseLimitMs: quick ? 25_000 : 180_000,
    insertLimitMs: quick ? 60_000 : 300_000,
    cardRequests: quick ? 100 : 300,
    cardBudgetMs: quick ? 20_000 : 120_000,
  };
}

async function withProfile<T>(
  options: Options,
  phase: Phase,
  log: (line: string) => void,
  work: () => Promise<T>,
): Promise<T> {
  if (options.profile !== phase) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    fs.mkdirSync(options.profileDir, { recursive: true });
    const file = path.join(options.profileDir, `${phase}-${Date.now()}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    log(`CPU profile of phase ${phase}: ${file}`);
  }
}

function logErrors(errors: Record<string, number>, log: (line: string) => void): void {
  for (const [message, count] of Object.entries(errors)) log(`  failed ×${count}: ${message}`);
}

/** `git` commit of the working tree, with "+dirty" when it has uncommitted changes. */
function revision(): string {
  const git = (...args: string[]): string =>
    execFileSync('git', args, {
      cwd: path.join(__dirname, '..', '..'),
      encoding: 'utf8',
      stdio: 'pipe',
    }).trim();
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain') ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  const memoryStart = memorySample();
  const loadStart = os.loadavg()[0]!;
  const tStart = performance.now();
  let options: Options | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const o = options;
  const log = (line: string): void => {
    console.error(`[bench ${((performance.now() - tStart) / 1000).toFixed(1).padStart(5)}s] ${line}`);
  };

  // The SDK's own logs: errors are shown, warnings counted and the first three shown.
  let sdkWarnings = 0;
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      if (entry.level === 'ERROR')
        console.error(`[temporal sdk] ${entry.message} ${JSON.stringify(entry.meta)}`);
      else if (++sdkWarnings <= 3)
        console.error(`[temporal sdk] warning: ${entry.message} ${JSON.stringify(entry.meta)}`);
    }),
  });

  let stack: Stack | undefined;
  let tokenpay: Tokenpay | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      await tokenpay?.close().catch((e: unknown) => log(`tokenpay close: ${(e as Error).message}`));
      await stack?.stop().catch((e: unknown) => log(`stack stop: ${(e as Error).message}`));
    })());

  // Hard bound on the whole run: stop everything we started and fail.
  const hardTimer = setTimeout(() => {
    log(`run exceeded ${o.hardLimitMs / 1000} s; stopping`);
    void cleanup().finally(() => process.exit(3));
  }, o.hardLimitMs);
  hardTimer.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  const report: BenchReport = {
    mode: o.quick ? 'quick' : 'full',
    revision: revision(),
    simulator: o.simulator,
    concurrency: o.concurrency,
    warmup: o.warmup,
    iterations: o.iterations,
    temporal: '',
    mongo: '',
    cpu: {},
    memory: { start: memoryStart },
    serviceRssMb: {},
    timingsMs: {},
    loadAverage: { start: loadStart, end: NaN },
    sdkWarnings: 0,
    schedule: 'sequential',
    targets: { throughputRatio: 0.7, latencyRatio: 1.5, cardListRatio: 1.5 },
  };
  const loopOptions: LoopOptions = {
    concurrency: o.concurrency,
    warmup: o.warmup,
    iterations: o.iterations,
    timeLimitMs: o.phaseLimitMs,
  };

  if (o.soakMinutes !== undefined) {
    const minutes = o.soakMinutes;
    try {
      stack = await startStack(log);
      const s = stack;
      const result = await runSoak(s, {
        minutes,
        concurrency: o.concurrency,
        sampleEveryS: 10,
        heapEveryS: 30,
        ...(o.profile === 'soak' ? { profileDir: o.profileDir } : {}),
        log,
      });
      if (o.profile === 'soak')
        log(`CPU profiles of the API and the worker: ${o.profileDir}/CPU.*.cpuprofile`);
      await cleanup();
      printSoak(result);
      return 0;
    } catch (error) {
      log(`FAILED: ${(error as Error).stack ?? String(error)}`);
      await cleanup();
      return 1;
    }
  }

  try {
    const t0 = performance.now();
    stack = await startStack(log);
    const s = stack;
    report.timingsMs['start services'] = performance.now() - t0;
    report.temporal = `${s.temporalKind} ${s.temporalAddress}`;
    report.mongo = `${s.mongoKind === 'embedded' ? 'embedded FerretDB' : 'external'} ${new URL(s.mongoUri).host}`;
    log(
      `Temporal ${report.temporal}, Mongo ${report.mongo} (${Math.round(report.timingsMs['start services'])} ms)`,
    );
    const extraProcesses: TrackedProcess[] = [];
    const meter = new CpuMeter(() => [...s.processes(), ...extraProcesses]);

    const phase = async <T>(name: string, profileAs: Phase, work: () => Promise<T>): Promise<T> => {
      const before = meter.snapshot();
      const t = performance.now();
      const value = await withProfile(o, profileAs, log, work);
      report.timingsMs[name] = performance.now() - t;
      report.cpu[name] = CpuMeter.diff(before, meter.snapshot());
      report.memory[`after ${name}`] = memorySample();
      return value;
    };

    // Bare Temporal and tokenpay in alternating rounds (see interleavedLoops) unless asked
    // otherwise or one of them is being profiled on its own.
    const interleave =
      o.phases.has('baseline') &&
      o.phases.has('tokenpay') &&
      !o.sequential &&
      o.profile !== 'baseline' &&
      o.profile !== 'tokenpay';
    report.schedule = interleave ? `interleaved, ${o.rounds} ABBA rounds` : 'sequential';

    if (o.phases.has('baseline') && !interleave) {
      log(`bare Temporal: warm-up ${o.warmup}, then up to ${o.iterations} at concurrency ${o.concurrency}`);
      report.baseline = await phase('bare Temporal', 'baseline', () => runBaseline(s, loopOptions, log));
      log(`bare Temporal: ${report.baseline.loop.perSecond.toFixed(1)} workflows/s`);
      logErrors(report.baseline.loop.errors, log);
    }
    if (o.phases.has('tokenpay') || o.phases.has('cards')) {
      const t = performance.now();
      tokenpay = await startTokenpay(s, o.simulator, log);
      extraProcesses.push({ name: 'gateway simulator', pid: tokenpay.simulator.pid });
      report.timingsMs['start tokenpay'] = performance.now() - t;
    }
    const tp = tokenpay;
    if (tp && interleave) {
      log(
        `bare Temporal and tokenpay: warm-up ${o.warmup} each, then up to ${o.iterations} each in ` +
          `${o.rounds} alternating rounds at concurrency ${o.concurrency}`,
      );
      const base = await startBaseline(s, log);
      try {
        const side = tokenpaySide(tp);
        // CPU and wall time of a side: summed over its own measured rounds
        const metered =
          (name: string) =>
          async <T>(work: () => Promise<T>): Promise<T> => {
            const before = meter.snapshot();
            const t = performance.now();
            const value = await work();
            report.timingsMs[name] = (report.timingsMs[name] ?? 0) + (performance.now() - t);
            const spent = CpuMeter.diff(before, meter.snapshot());
            const total = (report.cpu[name] ??= {});
            for (const [proc, ms] of Object.entries(spent)) total[proc] = (total[proc] ?? 0) + ms;
            return value;
          };
        const loops = await interleavedLoops({ ...loopOptions, rounds: o.rounds }, [
          { name: 'baseline', op: base.op, around: metered('bare Temporal') },
          { name: 'tokenpay', op: side.op, around: metered('tokenpay') },
        ]);
        report.baseline = await base.finish(loops.baseline!);
        report.tokenpay = await side.finish(loops.tokenpay!);
        report.memory['after bare Temporal + tokenpay'] = memorySample();
      } finally {
        await base.close();
      }
      log(
        `bare Temporal: ${report.baseline.loop.perSecond.toFixed(1)} workflows/s; ` +
          `tokenpay: ${report.tokenpay.loop.perSecond.toFixed(1)} payments/s`,
      );
      logErrors(report.baseline.loop.errors, log);
      logErrors(report.tokenpay.loop.errors, log);
    } else if (tp && o.phases.has('tokenpay')) {
      log(`tokenpay: warm-up ${o.warmup}, then up to ${o.iterations} at concurrency ${o.concurrency}`);
      report.tokenpay = await phase('tokenpay', 'tokenpay', () => runTokenpay(tp, loopOptions));
      log(`tokenpay: ${report.tokenpay.loop.perSecond.toFixed(1)} payments/s`);
      logErrors(report.tokenpay.loop.errors, log);
    }
    if (tp && o.phases.has('cards')) {
      log(`card list: sizes ${o.cardSizes.join(', ')}`);
      report.cards = await phase('cards', 'cards', () =>
        runCardList(tp, {
          sizes: o.cardSizes,
          warmup: 10,
          requests: o.cardRequests,
          timeBudgetMs: o.cardBudgetMs,
          batchSize: 1_000,
          insertConcurrency: 2,
          insertTimeLimitMs: o.insertLimitMs,
          deadline: tStart + o.softLimitMs,
          log,
        }),
      );
    }
    for (const p of [...s.processes(), ...extraProcesses]) {
      const rss = p.pid === undefined ? undefined : processRssBytes(p.pid);
      if (rss !== undefined) report.serviceRssMb[p.name] = rss / 2 ** 20;
    }
  } catch (error) {
    log(`FAILED: ${(error as Error).stack ?? String(error)}`);
    await cleanup();
    return 1;
  }
  const t = performance.now();
  await cleanup();
  report.timingsMs.cleanup = performance.now() - t;
  report.timingsMs.total = performance.now() - tStart;
  report.memory.end = memorySample();
  report.sdkWarnings = sdkWarnings;
  report.loadAverage.end = os.loadavg()[0]!;
  printReport(report);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
