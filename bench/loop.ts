/**
 * A closed-loop load driver: `concurrency` logical clients, each starting its next operation as
 * soon as its previous one finished. A warm-up stage (discarded) runs first at the same
 * concurrency; then the measured stage runs until `iterations` operations were started or
 * `timeLimitMs` passed, whichever comes first, and waits for the operations in flight.
 * Every stage is bounded in count and in time, and gives up after a run of consecutive failures.
 */
import { performance } from 'node:perf_hooks';

export interface LoopOptions {
  concurrency: number;
  warmup: number;
  iterations: number;
  /** measured stage: no operation starts after this; the warm-up gets the same limit */
  timeLimitMs: number;
  /** give up (throw) after this many failures in a row (default 20) */
  maxConsecutiveFailures?: number;
}

/** One operation; resolves with named latencies in ms (e.g. `{ create: 3.1, submit: 20.4 }`). */
export type Operation = (index: number, measured: boolean) => Promise<Record<string, number>>;

export interface LoopResult {
  /** operations that succeeded in the measured stage */
  completed: number;
  failed: number;
  /** wall time of the measured stage, first start to last finish */
  elapsedMs: number;
  /** completed ÷ elapsed seconds */
  perSecond: number;
  latencies: Record<string, number[]>;
  /** error message → count (measured stage and warm-up) */
  errors: Record<string, number>;
  /** true when the time limit, not the iteration count, ended the measured stage */
  timeLimited: boolean;
  warmupMs: number;
}

interface StageResult {
  completed: number;
  failed: number;
  elapsedMs: number;
  timeLimited: boolean;
  latencies: Record<string, number[]>;
}

/**
 * One side's load: runs stages of `count` operations at `concurrency`, numbering operations
 * across stages and collecting errors; throws after a run of consecutive failures.
 */
class LoadDriver {
  readonly errors: Record<string, number> = {};
  private consecutiveFailures = 0;
  private nextIndex = 0;

  constructor(
    private readonly concurrency: number,
    private readonly maxConsecutive: number,
    private readonly op: Operation,
  ) {}

  async stage(count: number, timeLimitMs: number, record: boolean): Promise<StageResult> {
    const latencies: Record<string, number[]> = {};
    let started = 0;
    let completed = 0;
    let failed = 0;
    let timeLimited = false;
    let fatal: Error | undefined;
    const t0 = performance.now();
    const deadline = t0 + timeLimitMs;
    const client = async (): Promise<void> => {
      for (;;) {
        if (fatal || started >= count) return;
        if (performance.now() >= deadline) {
          timeLimited = true;
          return;
        }
        started += 1;
        const index = this.nextIndex++;
        try {
          const result = await this.op(index, record);
          this.consecutiveFailures = 0;
          completed += 1;
          if (record) for (const [name, ms] of Object.entries(result)) (latencies[name] ??= []).push(ms);
        } catch (error) {
          failed += 1;
          this.consecutiveFailures += 1;
          const message = error instanceof Error ? error.message : String(error);
          this.errors[message.slice(0, 200)] = (this.errors[message.slice(0, 200)] ?? 0) + 1;
          if (this.consecutiveFailures >= this.maxConsecutive) {
            fatal = new Error(`${this.consecutiveFailures} operations failed in a row; last: ${message}`);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.concurrency) }, client));
    if (fatal) throw fatal;
    return { completed, failed, elapsedMs: performance.now() - t0, timeLimited, latencies };
  }
}

function toLoopResult(measured: StageResult[], errors: Record<string, number>, warmupMs: number): LoopResult {
  const latencies: Record<string, number[]> = {};
  for (const stage of measured) {
    for (const [name, values] of Object.entries(stage.latencies)) (latencies[name] ??= []).push(...values);
  }
  const completed = measured.reduce((a, s) => a + s.completed, 0);
  const elapsedMs = measured.reduce((a, s) => a + s.elapsedMs, 0);
  return {
    completed,
    failed: measured.reduce((a, s) => a + s.failed, 0),
    elapsedMs,
    perSecond: elapsedMs > 0 ? completed / (elapsedMs / 1000) : NaN,
    latencies,
    errors,
    timeLimited: measured.some((s) => s.timeLimited),
    warmupMs,
  };
}

export async function closedLoop(options: LoopOptions, op: Operation): Promise<LoopResult> {
  const driver = new LoadDriver(options.concurrency, options.maxConsecutiveFailures ?? 20, op);
  const warm = await driver.stage(options.warmup, options.timeLimitMs, false);
  const measured = await driver.stage(options.iterations, options.timeLimitMs, true);
  return toLoopResult([measured], driver.errors, warm.elapsedMs);
}

export interface InterleavedSide {
  name: string;
  op: Operation;
  /** called around each of this side's measured rounds (e.g. to meter CPU) */
  around?: <T>(work: () => Promise<T>) => Promise<T>;
}

/**
 * Several closed loops measured in alternating rounds instead of one after the other, so that
 * whatever else the shared machine does (a neighbour's burst, a slowly filling database) falls on
 * every side alike and cancels out of their ratio. Each side warms up first; then `rounds` rounds
 * each give every side `iterations / rounds` operations, in ABBA order (A B, B A, …) so a steady
 * drift favours neither. Per side, throughput is its completed operations over the summed wall
 * time of its own rounds. `timeLimitMs` bounds each side's whole measured work.
 */
export async function interleavedLoops(
  options: LoopOptions & { rounds: number },
  sides: readonly InterleavedSide[],
): Promise<Record<string, LoopResult>> {
  const drivers = sides.map(
    (side) => new LoadDriver(options.concurrency, options.maxConsecutiveFailures ?? 20, side.op),
  );
  const warmupMs: number[] = [];
  for (const driver of drivers) {
    warmupMs.push((await driver.stage(options.warmup, options.timeLimitMs, false)).elapsedMs);
  }
  const rounds = Math.max(1, Math.min(options.rounds, options.iterations));
  const perRound = Math.ceil(options.iterations / rounds);
  const roundLimitMs = options.timeLimitMs / rounds;
  const measured: StageResult[][] = sides.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const order = sides.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) {
      const driver = drivers[i]!;
      const around = sides[i]!.around ?? (<T>(work: () => Promise<T>) => work());
      measured[i]!.push(await around(() => driver.stage(perRound, roundLimitMs, true)));
    }
  }
  return Object.fromEntries(
    sides.map((side, i) => [side.name, toLoopResult(measured[i]!, drivers[i]!.errors, warmupMs[i]!)]),
  );
}

/** Milliseconds `work` took, with its result. */
export async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await work();
  return [value, performance.now() - t0];
}

/**
 * How many of `ids` resolve (through `result`) to `expected`, 16 at a time; gives up on the rest
 * after `timeoutMs` so a stuck workflow cannot hang the bench.
 */
export async function countCompleted(
  ids: readonly string[],
  result: (id: string) => Promise<unknown>,
  expected: unknown,
  timeoutMs = 30_000,
): Promise<number> {
  let completed = 0;
  const queue = [...ids];
  const deadline = performance.now() + timeoutMs;
  const drain = Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let id = queue.pop(); id !== undefined && performance.now() < deadline; id = queue.pop()) {
        if ((await result(id)) === expected) completed += 1;
      }
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([drain, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
  return completed;
}
