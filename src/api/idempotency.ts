/**
 * `Idempotency-Key` (and Ottu's `Tracking-Key`): the same key and body within 24 h replay the
 * first response; a different body is 422; a request still running under the key is 409.
 * Uniqueness rides on the `_id` index, so two racing requests cannot both run.
 */
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';

import type { Store } from '../store';
import { merchantOf } from './auth';
import { detail } from './errors';

const RETENTION_MS = 24 * 3600 * 1000;
/**
 * A running request refreshes its claim on the key this often; a claim whose heartbeat is older
 * than STALE_RUNNING_MS was left by a crashed API process and may be taken over. A slow request
 * (a gateway timing out) keeps its claim however long it runs, and a retry after a crash waits
 * seconds, not a minute. Taking over is safe anyway: what runs under a key is idempotent itself
 * (a create derives its session id from the key; an operation remembers its request key).
 */
const HEARTBEAT_MS = 5 * 1000;
const STALE_RUNNING_MS = 15 * 1000;
const MAX_HEARTBEAT_MS = 5 * 60 * 1000;

/** JSON with sorted keys: equal for equal bodies whatever their key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function idempotency(store: Store, options: { acceptTrackingKey?: boolean } = {}): RequestHandler {
  const keys = store.idempotencyKeys;
  return async (req, res, next) => {
    const key =
      req.get('idempotency-key') ?? (options.acceptTrackingKey ? req.get('tracking-key') : undefined);
    if (key === undefined) return next();
    if (key.length === 0 || key.length > 255)
      throw detail(400, 'Idempotency-Key must be 1 to 255 characters.');
    const id = `${merchantOf(req)._id}:${req.method}:${req.baseUrl}${req.path}:${key}`;
    const requestHash = createHash('sha256').update(canonical(req.body)).digest('hex');

    for (let tries = 0; ; tries++) {
      if (await keys.claim(id, requestHash, new Date())) break;
      if (tries > 2)
        throw detail(409, 'A request with this Idempotency-Key is still being processed. Retry shortly.');
      const existing = await keys.find(id);
      if (!existing) continue;
      const age = Date.now() - existing.created_at.getTime();
      const sinceHeartbeat = Date.now() - (existing.heartbeat_at ?? existing.created_at).getTime();
      const stale =
        age > RETENTION_MS || (existing.status === 'running' && sinceHeartbeat > STALE_RUNNING_MS);
      if (stale) {
        await keys.dropStale(existing);
        continue;
      }
      if (existing.request_hash !== requestHash) {
        throw detail(422, 'This Idempotency-Key was already used with a different request body.');
      }
      if (existing.status === 'running' || !existing.response) {
        throw detail(409, 'A request with this Idempotency-Key is still being processed. Retry shortly.');
      }
      res.set('Idempotent-Replayed', 'true');
      res.status(existing.response.status).json(existing.response.body);
      return;
    }

    // Until the answer is written (json below, or 'finish' for any other way of answering). Not
    // stopped when the client goes away: the request itself still runs and keeps its claim. Bounded
    // so that a handler that never answers cannot hold a key forever.
    const claimedAt = Date.now();
    const heartbeat = setInterval(() => {
      if (Date.now() - claimedAt > MAX_HEARTBEAT_MS) {
        clearInterval(heartbeat);
        return;
      }
      void keys.heartbeat(id, new Date()).catch(() => undefined);
    }, HEARTBEAT_MS);
    heartbeat.unref();
    res.once('finish', () => clearInterval(heartbeat));

    // Capture the response: keep it unless the server failed (then the key may be retried).
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      clearInterval(heartbeat);
      const status = res.statusCode;
      const settle = status >= 500 ? keys.release(id) : keys.complete(id, { status, body });
      settle.catch(() => undefined).finally(() => json(body));
      return res;
    };
    next();
  };
}
