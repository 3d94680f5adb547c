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

export async function closedLoop(options: LoopOptions, op: Operation): Promise<LoopResult> {
  const errors: Record<string, number> = {};
  const maxConsecutive = options.maxConsecutiveFailures ?? 20;
  let consecutiveFailures = 0;
  let nextIndex = 0;

  const stage = async (
    count: number,
    timeLimitMs: number,
    record: boolean,
  ): Promise<{
    completed: number;
    failed: number;
    elapsedMs: number;
    timeLimited: boolean;
    latencies: Record<string, number[]>;
  }> => {
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
        const index = nextIndex++;
        try {
          const result = await op(index, record);
          consecutiveFailures = 0;
          completed += 1;
          if (record) for (const [name, ms] of Object.entries(result)) (latencies[name] ??= []).push(ms);
        } catch (error) {
          failed += 1;
          consecutiveFailures += 1;
          const message = error instanceof Error ? error.message : String(error);
          errors[message.slice(0, 200)] = (errors[message.slice(0, 200)] ?? 0) + 1;
          if (consecutiveFailures >= maxConsecutive) {
            fatal = new Error(`${consecutiveFailures} operations failed in a row; last: ${message}`);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, client));
    if (fatal) throw fatal;
    return { completed, failed, elapsedMs: performance.now() - t0, timeLimited, latencies };
  };

  const warm = await stage(options.warmup, options.timeLimitMs, false);
  const measured = await stage(options.iterations, options.timeLimitMs, true);
  return {
    completed: measured.completed,
    failed: measured.failed,
    elapsedMs: measured.elapsedMs,
    perSecond: measured.elapsedMs > 0 ? measured.completed / (measured.elapsedMs / 1000) : NaN,
    latencies: measured.latencies,
    errors,
    timeLimited: measured.timeLimited,
    warmupMs: warm.elapsedMs,
  };
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
