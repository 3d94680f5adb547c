/**
 * The merchant's webhook endpoint, in this process: records every delivery and checks its
 * signature. It can go down (the port stops accepting connections) or answer 503 for a while,
 * and then comes back on the same port.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { verifyWebhook } from '../src/webhooks';

export interface ReceivedWebhook {
  body: Record<string, unknown>;
  status: number;
  at: number;
  signatureValid: boolean;
}

export type OutageMode = 'refuse' | 'error_503';

export class ChaosWebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private server: http.Server | undefined;
  private port = 0;
  private failing = false;
  /** deliveries that reached us while we answered 503 */
  refusedDeliveries = 0;

  constructor(private readonly hmacKey: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  get up(): boolean {
    return this.server !== undefined && !this.failing;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = this.failing ? 503 : 200;
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          body = { unparseable: true };
        }
        const { signature, ...payload } = body;
        const signatureValid =
          typeof signature === 'string' && verifyWebhook(payload, this.hmacKey, signature);
        this.received.push({ body, status, at: Date.now(), signatureValid });
        if (status !== 200) this.refusedDeliveries++;
        res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      });
    });
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private async closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Goes down for `ms` (refusing connections, or answering 503), then comes back. */
  async outage(mode: OutageMode, ms: number): Promise<void> {
    if (mode === 'error_503') {
      this.failing = true;
      await new Promise((r) => setTimeout(r, ms));
      this.failing = false;
      return;
    }
    await this.closeServer();
    await new Promise((r) => setTimeout(r, ms));
    // The same port again; retry a few times in case it is briefly not reusable.
    for (let i = 0; ; i++) {
      if (this.server) return; // brought back early by ensureUp()
      try {
        await this.start();
        return;
      } catch (error) {
        if (i >= 20) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** Answers 200 from now on (ends an outage early). */
  async ensureUp(): Promise<void> {
    this.failing = false;
    if (!this.server) await this.start();
  }

  close(): Promise<void> {
    this.failing = false;
    return this.closeServer();
  }

  /** Deliveries we answered 200, by event_id. */
  deliveredEventIds(): Set<string> {
    return new Set(
      this.received
        .filter((r) => r.status === 200 && typeof r.body.event_id === 'string')
        .map((r) => r.body.event_id as string),
    );
  }
}
