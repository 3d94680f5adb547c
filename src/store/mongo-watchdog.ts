/**
 * Detects a MongoDB client that stopped recovering. After the Mongo-wire server restarts, the
 * Node driver (7.9, against FerretDB) can stay stuck — every operation failing server selection
 * with the same stale "connection closed" — while a new client connects at once (reproduced:
 * 1 of ~5 restarts under load). Nothing in the process can heal it, so the process says so and
 * exits: its supervisor (the embedded launcher, a process manager, Kubernetes) starts it again,
 * and the clients' retries with the same Idempotency-Key / Temporal's activity retries carry on.
 * A server that is really down is waited for, not answered with restarts.
 */
import { MongoClient } from 'mongodb';

import type { Mongo } from './mongo';

export interface StuckClientWatchOptions {
  /** a round trip through the process's own client */
  ping(): Promise<unknown>;
  /** a round trip through a new, short-lived client */
  freshPing(): Promise<unknown>;
  /** the own client has failed this long while a new one succeeds */
  onStuck(failingForMs: number): void;
  everyMs?: number;
  stuckAfterMs?: number;
  now?: () => number;
}

export interface Watch {
  /** one check (the timer calls it; exported for tests) */
  tick(): Promise<void>;
  stop(): void;
}

export function watchForStuckClient(options: StuckClientWatchOptions): Watch {
  const now = options.now ?? Date.now;
  const stuckAfterMs = options.stuckAfterMs ?? 20_000;
  let failingSince: number | undefined;
  let running = false;
  let stopped = false;
  const tick = async (): Promise<void> => {
    if (running || stopped) return;
    running = true;
    try {
      await options.ping();
      failingSince = undefined;
    } catch {
      failingSince ??= now();
      const failingFor = now() - failingSince;
      if (failingFor >= stuckAfterMs) {
        const freshWorks = await options.freshPing().then(
          () => true,
          () => false,
        );
        if (freshWorks && !stopped) options.onStuck(failingFor);
      }
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), options.everyMs ?? 5_000);
  timer.unref();
  return {
    tick,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}

const PING_TIMEOUT_MS = 3_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The watch for a process's MongoDB client (`uri` is what it connected with). */
export function watchMongo(mongo: Mongo, uri: string, onStuck: (failingForMs: number) => void): Watch {
  return watchForStuckClient({
    ping: () => withTimeout(mongo.db.command({ ping: 1 }), PING_TIMEOUT_MS),
    freshPing: async () => {
      const probe = new MongoClient(uri, {
        serverSelectionTimeoutMS: PING_TIMEOUT_MS,
        connectTimeoutMS: PING_TIMEOUT_MS,
      });
      try {
        await withTimeout(probe.db('admin').command({ ping: 1 }), PING_TIMEOUT_MS * 2);
      } finally {
        await probe.close().catch(() => undefined);
      }
    },
    onStuck,
  });
}

/** For a process's main: a stuck client ends the process, for its supervisor to restart it. */
export function exitWhenStuck(logger: {
  fatal(o: object, msg: string): void;
}): (failingForMs: number) => void {
  return (ms) => {
    logger.fatal(
      { failing_for_ms: ms },
      'MongoDB client stuck while a new client connects: exiting to be restarted',
    );
    process.exit(1);
  };
}
