/**
 * One call per key at a time, and not again within a minimum interval: what a stranger's page
 * loads may trigger in a payment's workflow is bounded however fast they reload. Per process (an
 * API instance), bounded in memory; the workflow's validators refuse what gets through anyway.
 */
export class KeyedThrottle {
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly lastRun = new Map<string, number>();

  constructor(
    private readonly minIntervalMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Runs `work` for `key`, joins the run in flight, or resolves undefined when it ran just now. */
  run<T>(key: string, work: () => Promise<T>): Promise<T | undefined> {
    const running = this.inFlight.get(key);
    if (running) return running as Promise<T>;
    const last = this.lastRun.get(key);
    if (last !== undefined && Date.now() - last < this.minIntervalMs) return Promise.resolve(undefined);
    if (this.lastRun.size >= this.maxKeys) this.lastRun.clear();
    this.lastRun.set(key, Date.now());
    const run = work().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, run);
    return run;
  }
}
