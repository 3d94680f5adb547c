import { createHash } from 'node:crypto';
import { SimError, badRequest } from './errors';
import type { IdempotencyRecord, IdempotentOperation } from './model';
import type { SimStore } from './store';

const MAX_KEY_LENGTH = 255;

/** The Idempotency-Key header, required on every money-moving request. */
export function requireIdempotencyKey(header: string | undefined): string {
  if (header === undefined || header.length === 0) {
    throw badRequest('missing_idempotency_key', 'the Idempotency-Key header is required');
  }
  if (header.length > MAX_KEY_LENGTH) {
    throw badRequest(
      'invalid_idempotency_key',
      `Idempotency-Key must be at most ${MAX_KEY_LENGTH} characters`,
    );
  }
  return header;
}

/** A stable hash of the operation and its canonical (card-data-free) parameters. */
export function fingerprint(operation: IdempotentOperation, params: Record<string, unknown>): string {
  return createHash('sha256')
    .update(canonicalJson({ operation, ...params }))
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * Idempotency keys (one namespace for all operations, like a PSP account): a committed key with
 * the same fingerprint replays, with another fingerprint is 422; a key whose first request is
 * still being processed is 409.
 */
export class IdempotencyGuard {
  /** key → fingerprint of the running request (null: unknown, e.g. a request held by a timeout fault) */
  private readonly inFlight = new Map<string, string | null>();

  constructor(private readonly store: SimStore) {}

  /** The committed record to replay, or undefined after taking the key's lock (call release()). */
  begin(key: string, print: string): IdempotencyRecord | undefined {
    const record = this.store.state.idempotency[key];
    if (record) {
      if (record.fingerprint !== print) throw reused();
      return record;
    }
    const running = this.inFlight.get(key);
    if (running !== undefined) {
      if (running !== null && running !== print) throw reused();
      throw new SimError(
        409,
        'idempotency_key_in_use',
        'a request with this Idempotency-Key is still being processed',
      );
    }
    this.inFlight.set(key, print);
    return undefined;
  }

  /** Takes the key's lock unless it is committed or locked; returns whether it did. */
  tryLock(key: string): boolean {
    if (this.store.state.idempotency[key] || this.inFlight.has(key)) return false;
    this.inFlight.set(key, null);
    return true;
  }

  release(key: string): void {
    this.inFlight.delete(key);
  }
}

function reused(): SimError {
  return new SimError(
    422,
    'idempotency_key_reused',
    'this Idempotency-Key was used with a different request',
  );
}
