/**
 * An engine's notification endpoint for the simulator's tests: records every delivery attempt
 * byte for byte, and answers as scripted (a status, no answer at all, or a cut connection).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import type { NotificationEvent } from '../../../src/dev/gateway-simulator/notifications';

/** A status to answer with, `hang` (never answer), or `reset` (cut the connection). */
export type Answer = number | 'hang' | 'reset';

export interface Delivery {
  raw: string;
  event: NotificationEvent;
  headers: http.IncomingHttpHeaders;
  /** ms since the epoch, when the request arrived */
  at: number;
  answer: Answer;
}

export interface NotificationReceiver {
  url: string;
  port: number;
  deliveries: Delivery[];
  /** the answers to give, in order; then 200 */
  script(...answers: Answer[]): void;
  /** every later request gets this answer (after the script) */
  always(answer: Answer): void;
  /** resolves once `n` deliveries arrived */
  waitFor(n: number, timeoutMs?: number): Promise<Delivery[]>;
  close(): Promise<void>;
}

export async function startNotificationReceiver(port = 0): Promise<NotificationReceiver> {
  const deliveries: Delivery[] = [];
  let script: Answer[] = [];
  let fallback: Answer = 200;
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer = script.shift() ?? fallback;
      const raw = Buffer.concat(chunks).toString('utf8');
      deliveries.push({
        raw,
        event: JSON.parse(raw) as NotificationEvent,
        headers: req.headers,
        at: Date.now(),
        answer,
      });
      if (answer === 'hang') return;
      if (answer === 'reset') {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/gateway/notifications`,
    port: bound,
    deliveries,
    script: (...answers) => {
      script = answers;
    },
    always: (answer) => {
      fallback = answer;
    },
    async waitFor(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (deliveries.length < n) {
        if (Date.now() > deadline) {
          throw new Error(`expected ${n} deliveries, got ${deliveries.length} in ${timeoutMs} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return deliveries.slice(0, n);
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Waits `ms`, for tests that must show that nothing more arrives. */
export const quietFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
