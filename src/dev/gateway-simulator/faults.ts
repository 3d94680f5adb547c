import type { Socket } from 'node:net';
import type { FaultRequest } from './requests';

export type FaultMode = FaultRequest['mode'];
export type FaultTarget = 'charge' | 'capture' | 'refund' | 'void' | 'notification';

export interface QueuedFault {
  mode: FaultMode;
  remaining: number;
  latency_ms: number;
  /** `any`: every money-moving request (never a notification) */
  target: FaultTarget | 'any';
}

export interface TakenFault {
  mode: FaultMode;
  latency_ms: number;
}

const DEFAULT_TIMEOUT_LATENCY_MS = 30_000;

/**
 * Fault injection (only with `faults: true`): the next `count` requests of the target operation
 * fail the queued way, or the next `count` notifications are dropped or delayed. Faults are taken
 * in the order they were queued.
 */
export class FaultInjector {
  private queue: QueuedFault[] = [];
  private readonly holds = new Set<{ timer: NodeJS.Timeout; socket: Socket; done: () => void }>();

  enqueue(request: FaultRequest): number {
    this.queue.push({
      mode: request.mode,
      remaining: request.count,
      latency_ms: request.latency_ms ?? DEFAULT_TIMEOUT_LATENCY_MS,
      target: request.target ?? (request.mode.endsWith('_notification') ? 'notification' : 'charge'),
    });
    return this.queuedCount();
  }

  clear(): void {
    this.queue = [];
  }

  list(): QueuedFault[] {
    return this.queue.map((fault) => ({ ...fault }));
  }

  take(target: FaultTarget): TakenFault | undefined {
    const index = this.queue.findIndex(
      (fault) => fault.target === target || (fault.target === 'any' && target !== 'notification'),
    );
    const fault = this.queue[index];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.queue.splice(index, 1);
    return { mode: fault.mode, latency_ms: fault.latency_ms };
  }

  /** Holds a connection without answering, then runs `done` and destroys the socket. */
  hold(socket: Socket, ms: number, done: () => void): void {
    const entry = {
      socket,
      done,
      timer: setTimeout(() => {
        this.holds.delete(entry);
        done();
        socket.destroy();
      }, ms),
    };
    this.holds.add(entry);
  }

  /** Ends every held connection now (on shutdown). */
  dispose(): void {
    for (const entry of this.holds) {
      clearTimeout(entry.timer);
      entry.done();
      entry.socket.destroy();
    }
    this.holds.clear();
    this.queue = [];
  }

  private queuedCount(): number {
    return this.queue.reduce((sum, fault) => sum + fault.remaining, 0);
  }
}
