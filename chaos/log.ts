/** The run's own progress lines (stdout), prefixed with the time since start. */
const t0 = Date.now();

export function elapsedMs(): number {
  return Date.now() - t0;
}

export function say(line: string): void {
  console.log(`[chaos +${(elapsedMs() / 1000).toFixed(1).padStart(5)}s] ${line}`);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
